import { performance } from 'node:perf_hooks';
import { ProducerConsumer, type ProducerConsumerOptions } from '../../stages/index';
import type { Message } from '../message/message';
import type { Telemetry } from '../telemetry/telemetry';
import {
  type AccumulatorSettings,
  type Batch,
  BatchAccumulator,
  type BatchSizes,
} from './batch-accumulator';

const TIMEOUT = Symbol('batch-timeout');
const DRAIN = Symbol('batch-drain');

/** An operator's new sizes, applied in the mailbox between two calls of `handleEvents`. */
class Resize {
  constructor(readonly sizes: Partial<BatchSizes>) {}
}

/**
 * Groups the messages of one batcher into batches (by batch key; closed on size, bytes or
 * timeout) and emits them to its sink stages. It subscribes to every processor with cancel
 * `'temporary'`: once the last one is gone it flushes what it holds and finishes, so
 * stopping a pipeline drains every open batch. A processor that crashed (an error) is not
 * counted as gone for good: its supervisor brings a new one, which subscribes again.
 *
 * Its output unit is a batch: the sink stages' demand is counted in batches, and the stages
 * core lets a producer-consumer take in messages until it has emitted that many batches.
 */
export class BatcherStage extends ProducerConsumer<Message, Batch> {
  private readonly accumulator: BatchAccumulator;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private producers = 0;
  private draining = false;

  constructor(
    options: ProducerConsumerOptions<Message, Batch>,
    settings: AccumulatorSettings,
    private readonly telemetry: Telemetry,
  ) {
    super(options);
    this.accumulator = new BatchAccumulator(settings);
  }

  /**
   * From now on, emit every batch at once instead of waiting for it to fill: the pipeline
   * is stopping, and the source waits for these messages to be acknowledged.
   */
  drain(): void {
    this.sendInfo(DRAIN);
  }

  /** Messages waiting in open batches. */
  get pending(): number {
    return this.accumulator.pending;
  }

  /** Empties the open batches and returns their messages (the stage crashed: they are lost). */
  takeOpen(): Message[] {
    return this.accumulator.flushAll().flatMap((batch) => batch.messages);
  }

  /** The batch size and timeout in force (an operator may have changed them). */
  get sizes(): BatchSizes {
    return this.accumulator.sizes;
  }

  /**
   * Changes the batch size and/or timeout from the next batch on (see
   * {@link BatchAccumulator.resize}); applied in order with the messages already sent here.
   * Values are the caller's to check.
   */
  resize(sizes: Partial<BatchSizes>): void {
    this.sendInfo(new Resize(sizes));
  }

  override handleSubscribe(kind: 'producer' | 'consumer'): undefined {
    if (kind === 'producer') this.producers++;
    return undefined;
  }

  override handleEvents(messages: Message[]): Batch[] {
    const started = performance.now();
    const batches = this.accumulator.add(messages, Date.now());
    if (this.draining) batches.push(...this.accumulator.flushAll());
    this.armTimer();
    this.telemetry.recordBatch(this.name, {
      eventsIn: messages.length,
      eventsOut: batches.length,
      seconds: (performance.now() - started) / 1000,
    });
    return batches;
  }

  override handleInfo(message: unknown): Batch[] | undefined {
    if (message === DRAIN) {
      this.draining = true;
      const batches = this.accumulator.flushAll();
      this.armTimer();
      return batches;
    }
    if (message instanceof Resize) {
      const batches = this.accumulator.resize(message.sizes, Date.now());
      this.armTimer();
      return batches;
    }
    if (message !== TIMEOUT) return undefined;
    this.timer = undefined;
    const batches = this.accumulator.due(Date.now());
    this.armTimer();
    return batches;
  }

  override handleCancel(reason: unknown, subscription: { consumer: unknown }): Batch[] | undefined {
    // Only the loss of a producer matters here; a sink stage leaving is the core's business.
    if (subscription.consumer !== this) return undefined;
    this.producers--;
    // A processor leaving while others stay (its pool shrank, or it crashed and comes back)
    // changes nothing for the open batches: they fill and time out as before.
    if (this.producers > 0 || reason instanceof Error) return undefined;
    const batches = this.accumulator.flushAll();
    this.armTimer();
    this.finishWhenDrained();
    return batches;
  }

  override terminate(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One timer, for the earliest deadline; re-armed only when that deadline moves. */
  private armTimer(): void {
    const deadline = this.accumulator.nextDeadline();
    if (deadline === undefined) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer && this.timerAt === deadline) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(() => this.sendInfo(TIMEOUT), Math.max(0, deadline - Date.now()));
  }
}
