import { type Reject, type RejectReason, reject } from '../model/reject';
import { type Sample, setLabel } from '../model/sample';
import {
  buildLabels,
  type Entry,
  type ResourceAttributesMode,
  resourceLabels,
  scopeEntries,
} from './otlp-labels';
import {
  baseName,
  compareUint64,
  int64,
  isZero,
  nanosToMillis,
  uint64,
  uint64Difference,
  withSuffix,
} from './otlp-names';
import {
  FLAG_NO_RECORDED_VALUE,
  type Int64,
  type OtlpExponentialHistogramDataPoint,
  type OtlpHistogramDataPoint,
  type OtlpKeyValue,
  type OtlpMetric,
  type OtlpMetricsRequest,
  type OtlpNumberDataPoint,
  type OtlpSummaryDataPoint,
  TEMPORALITY,
} from './otlp-schema';
import type { ParseOptions, ParseResult } from './parse-result';

export type { ResourceAttributesMode } from './otlp-labels';

export interface OtlpParseOptions extends ParseOptions {
  resourceAttributes?: ResourceAttributesMode;
}

/** Exponential histograms with more buckets than this are refused (bounded work per point). */
export const MAX_EXPONENTIAL_BUCKETS = 10_000;

/**
 * Maps a decoded ExportMetricsServiceRequest to samples, following the OpenTelemetry
 * specification "Prometheus and OpenMetrics Compatibility", section "OTLP Metric points to
 * Prometheus", with the deviations noted (each is also in the README):
 *
 * - **Names**: sanitized (`http.server.duration` → `http_server_duration`), then the unit
 *   word appended unless already there (`_seconds`, `_bytes`, `_ratio` for gauges of unit
 *   `1`, `{…}` annotations dropped, `m/s` → `_meters_per_second`), then the type suffix.
 * - **Labels**: point attributes, sanitized (`http.method` → `http_method`); keys that
 *   collide after sanitizing get their values joined with `;` in the order of the
 *   original keys. Scope: `otel_scope_name`, `otel_scope_version`,
 *   `otel_scope_schema_url`, and each scope attribute as `otel_scope_<key>`. Resource:
 *   `job` = `<service.namespace>/<service.name>` (or `<service.name>`), `instance` =
 *   `service.instance.id`; they override point attributes of the same name. The other
 *   resource attributes follow {@link ResourceAttributesMode}. Empty values are left out
 *   (an empty label is no label in Prometheus).
 * - **Gauge**, and **cumulative non-monotonic sum**: one sample per point, base name.
 * - **Cumulative monotonic sum**: a counter, `<base>_total`, the cumulative value as sent.
 *   Rates come later: the transformer's `rate` step (or PromQL `rate()`) turns
 *   consecutive values of a series into per-second rates, a decrease counting as a reset.
 * - **Delta sum** (monotonic or not): converted to a rate at once, `<base>_per_second` =
 *   value / (time − start) in seconds (a trailing `_total` is dropped first). The spec
 *   allows accumulating deltas into a cumulative counter instead, but that needs state per
 *   series in one place; a rate needs none, so it is the same on any number of instances.
 *   A delta point without a start time, or with start ≥ time, is refused (`otlp_bad_time`).
 * - **Cumulative histogram**: `<base>_bucket{le=…}` with cumulative counts (and
 *   `le="+Inf"` = count), `<base>_sum` when the point has a sum, `<base>_count`.
 * - **Cumulative exponential histogram**: the same classic series, with `le` at each
 *   exponential bucket's upper bound (negative buckets, the zero bucket at the zero
 *   threshold, positive buckets, ascending). The spec asks for a Prometheus native
 *   histogram, which a float sample cannot carry.
 * - **Summary**: `<base>{quantile=…}`, `<base>_sum`, `<base>_count`.
 * - **Delta histograms** of either kind are refused (`otlp_unsupported`), as the spec says
 *   they must be dropped unless accumulated; so is an unspecified temporality.
 * - A point flagged "no recorded value" (a series that went away) gives no sample.
 * - Time: `time_unix_nano` to ms, rounded down; 0 means the record's timestamp. Exemplars,
 *   descriptions and `start_time_unix_nano` (beyond the checks) are not carried.
 *
 * Bad parts are refused one by one, the rest of the request kept: a metric with no known
 * data type (`otlp_unknown_type`), a histogram whose bucket counts do not match its bounds
 * or its count (`otlp_bad_histogram`), a sum, histogram or summary point whose start time
 * is after its time (`otlp_bad_time`), a metric without a name (`no_name`).
 */
