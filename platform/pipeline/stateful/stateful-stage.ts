import { performance } from 'node:perf_hooks';
import { ProducerConsumer, type ProducerConsumerOptions } from '../../../stages/index';
import type { Message } from '../../message/message';
import type { Telemetry } from '../../telemetry/telemetry';
import { acknowledge } from '../acknowledge';
import type { DeadLetterer } from '../dead-letter';
import { isMarker, markerProgress, recordOrigin } from '../repartition/hop-headers';
import type { WriterWatermarks } from '../repartition/writer-watermarks';
import { emitMessages } from './emission';
import type { StatefulHandler, StatefulResult } from './stateful-handler';

const TICK = Symbol('stateful:tick');

/** A new assignment of the input partitions (a rebalance), queued behind earlier events. */
interface Assigned {
  readonly kind: typeof ASSIGNED;
  readonly partitions: readonly number[];
}
const ASSIGNED = Symbol('stateful:assigned');

export interface StatefulStageSettings {
  readonly handler: StatefulHandler;
  readonly watermarks: WriterWatermarks;
  readonly deadLetterer: DeadLetterer;
  readonly telemetry: Telemetry;
  readonly tickIntervalMs: number;
  /** Topic label of what the stage emits (telemetry). */
  readonly outputLabel: string;
  readonly now?: () => number;
}

/**
 * The stage that runs a {@link StatefulHandler} after a repartition hop: every message of
 * one key arrives here, in every instance, for the partitions this instance owns.
 *
 * It reads the hop's watermark markers and data records to keep each partition's
 * watermark ({@link WriterWatermarks}), hands data to the handler, asks it to advance
 * after each batch and on a timer, and passes what it emits downstream as new messages
 * whose confirmation acknowledges the inputs they cover (deferred acknowledgement). Refused
 * messages go to the dead-letter topic. A new assignment of its input ({@link reassigned},
 * a rebalance) resets the handler: everything not committed is delivered again.
 */
export class StatefulStage extends ProducerConsumer<Message, Message> {
  private timer: NodeJS.Timeout | undefined;
  private readonly generations = new Map<number, number>();
  private readonly now: () => number;

  constructor(
    options: ProducerConsumerOptions<Message, Message>,
    private readonly settings: StatefulStageSettings,
  ) {
    super(options);
    this.now = settings.now ?? Date.now;
  }

  override init(): void {
    this.timer = setInterval(() => this.sendInfo(TICK), this.settings.tickIntervalMs);
    this.timer.unref();
  }

  override terminate(): void {
    clearInterval(this.timer);
  }

  override async handleEvents(messages: Message[]): Promise<Message[]> {
    const started = performance.now();
    const now = this.now();
    const { watermarks, handler, telemetry } = this.settings;
    const data: Message[] = [];
    const markers: Message[] = [];
    for (const m of messages) {
      if (this.stale(m)) continue;
      if (isMarker(m)) {
        const progress = markerProgress(m);
        if (progress) {
          for (const [writer, time] of Object.entries(progress)) {
            watermarks.report(m.partition, writer, time, now);
          }
        }
        markers.push(m);
        continue;
      }
      const origin = recordOrigin(m);
      if (origin) watermarks.report(m.partition, origin.writer, origin.eventTime, now);
      else watermarks.assign(m.partition, now);
      data.push(m);
    }
    const out: Message[] = [];
    if (data.length > 0) {
      const handled = telemetry.traceBatch(this.name, data[0]!.topic, data, () =>
        handler.handle(data, now),
      );
      await this.refuse(data);
      out.push(...this.emit(handled, now));
    }
    out.push(...this.emit(this.advance(now), now));
    // Markers carry no work: done as soon as they were read.
    if (markers.length > 0) acknowledge(markers, []);
    telemetry.recordBatch(this.name, {
      eventsIn: messages.length,
      eventsOut: out.length,
      seconds: (performance.now() - started) / 1000,
    });
    return out;
  }

  /**
   * The input was assigned anew (an eager rebalance revoked everything first): the handler
   * starts over, since everything not committed is delivered again and what it held can no
   * longer be acknowledged; revoked partitions stop counting for the watermark.
   */
  reassigned(partitions: readonly number[]): void {
    const info: Assigned = { kind: ASSIGNED, partitions: [...partitions] };
    this.sendInfo(info);
  }

  override handleInfo(message: unknown): Message[] | undefined {
    if ((message as Assigned | undefined)?.kind === ASSIGNED) {
      const { partitions } = message as Assigned;
      const now = this.now();
      const { watermarks } = this.settings;
      for (const p of watermarks.assigned()) if (!partitions.includes(p)) watermarks.revoke(p);
      for (const p of partitions) watermarks.assign(p, now);
      this.generations.clear();
      this.settings.handler.reset();
      return undefined;
    }
    if (message !== TICK) return undefined;
    const now = this.now();
    const out = this.emit(this.advance(now), now);
    return out.length > 0 ? out : undefined;
  }

  private advance(now: number): StatefulResult {
    const { watermarks, handler } = this.settings;
    return handler.advance((p) => watermarks.current(p, now), watermarks.assigned(), now);
  }

  private emit(result: StatefulResult, now: number): Message[] {
    return emitMessages(result.emit, result.done, { topic: this.settings.outputLabel, now });
  }

  /** Messages the handler marked failed go to the dead-letter topic (acknowledged there). */
  private async refuse(messages: readonly Message[]): Promise<void> {
    const failed = messages.filter((m) => m.status.kind === 'failed');
    if (failed.length > 0) await this.settings.deadLetterer.deadLetter(failed);
  }

  /**
   * Kafka messages carry their partition's assignment generation: one older than the last
   * seen for that partition was handed out before a rebalance and is skipped (it is
   * delivered again from the committed offset).
   */
  private stale(m: Message): boolean {
    const generation = (m as { generation?: unknown }).generation;
    if (typeof generation !== 'number') return false;
    const known = this.generations.get(m.partition);
    if (known !== undefined && generation < known) return true;
    this.generations.set(m.partition, generation);
    return false;
  }
}
