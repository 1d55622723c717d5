import type { Metric, Registry } from 'prom-client';

/** One labelled series of a {@link BatchHistogram}, bound once and then observed cheaply. */
export interface HistogramSeries {
  observe(value: number): void;
}

interface Series extends HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram for values observed once per event inside a batch (end-to-end
 * latency of every delivered record). prom-client's `Histogram.observe` validates and
 * hashes the labels on every call, microseconds per record; here a bound series is a bucket
 * search and three additions, and the text exposition is built at scrape time.
 *
 * It registers with a prom-client registry like any metric (`get`, `reset`, `name`,
 * `help`, `type`), so `/metrics`, `getSingleMetric` and `getMetricsAsJSON` see it.
 */
export class BatchHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    // prom-client's types list only its own classes; the registry needs just this shape.
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of `labels` (created on first use). Keep it: binding is the slow part. */
  labels(labels: Readonly<Record<string, string>>): HistogramSeries {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      const bounds = this.upperBounds;
      const counts = new Float64Array(bounds.length + 1);
      const created: Series = {
        labels: { ...labels },
        counts,
        sum: 0,
        count: 0,
        observe(value: number): void {
          if (!Number.isFinite(value)) return;
          let i = 0;
          while (i < bounds.length && value > bounds[i]!) i++;
          counts[i]! += 1;
          created.sum += value;
          created.count += 1;
        },
      };
      s = created;
      this.series.set(key, s);
    }
    return s;
  }

  /** prom-client's metric shape: cumulative buckets, `+Inf`, `_sum` and `_count` per series. */
  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] =
      [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({
          labels: { ...s.labels, le },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { ...s.labels, le: '+Inf' },
        value: s.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
