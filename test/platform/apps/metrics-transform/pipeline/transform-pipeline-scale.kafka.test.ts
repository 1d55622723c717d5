// The metric transformer as a pipeline with a repartition hop: the same preloaded input,
// keyed at random, keyed by host and unkeyed (so one group's samples are spread over every
// input partition), through one instance and through three instances of one consumer
// group. The window results must be the same key by key, none missing, none twice, and
// equal to a reference computed here.
//
// The three keyings are three input topics of one run, each holding the same samples under
// its own metric name (`latency_random`, `latency_host`, `latency_unkeyed`): one pipeline
// reads them all, and each name's windows are judged on their own.
import { validateConfig } from '../../../../../platform/apps/metrics-transform/config/load-config';
import {
  newCounts,
  transformPipelineOptions,
} from '../../../../../platform/apps/metrics-transform/pipeline/transform-pipeline';
import type { WindowHandler } from '../../../../../platform/apps/metrics-transform/pipeline/window-handler';
import { createPipeline } from '../../../../../platform/kafka/index';
import type { Pipeline } from '../../../../../platform/pipeline/index';
import {
  consumeAll,
  createTopic,
  produceRecords,
  testBrokers,
  uniqueName,
} from '../../../../support/kafka';

const INPUT_PARTITIONS = 4;
const WINDOW_MS = 2_000;
const SERVICES = ['api', 'db', 'web', 'queue', 'auth'];
const SAMPLES = 3_000;
const KEYINGS = ['random', 'host', 'unkeyed'] as const;
type Keying = (typeof KEYINGS)[number];

interface Result {
  count: number;
  sum: number;
  min: number;
  max: number;
  p99: number;
}

/** Input of one keying: samples in event-time order, each record one line. */
function input(t0: number, keying: Keying) {
  const name = `latency_${keying}`;
  const records: { key?: string; value: string; partition?: number }[] = [];
  const expected = new Map<string, Omit<Result, 'p99'>>();
  let seed = 7;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  for (let i = 0; i < SAMPLES; i++) {
    const time = t0 + i * 5; // 30 s of event time
    const service = SERVICES[i % SERVICES.length]!;
    const host = `h${i % 13}`;
    const value = Math.round(rand() * 1_000) / 10;
    const random = `k${Math.floor(rand() * 1e9)}`;
    const key = keying === 'random' ? random : keying === 'host' ? host : undefined;
    records.push({
      ...(key === undefined ? {} : { key }),
      value: `${name},service=${service},host=${host} value=${value} ${time * 1e6}`,
    });
    const start = Math.floor(time / WINDOW_MS) * WINDOW_MS;
    const window = `${name}/${service}@${start}`;
    const e = expected.get(window);
    if (!e) expected.set(window, { count: 1, sum: value, min: value, max: value });
    else {
      e.count++;
      e.sum += value;
      e.min = Math.min(e.min, value);
      e.max = Math.max(e.max, value);
    }
  }
  // One sample far ahead on every input partition moves every writer past the data.
  const end = t0 + SAMPLES * 5 + 60_000;
  for (let p = 0; p < INPUT_PARTITIONS; p++) {
    records.push({
      key: 'closer',
      partition: p,
      value: `closer,service=none value=0 ${end * 1e6}`,
    });
  }
  return { records, expected };
}