export function otlpToSamples(request: OtlpMetricsRequest, options: OtlpParseOptions): ParseResult {
  const result: ParseResult = { samples: [], rejects: [] };
  const mode = options.resourceAttributes ?? 'target_info';
  for (const rm of request.resourceMetrics ?? []) {
    const resource = resourceLabels(rm.resource?.attributes ?? [], mode);
    const first = result.samples.length;
    for (const sm of rm.scopeMetrics ?? []) {
      const shared = [...resource.entries, ...scopeEntries(sm)];
      for (const metric of sm.metrics ?? []) {
        mapMetric(metric, { shared, fixed: resource.fixed, options, result });
      }
    }
    if (resource.info && result.samples.length > first) {
      let latest = 0;
      for (let i = first; i < result.samples.length; i++) {
        latest = Math.max(latest, (result.samples[i] as Sample).timestamp);
      }
      result.samples.push({
        name: 'target_info',
        value: 1,
        timestamp: latest,
        labels: resource.info,
      });
    }
  }
  return result;
}
interface MapContext {
  shared: Entry[];
  fixed: Record<string, string>;
  options: OtlpParseOptions;
  result: ParseResult;
}

function mapMetric(metric: OtlpMetric, ctx: MapContext): void {
  const name = metric.name ?? '';
  const unit = metric.unit ?? '';
  const fail = (reason: RejectReason, detail: string) =>
    ctx.result.rejects.push(reject(reason, detail, `metric ${JSON.stringify(name)}`));
  if (name === '') {
    fail('no_name', 'an OTLP metric has no name');
    return;
  }
  switch (dataKind(metric)) {
    case 'gauge':
      for (const p of metric.gauge?.dataPoints ?? []) {
        number(baseName(name, unit, true), p, ctx);
      }
      return;
    case 'sum': {
      const sum = metric.sum!;
      const temporality = sum.aggregationTemporality ?? 0;
      if (temporality === TEMPORALITY.cumulative) {
        const series = sum.isMonotonic
          ? withSuffix(baseName(name, unit, false), '_total')
          : baseName(name, unit, true);
        for (const p of sum.dataPoints ?? []) {
          if (startAfterTime(p, name, ctx)) continue;
          number(series, p, ctx);
        }
      } else if (temporality === TEMPORALITY.delta) {
        const series = `${stripTotal(baseName(name, unit, false))}_per_second`;
        for (const p of sum.dataPoints ?? []) deltaRate(series, p, name, ctx);
      } else {
        fail('otlp_unsupported', `sum ${JSON.stringify(name)} has no aggregation temporality`);
      }
      return;
    }
    case 'histogram': {
      const h = metric.histogram!;
      if (h.aggregationTemporality !== TEMPORALITY.cumulative) {
        fail(
          'otlp_unsupported',
          `histogram ${JSON.stringify(name)} is not cumulative (${temporalityName(h.aggregationTemporality)}); only cumulative histograms map to Prometheus`,
        );
        return;
      }
      const base = baseName(name, unit, false);
      for (const p of h.dataPoints ?? []) histogram(base, p, name, ctx);
      return;
    }
    case 'exponentialHistogram': {
      const h = metric.exponentialHistogram!;
      if (h.aggregationTemporality !== TEMPORALITY.cumulative) {
        fail(
          'otlp_unsupported',
          `exponential histogram ${JSON.stringify(name)} is not cumulative (${temporalityName(h.aggregationTemporality)}); only cumulative histograms map to Prometheus`,
        );
        return;
      }
      const base = baseName(name, unit, false);
      for (const p of h.dataPoints ?? []) exponential(base, p, name, ctx);
      return;
    }
    case 'summary': {
      const base = baseName(name, unit, false);
      for (const p of metric.summary?.dataPoints ?? []) summary(base, p, name, ctx);
      return;
    }
    default:
      fail(
        'otlp_unknown_type',
        `metric ${JSON.stringify(name)} has no data of a known type (gauge, sum, histogram, exponential_histogram, summary)`,
      );
  }
}

type DataKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';

function dataKind(metric: OtlpMetric): DataKind | undefined {
  // Decoded messages name the set oneof member in `data`; objects from JSON may not.
  if (typeof metric.data === 'string') return metric.data as DataKind;
  for (const kind of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const) {
    if (metric[kind]) return kind;
  }
  return undefined;
}

