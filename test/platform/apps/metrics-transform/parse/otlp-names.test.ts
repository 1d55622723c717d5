import fc from 'fast-check';
import {
  baseName,
  compareUint64,
  nanosToMillis,
  sanitizeLabelName,
  sanitizeMetricName,
  uint64Difference,
  unitSuffix,
  withSuffix,
} from '../../../../../platform/apps/metrics-transform/parse/otlp-names';

describe('OTLP to Prometheus names', () => {
  it.each([
    ['http.server.duration', 'http_server_duration'],
    ['(lambda).function..executions', '_lambda_function_executions'],
    ['9lives', '_9lives'],
    ['ns:metric', 'ns:metric'],
  ])('metric name %s → %s', (name, want) => expect(sanitizeMetricName(name)).toBe(want));

  it.each([
    ['http.method', 'http_method'],
    ['1st.try', 'key_1st_try'],
    ['a--b', 'a_b'],
  ])('label name %s → %s', (key, want) => expect(sanitizeLabelName(key)).toBe(want));

  it.each([
    ['s', false, 'seconds'],
    ['By', false, 'bytes'],
    ['KiBy', false, 'kibibytes'],
    ['{packet}', false, ''],
    ['{packet}/s', false, 'per_second'],
    ['m/s', false, 'meters_per_second'],
    ['By/{request}', false, 'bytes'],
    ['1', true, 'ratio'],
    ['1', false, ''],
    ['%', true, 'percent'],
    ['widgets', false, 'widgets'],
    ['', true, ''],
  ])('unit %j (gauge %s) → suffix %j', (unit, gauge, want) =>
    expect(unitSuffix(unit, gauge)).toBe(want),
  );

  it('appends the unit once, and the type suffix after it', () => {
    expect(baseName('http.server.duration', 's', false)).toBe('http_server_duration_seconds');
    expect(baseName('process.runtime.bytes', 'By', false)).toBe('process_runtime_bytes');
    expect(baseName('cpu.utilization', '1', true)).toBe('cpu_utilization_ratio');
    expect(withSuffix(baseName('io', 'By', false), '_total')).toBe('io_bytes_total');
    expect(withSuffix('requests_total', '_total')).toBe('requests_total');
  });
});

describe('64-bit nanosecond times', () => {
  const nanos = fc.bigInt({ min: 0n, max: 2n ** 63n });
  // As protobufjs's Long holds a fixed64: two signed 32-bit halves.
  const long = (n: bigint) => ({
    low: Number(BigInt.asIntN(32, n)),
    high: Number(BigInt.asIntN(32, n >> 32n)),
    unsigned: true,
  });

  it('converts to milliseconds exactly (floor), unlike a plain double', () => {
    fc.assert(
      fc.property(nanos, (n) => {
        expect(nanosToMillis(long(n))).toBe(Number(n / 1_000_000n));
      }),
    );
    // A time where a double conversion lands in the next millisecond.
    expect(nanosToMillis(long(1_700_000_000_000_999_999n))).toBe(1_700_000_000_000);
  });

  it('compares and subtracts exactly', () => {
    fc.assert(
      fc.property(nanos, fc.bigInt({ min: 0n, max: 2n ** 40n }), (a, d) => {
        expect(Math.sign(compareUint64(long(a + d), long(a)))).toBe(d > 0n ? 1 : 0);
        expect(uint64Difference(long(a + d), long(a))).toBe(Number(d));
      }),
    );
  });
});
