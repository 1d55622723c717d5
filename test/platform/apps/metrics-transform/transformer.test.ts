import { validateConfig } from '../../../../platform/apps/metrics-transform/config/load-config';
import {
  sampleToInflux,
  sampleToJson,
} from '../../../../platform/apps/metrics-transform/encode/encode';
import { Prng } from '../../../../platform/apps/metrics-transform/generator/prng';
import { SampleGenerator } from '../../../../platform/apps/metrics-transform/generator/sample-generator';
import type { Sample } from '../../../../platform/apps/metrics-transform/model/sample';
import { MetricTransformer } from '../../../../platform/apps/metrics-transform/transformer';
import type { Statistic } from '../../../../platform/apps/metrics-transform/window/aggregate';
import {
  expectStatsMatch,
  type RefEvent,
  referenceStats,
  referenceWindows,
  refKey,
} from './reference';

const NOW = 1_700_000_000_000;
const base = {
  input: {
    topics: [
      { name: 'in', format: 'influx' },
      { name: 'json', format: 'json' },
    ],
  },
  output: { topic: 'out' },
  dead_letter: { topic: 'dlq' },
};
type Handle = { id: number };

describe('MetricTransformer', () => {
  it('dead-letters bad lines with their reason and keeps the good ones', () => {
    const t = new MetricTransformer<Handle>(validateConfig({ ...base }));
    const r = t.ingest(
      {
        topic: 'in',
        partition: 0,
        value: `a value=1 ${NOW}000000\nb v=x\nc value=2 0`,
        timestamp: NOW,
      },
      { id: 1 },
      NOW,
    );
    expect(r.deadLetters.map((d) => d.reason)).toEqual(['unparseable', 'timestamp_out_of_range']);
    expect(r.outputs).toEqual([
      { key: 'a', value: JSON.stringify({ name: 'a', value: 1, timestamp: NOW, labels: {} }) },
    ]);
    expect(r.done).toBe(true);
    expect(t.counts.dropped.invalid).toBe(2);
  });

  it('refuses a record over the byte limit and a topic with no format', () => {
    const t = new MetricTransformer<Handle>(
      validateConfig({ ...base, limits: { max_record_bytes: 10 } }),
    );
    expect(
      t.ingest(
        { topic: 'in', partition: 0, value: Buffer.alloc(11, 'a'), timestamp: NOW },
        { id: 1 },
        NOW,
      ).deadLetters,
    ).toEqual([
      {
        reason: 'line_too_long',
        detail: 'record of 11 bytes, more than 10',
        excerpt: 'aaaaaaaaaaa',
      },
    ]);
    expect(
      t.ingest({ topic: 'x', partition: 0, value: 'a v=1', timestamp: NOW }, { id: 2 }, NOW)
        .deadLetters[0]?.detail,
    ).toBe("topic 'x' has no input format configured");
  });

  it('filters, relabels, converts units and computes rates, counting what it drops', () => {
    const t = new MetricTransformer<Handle>(
      validateConfig({
        ...base,
        filters: [{ action: 'drop', match: ['env="test"'] }],
        relabel: [
          { source_labels: ['__name__'], regex: 'skip_.*', action: 'drop' },
          { source_labels: ['service'], target_label: 'job' },
        ],
        units: [
          { names: ['*_ms'], from: 'ms', to: 's', replace_suffix: { from: '_ms', to: '_seconds' } },
        ],
        rate: { names: ['*_total'] },
      }),
    );
    const send = (s: Sample, id: number) =>
      t
        .ingest(
          { topic: 'json', partition: 0, value: sampleToJson(s), timestamp: NOW },
          { id },
          NOW,
        )
        .outputs.map((o) => JSON.parse(o.value));
    expect(
      send({ name: 'lat_ms', value: 250, timestamp: NOW, labels: { service: 'a' } }, 1),
    ).toEqual([
      { name: 'lat_seconds', value: 0.25, timestamp: NOW, labels: { service: 'a', job: 'a' } },
    ]);
    expect(send({ name: 'x', value: 1, timestamp: NOW, labels: { env: 'test' } }, 2)).toEqual([]);
    expect(send({ name: 'skip_me', value: 1, timestamp: NOW, labels: {} }, 3)).toEqual([]);
    expect(send({ name: 'req_total', value: 10, timestamp: NOW, labels: {} }, 4)).toEqual([]);
    expect(send({ name: 'req_total', value: 30, timestamp: NOW + 2000, labels: {} }, 5)).toEqual([
      { name: 'req_per_second', value: 10, timestamp: NOW + 2000, labels: {} },
    ]);
    expect(send({ name: 'req_total', value: 40, timestamp: NOW + 1000, labels: {} }, 6)).toEqual(
      [],
    );
    expect(t.counts.dropped).toEqual({ filter: 1, relabel: 1, invalid: 0, late: 1 });
    expect(t.counts.samplesIn).toBe(6);
  });

  it('holds a record until its window is emitted, and dead-letters late samples when asked', () => {
    const t = new MetricTransformer<Handle>(
      validateConfig({
        ...base,
        dead_letter: { topic: 'dlq', late_samples: true },
        aggregations: [{ window: '10s', stats: ['count'] }],
      }),
    );
    const h1 = { id: 1 };
    const r1 = t.ingest(
      { topic: 'in', partition: 0, value: `m value=1 ${NOW}000000`, timestamp: NOW },
      h1,
      NOW,
    );
    expect(r1).toEqual({ outputs: [], deadLetters: [], done: false });
    expect(t.pendingRecords).toBe(1);
    t.ingest(
      { topic: 'in', partition: 0, value: `m value=1 ${NOW + 20_000}000000`, timestamp: NOW },
      { id: 2 },
      NOW,
    );
    const tick = t.tick(NOW);
    expect(tick.done).toEqual([h1]);
    expect(tick.outputs.map((o) => JSON.parse(o.value))).toEqual([
      {
        name: 'm',
        labels: {},
        start: NOW - (NOW % 10_000),
        end: NOW - (NOW % 10_000) + 10_000,
        count: 1,
      },
    ]);
    const late = t.ingest(
      { topic: 'in', partition: 0, value: `m value=1 ${NOW}000000`, timestamp: NOW },
      { id: 3 },
      NOW,
    );
    expect(late.done).toBe(true);
    expect(late.deadLetters).toEqual([
      {
        reason: 'late',
        detail: 'every window it belongs to was already emitted',
        excerpt: expect.stringContaining('"name":"m"'),
      },
    ]);
    expect(t.counts.lateSamples).toBe(1);
    expect(t.counts.windowsEmitted).toBe(1);
  });

  it('after restoreWatermark, re-delivered samples of emitted windows are late, not partial duplicates', () => {
    const t = new MetricTransformer<Handle>(
      validateConfig({ ...base, aggregations: [{ window: '10s', stats: ['count'] }] }),
    );
    t.restoreWatermark(NOW + 10_000);
    const r = t.ingest(
      { topic: 'in', partition: 0, value: `m value=1 ${NOW}000000`, timestamp: NOW },
      { id: 1 },
      NOW,
    );
    expect(r.done).toBe(true);
    expect(t.counts.lateSamples).toBe(1);
  });
});

