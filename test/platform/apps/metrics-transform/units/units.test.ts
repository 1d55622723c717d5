import { nameMatcher } from '../../../../../platform/apps/metrics-transform/filter/name-matcher';
import {
  applyUnits,
  conversionFactor,
  type UnitRule,
} from '../../../../../platform/apps/metrics-transform/units/units';

describe('units', () => {
  it.each([
    ['ms', 's', 0.001],
    ['s', 'ms', 1000],
    ['B', 'MiB', 1 / 1048576],
    ['GiB', 'MiB', 1024],
    ['bit', 'B', 0.125],
    ['percent', 'ratio', 0.01],
    ['h', 'min', 60],
  ] as const)('%s → %s multiplies by %p', (from, to, factor) => {
    expect(conversionFactor(from, to)).toBeCloseTo(factor, 15);
  });

  it('refuses to convert across dimensions', () => {
    expect(conversionFactor('ms', 'MiB')).toBeUndefined();
  });

  it('applies the first matching rule: scale and rename', () => {
    const rules: UnitRule[] = [
      { matches: nameMatcher('*_ms'), factor: 0.001, rename: (n) => n.replace(/_ms$/, '_seconds') },
      { matches: nameMatcher('*_bytes'), factor: 1 / 1048576 },
      { matches: nameMatcher('*'), factor: 2 },
    ];
    const s = { name: 'latency_ms', value: 250, timestamp: 1, labels: { a: 'b' } };
    expect(applyUnits(s, rules)).toEqual({
      name: 'latency_seconds',
      value: 0.25,
      timestamp: 1,
      labels: { a: 'b' },
    });
    expect(applyUnits({ ...s, name: 'mem_bytes', value: 2097152 }, rules).value).toBe(2);
    expect(applyUnits({ ...s, name: 'other', value: 2 }, rules).value).toBe(4);
    expect(applyUnits({ ...s, name: 'other' }, [])).toEqual({ ...s, name: 'other' });
  });
});
