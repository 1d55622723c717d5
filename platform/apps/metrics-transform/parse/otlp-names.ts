import type { Int64, OtlpAnyValue } from './otlp-schema';

/**
 * Names and values as the OpenTelemetry specification "Prometheus and OpenMetrics
 * Compatibility" (section "OTLP Metric points to Prometheus") converts them. Pure
 * functions; each rule is one function so that the mapping reads as the spec does.
 */

// The spec's table of UCUM units and their Prometheus words.
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  kBy: 'kilobytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

// Denominators of rate units ("m/s" → "meters_per_second"): singular words.
const PER_WORDS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/**
 * A Prometheus metric name from an OTLP one: characters outside `[a-zA-Z0-9_:]` become
 * `_`, runs of `_` become one, and a leading digit gets a `_` in front (a name may not
 * start with one).
 */
export function sanitizeMetricName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

/**
 * A Prometheus label name from an attribute key: characters outside `[a-zA-Z0-9_]` become
 * `_`, runs of `_` become one; a leading digit gets the prefix `key_` (the Collector's
 * convention), so `1st.try` → `key_1st_try`.
 */
export function sanitizeLabelName(key: string): string {
  let out = key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_{2,}/g, '_');
  if (/^[0-9]/.test(out)) out = `key_${out}`;
  return out;
}

/**
 * The unit word appended to a metric name, or `''` for none. Annotations in braces
 * (`{packet}`) are dropped; the spec's UCUM units become words (`By` → `bytes`); a rate
 * unit `a/b` becomes `a_per_b` (`m/s` → `meters_per_second`, `{packet}/s` →
 * `per_second`); the dimensionless `1` becomes `ratio` for gauges only (a counter of
 * "1" is a plain count); any other unit is kept with non-alphanumerics removed.
 */
export function unitSuffix(unit: string, isGauge: boolean): string {
  const plain = unit.replace(/\{[^}]*\}/g, '').trim();
  if (plain === '') return '';
  if (plain === '1') return isGauge ? 'ratio' : '';
  const slash = plain.indexOf('/');
  if (slash >= 0) {
    const top = word(plain.slice(0, slash), UNIT_WORDS);
    const bottom = word(plain.slice(slash + 1), PER_WORDS);
    if (bottom === '') return top;
    return top === '' ? `per_${bottom}` : `${top}_per_${bottom}`;
  }
  return word(plain, UNIT_WORDS);
}

function word(part: string, table: Readonly<Record<string, string>>): string {
  const trimmed = part.trim();
  return Object.hasOwn(table, trimmed)
    ? (table[trimmed] as string)
    : trimmed.replace(/[^a-zA-Z0-9]/g, '');
}

/**
 * The base name of a metric's series: the sanitized name plus `_<unit>` unless the name
 * already ends with it (`http.server.duration` + `s` → `http_server_duration_seconds`;
 * `process.runtime.bytes` + `By` stays `process_runtime_bytes`). Type suffixes (`_total`,
 * `_bucket`, …) come after this.
 */
export function baseName(name: string, unit: string, isGauge: boolean): string {
  const sanitized = sanitizeMetricName(name);
  const suffix = unitSuffix(unit, isGauge);
  if (suffix === '' || sanitized === suffix || sanitized.endsWith(`_${suffix}`)) return sanitized;
  return sanitizeMetricName(`${sanitized}_${suffix}`);
}

/** Appends `suffix` (`_total`) unless the name already ends with it. */
export function withSuffix(name: string, suffix: string): string {
  return name.endsWith(suffix) ? name : `${name}${suffix}`;
}

/**
 * An attribute value as label text, as the spec's "AnyValue representation for non-OTLP
 * protocols" says: strings as they are, booleans `true`/`false`, integers in decimal,
 * doubles as JavaScript prints them, bytes in base64, arrays and maps as JSON.
 */
