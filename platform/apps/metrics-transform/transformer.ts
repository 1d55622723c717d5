import { compilePlan, type TransformPlan } from './config/compile-plan';
import type { TransformConfig } from './config/config-schema';
import {
  aggregateToInflux,
  aggregateToJson,
  type OutputFormat,
  sampleToInflux,
  sampleToJson,
} from './encode/encode';
import type { Reject } from './model/reject';
import type { Sample } from './model/sample';
import { seriesId } from './model/series-id';
import { type InputRecord, prepareRecord } from './prepare';
import { CounterRate } from './rate/counter-rate';
import { AckTracker } from './window/ack-tracker';
import type { Aggregate } from './window/aggregate';
import { PartitionWatermarks } from './window/partition-watermarks';
import { WindowAggregator } from './window/window-aggregator';

export type { InputRecord } from './prepare';

/** One record for the output topic: keyed by series so order per series holds. */
export interface OutputRecord {
  key: string;
  value: string;
}

/** A refused sample or line, bound for the dead-letter topic. */
export interface DeadLetter {
  reason: Reject['reason'] | 'late';
  detail: string;
  excerpt: string;
}

export interface IngestResult {
  /** Unaggregated samples to send now. */
  outputs: OutputRecord[];
  deadLetters: DeadLetter[];
  /**
   * True when no open window holds the record: acknowledge it once `outputs` and
   * `deadLetters` were delivered. False: it comes back in a later `done` list.
   */
  done: boolean;
}

export interface TickResult<H> {
  /** Aggregates of the windows the watermark closed. */
  outputs: OutputRecord[];
  aggregates: Aggregate[];
  /** Records to acknowledge once `outputs` were delivered. */
  done: H[];
  watermark: number;
}

/** Cumulative counts, for the `kafka_stages_transform_*` metrics. */
export interface TransformCounts {
  samplesIn: number;
  samplesOut: number;
  dropped: { filter: number; relabel: number; invalid: number; late: number };
  lateSamples: number;
  windowsEmitted: number;
}

/**
 * The metric transformation as one object with no I/O: records in, output records,
 * dead letters and acknowledgeable handles out. A stage calls it; tests call it directly.
 *
 * Steps per sample, in order: parse (per topic format) → validate → filter → relabel →
 * units/renames → counter rate → aggregations (or pass through). `H` is whatever the
 * caller uses to acknowledge a record (a Kafka message); the transformer only keeps it in
 * sets, so object identity matters.
 */
export class MetricTransformer<H> {
  readonly plan: TransformPlan;
  private tracker = new AckTracker<H>();
  private aggregators: { matches: (n: string) => boolean; agg: WindowAggregator<H> }[] = [];
  private watermarks!: PartitionWatermarks;
  private rate: CounterRate | undefined;
  private readonly format: OutputFormat;
  private readonly floors = new Map<string, number>();
  readonly counts: TransformCounts = {
    samplesIn: 0,
    samplesOut: 0,
    dropped: { filter: 0, relabel: 0, invalid: 0, late: 0 },
    lateSamples: 0,
    windowsEmitted: 0,
  };

  constructor(config: TransformConfig) {
    this.plan = compilePlan(config);
    this.format = config.output.format;
    this.reset();
  }

  /**
   * Forgets all state: open windows, held records, watermarks, counter baselines (the
   * counts stay). For a consumer-group rebalance: everything not committed is delivered
   * again from the committed offsets, and the records held so far can no longer be
   * acknowledged, so the windows must be rebuilt from the re-delivery, not added to.
   */
  reset(): void {
    this.tracker = new AckTracker<H>();
    this.aggregators = this.plan.aggregations.map((a) => ({
      matches: a.matches,
      agg: new WindowAggregator<H>(a.options, this.tracker),
    }));
    this.watermarks = new PartitionWatermarks(this.plan.idleTimeoutMs);
    this.rate = this.plan.rate
      ? new CounterRate({ staleAfterMs: this.plan.rate.staleAfterMs })
      : undefined;
  }

  /** The current combined watermark at `now` (−∞ before any sample). */
  watermark(now: number): number {
    return this.watermarks.current(now);
  }

  /** Windows holding state, over every aggregation. */
  get openWindows(): number {
    return this.aggregators.reduce((n, a) => n + a.agg.openWindows, 0);
  }

  /** Records held by open windows (not yet acknowledgeable). */
  get pendingRecords(): number {
    return this.tracker.size;
  }

  /** A partition was assigned: it holds the watermark until it delivers or goes idle. */
  assign(topic: string, partition: number, now: number): void {
    this.watermarks.assign(`${topic}/${partition}`, now);
  }

  /** A partition was revoked: it stops holding the watermark. */
  revoke(topic: string, partition: number): void {
    this.watermarks.revoke(`${topic}/${partition}`);
  }

