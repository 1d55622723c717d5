import fc from 'fast-check';
import { OffsetTracker } from '../../../../platform/kafka/source/offset-tracker';

/** The reference model: the first tracked offset not acknowledged, else the end. */
function expectedCommittable(tracked: number[], acked: Set<number>, end: number): number {
  for (const offset of tracked) if (!acked.has(offset)) return offset;
  return end;
}

describe('OffsetTracker', () => {
  it('knows nothing before the first record or start position', () => {
    expect(new OffsetTracker().committable()).toBeUndefined();
  });

  it('commits the start position until something is tracked', () => {
    const tracker = new OffsetTracker();
    tracker.reset(42);
    expect(tracker.committable()).toBe(42);
  });

  it('holds the commit at the first unacknowledged offset (offset + 1 once all are done)', () => {
    const tracker = new OffsetTracker();
    const gen = tracker.reset();
    for (const offset of [10, 11, 12, 13]) tracker.track(offset);
    expect(tracker.committable()).toBe(10);
    tracker.ack(gen, 11);
    tracker.ack(gen, 13);
    expect(tracker.committable()).toBe(10);
    tracker.ack(gen, 10);
    expect(tracker.committable()).toBe(12);
    tracker.ack(gen, 12);
    expect(tracker.committable()).toBe(14);
    expect(tracker.pending).toBe(0);
    expect(tracker.windowSize).toBe(0);
  });

  it('skips offsets that were never tracked (compaction gaps, transaction markers)', () => {
    const tracker = new OffsetTracker();
    const gen = tracker.reset();
    tracker.track(5);
    tracker.track(9);
    tracker.ack(gen, 5);
    expect(tracker.committable()).toBe(9);
    tracker.ack(gen, 9);
    tracker.advanceTo(12);
    expect(tracker.committable()).toBe(12);
  });

  it('ignores acknowledgements from an older generation', () => {
    const tracker = new OffsetTracker();
    const old = tracker.reset();
    tracker.track(0);
    tracker.track(1);
    const current = tracker.reset(0);
    tracker.track(0);
    expect(tracker.ack(old, 0)).toBe(false);
    expect(tracker.committable()).toBe(0);
    expect(tracker.ack(current, 0)).toBe(true);
    expect(tracker.committable()).toBe(1);
  });

  it('refuses duplicate acknowledgements, unknown offsets and re-deliveries', () => {
    const tracker = new OffsetTracker();
    const gen = tracker.reset();
    tracker.track(3);
    tracker.track(4);
    expect(tracker.ack(gen, 7)).toBe(false);
    expect(tracker.ack(gen, 4)).toBe(true);
    expect(tracker.ack(gen, 4)).toBe(false);
    expect(tracker.track(4)).toBe(false);
    expect(tracker.pending).toBe(1);
  });

  it('grows past its initial capacity and shrinks its window as acks arrive', () => {
    const tracker = new OffsetTracker(4);
    const gen = tracker.reset();
    for (let offset = 0; offset < 100; offset++) tracker.track(offset);
    for (let offset = 99; offset >= 1; offset--) tracker.ack(gen, offset);
    expect(tracker.committable()).toBe(0);
    expect(tracker.windowSize).toBe(100);
    tracker.ack(gen, 0);
    expect(tracker.committable()).toBe(100);
    expect(tracker.windowSize).toBe(0);
  });

  it('matches the reference model for any offsets and any ack order (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 400 }),
        (start, gaps, ackPicks) => {
          const tracker = new OffsetTracker(2);
          const gen = tracker.reset();
          const tracked: number[] = [];
          let offset = start;
          for (const gap of gaps) {
            tracked.push(offset);
            tracker.track(offset);
            offset += gap;
          }
          const acked = new Set<number>();
          const end = tracked.length > 0 ? tracked[tracked.length - 1]! + 1 : -1;
          for (const pick of ackPicks) {
            if (tracked.length === 0) break;
            const target = tracked[pick % tracked.length]!;
            expect(tracker.ack(gen, target)).toBe(!acked.has(target));
            acked.add(target);
            const model = expectedCommittable(tracked, acked, end);
            expect(tracker.committable()).toBe(model < 0 ? undefined : model);
            expect(tracker.pending).toBe(tracked.length - acked.size);
          }
          // The window holds only entries at or after the first unacknowledged one.
          const firstPending = tracked.findIndex((o) => !acked.has(o));
          expect(tracker.windowSize).toBe(firstPending < 0 ? 0 : tracked.length - firstPending);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('interleaves tracking and acknowledging like a live partition (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('track' as const), fc.nat({ max: 50 })), {
          maxLength: 500,
        }),
        (steps) => {
          const tracker = new OffsetTracker(2);
          const gen = tracker.reset(0);
          const tracked: number[] = [];
          const acked = new Set<number>();
          let next = 0;
          for (const step of steps) {
            if (step === 'track') {
              tracker.track(next);
              tracked.push(next);
              next += 1;
            } else if (tracked.length > 0) {
              const target = tracked[tracked.length - 1 - (step % tracked.length)]!;
              tracker.ack(gen, target);
              acked.add(target);
            }
            expect(tracker.committable()).toBe(expectedCommittable(tracked, acked, next));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
