import fc from 'fast-check';
import type { Sample } from '../../../../../platform/apps/metrics-transform/model/sample';
import { AckTracker } from '../../../../../platform/apps/metrics-transform/window/ack-tracker';
import type {
  Aggregate,
  Statistic,
} from '../../../../../platform/apps/metrics-transform/window/aggregate';
import {
  WindowAggregator,
  type WindowAggregatorOptions,
} from '../../../../../platform/apps/metrics-transform/window/window-aggregator';
import {
  expectStatsMatch,
  type RefEvent,
  referenceStats,
  referenceWindows,
  refKey,
} from '../reference';

const sample = (timestamp: number, value: number, labels: Record<string, string> = {}): Sample => ({
  name: 'm',
  value,
  timestamp,
  labels,
});

function make(options: Partial<WindowAggregatorOptions> = {}) {
  const tracker = new AckTracker<string>();
  const agg = new WindowAggregator<string>(
    {
      window: { size: 10, hop: 10 },
      latenessMs: 0,
      groupBy: undefined,
      stats: ['count', 'sum', 'min', 'max', 'avg', 'last'],
      sketchAlpha: 0.01,
      ...options,
    },
    tracker,
  );
  return { tracker, agg };
}

describe('WindowAggregator', () => {
  it('emits a tumbling window when the watermark reaches its end, with its statistics', () => {
    const { agg } = make();
    agg.add(sample(1, 5), 'a');
    agg.add(sample(3, 1), 'b');
    agg.add(sample(2, 7), 'c'); // out of order: "last" is by event time
    agg.add(sample(12, 100), 'd');
    expect(agg.advance(9)).toEqual({ emitted: [], done: [] });
    const out = agg.advance(10);
    expect(out.emitted).toEqual([
      {
        name: 'm',
        labels: {},
        start: 0,
        end: 10,
        values: { count: 3, sum: 13, min: 1, max: 7, avg: 13 / 3, last: 1 },
      },
    ]);
    expect(out.done).toEqual(['a', 'b', 'c']);
    expect(agg.openWindows).toBe(1);
  });

  it('keeps a window open for the allowed lateness, then counts samples for it as late', () => {
    const { agg } = make({ latenessMs: 5 });
    agg.add(sample(1, 1), 'a');
    expect(agg.advance(12).emitted).toEqual([]);
    expect(agg.add(sample(2, 1), 'b')).toEqual({ accepted: 1, late: 0 });
    expect(agg.advance(15).emitted[0]?.values.count).toBe(2);
    expect(agg.add(sample(3, 1), 'c')).toEqual({ accepted: 0, late: 1 });
    expect(agg.openWindows).toBe(0);
  });

  it('groups by the chosen labels', () => {
    const { agg } = make({ groupBy: ['host'], stats: ['count'] });
    agg.add(sample(1, 1, { host: 'a', code: '200' }), 'x');
    agg.add(sample(2, 1, { host: 'a', code: '500' }), 'y');
    agg.add(sample(3, 1, { host: 'b' }), 'z');
    agg.add(sample(4, 1, {}), 'w');
    const out = agg.advance(10).emitted.map((a: Aggregate) => [a.labels, a.values.count]);
    expect(out).toEqual([
      [{}, 1],
      [{ host: 'a' }, 2],
      [{ host: 'b' }, 1],
    ]);
  });

  it('puts a sample in every hopping window and holds its handle until the last is emitted', () => {
    const { agg, tracker } = make({ window: { size: 10, hop: 5 }, stats: ['count'] });
    expect(agg.add(sample(7, 1), 'a')).toEqual({ accepted: 2, late: 0 });
    expect(agg.advance(10)).toEqual({
      emitted: [{ name: 'm', labels: {}, start: 0, end: 10, values: { count: 1 } }],
      done: [],
    });
    expect(tracker.isHeld('a')).toBe(true);
    expect(agg.advance(15).done).toEqual(['a']);
  });

  it('never moves the watermark back', () => {
    const { agg } = make();
    agg.advance(100);
    agg.advance(5);
    expect(agg.watermark).toBe(100);
    expect(agg.add(sample(50, 1), 'a').late).toBe(1);
  });

  it('flush emits everything', () => {
    const { agg } = make();
    agg.add(sample(1, 1), 'a');
    agg.add(sample(25, 1), 'b');
    const out = agg.flush();
    expect(out.emitted.map((a) => a.start)).toEqual([0, 20]);
    expect(out.done).toEqual(['a', 'b']);
  });
});

