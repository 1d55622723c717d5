import { spawnSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { startMetricsTransform } from '../../../../platform/apps/metrics-transform/app/metrics-transform-app';
import { validateConfig } from '../../../../platform/apps/metrics-transform/config/load-config';
import type { Statistic } from '../../../../platform/apps/metrics-transform/window/aggregate';
import { createLogger } from '../../../../platform/log/logger';
import { createTelemetry } from '../../../../platform/telemetry/create-telemetry';
import { metricNamesUsedByChart } from '../../../deploy/metric-names';
import { createTopic, produceRecords, testBrokers, uniqueName } from '../../../support/kafka';
import { PrometheusServer } from '../../sinks/remote-write/prometheus-server';
import { fixtureConfig, fixtureInput, STATS, WINDOW } from './kafka-fixture';
import { expectStatsMatch, referenceStats, refKey } from './reference';

// The transformer with `output.sink: prometheus_remote_write`: its windows land in a real
// Prometheus (Debian's server, remote-write receiver on), where they are read back with
// /api/v1/query and compared with the reference windows of the same input.

const prometheus = new PrometheusServer();
beforeAll(() => prometheus.start(), 60_000);
afterAll(() => prometheus.stop());

describe('metrics-transform into Prometheus', () => {
  it('writes every reference window, each statistic as <name>_<stat> at the window end', async () => {
    const t = {
      input: uniqueName('mtp-in'),
      output: uniqueName('mtp-out'),
      deadLetter: uniqueName('mtp-dlq'),
      group: uniqueName('mtp-group'),
    };
    await createTopic(t.input, 1);
    await createTopic(t.deadLetter, 1);
    const { records, expected } = fixtureInput(21, 1_500, Date.now(), { late: 0 });
    await produceRecords(
      t.input,
      records.map((r) => ({ ...r, partition: 0 })),
    );
    const base = fixtureConfig(t);
    const config = validateConfig({
      ...base,
      output: {
        sink: 'prometheus_remote_write',
        format: 'json',
        remote_write: { url: prometheus.remoteWriteUrl },
      },
    });
    const telemetry = createTelemetry({
      pipeline: t.group,
      registry: new Registry(),
      defaultMetrics: false,
      tracing: false,
    });
    const app = await startMetricsTransform({
      config,
      client: { brokers: testBrokers() },
      telemetry,
      log: createLogger({ level: 'warn', format: 'json' }),
      startFrom: 'earliest',
    });
    try {
      const at = Math.max(...[...expected.values()].map((w) => w.end)) + 1;
      const range = at - Math.min(...[...expected.values()].map((w) => w.start)) + 1_000;
      // Per statistic, every raw sample Prometheus holds, keyed as the reference keys windows.
      const read = async (stat: Statistic) => {
        const out = new Map<string, number>();
        const suffix = `_${stat}`;
        for (const series of await prometheus.samples(`{__name__=~".+${suffix}"}`, range, at)) {
          const { __name__: name, ...labels } = series.metric;
          for (const { t: end, v } of series.values) {
            out.set(refKey(name!.slice(0, -suffix.length), end - WINDOW.size, labels), v);
          }
        }
        return out;
      };
      const deadline = Date.now() + 120_000;
      while ((await read('count')).size < expected.size) {
        if (Date.now() > deadline) {
          throw new Error(
            `Prometheus has ${(await read('count')).size} of ${expected.size} windows after 120 s`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const byStat = new Map<Statistic, Map<string, number>>();
      for (const stat of STATS) byStat.set(stat, await read(stat));
      expect([...byStat.get('count')!.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [key, w] of expected) {
        const actual: Partial<Record<Statistic, number>> = {};
        for (const stat of STATS) actual[stat] = byStat.get(stat)!.get(key);
        try {
          expectStatsMatch(actual, referenceStats(w.points, STATS), 0.01);
        } catch (error) {
          throw new Error(`window ${key}: ${(error as Error).message}`);
        }
      }

      // The sink's own metrics, as the pipeline's /metrics serves them: every sample in
      // Prometheus was counted as sent, none refused, and the exposition passes promtool.
      const text = await telemetry.registry.metrics();
      const value = (series: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${series} `));
        return line === undefined ? undefined : Number(line.slice(series.length + 1));
      };
      const p = `pipeline="${t.group}"`;
      expect(value(`kafka_stages_remote_write_samples_sent_total{${p}}`)).toBeGreaterThanOrEqual(
        expected.size * STATS.length,
      );
      expect(value(`kafka_stages_remote_write_samples_refused_total{${p}}`)).toBe(0);
      expect(value(`kafka_stages_remote_write_requests_total{${p},status="2xx"}`)).toBeGreaterThan(
        0,
      );
      expect(
        value(`kafka_stages_remote_write_request_duration_seconds_count{${p}}`),
      ).toBeGreaterThan(0);
      // Every remote-write name the chart's dashboard queries has a series here.
      const chartNames = metricNamesUsedByChart().filter((n) =>
        n.startsWith('kafka_stages_remote_write_'),
      );
      expect(chartNames.length).toBeGreaterThanOrEqual(4);
      expect(chartNames.filter((n) => !new RegExp(`^${n}[{ ]`, 'm').test(text))).toEqual([]);
      const promtool = spawnSync('promtool', ['check', 'metrics'], {
        input: text,
        encoding: 'utf8',
      });
      expect({ status: promtool.status, out: `${promtool.stdout}${promtool.stderr}` }).toEqual({
        status: 0,
        out: '',
      });
    } finally {
      await app.stop();
    }
  }, 240_000);
});
