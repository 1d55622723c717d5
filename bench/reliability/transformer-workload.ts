// The metric transformer as a `make reliability` workload: metric lines in, window results
// out, exactly once, through the repartition hop, with every input keying at once (a third
// of the records keyed at random, a third by host, a third unkeyed), so that a group's
// samples are spread over every input partition and every instance.
//
// Its rows count windows, not records: `out` is the windows that came out right, `lost` the
// windows missing or wrong (a partial aggregate is wrong), `dup` the windows a
// read_committed reader saw more than once. The reference is computed here from the
// input, independently of the transformer's code.
import { validateConfig } from '../../platform/apps/metrics-transform/config/load-config';
import { transformPipelineOptions } from '../../platform/apps/metrics-transform/pipeline/transform-pipeline';
import type { KafkaSourceOptionsInput } from '../../platform/kafka/source/options';
import type { InstanceConfig, ReadRecord, Verdict, Workload, WorkloadPipeline } from './workloads';

const WINDOW_MS = 2_000;
const LATENESS = '1s';
/** Event time between consecutive samples: 1 000 samples per second of event time. */
const STEP_MS = 1;
const SERVICES = ['api', 'db', 'web', 'queue', 'auth'];
/** The input topic's partitions (the scenarios create every topic with this many). */
const INPUT_PARTITIONS = 6;
/** The closers' service: their windows are not part of the result. */
const CLOSER = 'none';
/** Event time of sample 0: an hour ago, on a window boundary, the same for every run. */
const T0 = Math.floor((Date.now() - 3_600_000) / WINDOW_MS) * WINDOW_MS;

interface Window {
  count: number;
  sum: number;
  min: number;
  max: number;
}

const sampleValue = (i: number) => ((i * 7_919) % 1_000) / 10;

/** Windows (`service@start`) and their exact aggregates for samples [0, records). */
function reference(records: number): Map<string, Window> {
  const windows = new Map<string, Window>();
  for (let i = 0; i < records; i++) {
    const time = T0 + i * STEP_MS;
    const key = `${SERVICES[i % SERVICES.length]}@${Math.floor(time / WINDOW_MS) * WINDOW_MS}`;
    const value = sampleValue(i);
    const w = windows.get(key);
    if (!w) windows.set(key, { count: 1, sum: value, min: value, max: value });
    else {
      w.count++;
      w.sum += value;
      w.min = Math.min(w.min, value);
      w.max = Math.max(w.max, value);
    }
  }
  return windows;
}

let cached: { records: number; windows: Map<string, Window> } | undefined;
function referenceOf(records: number): Map<string, Window> {
  if (cached?.records !== records) cached = { records, windows: reference(records) };
  return cached.windows;
}

/** `service@start` of an output record, or undefined for a closer's window. */
function windowOf(r: ReadRecord): { key: string; result: Window } | undefined {
  const o = JSON.parse(r.value) as { labels: { service: string }; start: number } & Window;
  if (o.labels.service === CLOSER) return undefined;
  return {
    key: `${o.labels.service}@${o.start}`,
    result: { count: o.count, sum: o.sum, min: o.min, max: o.max },
  };
}

const same = (a: Window, b: Window) =>
  a.count === b.count &&
  a.min === b.min &&
  a.max === b.max &&
  Math.abs(a.sum - b.sum) <= 1e-6 * Math.max(1, Math.abs(b.sum));

