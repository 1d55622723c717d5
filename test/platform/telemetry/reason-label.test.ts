import fc from 'fast-check';
import {
  MAX_DISTINCT_REASONS,
  MAX_REASON_LENGTH,
  ReasonLabel,
  sanitizeReason,
} from '../../../platform/telemetry/reason-label';

describe('ReasonLabel', () => {
  it('keeps the platform reasons as they are', () => {
    const r = new ReasonLabel();
    for (const reason of ['decode', 'handler', 'invalid', 'filter', 'relabel', 'late']) {
      expect(r.of(reason)).toBe(reason);
    }
  });

  it('sanitises to [a-z0-9_], at most 32 characters, never empty', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (reason) => {
        const v = sanitizeReason(reason);
        expect(v).toMatch(/^[a-z0-9_]+$/);
        expect(v.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
      }),
    );
    expect(sanitizeReason('  ')).toBe('unknown');
    expect(sanitizeReason('Bad-Input!')).toBe('bad_input');
  });

  it('bounds the number of distinct values whatever reasons come in', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 300 }), (reasons) => {
        const r = new ReasonLabel();
        const values = new Set(reasons.map((x) => r.of(x)));
        expect(values.size).toBeLessThanOrEqual(MAX_DISTINCT_REASONS + 1);
        // Stable: the same input gives the same label afterwards.
        for (const x of reasons.slice(0, 10)) expect(r.of(x)).toBe(r.of(x));
      }),
    );
    const r = new ReasonLabel(2);
    expect([r.of('a'), r.of('b'), r.of('c'), r.of('a')]).toEqual(['a', 'b', 'other', 'a']);
  });
});
