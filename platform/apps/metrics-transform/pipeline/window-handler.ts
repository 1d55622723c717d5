import { type Message, markFailed } from '../../../message/message';
import type {
  StatefulHandler,
  StatefulOutput,
  StatefulResult,
} from '../../../pipeline/stateful/stateful-handler';
import type { TransformPlan } from '../config/compile-plan';
import { aggregateToInflux, aggregateToJson, sampleToInflux, sampleToJson } from '../encode/encode';
import type { Sample } from '../model/sample';
import { seriesId } from '../model/series-id';
import { CounterRate } from '../rate/counter-rate';
import type { TransformCounts } from '../transformer';
import { AckTracker } from '../window/ack-tracker';
import type { Aggregate } from '../window/aggregate';
import { WindowAggregator } from '../window/window-aggregator';
import { decodeSample } from './sample-codec';

const NONE: StatefulResult = { emit: [], done: [] };

/**
 * The stateful half of the transformer, after the repartition hop: counter rates, then the
 * windowed aggregations (or pass-through). Each input message is one sample; it is done
 * when every window it went into was emitted. Windows close when the hop's watermark (the
 * minimum over the assigned partitions, each the minimum over the upstream writers) passes
 * their end plus the allowed lateness.
 */
export class WindowHandler implements StatefulHandler {
  private tracker = new AckTracker<Message>();
  private aggregators: { matches: (n: string) => boolean; agg: WindowAggregator<Message> }[] = [];
  private rate: CounterRate | undefined;
  private lastWatermark = Number.NEGATIVE_INFINITY;
  /** Per input partition: state at or below this watermark was emitted before a restart. */
  private readonly floors = new Map<number, number>();

  /**
   * @param samplesOf The samples of one input message. Default: the one sample of a
   *   repartition record. `make bench-transform` passes a parser of raw input records to
   *   measure the transformer without its hop (input already keyed by group); a late sample
   *   of such a record is counted, not dead-lettered (its other samples are in windows).
   */
  constructor(
    private readonly plan: TransformPlan,
    private readonly format: 'json' | 'influx',
    private readonly counts: TransformCounts,
    private readonly samplesOf?: (m: Message) => readonly Sample[] | undefined,
  ) {
    this.reset();
  }

  /** Windows holding state. */
  get openWindows(): number {
    return this.aggregators.reduce((n, a) => n + a.agg.openWindows, 0);
  }

  /** Input messages held by open windows. */
  get heldMessages(): number {
    return this.tracker.size;
  }

  /** The watermark the windows were last advanced to (−∞ before). */
  get watermark(): number {
    return this.lastWatermark;
  }

  reset(): void {
    this.tracker = new AckTracker<Message>();
    this.aggregators = this.plan.aggregations.map((a) => ({
      matches: a.matches,
      agg: new WindowAggregator<Message>(a.options, this.tracker, (m) => m.partition),
    }));
    this.rate = this.plan.rate
      ? new CounterRate({ staleAfterMs: this.plan.rate.staleAfterMs })
      : undefined;
    this.lastWatermark = Number.NEGATIVE_INFINITY;
    this.floors.clear();
  }

  restore(partition: number, watermark: number): void {
    this.floors.set(partition, watermark);
  }

  handle(messages: Message[], _now?: number, fresh?: (m: Message) => boolean): StatefulResult {
    const emit: StatefulOutput[] = [];
    const done: Message[] = [];
    for (const m of messages) {
      if (this.samplesOf) {
        this.handleRecord(m, emit, done);
        continue;
      }
      const sample = decodeSample(m.data);
      if (!sample) {
        markFailed(m, 'unparseable', new Error('not a sample of the repartition topic'));
        continue;
      }
      if (this.emittedBefore(sample, m.partition)) {
        if (fresh?.(m)) {
          // Never counted (its writer came back after its windows were emitted): late, like
          // any sample whose windows closed, not silently taken for a re-read.
          const why = this.late('its windows were emitted before a restart');
          if (this.plan.deadLetterLate) markFailed(m, 'late', new Error(why));
          else done.push(m);
          continue;
        }
        // Counted in results delivered before a restart; a counter still needs it as the
        // baseline of its next rate.
        if (this.rate && this.plan.rate?.matches(sample.name)) this.rate.next(sample);
        done.push(m);
        continue;
      }
      this.tracker.hold(m);
      const late = this.step(sample, m, emit);
      if (late && this.plan.deadLetterLate) {
        this.tracker.release(m);
        markFailed(m, 'late', new Error(late));
        continue;
      }
      if (this.tracker.release(m)) done.push(m);
    }
    return { emit, done };
  }

