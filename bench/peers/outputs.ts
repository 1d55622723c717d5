/**
 * The output side of `make bench-peers`: a `read_committed` reader of a run's output topic
 * that keeps each window result with the time it became readable, the check that two
 * systems' windows are equal, and latency from the windows' readable times.
 */
import { Kafka, logLevel } from 'kafkajs';
import { LATENESS_MS, SKETCH_ALPHA } from './config';

/** One window result as aggregateToJson writes it. */
export interface WindowResult {
  name: string;
  labels: Record<string, string>;
  start: number;
  end: number;
  count: number;
  sum: number;
  p99: number;
}

export interface ReadWindow {
  readonly result: WindowResult;
  /** Date.now() when the reader got it. */
  readonly readableAt: number;
}

/** Identity of a window result: name, sorted labels, start. */
export function windowKey(w: WindowResult): string {
  const labels = Object.keys(w.labels)
    .sort()
    .map((k) => `${k}=${w.labels[k]}`)
    .join(',');
  return `${w.name}{${labels}}@${w.start}`;
}

export interface OutputReader {
  /** Results by window key; a repeated window (at-least-once) keeps the last. */
  readonly windows: Map<string, ReadWindow>;
  /** Records read, repeats included. */
  records(): number;
  /** Sum of `count` over distinct windows that start before `before`. */
  countedSamples(before: number): number;
  stop(): Promise<void>;
}

/** Reads `topic` from the beginning with isolation read_committed (kafkajs's default). */
export async function readOutput(
  brokers: string[],
  topic: string,
  group: string,
): Promise<OutputReader> {
  const kafka = new Kafka({ clientId: 'bench-peers-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 50, readUncommitted: false });
  await consumer.connect();
  // A topic created a moment ago may not be in every metadata answer yet.
  for (let attempt = 1; ; attempt++) {
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      break;
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const windows = new Map<string, ReadWindow>();
  let records = 0;
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        if (!m.value) continue;
        records++;
        const result = JSON.parse(m.value.toString()) as WindowResult;
        windows.set(windowKey(result), { result, readableAt: now });
      }
    },
  });
  return {
    windows,
    records: () => records,
    countedSamples(before) {
      let n = 0;
      for (const { result } of windows.values()) if (result.start < before) n += result.count;
      return n;
    },
    stop: () => consumer.disconnect(),
  };
}

/** Why two sets of windows differ (up to `limit` reasons); empty when they match. */
export function compareWindows(
  ours: Map<string, ReadWindow>,
  theirs: Map<string, ReadWindow>,
  before: number,
  limit = 5,
): string[] {
  const problems: string[] = [];
  const relevant = (m: Map<string, ReadWindow>) =>
    new Map([...m].filter(([, w]) => w.result.start < before).map(([k, w]) => [k, w.result]));
  const a = relevant(ours);
  const b = relevant(theirs);
  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y) {
      problems.push(`${key}: only in the first`);
    } else if (x.count !== y.count) {
      problems.push(`${key}: count ${x.count} vs ${y.count}`);
    } else if (Math.abs(x.sum - y.sum) > 1e-9 * Math.max(1, Math.abs(x.sum))) {
      problems.push(`${key}: sum ${x.sum} vs ${y.sum}`);
    } else if (Math.abs(x.p99 - y.p99) > 2.0001 * SKETCH_ALPHA * Math.abs(x.p99)) {
      // Each p99 is within α of the exact one, so two of them are within about 2α.
      problems.push(`${key}: p99 ${x.p99} vs ${y.p99}`);
    }
    if (problems.length >= limit) return problems;
  }
  for (const key of b.keys()) {
    if (!a.has(key)) problems.push(`${key}: only in the second`);
    if (problems.length >= limit) return problems;
  }
  return problems;
}

/**
 * Latency of every sample in windows that closed by live data (end + lateness ≤
 * `closedBy`): the time its window became readable minus the window's own wait, end +
 * lateness. Event time follows the generator's schedule (the sample scheduled at t carries
 * event time t), so this is scheduled send → readable − wait, without coordinated
 * omission. Weighted by sample count; returns p50/p99/max in ms.
 */
export function windowLatency(
  windows: Map<string, ReadWindow>,
  from: number,
  closedBy: number,
  waitMs = LATENESS_MS,
): { p50: number; p99: number; max: number; windows: number; samples: number } {
  const rows: { ms: number; n: number }[] = [];
  for (const { result, readableAt } of windows.values()) {
    if (result.start < from || result.end + waitMs > closedBy) continue;
    rows.push({ ms: readableAt - (result.end + waitMs), n: result.count });
  }
  rows.sort((x, y) => x.ms - y.ms);
  const total = rows.reduce((n, r) => n + r.n, 0);
  const q = (p: number) => {
    let seen = 0;
    for (const r of rows) {
      seen += r.n;
      if (seen > p * (total - 1)) return r.ms;
    }
    return Number.NaN;
  };
  return {
    p50: q(0.5),
    p99: q(0.99),
    max: rows.at(-1)?.ms ?? Number.NaN,
    windows: rows.length,
    samples: total,
  };
}
