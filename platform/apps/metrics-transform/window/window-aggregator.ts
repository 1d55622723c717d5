import { copyLabels, pickLabels, type Sample, seriesKey } from '../model/sample';
import type { AckTracker } from './ack-tracker';
import { type Aggregate, GroupState, needsSketch, type Statistic } from './aggregate';
import { type WindowShape, windowStarts } from './windows';

/** What one aggregation computes. Validated by the config schema before it gets here. */
export interface WindowAggregatorOptions {
  window: WindowShape;
  /** How long after a window's end it stays open for late samples, ms (≥ 0). */
  latenessMs: number;
  /** Labels to group by (with the metric name); `undefined` groups by every label. */
  groupBy: readonly string[] | undefined;
  stats: readonly Statistic[];
  /** Relative accuracy of the quantile sketch. */
  sketchAlpha: number;
}

/** Outcome of adding one sample: into how many windows it went, and how many were closed. */
export interface AddOutcome {
  accepted: number;
  late: number;
}

/** What a watermark advance released. */
export interface Advance<H> {
  /** The closed windows' results, ordered by window end, then start, then group. */
  emitted: Aggregate[];
  /** Handles that no open window holds any more: safe to acknowledge once `emitted` is delivered. */
  done: H[];
}

interface OpenWindow<H> {
  start: number;
  groups: Map<
    string,
    { name: string; labels: Record<string, string>; state: GroupState; partition?: number }
  >;
  handles: Set<H>;
}

/**
 * Event-time windowed aggregation with allowed lateness and acknowledgement tracking.
 *
 * Contract:
 * - A sample goes into every window `[s, s + size)` containing its timestamp that is still
 *   open, i.e. whose `end + lateness` is above the current watermark. Closed windows count
 *   as `late` in the outcome; the sample's value is not in them.
 * - `advance(w)` moves the watermark to `w` (it never goes back) and emits every window
 *   with `end + lateness ≤ w`, each exactly once.
 * - At-least-once: each window holds (in the shared {@link AckTracker}) every handle whose
 *   samples went into it. A handle is reported in `done` only when the last window holding
 *   it was emitted, and only if the caller holds it no more either.
 */
export class WindowAggregator<H> {
  private readonly open = new Map<number, OpenWindow<H>>();
  private mark = Number.NEGATIVE_INFINITY;
  private readonly withSketch: boolean;

  constructor(
    private readonly options: WindowAggregatorOptions,
    private readonly tracker: AckTracker<H>,
    /** Where a handle came from: each result then names its group's input partition. */
    private readonly partitionOf?: (handle: H) => number,
  ) {
    this.withSketch = needsSketch(options.stats);
  }

  /** The current watermark (−∞ before the first advance). */
  get watermark(): number {
    return this.mark;
  }

  /** Windows holding state. */
  get openWindows(): number {
    return this.open.size;
  }

  /**
   * Adds a sample. `floor` is a watermark below which windows count as closed for this
   * sample even if this aggregator never saw them: after a restart, the watermark its
   * partition had reached when its offsets were committed (those windows were emitted
   * then, so a re-delivered sample for them is late, not the start of a partial copy).
   */
  add(sample: Sample, handle: H, floor = Number.NEGATIVE_INFINITY): AddOutcome {
    const { window, latenessMs, groupBy } = this.options;
    const outcome: AddOutcome = { accepted: 0, late: 0 };
    const closedUpTo = Math.max(floor, this.mark);
    for (const start of windowStarts(sample.timestamp, window)) {
      if (start + window.size + latenessMs <= closedUpTo) {
        outcome.late++;
        continue;
      }
      let w = this.open.get(start);
      if (!w) {
        w = { start, groups: new Map(), handles: new Set() };
        this.open.set(start, w);
      }
      const labels = groupBy ? pickLabels(sample.labels, groupBy) : sample.labels;
      const key = seriesKey(sample.name, labels);
      let group = w.groups.get(key);
      if (!group) {
        group = {
          name: sample.name,
          labels: copyLabels(labels),
          state: new GroupState(this.withSketch, this.options.sketchAlpha),
        };
        if (this.partitionOf) group.partition = this.partitionOf(handle);
        w.groups.set(key, group);
      }
      group.state.add(sample.value, sample.timestamp);
      if (!w.handles.has(handle)) {
        w.handles.add(handle);
        this.tracker.hold(handle);
      }
      outcome.accepted++;
    }
    return outcome;
  }

  /** When the last window holding a sample at `timestamp` closes: its end plus the lateness. */
  lastClose(timestamp: number): number {
    const { window, latenessMs } = this.options;
    let last = Number.NEGATIVE_INFINITY;
    for (const start of windowStarts(timestamp, window)) {
      last = Math.max(last, start + window.size + latenessMs);
    }
    return last;
  }

  /** Moves the watermark to `watermark` and emits what it closed. */
  advance(watermark: number): Advance<H> {
    if (watermark > this.mark) this.mark = watermark;
    const { size } = this.options.window;
    const closing = [...this.open.keys()]
      .filter((start) => start + size + this.options.latenessMs <= this.mark)
      .sort((a, b) => a - b);
    return this.emit(closing);
  }

  /** Emits every open window regardless of the watermark (shutdown, end of input). */
  flush(): Advance<H> {
    return this.emit([...this.open.keys()].sort((a, b) => a - b));
  }

  private emit(starts: number[]): Advance<H> {
    const result: Advance<H> = { emitted: [], done: [] };
    const { size } = this.options.window;
    for (const start of starts) {
      const w = this.open.get(start) as OpenWindow<H>;
      this.open.delete(start);
      const keys = [...w.groups.keys()].sort();
      for (const key of keys) {
        const g = w.groups.get(key)!;
        result.emitted.push({
          name: g.name,
          labels: g.labels,
          start,
          end: start + size,
          values: g.state.result(this.options.stats),
          ...(g.partition !== undefined ? { partition: g.partition } : {}),
        });
      }
      for (const h of w.handles) if (this.tracker.release(h)) result.done.push(h);
    }
    return result;
  }
}
