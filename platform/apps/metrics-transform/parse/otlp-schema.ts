import protobuf from 'protobufjs';

/**
 * The part of the OpenTelemetry protocol (OTLP v1) that metric decoding needs, as protobuf
 * definitions that protobufjs compiles into decoders at load time.
 *
 * Why definitions written here rather than a package: no maintained npm package ships the
 * OTLP `.proto` files or decoders that install beside `@opentelemetry/api` 1.10 (the
 * `@opentelemetry/otlp-transformer` releases that had generated protobufjs code pull SDK
 * packages whose peer range stops below api 1.10; current releases only encode). The
 * field numbers and types below are those of `opentelemetry-proto` v1 (metrics.proto,
 * common.proto, resource.proto, metrics_service.proto); a unit test compares every field
 * with the official files (the `io.opentelemetry.proto:opentelemetry-proto` jar on Maven
 * Central) and decodes requests encoded by the OpenTelemetry JS SDK's own serializer.
 *
 * Fields that the mapping does not use (exemplars, metadata, dropped counts, min/max,
 * entity refs, string-table indexes) are left out: protobufjs skips unknown fields, so
 * leaving them out only saves work. Names are converted to lowerCamelCase, which is also
 * the key spelling of OTLP/JSON, so one set of types reads both encodings.
 */
const OTLP_METRICS_PROTO = `
syntax = "proto3";
package otlp;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
}
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
}
message Resource { repeated KeyValue attributes = 1; }

message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics {
  Resource resource = 1;
  repeated ScopeMetrics scope_metrics = 2;
  string schema_url = 3;
}
message ScopeMetrics {
  InstrumentationScope scope = 1;
  repeated Metric metrics = 2;
  string schema_url = 3;
}
message Metric {
  string name = 1;
  string description = 2;
  string unit = 3;
  oneof data {
    Gauge gauge = 5;
    Sum sum = 7;
    Histogram histogram = 9;
    ExponentialHistogram exponential_histogram = 10;
    Summary summary = 11;
  }
}
enum AggregationTemporality {
  AGGREGATION_TEMPORALITY_UNSPECIFIED = 0;
  AGGREGATION_TEMPORALITY_DELTA = 1;
  AGGREGATION_TEMPORALITY_CUMULATIVE = 2;
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum {
  repeated NumberDataPoint data_points = 1;
  AggregationTemporality aggregation_temporality = 2;
  bool is_monotonic = 3;
}
message Histogram {
  repeated HistogramDataPoint data_points = 1;
  AggregationTemporality aggregation_temporality = 2;
}
message ExponentialHistogram {
  repeated ExponentialHistogramDataPoint data_points = 1;
  AggregationTemporality aggregation_temporality = 2;
}
message Summary { repeated SummaryDataPoint data_points = 1; }

message NumberDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  oneof value {
    double as_double = 4;
    sfixed64 as_int = 6;
  }
  uint32 flags = 8;
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  repeated fixed64 bucket_counts = 6;
  repeated double explicit_bounds = 7;
  uint32 flags = 10;
}
message ExponentialHistogramDataPoint {
  repeated KeyValue attributes = 1;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  sint32 scale = 6;
  fixed64 zero_count = 7;
  Buckets positive = 8;
  Buckets negative = 9;
  uint32 flags = 10;
  double zero_threshold = 14;
  message Buckets {
    sint32 offset = 1;
    repeated uint64 bucket_counts = 2;
  }
}
message SummaryDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  double sum = 5;
  repeated ValueAtQuantile quantile_values = 6;
  uint32 flags = 8;
  message ValueAtQuantile {
    double quantile = 1;
    double value = 2;
  }
}
`;

/** The compiled definitions (for tests that compare them with the official files). */
export const otlpRoot: protobuf.Root = protobuf.parse(OTLP_METRICS_PROTO, { keepCase: false }).root;

/** `ExportMetricsServiceRequest`: what the Collector's Kafka exporter writes per record. */
export const ExportMetricsServiceRequestType: protobuf.Type = otlpRoot.lookupType(
  'otlp.ExportMetricsServiceRequest',
);

/** A 64-bit integer as protobufjs hands it over: a `Long` (from the `long` package) or a number. */
export type Int64 = number | { low: number; high: number; unsigned: boolean };

/** Attribute value (`AnyValue`); at most one field is set. */
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: Uint8Array;
  /** Which oneof field is set (protobufjs sets it on decoded messages). */
  value?: string;
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue | null;
}

interface PointBase {
  attributes?: OtlpKeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  flags?: number;
}

export interface OtlpNumberDataPoint extends PointBase {
  asDouble?: number;
  asInt?: Int64;
  value?: 'asDouble' | 'asInt';
}

export interface OtlpHistogramDataPoint extends PointBase {
  count?: Int64;
  sum?: number | null;
  bucketCounts?: Int64[];
  explicitBounds?: number[];
}

export interface OtlpBuckets {
  offset?: number;
  bucketCounts?: Int64[];
}

export interface OtlpExponentialHistogramDataPoint extends PointBase {
  count?: Int64;
  sum?: number | null;
  scale?: number;
  zeroCount?: Int64;
  positive?: OtlpBuckets | null;
  negative?: OtlpBuckets | null;
  zeroThreshold?: number;
}

export interface OtlpSummaryDataPoint extends PointBase {
  count?: Int64;
  sum?: number;
  quantileValues?: { quantile?: number; value?: number }[];
}

export interface OtlpMetric {
  name?: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints?: OtlpNumberDataPoint[] } | null;
  sum?: {
    dataPoints?: OtlpNumberDataPoint[];
    aggregationTemporality?: number;
    isMonotonic?: boolean;
  } | null;
  histogram?: { dataPoints?: OtlpHistogramDataPoint[]; aggregationTemporality?: number } | null;
  exponentialHistogram?: {
    dataPoints?: OtlpExponentialHistogramDataPoint[];
    aggregationTemporality?: number;
  } | null;
  summary?: { dataPoints?: OtlpSummaryDataPoint[] } | null;
  /** Which `data` field is set, if any (protobufjs sets it). */
  data?: string;
}

export interface OtlpScopeMetrics {
  scope?: { name?: string; version?: string; attributes?: OtlpKeyValue[] } | null;
  metrics?: OtlpMetric[];
  schemaUrl?: string;
}

export interface OtlpResourceMetrics {
  resource?: { attributes?: OtlpKeyValue[] } | null;
  scopeMetrics?: OtlpScopeMetrics[];
}

/** A decoded `ExportMetricsServiceRequest`. */
export interface OtlpMetricsRequest {
  resourceMetrics?: OtlpResourceMetrics[];
}

/** `AggregationTemporality` values. */
export const TEMPORALITY = { unspecified: 0, delta: 1, cumulative: 2 } as const;

/** `DataPointFlags.NO_RECORDED_VALUE`: the point marks a series that went away. */
export const FLAG_NO_RECORDED_VALUE = 1;
