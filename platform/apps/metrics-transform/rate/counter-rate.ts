import { type Sample, seriesKey } from '../model/sample';

/** What the rate step does with a sample it cannot turn into a rate. */
export type RateOutcome =
  | { kind: 'rate'; sample: Sample }
  /** First sample of a series (or first after eviction): remembered, nothing emitted. */
  | { kind: 'first' }
  /** Event time not after the series' previous sample: dropped (counted as late). */
  | { kind: 'out_of_order' };

export interface CounterRateOptions {
  /** Name of the rate sample from the counter's name. Default: `_total` → `_per_second`. */
  rename?: (name: string) => string;
  /** A series not seen for this long (event time) is forgotten. Default: 1 hour. */
  staleAfterMs?: number;
}

/**
 * Turns counter samples into per-second rates, per series.
 *
 * For consecutive samples `(t0, v0)`, `(t1, v1)` of one series with `t1 > t0`, the rate
 * is `(v1 − v0) / (t1 − t0)` per second. A value that goes down is a counter reset, as in
 * Prometheus: the counter restarted from zero, so the increase is `v1` itself. The rate
 * is stamped at `t1` and keeps the series' labels. The first sample of a series only
 * sets the baseline. Samples must arrive in event-time order per series; one that does not
 * is dropped, since a rate across it would be meaningless.
 */
export class CounterRate {
  private readonly last = new Map<string, { t: number; v: number }>();
  private readonly rename: (name: string) => string;
  private readonly staleAfterMs: number;

  constructor(options: CounterRateOptions = {}) {
    this.rename = options.rename ?? defaultRename;
    this.staleAfterMs = options.staleAfterMs ?? 3_600_000;
  }

  /** Series remembered. */
  get series(): number {
    return this.last.size;
  }

  next(sample: Sample): RateOutcome {
    const key = seriesKey(sample.name, sample.labels);
    const prev = this.last.get(key);
    if (!prev) {
      this.last.set(key, { t: sample.timestamp, v: sample.value });
      return { kind: 'first' };
    }
    if (sample.timestamp <= prev.t) return { kind: 'out_of_order' };
    const increase = sample.value >= prev.v ? sample.value - prev.v : sample.value;
    const rate = increase / ((sample.timestamp - prev.t) / 1000);
    prev.t = sample.timestamp;
    prev.v = sample.value;
    return {
      kind: 'rate',
      sample: {
        name: this.rename(sample.name),
        value: rate,
        timestamp: sample.timestamp,
        labels: sample.labels,
      },
    };
  }

  /** Forgets series whose last sample is older than `staleAfterMs` before `eventTime`. */
  evict(eventTime: number): number {
    let n = 0;
    for (const [key, s] of this.last) {
      if (s.t < eventTime - this.staleAfterMs) {
        this.last.delete(key);
        n++;
      }
    }
    return n;
  }
}

function defaultRename(name: string): string {
  return name.endsWith('_total') ? `${name.slice(0, -6)}_per_second` : `${name}_per_second`;
}
