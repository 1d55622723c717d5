// Shared by the Kafka tests of the metric transformer: known input, its reference, and the
// comparison of what the output topic holds against it.
import { validateConfig } from '../../../../platform/apps/metrics-transform/config/load-config';
import { toRecords } from '../../../../platform/apps/metrics-transform/generator/run-generator';
import { SampleGenerator } from '../../../../platform/apps/metrics-transform/generator/sample-generator';
import { DEFAULT_LIMITS } from '../../../../platform/apps/metrics-transform/model/limits';
import type { Sample } from '../../../../platform/apps/metrics-transform/model/sample';
import { parseInflux } from '../../../../platform/apps/metrics-transform/parse/influx';
import {
  STATISTICS,
  type Statistic,
} from '../../../../platform/apps/metrics-transform/window/aggregate';
import {
  expectStatsMatch,
  type RefEvent,
  type RefWindow,
  referenceStats,
  referenceWindows,
  refKey,
} from './reference';

/** Every statistic the aggregator offers: the end-to-end tests check them all. */
export const STATS: Statistic[] = [...STATISTICS];
export const WINDOW = { size: 2_000, hop: 2_000 };
export const LATENESS = 3_000;

export function fixtureConfig(topics: {
  input: string;
  output: string;
  deadLetter: string;
  group: string;
}) {
  return {
    // A name of its own per test: the repartition topic is named after the pipeline.
    pipeline: topics.group,
    input: { topics: [{ name: topics.input, format: 'influx' }], group_id: topics.group },
    aggregations: [
      {
        window: `${WINDOW.size}ms`,
        lateness: `${LATENESS}ms`,
        group_by: ['service'],
        stats: STATS,
      },
    ],
    unaggregated: 'drop',
    output: { topic: topics.output, format: 'json' },
    dead_letter: { topic: topics.deadLetter },
  };
}

/**
 * Known input: `samples` generated samples (out of order and late ones included) in
 * records of 5 lines, every 50th record a broken one, and a last record far ahead in event
 * time that closes every earlier window. `now` anchors event time (within the validation
 * range). Returns the records and the reference windows the transformer must emit when it
 * handles one record per batch (as the reference advances the watermark after each one).
 */
export function fixtureInput(
  seed: number,
  samples: number,
  now: number,
  options: { late?: number } = {},
) {
  const gen = new SampleGenerator({
    seed,
    series: 30,
    rate: 100,
    start: now - 300_000,
    outOfOrder: 0.05,
    late: options.late ?? 0.02,
    lateByMs: 10_000,
  });
  const generated = gen.batch(samples);
  const last: Sample = { name: 'end_marker', value: 0, timestamp: gen.now + 60_000, labels: {} };
  const records = toRecords(generated, 'influx', 5).map((r) => ({ key: r.key, value: r.value }));
  const broken: number[] = [];
  for (let i = 49; i < records.length; i += 50) {
    records.splice(i, 0, { key: 'broken', value: `broken line ${i}` });
    broken.push(i);
  }
  records.push({ key: 'end', value: `end_marker value=0 ${last.timestamp}000000` });

  // The reference sees the same records in the same order; after each one the watermark is
  // the greatest event time so far (one partition), as the transformer's tick sets it.
  const events: RefEvent<number>[] = [];
  let max = Number.NEGATIVE_INFINITY;
  const parseOptions = { limits: DEFAULT_LIMITS, defaultTimestamp: 0 };
  records.forEach((r, i) => {
    if (r.key === 'broken') return;
    // The records' own samples (the encoding round-trips exactly; see the generator tests).
    const group = parseInflux(r.value, parseOptions).samples;
    events.push({ kind: 'message', handle: i, samples: group });
    for (const s of group) max = Math.max(max, s.timestamp);
    events.push({ kind: 'advance', watermark: max });
  });
  const ref = referenceWindows(events, {
    ...WINDOW,
    latenessMs: LATENESS,
    groupBy: ['service'],
    stats: STATS,
  });
  const expected = new Map<string, RefWindow<number>>();
  for (const [key, w] of ref.windows) if (Number.isFinite(w.emittedAt)) expected.set(key, w);
  return { records, expected, brokenRecords: broken.length, lateSamples: ref.late.length };
}

/** Validated form of {@link fixtureConfig}. */
export function fixtureTransformConfig(topics: Parameters<typeof fixtureConfig>[0]) {
  return validateConfig(fixtureConfig(topics));
}

export interface Coverage {
  /** Reference windows with no emitted version equal to them. */
  missing: string[];
  /** Emitted windows the reference does not have. */
  unexpected: string[];
  /** Extra emitted copies equal to the reference (allowed, counted). */
  wholeDuplicates: number;
  /** Extra emitted versions that differ from the reference (partial copies). */
  partialDuplicates: number;
  /** Up to 5 partial copies: key, reference count, emitted count. */
  partialExamples?: string[];
}

/** Compares the output records (JSON aggregates) with the reference, window by window and group by group. */
export function coverage(values: string[], expected: Map<string, RefWindow<number>>): Coverage {
  const versions = new Map<string, Record<string, unknown>[]>();
  for (const v of values) {
    const o = JSON.parse(v) as Record<string, unknown>;
    const key = refKey(o.name as string, o.start as number, o.labels as Record<string, string>);
    const list = versions.get(key) ?? [];
    list.push(o);
    versions.set(key, list);
  }
  const result: Coverage = {
    missing: [],
    unexpected: [],
    wholeDuplicates: 0,
    partialDuplicates: 0,
  };
  for (const key of versions.keys()) if (!expected.has(key)) result.unexpected.push(key);
  for (const [key, w] of expected) {
    const want = referenceStats(w.points, STATS);
    let equal = 0;
    for (const o of versions.get(key) ?? []) {
      try {
        expectStatsMatch(Object.fromEntries(STATS.map((s) => [s, o[s] as number])), want, 0.01);
        equal++;
      } catch {
        result.partialDuplicates++;
        result.partialExamples ??= [];
        if (result.partialExamples.length < 5) {
          result.partialExamples.push(`${key}: ${w.points.length} vs ${String(o.count)}`);
        }
      }
    }
    if (equal === 0) result.missing.push(key);
    else result.wholeDuplicates += equal - 1;
  }
  return result;
}