function temporalityName(t: number | undefined): string {
  return t === TEMPORALITY.delta ? 'delta' : 'unspecified';
}

function stripTotal(name: string): string {
  return name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
}

function timestampOf(time: Int64 | undefined, ctx: MapContext): number {
  return isZero(time) ? ctx.options.defaultTimestamp : nanosToMillis(time);
}

function pointExcerpt(metric: string, p: { timeUnixNano?: Int64 }): string {
  return `metric ${JSON.stringify(metric)} point at ${String(p.timeUnixNano ?? 0)} ns`;
}

function refuse(ctx: MapContext, reason: RejectReason, detail: string, excerpt: string): void {
  const r: Reject = reject(reason, detail, excerpt);
  ctx.result.rejects.push(r);
}

function startAfterTime(
  p: { startTimeUnixNano?: Int64; timeUnixNano?: Int64 },
  metric: string,
  ctx: MapContext,
): boolean {
  if (isZero(p.startTimeUnixNano) || compareUint64(p.startTimeUnixNano, p.timeUnixNano) <= 0) {
    return false;
  }
  refuse(
    ctx,
    'otlp_bad_time',
    `start_time_unix_nano ${String(p.startTimeUnixNano)} is after time_unix_nano ${String(p.timeUnixNano)}`,
    pointExcerpt(metric, p),
  );
  return true;
}

function noValue(p: { flags?: number }): boolean {
  return ((p.flags ?? 0) & FLAG_NO_RECORDED_VALUE) !== 0;
}

function numberValue(p: OtlpNumberDataPoint): number {
  if (p.value === 'asInt') return int64(p.asInt);
  if (p.value === 'asDouble') return p.asDouble ?? 0;
  return p.asInt !== undefined && p.asInt !== null ? int64(p.asInt) : (p.asDouble ?? 0);
}

function push(
  ctx: MapContext,
  name: string,
  value: number,
  timestamp: number,
  labels: Record<string, string>,
): void {
  ctx.result.samples.push({ name, value, timestamp, labels });
}

function number(series: string, p: OtlpNumberDataPoint, ctx: MapContext): void {
  if (noValue(p)) return;
  const labels = buildLabels(p.attributes, ctx.shared, ctx.fixed);
  push(ctx, series, numberValue(p), timestampOf(p.timeUnixNano, ctx), labels);
}

function deltaRate(series: string, p: OtlpNumberDataPoint, metric: string, ctx: MapContext): void {
  if (noValue(p)) return;
  if (isZero(p.startTimeUnixNano) || compareUint64(p.startTimeUnixNano, p.timeUnixNano) >= 0) {
    refuse(
      ctx,
      'otlp_bad_time',
      isZero(p.startTimeUnixNano)
        ? 'a delta sum point needs start_time_unix_nano to become a rate'
        : `start_time_unix_nano ${String(p.startTimeUnixNano)} is not before time_unix_nano ${String(p.timeUnixNano)}`,
      pointExcerpt(metric, p),
    );
    return;
  }
  const seconds = uint64Difference(p.timeUnixNano, p.startTimeUnixNano) / 1e9;
  const labels = buildLabels(p.attributes, ctx.shared, ctx.fixed);
  push(ctx, series, numberValue(p) / seconds, timestampOf(p.timeUnixNano, ctx), labels);
}

