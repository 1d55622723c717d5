import { type Dispatcher, Producer } from '../../stages/index';
import type { Acknowledger, Message, MessageStatus } from '../message/message';
import { AckWaiters } from './ack-waiters';
import type { PipelineSource, SourceDrainReport, SourceListener } from './pipeline-source';

/** Options of {@link iterableSource}. */
export interface IterableSourceOptions {
  /** The messages' `topic` (span names, metric labels). Default: the source stage's name. */
  readonly topic?: string;
  /**
   * Told of every acknowledgement (each message once, at the end of the pipeline): where
   * the items came from can then be told they were handled. Default: none.
   */
  readonly onAck?: (successful: readonly Message[], failed: readonly Message[]) => void;
  /** How long a stop waits for emitted messages to be acknowledged. Default: what the pipeline has left of `drainTimeoutMs`. */
  readonly drainTimeoutMs?: number;
}

/** What the pipeline hands a source factory. */
export interface IterableSourceSettings {
  readonly name: string;
  readonly dispatcher: Dispatcher<Message> | undefined;
}

const PENDING: MessageStatus = Object.freeze({ kind: 'pending' });
const NO_HEADERS = Object.freeze({});

/**
 * A pipeline source over an async (or sync) iterable: `source: iterableSource(items)`, or
 * just `source: items`. Each item becomes one message (`data` = the item, `offset` = its
 * position from 0, partition 0, no key).
 *
 * Back-pressure: the iterable is pulled one item at a time and only while the processors
 * have demand, so a slow pipeline reads it slowly; nothing is read ahead.
 * Acknowledgements are followed: `onAck` hears of them, and a stop reads no more and waits
 * (up to `drainTimeoutMs`) until every emitted message was acknowledged; the drain report
 * counts those that were not. An iterable cannot take an item back: one that was never
 * acknowledged is lost to this pipeline (unless `onAck` lets its producer send it again).
 * When the iterable ends, the source finishes and the pipeline completes (`done()`).
 */
export function iterableSource(
  items: AsyncIterable<unknown> | Iterable<unknown>,
  options: IterableSourceOptions = {},
): (settings: IterableSourceSettings) => PipelineSource {
  return (settings) => new IterableInput(items, settings, options);
}

/** True for anything `for await` can read, other than a string. */
export function isIterable(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (Symbol.asyncIterator in value || Symbol.iterator in value)
  );
}

class IterableInput implements PipelineSource {
  readonly stage: IterableStage;
  readonly ready = true;
  private draining: Promise<SourceDrainReport> | undefined;

  constructor(
    items: AsyncIterable<unknown> | Iterable<unknown>,
    settings: IterableSourceSettings,
    private readonly options: IterableSourceOptions,
  ) {
    this.stage = new IterableStage(items, settings, options);
  }

  watch(_listener: SourceListener): () => void {
    // Always ready, never fails on its own: an iterator that throws fails the stage.
    return () => {};
  }

  started(): Promise<void> {
    return Promise.resolve();
  }

  drain(timeoutMs: number): Promise<SourceDrainReport> {
    this.draining ??= this.stage.close(this.options.drainTimeoutMs ?? timeoutMs);
    return this.draining;
  }
}

const FLUSH = Symbol('iterable-source:flush');
const CLOSE = Symbol('iterable-source:close');

/**
 * The stage: pulls one item per unit of demand, in the background (an async `next()` may
 * take its time), and emits the items that arrived in one turn of the event loop together.
 */
class IterableStage extends Producer<Message> {
  private readonly iterator: AsyncIterator<unknown> | Iterator<unknown>;
  private readonly acknowledger: Acknowledger;
  private readonly topic: string;
  private offset = 0;
  private pending = 0;
  private pulling = false;
  private ended = false;
  private closing = false;
  private failure: { error: unknown } | undefined;
  private batch: Message[] = [];
  private flushQueued = false;
  private handedOut = 0;
  private acknowledged = 0;
  private readonly waiters = new AckWaiters();

  constructor(
    items: AsyncIterable<unknown> | Iterable<unknown>,
    settings: IterableSourceSettings,
    options: IterableSourceOptions,
  ) {
    super({
      name: settings.name,
      ...(settings.dispatcher ? { dispatcher: settings.dispatcher } : {}),
    });
    this.iterator =
      Symbol.asyncIterator in items
        ? (items as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        : (items as Iterable<unknown>)[Symbol.iterator]();
    this.topic = options.topic ?? settings.name;
    this.acknowledger = {
      ack: (successful, failed) => {
        this.acknowledged += successful.length + failed.length;
        options.onAck?.(successful, failed);
        this.waiters.notify();
      },
    };
  }

  handleDemand(demand: number): undefined {
    this.pending += demand;
    if (!this.pulling && !this.ended) void this.pull();
    return undefined;
  }

  override handleInfo(message: unknown): Message[] | undefined {
    if (message !== FLUSH && message !== CLOSE) return undefined;
    if (this.failure) throw this.failure.error;
    if (message === CLOSE) this.ended = true;
    const events = this.batch;
    this.batch = [];
    // Finishing after returning events: they are dispatched first.
    if (this.ended && !this.pulling && this.status === 'running') this.finish();
    return events;
  }

  override terminate(): void {
    if (this.ended) return;
    this.ended = true;
    void Promise.resolve(this.iterator.return?.()).catch(() => undefined);
  }

  /**
   * Reads no more (the item being read, if any, is still emitted), finishes the stage and
   * waits up to `timeoutMs` for every emitted message to be acknowledged.
   */
  async close(timeoutMs: number): Promise<SourceDrainReport> {
    if (!this.closing) {
      this.closing = true;
      if (this.status === 'running') this.sendInfo(CLOSE);
    }
    const drained = await this.waiters.until(() => this.acknowledged >= this.handedOut, timeoutMs);
    return { drained, unacknowledged: this.handedOut - this.acknowledged };
  }

  private async pull(): Promise<void> {
    this.pulling = true;
    try {
      while (this.pending > 0 && !this.ended && !this.closing) {
        const next = await this.iterator.next();
        if (next.done) {
          this.ended = true;
          break;
        }
        this.pending -= 1;
        this.handedOut += 1;
        this.batch.push(this.messageOf(next.value));
        this.queueFlush();
      }
    } catch (error) {
      this.failure = { error };
      this.ended = true;
    }
    this.pulling = false;
    if (this.ended || this.closing) {
      this.ended = true;
      this.queueFlush();
    }
  }

  private messageOf(data: unknown): Message {
    return {
      data,
      key: null,
      topic: this.topic,
      partition: 0,
      offset: this.offset++,
      headers: NO_HEADERS,
      timestamp: Date.now(),
      size: sizeOf(data),
      status: PENDING,
      attempts: 0,
      acknowledger: this.acknowledger,
    };
  }

  /** Items arriving in the same turn of the event loop travel as one batch. */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      if (this.status === 'running') this.sendInfo(FLUSH);
    });
  }
}

/** Bytes of a string or buffer item (what `batchBytes` counts); 0 for other values. */
function sizeOf(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (Buffer.isBuffer(data)) return data.length;
  return 0;
}