  /**
   * Starts the aggregations at a watermark (after a restart: the watermark up to which
   * windows were emitted and delivered before), so re-delivered samples of windows that
   * were already emitted count as late instead of producing partial duplicates.
   */
  restoreWatermark(watermark: number): void {
    for (const { agg } of this.aggregators) agg.advance(watermark);
  }

  /**
   * Per-partition restore: samples from `topic`/`partition` count as late for windows
   * closed at `watermark` (the watermark whose windows were emitted and confirmed when
   * the partition's offset was last committed, e.g. from the commit metadata). Unlike
   * {@link restoreWatermark} it does not close windows for the other partitions, so it
   * stays correct when partitions move between instances.
   */
  restorePartition(topic: string, partition: number, watermark: number): void {
    this.floors.set(`${topic}/${partition}`, watermark);
  }

  /**
   * The watermark every aggregation has emitted up to: windows with end + lateness at or
   * below it were emitted (by the last `tick`). Once their outputs are confirmed, this is
   * what to store with the committed offsets for {@link restorePartition}.
   */
  get emittedWatermark(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const { agg } of this.aggregators) if (agg.watermark < min) min = agg.watermark;
    return this.aggregators.length === 0 ? Number.NEGATIVE_INFINITY : min;
  }

  ingest(record: InputRecord, handle: H, now: number): IngestResult {
    const result: IngestResult = { outputs: [], deadLetters: [], done: false };
    this.tracker.hold(handle); // while adding, so the record cannot be done half-way
    const prepared = prepareRecord(this.plan, record, now);
    this.counts.samplesIn += prepared.parsed;
    this.counts.dropped.filter += prepared.filtered;
    this.counts.dropped.relabel += prepared.relabelDropped;
    for (const r of prepared.rejects) this.invalid(result, r);
    const partition = `${record.topic}/${record.partition}`;
    if (prepared.maxEventTime > Number.NEGATIVE_INFINITY) {
      this.watermarks.observe(partition, prepared.maxEventTime, now);
    }
    const floor = this.floors.get(partition);
    for (const sample of prepared.samples) this.step(sample, handle, result, floor);
    result.done = this.tracker.release(handle);
    return result;
  }

  /** Advances every aggregation to the current watermark and emits the closed windows. */
  tick(now: number): TickResult<H> {
    const watermark = this.watermarks.current(now);
    return this.collect((agg) => agg.advance(watermark), watermark);
  }

  /** Emits every open window (end of input, shutdown after draining). */
  flush(now: number): TickResult<H> {
    return this.collect((agg) => agg.flush(), this.watermarks.current(now));
  }

  private collect(
    run: (agg: WindowAggregator<H>) => { emitted: Aggregate[]; done: H[] },
    watermark: number,
  ): TickResult<H> {
    const result: TickResult<H> = { outputs: [], aggregates: [], done: [], watermark };
    for (const { agg } of this.aggregators) {
      const windowsBefore = agg.openWindows;
      const { emitted, done } = run(agg);
      this.counts.windowsEmitted += windowsBefore - agg.openWindows;
      for (const a of emitted) {
        result.aggregates.push(a);
        result.outputs.push({
          key: seriesId(a.name, a.labels),
          value: this.format === 'json' ? aggregateToJson(a) : aggregateToInflux(a),
        });
      }
      for (const h of done) result.done.push(h);
    }
    this.counts.samplesOut += result.outputs.length;
    return result;
  }

  private invalid(result: IngestResult, r: Reject): void {
    this.counts.dropped.invalid++;
    result.deadLetters.push({ reason: r.reason, detail: r.detail, excerpt: r.excerpt });
  }

  /** Rate and aggregations (or pass-through) of one prepared sample. */
  private step(input: Sample, handle: H, result: IngestResult, floor: number | undefined): void {
    let sample = input;
    if (this.rate && this.plan.rate?.matches(sample.name)) {
      const r = this.rate.next(sample);
      if (r.kind === 'first') return;
      if (r.kind === 'out_of_order') {
        this.late(result, sample, 'out of order for its counter series');
        return;
      }
      sample = r.sample;
    }
    let matched = false;
    let accepted = false;
    for (const { matches, agg } of this.aggregators) {
      if (!matches(sample.name)) continue;
      matched = true;
      if (agg.add(sample, handle, floor).accepted > 0) accepted = true;
    }
    if (!matched) {
      if (!this.plan.passUnaggregated) return;
      this.counts.samplesOut++;
      result.outputs.push({
        key: seriesId(sample.name, sample.labels),
        value: this.format === 'json' ? sampleToJson(sample) : sampleToInflux(sample),
      });
      return;
    }
    if (!accepted) this.late(result, sample, 'every window it belongs to was already emitted');
  }

  private late(result: IngestResult, sample: Sample, why: string): void {
    this.counts.dropped.late++;
    this.counts.lateSamples++;
    if (this.plan.deadLetterLate) {
      result.deadLetters.push({
        reason: 'late',
        detail: why,
        excerpt: sampleToJson(sample).slice(0, 200),
      });
    }
  }
}