async function run(
  instances: number,
  inputTopics: readonly string[],
  outputTopic: string,
  dlq: string,
  expectedWindows: number,
) {
  const config = validateConfig({
    pipeline: uniqueName('mt-scale').slice(0, 60),
    input: {
      topics: inputTopics.map((name) => ({ name, format: 'influx' as const })),
      group_id: uniqueName('mt-scale-group'),
    },
    aggregations: [
      {
        names: KEYINGS.map((k) => `latency_${k}`),
        window: `${WINDOW_MS}ms`,
        lateness: '1s',
        group_by: ['service'],
        stats: ['count', 'sum', 'min', 'max', 'p99'],
      },
    ],
    // A writer silent this long is gone; one that read its input to the end says so at once.
    watermark: { idle_timeout: '60s' },
    unaggregated: 'drop',
    output: { topic: outputTopic, format: 'json' },
    dead_letter: { topic: dlq },
  });
  const pipelines: Pipeline[] = [];
  const handlers: WindowHandler[] = [];
  const counts = newCounts();
  try {
    for (let i = 0; i < instances; i++) {
      pipelines.push(
        createPipeline(
          transformPipelineOptions(config, {
            client: { brokers: testBrokers(), clientId: uniqueName(`mt-scale-${i}`) },
            startFrom: 'earliest',
            partitions: 6,
            onHandler: (h) => handlers.push(h),
            counts,
          }),
        ),
      );
    }
    await Promise.all(pipelines.map((p) => p.start())).catch((error: unknown) => {
      process.stderr.write(`starting ${instances} instance(s) failed: ${String(error)}\n`);
      throw error;
    });
    const out = await consumeAll(outputTopic, expectedWindows, { timeoutMs: 150_000 });
    // Time for a wrong extra or duplicate window to show up before judging.
    await new Promise((r) => setTimeout(r, 3_000));
    const all = await consumeAll(outputTopic, out.length, { timeoutMs: 30_000 });
    const dead = await consumeAll(dlq, 1, { timeoutMs: 3_000 }).catch(() => []);
    const reasons = dead.map((m) => String(m.headers?.['dlq.reason']));
    process.stderr.write(
      `${instances} instance(s): counts ${JSON.stringify(counts)}, dead letters [${reasons.join(', ')}]\n`,
    );
    return all;
  } finally {
    await Promise.all(pipelines.map((p) => p.stop()));
  }
}

function byWindow(records: { value: Buffer | null }[]) {
  const windows = new Map<string, Result[]>();
  for (const r of records) {
    const o = JSON.parse(String(r.value)) as {
      name: string;
      labels: { service: string };
      start: number;
    } & Result;
    if (o.labels.service === 'none') continue;
    const key = `${o.name}/${o.labels.service}@${o.start}`;
    const list = windows.get(key) ?? [];
    list.push({ count: o.count, sum: o.sum, min: o.min, max: o.max, p99: o.p99 });
    windows.set(key, list);
  }
  return windows;
}

describe('metrics-transform pipeline at scale (repartition hop)', () => {
  it('gives the same windows on one instance and on three in one group, whatever the input keying', async () => {
    const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 120_000;
    const expected = new Map<string, Omit<Result, 'p99'>>();
    const inputTopics: string[] = [];
    for (const keying of KEYINGS) {
      const { records, expected: windows } = input(t0, keying);
      for (const [k, v] of windows) expected.set(k, v);
      const topic = uniqueName(`mt-scale-in-${keying}`);
      await createTopic(topic, INPUT_PARTITIONS);
      await produceRecords(topic, records);
      inputTopics.push(topic);
    }
    const results: Map<string, Result[]>[] = [];
    for (const instances of [1, 3]) {
      const out = uniqueName(`mt-scale-out-${instances}`);
      const dlq = uniqueName(`mt-scale-dlq-${instances}`);
      await createTopic(out, 3);
      await createTopic(dlq, 1);
      const records = await run(instances, inputTopics, out, dlq, expected.size);
      const windows = byWindow(records);
      process.stderr.write(
        `${instances} instance(s): ${records.length} records out, ${windows.size} distinct windows of ${expected.size}\n`,
      );
      results.push(windows);
    }
    const [one, three] = results as [Map<string, Result[]>, Map<string, Result[]>];
    for (const [label, got] of [
      ['one instance', one],
      ['three instances', three],
    ] as const) {
      const missing = [...expected.keys()].filter((k) => !got.has(k));
      const extra = [...got.keys()].filter((k) => !expected.has(k));
      const twice = [...got].filter(([, l]) => l.length > 1).map(([k]) => k);
      expect({ label, missing, extra, twice }).toEqual({
        label,
        missing: [],
        extra: [],
        twice: [],
      });
      for (const [key, e] of expected) {
        const g = got.get(key)![0]!;
        expect({ label, key, count: g.count, min: g.min, max: g.max }).toEqual({
          label,
          key,
          count: e.count,
          min: e.min,
          max: e.max,
        });
        expect(g.sum).toBeCloseTo(e.sum, 6);
      }
    }
    for (const [key, [a]] of one) {
      const b = three.get(key)![0]!;
      // The same samples in the same sketch: equal within the sketch's relative error.
      expect(Math.abs(a!.p99 - b.p99)).toBeLessThanOrEqual(Math.abs(a!.p99) * 0.02 + 1e-9);
    }
  }, 400_000);
});