describe('MetricTransformer.reset', () => {
  it('forgets windows and held records but keeps the counts', () => {
    const t = new MetricTransformer<Handle>(
      validateConfig({ ...base, aggregations: [{ window: '10s', stats: ['count'] }] }),
    );
    t.ingest(
      { topic: 'in', partition: 0, value: `m value=1 ${NOW}000000`, timestamp: NOW },
      { id: 1 },
      NOW,
    );
    expect([t.openWindows, t.pendingRecords]).toEqual([1, 1]);
    t.reset();
    expect([t.openWindows, t.pendingRecords, t.counts.samplesIn]).toEqual([0, 0, 1]);
    expect(t.watermark(NOW)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('MetricTransformer restore per partition', () => {
  it('treats re-delivered samples of a restored partition as late, and leaves other partitions open', () => {
    const t = new MetricTransformer<Handle>(
      validateConfig({ ...base, aggregations: [{ window: '10s', stats: ['count'] }] }),
    );
    t.restorePartition('in', 0, NOW + 10_000);
    const line = `m value=1 ${NOW}000000`;
    expect(
      t.ingest({ topic: 'in', partition: 0, value: line, timestamp: NOW }, { id: 1 }, NOW).done,
    ).toBe(true);
    expect(
      t.ingest({ topic: 'in', partition: 1, value: line, timestamp: NOW }, { id: 2 }, NOW).done,
    ).toBe(false);
    expect(t.counts.lateSamples).toBe(1);
    expect(t.emittedWatermark).toBe(Number.NEGATIVE_INFINITY);
    t.ingest(
      { topic: 'in', partition: 1, value: `m value=1 ${NOW + 30_000}000000`, timestamp: NOW },
      { id: 3 },
      NOW,
    );
    t.tick(NOW);
    expect(t.emittedWatermark).toBe(NOW); // partition 0 (last seen at NOW) holds it back
  });
});

describe('MetricTransformer end to end against the reference', () => {
  it.each([
    [1, { size: 10_000, hop: 10_000 }, 2_000, ['service']],
    [2, { size: 10_000, hop: 5_000 }, 0, ['service', 'method']],
    [3, { size: 5_000, hop: 5_000 }, 1_000, undefined],
  ] as const)(
    'seed %p: every window and series equals the reference',
    (seed, window, lateness, groupBy) => {
      const stats: Statistic[] = ['count', 'sum', 'min', 'max', 'avg', 'last', 'p50', 'p90', 'p99'];
      const config = validateConfig({
        ...base,
        aggregations: [
          {
            window: { size: `${window.size}ms`, hop: `${window.hop}ms` },
            lateness: `${lateness}ms`,
            ...(groupBy ? { group_by: [...groupBy] } : {}),
            stats,
          },
        ],
        watermark: { idle_timeout: '1d' },
      });
      const t = new MetricTransformer<Handle>(config);
      const gen = new SampleGenerator({
        seed,
        series: 60,
        rate: 200,
        start: NOW,
        outOfOrder: 0.1,
        late: 0.02,
        lateByMs: 15_000,
      });
      const prng = new Prng(seed);

      // Send 3 000 samples in records of 1-3 lines over 3 partitions, ticking every 20 records.
      const events: RefEvent<Handle>[] = [];
      const partitionMax = new Map<number, number>();
      const outputs: Record<string, unknown>[] = [];
      const doneAt = new Map<Handle, number>();
      let sent = 0;
      while (sent < 3000) {
        const samples = gen.batch(1 + prng.int(3));
        sent += samples.length;
        const partition = prng.int(3);
        const handle = { id: events.length };
        const r = t.ingest(
          { topic: 'in', partition, value: samples.map(sampleToInflux).join('\n'), timestamp: NOW },
          handle,
          NOW,
        );
        expect(r.deadLetters).toEqual([]);
        events.push({ kind: 'message', handle, samples });
        if (r.done) doneAt.set(handle, events.length - 1);
        for (const s of samples)
          partitionMax.set(
            partition,
            Math.max(partitionMax.get(partition) ?? -Infinity, s.timestamp),
          );
        if (events.length % 20 === 0) {
          const tick = t.tick(NOW);
          // The reference's watermark: min over partitions of their greatest event time.
          const watermark = Math.min(...partitionMax.values());
          expect(tick.watermark).toBe(watermark);
          events.push({ kind: 'advance', watermark });
          for (const o of tick.outputs)
            outputs.push({ ...JSON.parse(o.value), at: events.length - 1 });
          for (const h of tick.done) doneAt.set(h, events.length - 1);
        }
      }
      const flush = t.flush(NOW);
      for (const o of flush.outputs)
        outputs.push({ ...JSON.parse(o.value), at: Number.POSITIVE_INFINITY });
      for (const h of flush.done) doneAt.set(h, Number.POSITIVE_INFINITY);

      const ref = referenceWindows(events, { ...window, latenessMs: lateness, groupBy, stats });
      expect(ref.late.length).toBeGreaterThan(0); // the input really had late samples
      expect(t.counts.lateSamples).toBe(ref.late.length);
      const got = new Map(
        outputs.map((o) => [
          refKey(o.name as string, o.start as number, o.labels as Record<string, string>),
          o,
        ]),
      );
      expect(got.size).toBe(outputs.length);
      expect([...got.keys()].sort()).toEqual([...ref.windows.keys()].sort());
      for (const [key, w] of ref.windows) {
        const o = got.get(key) as Record<string, number>;
        expect(o.at).toBe(w.emittedAt);
        expect(o.end).toBe(w.end);
        const values = Object.fromEntries(stats.map((s) => [s, o[s]]));
        expectStatsMatch(values, referenceStats(w.points, stats), 0.01);
      }
      expect(doneAt).toEqual(ref.handleDone);
      expect(t.pendingRecords).toBe(0);
    },
  );
});
