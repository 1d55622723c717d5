import { DEFAULT_LIMITS } from '../../../../../platform/apps/metrics-transform/model/limits';
import { seriesKey } from '../../../../../platform/apps/metrics-transform/model/sample';
import { seriesId } from '../../../../../platform/apps/metrics-transform/model/series-id';
import { validateSample } from '../../../../../platform/apps/metrics-transform/model/validate';

const now = 1_700_000_000_000;
const ok = { name: 'm', value: 1, timestamp: now, labels: { a: 'b' } };

describe('validateSample', () => {
  it('accepts a good sample', () => {
    expect(validateSample(ok, DEFAULT_LIMITS, now)).toBeUndefined();
  });

  it.each([
    ['no name', { ...ok, name: '' }, 'no_name'],
    ['NaN', { ...ok, value: Number.NaN }, 'value_not_finite'],
    ['+Inf', { ...ok, value: Number.POSITIVE_INFINITY }, 'value_not_finite'],
    ['too old', { ...ok, timestamp: now - DEFAULT_LIMITS.maxPastMs - 1 }, 'timestamp_out_of_range'],
    [
      'too far ahead',
      { ...ok, timestamp: now + DEFAULT_LIMITS.maxFutureMs + 1 },
      'timestamp_out_of_range',
    ],
    ['long name', { ...ok, name: 'x'.repeat(257) }, 'label_too_long'],
    ['long label name', { ...ok, labels: { ['x'.repeat(257)]: 'v' } }, 'label_too_long'],
    ['long label value', { ...ok, labels: { a: 'x'.repeat(1025) } }, 'label_too_long'],
    [
      'too many labels',
      { ...ok, labels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, 'v'])) },
      'too_many_labels',
    ],
  ])('refuses %s', (_what, sample, reason) => {
    expect(validateSample(sample, DEFAULT_LIMITS, now)?.reason).toBe(reason);
  });

  it('says what the timestamp range was', () => {
    expect(validateSample({ ...ok, timestamp: 0 }, DEFAULT_LIMITS, now)?.detail).toBe(
      `timestamp 0 is outside [now - 604800000 ms, now + 600000 ms] (now ${now})`,
    );
  });
});

describe('series identity', () => {
  it('does not depend on label order', () => {
    expect(seriesKey('m', { a: '1', b: '2' })).toBe(seriesKey('m', { b: '2', a: '1' }));
    expect(seriesId('m', { b: '2', a: '1' })).toBe('m{a="1",b="2"}');
  });

  it('distinguishes label sets that concatenate to the same text', () => {
    expect(seriesKey('m', { a: 'bc' })).not.toBe(seriesKey('m', { ab: 'c' }));
    expect(seriesKey('m', {})).not.toBe(seriesKey('m', { '': '' }));
  });
});