export const transformer: Workload = {
  name: 'transformer',
  scenarios: [
    'sigkill-1-of-3-x5',
    'scale-1-3-1',
    'broker-stop',
    'broker-freeze',
    'zombie-sigstop',
    'sigterm-restart',
    'rolling-restart-3',
  ],
  progress: 'committed-input',
  exactlyOnce: true,
  record(i) {
    const service = SERVICES[i % SERVICES.length]!;
    const host = `h${i % 13}`;
    const value = `latency,service=${service},host=${host} value=${sampleValue(i)} ${(T0 + i * STEP_MS) * 1e6}`;
    switch (i % 3) {
      case 0:
        return { key: `k${(i * 2_654_435_761) % 1_000_003}`, value };
      case 1:
        return { key: host, value };
      default:
        return { value };
    }
  },
  tail(records) {
    // One sample far ahead on every input partition moves every writer past the data, so
    // that the last windows close (the input has no end of its own).
    const time = T0 + records * STEP_MS + 60_000;
    return Array.from({ length: INPUT_PARTITIONS }, (_, partition) => ({
      key: 'closer',
      partition,
      value: `closer,service=${CLOSER} value=0 ${time * 1e6}`,
    }));
  },
  complete(records, output) {
    const expected = referenceOf(records);
    const seen = new Set<string>();
    for (const r of output) {
      const w = windowOf(r);
      if (w) seen.add(w.key);
    }
    return [...expected.keys()].every((k) => seen.has(k));
  },
  verify(records, _bad, output, deadLetters): Verdict {
    const expected = referenceOf(records);
    const problems: string[] = [];
    const seen = new Map<string, number>();
    const right = new Set<string>();
    let duplicated = 0;
    for (const r of output) {
      const w = windowOf(r);
      if (!w) continue;
      const e = expected.get(w.key);
      if (!e) {
        problems.push(`unexpected window ${w.key}`);
        continue;
      }
      const times = (seen.get(w.key) ?? 0) + 1;
      seen.set(w.key, times);
      if (times > 1) {
        duplicated++;
        problems.push(
          `window ${w.key} seen ${times} times (count ${w.result.count} of ${e.count})`,
        );
      }
      if (same(w.result, e)) right.add(w.key);
      else problems.push(`partial window ${w.key}: count ${w.result.count} of ${e.count}`);
    }
    if (deadLetters.length > 0) {
      const reasons = new Map<string, number>();
      for (const d of deadLetters) {
        const reason = d.headers['dlq.reason'] ?? 'unknown';
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      problems.unshift(
        `${deadLetters.length} dead letters (${[...reasons].map(([r, n]) => `${r}: ${n}`).join(', ')})`,
      );
    }
    const lost = expected.size - right.size;
    if (problems.length > 5)
      problems.splice(5, problems.length - 5, `(${problems.length} problems)`);
    return { out: right.size, lost, duplicated, deadLettered: deadLetters.length, problems };
  },
};

/** The transformer's pipeline in an instance (child process). */
export function transformerPipeline(config: InstanceConfig): WorkloadPipeline {
  const transform = validateConfig({
    // One pipeline name for every instance of the group: it names the internal topic.
    pipeline: config.groupId,
    input: { topics: [{ name: config.input, format: 'influx' }], group_id: config.groupId },
    aggregations: [
      {
        names: ['latency'],
        window: `${WINDOW_MS}ms`,
        lateness: LATENESS,
        group_by: ['service'],
        stats: ['count', 'sum', 'min', 'max', 'p99'],
      },
    ],
    watermark: { idle_timeout: '30s' },
    unaggregated: 'drop',
    processing: 'exactly_once',
    output: { topic: config.output, format: 'json' },
    // A late sample (one whose windows closed before it came) goes to the dead-letter
    // topic, so that a row says why a window came out short.
    dead_letter: { topic: config.deadLetter ?? `${config.input}-dead`, late_samples: true },
  });
  const options = transformPipelineOptions(transform, {
    client: { brokers: [...config.brokers], logLevel: 'nothing' },
    startFrom: 'earliest',
  });
  return {
    options: {
      ...options,
      // The identity workload's session settings: a killed member is noticed in 10 s.
      source: {
        ...(options.source as KafkaSourceOptionsInput),
        session: {
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 1_000,
          rebalanceTimeoutMs: 20_000,
        },
      },
      drainTimeoutMs: config.drainTimeoutMs,
    },
    start: async () => {},
    stop: async () => {},
  };
}