/** `le` label text: JavaScript's shortest round-trip form, `+Inf` for infinity. */
function le(bound: number): string {
  if (bound === Number.POSITIVE_INFINITY) return '+Inf';
  if (bound === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(bound);
}

function histogram(base: string, p: OtlpHistogramDataPoint, metric: string, ctx: MapContext): void {
  if (noValue(p) || startAfterTime(p, metric, ctx)) return;
  const bounds = p.explicitBounds ?? [];
  const counts = p.bucketCounts ?? [];
  const count = uint64(p.count);
  const bad = (detail: string) =>
    refuse(ctx, 'otlp_bad_histogram', detail, pointExcerpt(metric, p));
  if (counts.length > 0 && counts.length !== bounds.length + 1) {
    bad(`${counts.length} bucket counts for ${bounds.length} explicit bounds; want bounds + 1`);
    return;
  }
  for (let i = 1; i < bounds.length; i++) {
    if (!((bounds[i] as number) > (bounds[i - 1] as number))) {
      bad(`explicit bounds are not strictly increasing at index ${i}`);
      return;
    }
  }
  const buckets: [string, number][] = [];
  let cumulative = 0;
  for (let i = 0; i < counts.length - 1; i++) {
    cumulative += uint64(counts[i]);
    buckets.push([le(bounds[i] as number), cumulative]);
  }
  if (counts.length > 0) cumulative += uint64(counts[counts.length - 1]);
  if (counts.length > 0 && cumulative !== count) {
    bad(`bucket counts add up to ${cumulative}, but count is ${count}`);
    return;
  }
  emitHistogram(base, p, count, buckets, ctx);
}

function emitHistogram(
  base: string,
  p: { attributes?: OtlpKeyValue[]; timeUnixNano?: Int64; sum?: number | null },
  count: number,
  buckets: [string, number][],
  ctx: MapContext,
): void {
  const labels = buildLabels(p.attributes, ctx.shared, ctx.fixed);
  const t = timestampOf(p.timeUnixNano, ctx);
  for (const [bound, value] of buckets) {
    const withLe = { ...labels };
    setLabel(withLe, 'le', bound);
    push(ctx, `${base}_bucket`, value, t, withLe);
  }
  const inf = { ...labels };
  setLabel(inf, 'le', '+Inf');
  push(ctx, `${base}_bucket`, count, t, inf);
  if (hasSum(p)) push(ctx, `${base}_sum`, p.sum as number, t, { ...labels });
  push(ctx, `${base}_count`, count, t, labels);
}

// `sum` is proto3 `optional`: decoded messages leave it null (or absent) when unset.
function hasSum(p: { sum?: number | null }): boolean {
  return p.sum !== undefined && p.sum !== null;
}

function exponential(
  base: string,
  p: OtlpExponentialHistogramDataPoint,
  metric: string,
  ctx: MapContext,
): void {
  if (noValue(p) || startAfterTime(p, metric, ctx)) return;
  const bad = (detail: string) =>
    refuse(ctx, 'otlp_bad_histogram', detail, pointExcerpt(metric, p));
  const scale = p.scale ?? 0;
  if (!Number.isInteger(scale) || scale < -10 || scale > 20) {
    bad(`scale ${scale} is outside -10..20`);
    return;
  }
  const negative = p.negative?.bucketCounts ?? [];
  const positive = p.positive?.bucketCounts ?? [];
  if (negative.length + positive.length > MAX_EXPONENTIAL_BUCKETS) {
    bad(`${negative.length + positive.length} buckets, more than ${MAX_EXPONENTIAL_BUCKETS}`);
    return;
  }
  // Bucket i covers (base^i, base^(i+1)] with base = 2^(2^-scale); negative buckets mirror it.
  const exponent = 2 ** -scale;
  const bound = (index: number) => 2 ** (index * exponent);
  const buckets: [string, number][] = [];
  let cumulative = 0;
  const negOffset = p.negative?.offset ?? 0;
  for (let k = negative.length - 1; k >= 0; k--) {
    cumulative += uint64(negative[k]);
    buckets.push([le(-bound(negOffset + k)), cumulative]);
  }
  cumulative += uint64(p.zeroCount);
  buckets.push([le(p.zeroThreshold ?? 0), cumulative]);
  const posOffset = p.positive?.offset ?? 0;
  for (let k = 0; k < positive.length; k++) {
    cumulative += uint64(positive[k]);
    buckets.push([le(bound(posOffset + k + 1)), cumulative]);
  }
  const count = uint64(p.count);
  if (cumulative !== count) {
    bad(`zero and bucket counts add up to ${cumulative}, but count is ${count}`);
    return;
  }
  emitHistogram(base, p, count, buckets, ctx);
}

function summary(base: string, p: OtlpSummaryDataPoint, metric: string, ctx: MapContext): void {
  if (noValue(p) || startAfterTime(p, metric, ctx)) return;
  const labels = buildLabels(p.attributes, ctx.shared, ctx.fixed);
  const t = timestampOf(p.timeUnixNano, ctx);
  const quantiles = [...(p.quantileValues ?? [])].sort(
    (a, b) => (a.quantile ?? 0) - (b.quantile ?? 0),
  );
  for (const q of quantiles) {
    const withQ = { ...labels };
    setLabel(withQ, 'quantile', String(q.quantile ?? 0));
    push(ctx, base, q.value ?? 0, t, withQ);
  }
  push(ctx, `${base}_sum`, p.sum ?? 0, t, { ...labels });
  push(ctx, `${base}_count`, uint64(p.count), t, labels);
}
