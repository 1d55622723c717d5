import { collectDefaultMetrics, Registry } from 'prom-client';
import { createTelemetry } from '../../platform/telemetry/create-telemetry';
import { METRIC_CATALOGUE } from './metric-catalogue';
import {
  alertExpressions,
  alertMetricNames,
  dashboardExpressions,
  dashboardMetricNames,
  metricNamesIn,
  metricNamesUsedByChart,
} from './metric-names';

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/** The catalogue family a queried name belongs to, or undefined when it is none of them. */
function catalogueFamily(name: string): string | undefined {
  if (METRIC_CATALOGUE[name] !== undefined && METRIC_CATALOGUE[name] !== 'histogram') return name;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : '';
    if (METRIC_CATALOGUE[base] === 'histogram') return base;
  }
  return undefined;
}

/** The sample names prom-client's default metrics really produce (in-process registry). */
async function defaultMetricSampleNames(): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const s of HISTOGRAM_SUFFIXES) names.add(metric.name + s);
  }
  return names;
}

describe('metricNamesIn', () => {
  it('finds the metrics and skips functions, aggregations, labels, groupings, ranges and keywords', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (stage, le) (rate(a_bucket{pipeline=~"$pipeline", x="y{z}"}[$__rate_interval]))) > 0 and on (pod) b unless ignoring(le) c_total offset 5m',
      ),
    ).toEqual(['a_bucket', 'b', 'c_total']);
  });

  it('refuses __name__ selectors rather than missing the metric', () => {
    expect(() => metricNamesIn('{__name__="x"}')).toThrow('__name__ selectors are not supported');
  });
});

describe('metricNamesUsedByChart', () => {
  const names = metricNamesUsedByChart();

  it('lists the names of the dashboard and of the alerts, sorted and unique', () => {
    expect(names).toEqual([...new Set([...dashboardMetricNames(), ...alertMetricNames()])].sort());
    expect(names).toContain('kafka_stages_source_lag_records');
    expect(names).toContain('kafka_stages_stage_handler_duration_seconds_bucket');
    expect(names).toContain('nodejs_eventloop_lag_p99_seconds');
    process.stdout.write(`metricNamesUsedByChart: ${names.length} names\n`);
  });

  it('uses only catalogue metrics (histograms by _bucket/_sum/_count) and prom-client default metrics', async () => {
    const defaults = await defaultMetricSampleNames();
    const unknown = names.filter((n) => catalogueFamily(n) === undefined && !defaults.has(n));
    expect(unknown).toEqual([]);
    // Runtime metrics are only the standard process_/nodejs_ ones.
    for (const n of names.filter((n) => catalogueFamily(n) === undefined)) {
      expect(n).toMatch(/^(process|nodejs)_/);
    }
  });

  it("are registered by the platform's telemetry registry, apart from the transformer's own", async () => {
    // The registry the app serves at /metrics (catalogue + prom-client defaults minus the
    // ones the platform removes). The kafka_stages_transform_* metrics belong to the metric
    // transformer, not to this module; the live-scrape check covers them.
    const telemetry = createTelemetry({ pipeline: 'chart-check', tracing: false });
    const registered = new Set<string>();
    for (const metric of await telemetry.registry.getMetricsAsJSON()) {
      registered.add(metric.name);
      if (String(metric.type) === 'histogram') {
        for (const s of HISTOGRAM_SUFFIXES) registered.add(metric.name + s);
      }
    }
    const checked = names.filter((n) => !n.startsWith('kafka_stages_transform_'));
    expect(checked.filter((n) => !registered.has(n))).toEqual([]);
    process.stdout.write(
      `metric names checked against createTelemetry's registry: ${checked.length} of ${names.length}\n`,
    );
  });

  it('queries histograms only through their series, never by the bare family name', () => {
    const bare = names.filter((n) => METRIC_CATALOGUE[n] === 'histogram');
    expect(bare).toEqual([]);
  });

  it('reads counters only through rate() or increase()', () => {
    // A raw counter value means nothing across restarts; the catalogue's counters end in _total.
    const counters = Object.entries(METRIC_CATALOGUE)
      .filter(([, type]) => type === 'counter')
      .map(([name]) => name);
    for (const expr of [...dashboardExpressions(), ...alertExpressions()]) {
      for (const counter of counters) {
        const uses = expr.split(counter).length - 1;
        if (uses === 0) continue;
        const wrapped =
          expr.match(new RegExp(`\\b(rate|increase)\\(${counter}\\b`, 'g'))?.length ?? 0;
        expect({ expr, counter, uses }).toEqual({ expr, counter, uses: wrapped });
      }
    }
  });
});
