import fc from 'fast-check';
import { CounterRate } from '../../../../../platform/apps/metrics-transform/rate/counter-rate';

const c = (value: number, timestamp: number, labels: Record<string, string> = {}) => ({
  name: 'requests_total',
  value,
  timestamp,
  labels,
});

describe('CounterRate', () => {
  it('emits nothing for the first sample, then the per-second increase', () => {
    const r = new CounterRate();
    expect(r.next(c(100, 0))).toEqual({ kind: 'first' });
    expect(r.next(c(110, 2000))).toEqual({
      kind: 'rate',
      sample: { name: 'requests_per_second', value: 5, timestamp: 2000, labels: {} },
    });
  });

  it('treats a drop as a counter reset: the increase is the new value', () => {
    const r = new CounterRate();
    r.next(c(100, 0));
    const out = r.next(c(4, 1000));
    expect(out.kind === 'rate' && out.sample.value).toBe(4);
  });

  it('keeps series apart by labels, whatever their order', () => {
    const r = new CounterRate();
    r.next(c(0, 0, { a: '1', b: '2' }));
    r.next(c(50, 0, { a: '2' }));
    const out = r.next(c(10, 1000, { b: '2', a: '1' }));
    expect(out.kind === 'rate' && out.sample.value).toBe(10);
  });

  it('drops samples that are not after the previous one', () => {
    const r = new CounterRate();
    r.next(c(1, 1000));
    expect(r.next(c(2, 1000))).toEqual({ kind: 'out_of_order' });
    expect(r.next(c(2, 500))).toEqual({ kind: 'out_of_order' });
  });

  it('forgets stale series', () => {
    const r = new CounterRate({ staleAfterMs: 1000 });
    r.next(c(1, 0));
    expect(r.evict(500)).toBe(0);
    expect(r.evict(1001)).toBe(1);
    expect(r.next(c(5, 2000))).toEqual({ kind: 'first' });
  });

  it('integrates back to the total increase, resets included (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 1000 })), {
          minLength: 2,
        }),
        (steps) => {
          const r = new CounterRate({ rename: (n) => n });
          let t = 0;
          let value = 0;
          let expected = 0;
          let integral = 0;
          r.next(c(value, t));
          for (const [dt, inc] of steps) {
            t += dt;
            // Reset to a smaller value now and then, as a restarted process does (a reset
            // that lands above the old value cannot be told apart from growth, here as in
            // Prometheus, so the generator makes resets go down).
            const reset = inc % 7 === 0 && inc < value;
            value = reset ? inc : value + inc;
            expected += inc;
            const out = r.next(c(value, t));
            if (out.kind === 'rate') integral += (out.sample.value * dt) / 1000;
          }
          expect(integral).toBeCloseTo(expected, 6);
        },
      ),
    );
  });
});
