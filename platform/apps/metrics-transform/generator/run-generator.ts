import { sampleToInflux, sampleToJson } from '../encode/encode';
import type { Sample } from '../model/sample';
import { seriesId } from '../model/series-id';
import { SampleGenerator } from './sample-generator';

/** One record to produce: keyed by series, like the transformer's output. */
export interface GeneratedRecord {
  key: string;
  value: string;
}

export interface RunGeneratorOptions {
  /** Samples per second (wall clock, and event time: the generator's clock follows it). */
  rate: number;
  series: number;
  /** How long to run, ms; 0 runs until `signal` aborts. */
  durationMs: number;
  format: 'influx' | 'json';
  seed: number;
  /** Samples per record: several lines of line protocol, or a JSON array. Default 1. */
  samplesPerRecord?: number;
  /** Out-of-order and late shares, as in {@link SampleGenerator}. */
  outOfOrder?: number;
  late?: number;
  /** Delivers one slice of records; resolving lets the next slice go (back-pressure). */
  send: (records: GeneratedRecord[]) => Promise<void>;
  signal?: AbortSignal;
  /** Clock and sleep, injectable for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const SLICE_MS = 100;

/**
 * Produces samples at a steady rate for a duration: every 100 ms it sends the samples
 * that are due by then, so the offered rate holds even when a send is slow (the next
 * slice is bigger). Resolves with the number of samples sent.
 */
export async function runGenerator(options: RunGeneratorOptions): Promise<number> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const start = now();
  const gen = new SampleGenerator({
    seed: options.seed,
    series: options.series,
    rate: options.rate,
    start,
    ...(options.outOfOrder !== undefined ? { outOfOrder: options.outOfOrder } : {}),
    ...(options.late !== undefined ? { late: options.late } : {}),
  });
  const per = Math.max(1, options.samplesPerRecord ?? 1);
  let sent = 0;
  for (;;) {
    if (options.signal?.aborted) break;
    const elapsed = now() - start;
    const end = options.durationMs > 0 ? Math.min(elapsed, options.durationMs) : elapsed;
    const due = Math.floor((end / 1000) * options.rate) - sent;
    if (due > 0) {
      const samples = gen.batch(due);
      sent += due;
      await options.send(toRecords(samples, options.format, per));
    }
    if (options.durationMs > 0 && elapsed >= options.durationMs) break;
    await sleep(SLICE_MS);
  }
  return sent;
}

/**
 * Groups samples into records of at most `per` samples, the way an agent batches them:
 * one host (the `instance` label) per record, keyed by the host, so every sample of a
 * series goes to the same partition in the order it was generated (counter rates need
 * that order). Records come out in the order of their first sample.
 */
export function toRecords(
  samples: Sample[],
  format: 'influx' | 'json',
  per: number,
): GeneratedRecord[] {
  const open = new Map<string, Sample[]>();
  const groups: { key: string; samples: Sample[] }[] = [];
  for (const s of samples) {
    const key = s.labels.instance ?? seriesId(s.name, s.labels);
    let group = open.get(key);
    if (!group || group.length >= per) {
      group = [];
      open.set(key, group);
      groups.push({ key, samples: group });
    }
    group.push(s);
  }
  return groups.map(({ key, samples: group }) => ({
    key,
    value:
      format === 'influx'
        ? group.map(sampleToInflux).join('\n')
        : group.length === 1
          ? sampleToJson(group[0] as Sample)
          : `[${group.map(sampleToJson).join(',')}]`,
  }));
}