export function anyValueText(value: OtlpAnyValue | null | undefined): string {
  if (!value) return '';
  if (is(value, 'stringValue')) return value.stringValue ?? '';
  if (is(value, 'boolValue')) return value.boolValue ? 'true' : 'false';
  if (is(value, 'intValue')) return int64Text(value.intValue);
  if (is(value, 'doubleValue')) return String(value.doubleValue);
  if (is(value, 'bytesValue')) return Buffer.from(value.bytesValue ?? []).toString('base64');
  if (is(value, 'arrayValue') || is(value, 'kvlistValue'))
    return JSON.stringify(anyValueJson(value));
  return '';
}

// protobufjs names the set oneof field in `value` on decoded messages; objects built from
// JSON carry only the field itself.
function is(value: OtlpAnyValue, field: keyof OtlpAnyValue): boolean {
  if (typeof value.value === 'string') return value.value === field;
  return Object.hasOwn(value, field) && value[field] !== undefined && value[field] !== null;
}

function anyValueJson(value: OtlpAnyValue | null | undefined): unknown {
  if (!value) return null;
  if (is(value, 'arrayValue')) return (value.arrayValue?.values ?? []).map(anyValueJson);
  if (is(value, 'kvlistValue')) {
    const out: Record<string, unknown> = {};
    for (const kv of value.kvlistValue?.values ?? []) out[kv.key] = anyValueJson(kv.value);
    return out;
  }
  if (is(value, 'boolValue')) return value.boolValue === true;
  if (is(value, 'doubleValue')) return value.doubleValue;
  return anyValueText(value);
}

/** A 64-bit integer as decimal text, exact (a `Long` prints itself exactly). */
function int64Text(value: Int64 | undefined): string {
  if (value === undefined || value === null) return '0';
  return typeof value === 'number' ? String(value) : value.toString();
}

/**
 * An unsigned 64-bit count or nanosecond time as a number. Exact below 2^53; above, the
 * nearest double (a count that large is not meaningful to the last unit anyway).
 */
export function uint64(value: Int64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  return (value.high >>> 0) * 4294967296 + (value.low >>> 0);
}

/** A signed 64-bit integer (`as_int`) as a number. */
export function int64(value: Int64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  return value.high * 4294967296 + (value.low >>> 0);
}

/**
 * Nanoseconds since the epoch (fixed64) to whole milliseconds, rounded down, exactly:
 * `high·2^32 = high·4294·10^6 + high·967296`, so every partial product stays below 2^53
 * (a plain conversion to a double would be off by up to 256 ns, enough to land a point
 * in the neighbouring millisecond).
 */
export function nanosToMillis(value: Int64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return Math.floor(value / 1e6);
  const high = value.high >>> 0;
  const low = value.low >>> 0;
  return high * 4294 + Math.floor((high * 967296 + low) / 1e6);
}

/** Compares two unsigned 64-bit values exactly: negative, zero or positive. */
export function compareUint64(a: Int64 | undefined | null, b: Int64 | undefined | null): number {
  const ha = typeof a === 'object' && a !== null ? a.high >>> 0 : Math.floor((a ?? 0) / 4294967296);
  const hb = typeof b === 'object' && b !== null ? b.high >>> 0 : Math.floor((b ?? 0) / 4294967296);
  if (ha !== hb) return ha - hb;
  const la = typeof a === 'object' && a !== null ? a.low >>> 0 : (a ?? 0) % 4294967296;
  const lb = typeof b === 'object' && b !== null ? b.low >>> 0 : (b ?? 0) % 4294967296;
  return la - lb;
}

/**
 * `a − b` for unsigned 64-bit values, exact while the difference is below 2^53 (converting
 * each to a double first would lose up to 256 ns of a nanosecond time).
 */
export function uint64Difference(a: Int64 | undefined | null, b: Int64 | undefined | null): number {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return uint64(a) - uint64(b);
  }
  return ((a.high >>> 0) - (b.high >>> 0)) * 4294967296 + ((a.low >>> 0) - (b.low >>> 0));
}

/** True when a fixed64 time is unset (0). */
export function isZero(value: Int64 | undefined | null): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'number') return value === 0;
  return value.high === 0 && value.low === 0;
}