  /** A message of several samples (see `samplesOf`): done when none of its windows is open. */
  private handleRecord(m: Message, emit: StatefulOutput[], done: Message[]): void {
    const samples = this.samplesOf!(m);
    if (!samples) {
      markFailed(m, 'unparseable', new Error('no samples in the record'));
      return;
    }
    this.tracker.hold(m);
    for (const sample of samples) {
      if (this.emittedBefore(sample, m.partition)) {
        if (this.rate && this.plan.rate?.matches(sample.name)) this.rate.next(sample);
        continue;
      }
      this.step(sample, m, emit);
    }
    if (this.tracker.release(m)) done.push(m);
  }

  advance(watermark: (partition: number) => number, partitions: readonly number[]): StatefulResult {
    if (partitions.length === 0 || this.aggregators.length === 0) return NONE;
    let min = Number.POSITIVE_INFINITY;
    for (const p of partitions) min = Math.min(min, watermark(p));
    if (!(min > this.lastWatermark)) return NONE;
    this.lastWatermark = min;
    const emit: StatefulOutput[] = [];
    const done: Message[] = [];
    for (const { agg } of this.aggregators) {
      const before = agg.openWindows;
      const { emitted, done: released } = agg.advance(min);
      this.counts.windowsEmitted += before - agg.openWindows;
      for (const a of emitted) emit.push(this.output(a));
      for (const m of released) done.push(m);
    }
    this.counts.samplesOut += emit.length;
    return { emit, done };
  }

  /**
   * True when every window of every aggregation the sample belongs to ended (with its
   * lateness) at or below the partition's restored floor: those results were delivered.
   */
  private emittedBefore(sample: Sample, partition: number): boolean {
    const floor = this.floors.get(partition);
    if (floor === undefined) return false;
    let any = false;
    for (const { matches, agg } of this.aggregators) {
      if (!matches(sample.name)) continue;
      any = true;
      if (agg.lastClose(sample.timestamp) > floor) return false;
    }
    return any;
  }

  /** Rate and aggregations of one sample; returns why it is late, or undefined. */
  private step(input: Sample, m: Message, emit: StatefulOutput[]): string | undefined {
    let sample = input;
    if (this.rate && this.plan.rate?.matches(sample.name)) {
      const r = this.rate.next(sample);
      if (r.kind === 'first') return undefined;
      if (r.kind === 'out_of_order') return this.late('out of order for its counter series');
      sample = r.sample;
    }
    let matched = false;
    let accepted = false;
    for (const { matches, agg } of this.aggregators) {
      if (!matches(sample.name)) continue;
      matched = true;
      if (agg.add(sample, m).accepted > 0) accepted = true;
    }
    if (!matched) {
      if (!this.plan.passUnaggregated) return undefined;
      this.counts.samplesOut++;
      emit.push({
        key: seriesId(sample.name, sample.labels),
        value: this.format === 'json' ? sampleToJson(sample) : sampleToInflux(sample),
        timestamp: sample.timestamp,
        partition: m.partition,
      });
      return undefined;
    }
    return accepted ? undefined : this.late('every window it belongs to was already emitted');
  }

  private late(why: string): string {
    this.counts.dropped.late++;
    this.counts.lateSamples++;
    return why;
  }

  private output(a: Aggregate): StatefulOutput {
    return {
      key: seriesId(a.name, a.labels),
      value: this.format === 'json' ? aggregateToJson(a) : aggregateToInflux(a),
      timestamp: a.end,
      ...(a.partition !== undefined ? { partition: a.partition } : {}),
    };
  }
}
