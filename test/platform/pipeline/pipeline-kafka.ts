// Helpers shared by the pipeline's broker tests (not a test file itself).
import { createLogger } from '../../../platform/log/logger';
import { type TestRecord, testBrokers, withAdmin } from '../../support/kafka';

export const PARTITIONS = 6;

/** Logs of the pipelines under test: warnings and worse only. */
export const quietLogger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', format: 'json' });

/** Client settings of the test broker for source, sink and dead-letter options. */
export function client(): {
  brokers: string[];
  logLevel: 'nothing';
  retry: { retries: number; initialRetryTimeMs: number; maxRetryTimeMs: number };
} {
  return {
    brokers: testBrokers(),
    logLevel: 'nothing',
    retry: { retries: 8, initialRetryTimeMs: 100, maxRetryTimeMs: 2_000 },
  };
}

/**
 * Record `i` of a test topic: keyed (`key-<i % keys>`), so the default partitioner puts one
 * key on one partition; the value is the sequence number `i`, which tests use to check
 * order, loss and duplicates.
 */
export function keyedRecord(i: number, keys = 600): TestRecord {
  return { key: `key-${i % keys}`, value: String(i) };
}

/** End offsets (high watermarks) per partition. */
export async function endOffsets(topic: string): Promise<Map<number, number>> {
  const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

/** Committed offsets of `groupId` per partition (-1 where none). */
export async function committedOffsets(
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const [entry] = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

/** Total records in a topic (sum of high watermarks; topics here are never compacted). */
export async function recordCount(topic: string): Promise<number> {
  let total = 0;
  for (const high of (await endOffsets(topic)).values()) total += high;
  return total;
}

/** Polls `check` every `everyMs` until it returns true; throws `message()` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  message: () => string,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Sequence numbers from record values, with how often each one was seen. */
export function tally(values: Iterable<number>): {
  unique: number;
  duplicates: number;
  counts: Map<number, number>;
} {
  const counts = new Map<number, number>();
  let total = 0;
  for (const v of values) {
    counts.set(v, (counts.get(v) ?? 0) + 1);
    total++;
  }
  return { unique: counts.size, duplicates: total - counts.size, counts };
}
