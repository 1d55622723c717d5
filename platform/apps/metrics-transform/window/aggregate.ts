import { DDSketch } from '../sketch/ddsketch';

/** The statistics a window can report. Quantiles come from a {@link DDSketch}. */
export const STATISTICS = [
  'count',
  'sum',
  'min',
  'max',
  'avg',
  'last',
  'p50',
  'p90',
  'p99',
] as const;
export type Statistic = (typeof STATISTICS)[number];

const QUANTILES: Partial<Record<Statistic, number>> = { p50: 0.5, p90: 0.9, p99: 0.99 };

/** One emitted result: a group of samples in one window. */
export interface Aggregate {
  /** The aggregation rule's output name (by default the metric name). */
  name: string;
  /** The group's labels (the `group_by` labels of the samples). */
  labels: Record<string, string>;
  /** Window start, ms, inclusive. */
  start: number;
  /** Window end, ms, exclusive. */
  end: number;
  /** One value per configured statistic, in the configured order. */
  values: Partial<Record<Statistic, number>>;
  /** The input partition the group's samples came from, when the aggregator was told. */
  partition?: number;
}

/**
 * The running state of one group in one window. `last` is the value with the greatest
 * event time (on a tie, the one that arrived last), so it does not depend on arrival
 * order.
 */
export class GroupState {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  lastTimestamp = Number.NEGATIVE_INFINITY;
  last = Number.NaN;
  readonly sketch: DDSketch | undefined;

  constructor(withSketch: boolean, alpha: number) {
    this.sketch = withSketch ? new DDSketch(alpha) : undefined;
  }

  add(value: number, timestamp: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (timestamp >= this.lastTimestamp) {
      this.lastTimestamp = timestamp;
      this.last = value;
    }
    this.sketch?.add(value);
  }

  result(stats: readonly Statistic[]): Partial<Record<Statistic, number>> {
    const out: Partial<Record<Statistic, number>> = {};
    for (const s of stats) out[s] = this.stat(s);
    return out;
  }

  private stat(s: Statistic): number {
    switch (s) {
      case 'count':
        return this.count;
      case 'sum':
        return this.sum;
      case 'min':
        return this.min;
      case 'max':
        return this.max;
      case 'avg':
        return this.sum / this.count;
      case 'last':
        return this.last;
      default:
        return (this.sketch as DDSketch).quantile(QUANTILES[s] as number);
    }
  }
}

/** True when any of the statistics needs the sketch. */
export function needsSketch(stats: readonly Statistic[]): boolean {
  return stats.some((s) => QUANTILES[s] !== undefined);
}