// --- The property: streaming equals the reference, and handles are done exactly when ---
// --- the last window holding them is emitted (never earlier: at-least-once).          ---

const statsArb = fc.subarray(
  ['count', 'sum', 'min', 'max', 'avg', 'last', 'p50', 'p90', 'p99'] as Statistic[],
  {
    minLength: 1,
  },
);
const shapeArb = fc
  .tuple(fc.constantFrom(1000, 5000, 10_000), fc.constantFrom(1, 2, 5))
  .map(([size, k]) => ({ size, hop: size / k }));
const sampleArb = fc.record({
  name: fc.constantFrom('a', 'b'),
  value: fc.oneof(
    fc.double({ min: -1000, max: 1e6, noNaN: true }),
    fc.integer({ min: 0, max: 100 }),
  ),
  timestamp: fc.oneof(
    fc.integer({ min: 0, max: 60_000 }),
    fc.integer({ min: 0, max: 120 }).map((k) => k * 500),
  ),
  labels: fc.record(
    { host: fc.constantFrom('h1', 'h2', 'h3'), code: fc.constantFrom('200', '500') },
    { requiredKeys: [] },
  ),
});
const eventsArb = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .array(sampleArb, { minLength: 0, maxLength: 3 })
        .map((samples) => ({ kind: 'message' as const, samples })),
    },
    {
      weight: 1,
      // Often on a 500 ms grid, so watermarks land exactly on window ends + lateness.
      arbitrary: fc
        .oneof(
          fc.integer({ min: 0, max: 70_000 }),
          fc.integer({ min: 0, max: 140 }).map((k) => k * 500),
        )
        .map((watermark) => ({ kind: 'advance' as const, watermark })),
    },
  ),
  { maxLength: 120 },
);

describe('WindowAggregator against the reference (property)', () => {
  it('emits the reference windows at the reference advances, and acknowledges exactly then', () => {
    fc.assert(
      fc.property(
        shapeArb,
        fc.constantFrom(0, 500, 3000),
        fc.option(fc.constantFrom(['host'], ['host', 'code'], []), { nil: undefined }),
        statsArb,
        eventsArb,
        (window, latenessMs, groupBy, stats, raw) => {
          const events: RefEvent<number>[] = raw.map((e, i) =>
            e.kind === 'message' ? { ...e, handle: i } : e,
          );
          const options = { window, latenessMs, groupBy, stats, sketchAlpha: 0.01 };
          const tracker = new AckTracker<number>();
          const agg = new WindowAggregator<number>(options, tracker);
          const emittedAt = new Map<string, { index: number; aggregate: Aggregate }>();
          const doneAt = new Map<number, number>();
          const markDone = (h: number, index: number) => {
            expect(doneAt.has(h)).toBe(false); // never acknowledged twice
            doneAt.set(h, index);
          };
          const record = (out: { emitted: Aggregate[]; done: number[] }, index: number) => {
            for (const a of out.emitted) {
              const key = refKey(a.name, a.start, a.labels);
              expect(emittedAt.has(key)).toBe(false); // each window once
              emittedAt.set(key, { index, aggregate: a });
            }
            for (const h of out.done) markDone(h, index);
          };
          events.forEach((e, index) => {
            if (e.kind === 'advance') {
              record(agg.advance(e.watermark), index);
              return;
            }
            tracker.hold(e.handle); // the caller's hold while it adds the message's samples
            for (const s of e.samples) agg.add(s, e.handle);
            if (tracker.release(e.handle)) markDone(e.handle, index);
          });
          record(agg.flush(), Number.POSITIVE_INFINITY);

          const ref = referenceWindows(events, { ...window, latenessMs, groupBy, stats });
          expect([...emittedAt.keys()].sort()).toEqual([...ref.windows.keys()].sort());
          for (const [key, w] of ref.windows) {
            const got = emittedAt.get(key)!;
            expect(got.index).toBe(w.emittedAt);
            expectStatsMatch(got.aggregate.values, referenceStats(w.points, stats), 0.01);
          }
          expect(new Map([...doneAt].sort())).toEqual(new Map([...ref.handleDone].sort()));
          expect(tracker.size).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
