import {
  runGenerator,
  toRecords,
} from '../../../../../platform/apps/metrics-transform/generator/run-generator';
import { SampleGenerator } from '../../../../../platform/apps/metrics-transform/generator/sample-generator';
import { DEFAULT_LIMITS } from '../../../../../platform/apps/metrics-transform/model/limits';
import { seriesKey } from '../../../../../platform/apps/metrics-transform/model/sample';
import { parseInflux } from '../../../../../platform/apps/metrics-transform/parse/influx';
import { parseJson } from '../../../../../platform/apps/metrics-transform/parse/json';

const options = { seed: 7, series: 200, rate: 1000, start: 1_700_000_000_000 };

describe('SampleGenerator', () => {
  it('is deterministic for a seed, and differs across seeds', () => {
    expect(new SampleGenerator(options).batch(100)).toEqual(
      new SampleGenerator(options).batch(100),
    );
    expect(new SampleGenerator({ ...options, seed: 8 }).batch(100)).not.toEqual(
      new SampleGenerator(options).batch(100),
    );
  });

  it('cycles through the requested number of series, of every kind', () => {
    const samples = new SampleGenerator(options).batch(2000);
    const series = new Set(samples.map((s) => seriesKey(s.name, s.labels)));
    expect(series.size).toBe(200);
    expect(new Set(samples.map((s) => s.name))).toEqual(
      new Set([
        'http_requests_total',
        'http_request_duration_ms',
        'process_resident_memory_bytes',
        'cpu_usage_ratio',
      ]),
    );
    expect(new Set(samples.map((s) => s.labels.service)).size).toBe(10);
  });

  it('keeps counters monotonic per series except for rare resets', () => {
    const samples = new SampleGenerator({ ...options, series: 20 }).batch(20_000);
    const last = new Map<string, number>();
    let drops = 0;
    let counters = 0;
    for (const s of samples.filter((x) => x.name === 'http_requests_total')) {
      counters++;
      const key = seriesKey(s.name, s.labels);
      if ((last.get(key) ?? 0) > s.value) drops++;
      last.set(key, s.value);
    }
    expect(counters).toBeGreaterThan(1000);
    expect(drops / counters).toBeLessThan(0.01);
  });

  it('produces the configured shares of out-of-order and late samples', () => {
    const gen = new SampleGenerator({ ...options, outOfOrder: 0.1, late: 0.05, lateByMs: 60_000 });
    let maxSeen = Number.NEGATIVE_INFINITY;
    let late = 0;
    let behind = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const s = gen.next();
      if (s.timestamp < maxSeen - 30_000) late++;
      else if (s.timestamp < maxSeen) behind++;
      maxSeen = Math.max(maxSeen, s.timestamp);
    }
    expect(late / n).toBeGreaterThan(0.04);
    expect(late / n).toBeLessThan(0.06);
    expect(behind / n).toBeGreaterThan(0.1); // jitter adds to the explicit out-of-order share
  });

  it('keeps each series in event-time order when asked for no out-of-order or late samples', () => {
    const samples = new SampleGenerator({ ...options, outOfOrder: 0, late: 0 }).batch(5_000);
    const last = new Map<string, number>();
    let acrossSeries = 0;
    let maxSeen = Number.NEGATIVE_INFINITY;
    for (const s of samples) {
      const key = seriesKey(s.name, s.labels);
      expect(s.timestamp).toBeGreaterThanOrEqual(last.get(key) ?? Number.NEGATIVE_INFINITY);
      last.set(key, s.timestamp);
      if (s.timestamp < maxSeen) acrossSeries++;
      maxSeen = Math.max(maxSeen, s.timestamp);
    }
    expect(acrossSeries).toBeGreaterThan(1000); // clock skew still mixes series
  });

  it('encodes records that the parsers read back exactly', () => {
    const samples = new SampleGenerator(options).batch(50);
    const parseOptions = { limits: DEFAULT_LIMITS, defaultTimestamp: 0 };
    const influx = toRecords(samples, 'influx', 5).flatMap(
      (r) => parseInflux(r.value, parseOptions).samples,
    );
    const json = toRecords(samples, 'json', 5).flatMap(
      (r) => parseJson(r.value, parseOptions).samples,
    );
    expect(influx).toEqual(samples);
    expect(json).toEqual(samples);
  });
});

describe('runGenerator', () => {
  it('sends rate × duration samples in slices on a virtual clock', async () => {
    let clock = 0;
    const slices: number[] = [];
    const sent = await runGenerator({
      rate: 500,
      series: 10,
      durationMs: 1_000,
      format: 'json',
      seed: 1,
      samplesPerRecord: 2,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
      send: async (records) => {
        let samples = 0;
        for (const r of records) {
          const parsed = JSON.parse(r.value);
          const n = Array.isArray(parsed) ? parsed.length : 1;
          expect(n).toBeLessThanOrEqual(2);
          samples += n;
        }
        slices.push(samples);
      },
    });
    expect(sent).toBe(500);
    expect(slices).toEqual(Array(10).fill(50)); // 100 ms slices of 500 samples/s
  });

  it('stops when aborted', async () => {
    const abort = new AbortController();
    let clock = 0;
    const sent = await runGenerator({
      rate: 100,
      series: 1,
      durationMs: 0,
      format: 'influx',
      seed: 1,
      signal: abort.signal,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
        if (clock >= 2_000) abort.abort();
      },
      send: async () => undefined,
    });
    expect(sent).toBe(190); // due by 1.9 s; aborted during the sleep to 2 s
  });
});
