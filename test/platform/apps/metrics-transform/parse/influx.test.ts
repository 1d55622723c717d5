import { DEFAULT_LIMITS } from '../../../../../platform/apps/metrics-transform/model/limits';
import { labelValue } from '../../../../../platform/apps/metrics-transform/model/sample';
import {
  type InfluxParseOptions,
  parseInflux,
} from '../../../../../platform/apps/metrics-transform/parse/influx';

const options: InfluxParseOptions = { limits: DEFAULT_LIMITS, defaultTimestamp: 1_000 };

describe('parseInflux', () => {
  it('reads a Telegraf line: tags become labels, each numeric field one sample, ns → ms', () => {
    const r = parseInflux(
      'cpu,host=a,cpu=cpu0 usage_user=1.5,usage_system=2i 1700000000123456789',
      options,
    );
    expect(r.rejects).toEqual([]);
    expect(r.samples).toEqual([
      {
        name: 'cpu_usage_user',
        value: 1.5,
        timestamp: 1700000000123,
        labels: { host: 'a', cpu: 'cpu0' },
      },
      {
        name: 'cpu_usage_system',
        value: 2,
        timestamp: 1700000000123,
        labels: { host: 'a', cpu: 'cpu0' },
      },
    ]);
  });

  it('names a field called value after the measurement alone', () => {
    expect(parseInflux('temp value=21.5 1000000', options).samples[0]?.name).toBe('temp');
  });

  it('reads integers, unsigned, booleans and exponents; skips string fields', () => {
    const r = parseInflux('m a=-3i,b=7u,c=t,d=FALSE,e=1e3,f="text, with = stuff",g=.5 0', options);
    expect(r.samples.map((s) => [s.name, s.value])).toEqual([
      ['m_a', -3],
      ['m_b', 7],
      ['m_c', 1],
      ['m_d', 0],
      ['m_e', 1000],
      ['m_g', 0.5],
    ]);
  });

  it('refuses a line with only string fields', () => {
    const r = parseInflux('log msg="hello" 0', options);
    expect(r.samples).toEqual([]);
    expect(r.rejects[0]).toMatchObject({
      reason: 'unparseable',
      detail: 'only string fields; strings are not samples',
    });
  });

  it('unescapes measurement, tag keys, tag values and field keys', () => {
    const r = parseInflux('my\\ meas\\,x,ta\\=g=v\\ a\\,l\\=ue f\\ 1=1 0', options);
    expect(r.samples[0]).toMatchObject({
      name: 'my meas,x_f 1',
      labels: { 'ta=g': 'v a,l=ue' },
    });
  });

  it('keeps a backslash that escapes nothing', () => {
    expect(parseInflux('m,path=C:\\dir v=1 0', options).samples[0]?.labels).toEqual({
      path: 'C:\\dir',
    });
  });

  it('uses the record timestamp when the line has none', () => {
    expect(parseInflux('m v=1', options).samples[0]?.timestamp).toBe(1_000);
  });

  it('honours the precision', () => {
    expect(
      parseInflux('m v=1 1700000000', { ...options, precision: 's' }).samples[0]?.timestamp,
    ).toBe(1_700_000_000_000);
    expect(
      parseInflux('m v=1 1700000000000', { ...options, precision: 'ms' }).samples[0]?.timestamp,
    ).toBe(1_700_000_000_000);
    expect(
      parseInflux('m v=1 1700000000000000', { ...options, precision: 'us' }).samples[0]?.timestamp,
    ).toBe(1_700_000_000_000);
  });

  it('reads several lines, skipping blank lines, comments and CR', () => {
    const r = parseInflux('# comment\r\na v=1 0\r\n\n  \nb v=2 0\n', options);
    expect(r.samples.map((s) => s.name)).toEqual(['a_v', 'b_v']);
  });

  it('keeps the good lines of a record when one is bad', () => {
    const r = parseInflux('a v=1 0\nb v=oops 0\nc v=3 0', options);
    expect(r.samples.map((s) => s.name)).toEqual(['a_v', 'c_v']);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]).toMatchObject({
      reason: 'unparseable',
      detail: "field 'v' has no valid value: 'oops'",
    });
  });

  it.each([
    ['no fields', 'm', 'unparseable', 'no fields after the measurement'],
    ['tag without =', 'm,tag v=1', 'unparseable', 'tag at column 5 is not key=value'],
    ['field without =', 'm v', 'unparseable', 'field at column 3 is not key=value'],
    ['bad timestamp', 'm v=1 12ab', 'unparseable', "bad timestamp '12ab'"],
    ['unclosed string', 'm s="abc', 'unparseable', "unclosed string in field 's'"],
    ['no measurement', ',t=1 v=1', 'no_name', 'the line has no measurement'],
    ['NaN is not line protocol', 'm v=NaN', 'unparseable', "field 'v' has no valid value: 'NaN'"],
  ])('refuses %s', (_what, line, reason, detail) => {
    const r = parseInflux(line, options);
    expect(r.samples).toEqual([]);
    expect(r.rejects).toEqual([{ reason, detail, excerpt: line }]);
  });

  it('refuses too many tags without scanning the rest of the line', () => {
    const tags = Array.from({ length: 100_000 }, (_, i) => `t${i}=x`).join(',');
    const line = `m,${tags} v=1 0`;
    const r = parseInflux(line, {
      ...options,
      limits: { ...DEFAULT_LIMITS, maxLineLength: 10_000_000, maxRecordBytes: 10_000_000 },
    });
    expect(r.rejects[0]?.reason).toBe('too_many_labels');
    expect(r.rejects[0]?.excerpt.length).toBeLessThanOrEqual(201);
  });

  it('refuses a line longer than the limit, and a record longer than the limit', () => {
    const long = `m,t=${'x'.repeat(100)} v=1 0`;
    const small = { ...DEFAULT_LIMITS, maxLineLength: 50 };
    expect(parseInflux(long, { ...options, limits: small }).rejects[0]?.reason).toBe(
      'line_too_long',
    );
    const tiny = { ...DEFAULT_LIMITS, maxRecordBytes: 10 };
    const r = parseInflux('a v=1 0\nb v=2 0', { ...options, limits: tiny });
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]?.detail).toBe('record of 15 characters, more than 10');
  });

  it('refuses a tag value over the length limit', () => {
    const limits = { ...DEFAULT_LIMITS, maxLabelValueLength: 5 };
    expect(parseInflux('m,t=123456 v=1 0', { ...options, limits }).rejects[0]).toMatchObject({
      reason: 'label_too_long',
      detail: "tag 't' is too long",
    });
  });
});

describe('label names that are Object.prototype properties', () => {
  it('keeps __proto__ and constructor as plain labels, and matchers see them as missing otherwise', () => {
    const r = parseInflux('m,__proto__=a,constructor=b value=1 0', options);
    const labels = r.samples[0]?.labels as Record<string, string>;
    expect(Object.keys(labels).sort()).toEqual(['__proto__', 'constructor']);
    expect(labels.constructor).toBe('b');
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype); // __proto__ did not replace it
    const other = parseInflux('m,x=1 value=1 0', options).samples[0]?.labels as Record<
      string,
      string
    >;
    expect(labelValue(other, 'constructor')).toBeUndefined();
  });
});
