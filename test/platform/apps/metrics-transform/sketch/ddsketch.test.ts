import fc from 'fast-check';
import { DDSketch } from '../../../../../platform/apps/metrics-transform/sketch/ddsketch';

/** The exact q-quantile under the sketch's rank convention: sorted[floor(q·(n−1))]. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

const QS = [0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1];

describe('DDSketch', () => {
  it.each([0.01, 0.02, 0.05])(
    'every quantile is within relative error alpha = %p of the exact one',
    (alpha) => {
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              fc.double({ min: 1e-6, max: 1e9, noNaN: true }),
              fc.double({ min: -1e6, max: -1e-6, noNaN: true }),
              fc.constant(0),
              fc.integer({ min: 1, max: 1000 }),
            ),
            { minLength: 1, maxLength: 400 },
          ),
          (values) => {
            const sketch = new DDSketch(alpha);
            for (const v of values) sketch.add(v);
            for (const q of QS) {
              const exact = exactQuantile(values, q);
              const estimate = sketch.quantile(q);
              // A hair over alpha for the float error of log() at bucket boundaries.
              expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(
                alpha * Math.abs(exact) * (1 + 1e-9) + 1e-12,
              );
            }
          },
        ),
        { numRuns: 200 },
      );
    },
  );

  it('merging two sketches equals one sketch of all the values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), { minLength: 1 }),
        fc.array(fc.double({ min: 1e-3, max: 1e6, noNaN: true })),
        (a, b) => {
          const left = new DDSketch();
          const right = new DDSketch();
          const all = new DDSketch();
          for (const v of a) {
            left.add(v);
            all.add(v);
          }
          for (const v of b) {
            right.add(v);
            all.add(v);
          }
          left.merge(right);
          expect(left.count).toBe(all.count);
          for (const q of QS) expect(left.quantile(q)).toBe(all.quantile(q));
        },
      ),
    );
  });

  it('counts values below minValue as zero', () => {
    const s = new DDSketch(0.01, 1e-6);
    s.add(1e-9);
    s.add(-1e-9);
    expect(s.quantile(0.5)).toBe(0);
  });

  it('is NaN when empty, and refuses an alpha outside (0, 1)', () => {
    expect(new DDSketch().quantile(0.5)).toBeNaN();
    expect(() => new DDSketch(1)).toThrow('DDSketch: alpha 1 is not in (0, 1)');
  });
});
