import fc from 'fast-check';
import { windowStarts } from '../../../../../platform/apps/metrics-transform/window/windows';

describe('windowStarts', () => {
  it('puts a sample in one tumbling window', () => {
    expect(windowStarts(12_345, { size: 10_000, hop: 10_000 })).toEqual([10_000]);
    expect(windowStarts(10_000, { size: 10_000, hop: 10_000 })).toEqual([10_000]);
    expect(windowStarts(9_999, { size: 10_000, hop: 10_000 })).toEqual([0]);
  });

  it('puts a sample in every overlapping hopping window, oldest first', () => {
    expect(windowStarts(12_000, { size: 10_000, hop: 5_000 })).toEqual([5_000, 10_000]);
    expect(windowStarts(10_000, { size: 10_000, hop: 5_000 })).toEqual([5_000, 10_000]);
    expect(windowStarts(7, { size: 10, hop: 3 })).toEqual([0, 3, 6]);
  });

  it('handles negative times', () => {
    expect(windowStarts(-1, { size: 10, hop: 10 })).toEqual([-10]);
  });

  it('returns exactly the hop multiples s with s ≤ t < s + size (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e6, max: 1e12 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 20 }),
        (t, hop, k) => {
          const size = hop * k + (t % 3 === 0 ? 0 : Math.floor(hop / 2));
          const starts = windowStarts(t, { size, hop });
          for (const s of starts) {
            expect(s % hop === 0 || Object.is(s % hop, -0)).toBe(true);
            expect(s <= t && t < s + size).toBe(true);
          }
          // No window is missing: the one before the first and after the last do not contain t.
          expect((starts[0] as number) - hop + size <= t).toBe(true);
          expect((starts[starts.length - 1] as number) + hop > t).toBe(true);
        },
      ),
    );
  });
});
