import type { Attributes, Meter } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { ExportMetricsServiceRequestType } from '../../../../../platform/apps/metrics-transform/parse/otlp-schema';

/** A reader that only collects on demand (the test decides when a request is cut). */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface SdkRequest {
  /** What the Collector's Kafka exporter writes with `encoding: otlp_proto`. */
  proto: Uint8Array;
  /** With `encoding: otlp_json`. */
  json: string;
}

/**
 * Records measurements with the OpenTelemetry JS SDK and serializes what it collected with
 * the SDK's own OTLP serializers: requests built independently of our decoder's schema.
 */
export async function sdkRequest(options: {
  resource?: Attributes;
  temporality?: 'cumulative' | 'delta';
  views?: ViewOptions[];
  scope?: { name: string; version?: string };
  record: (meter: Meter) => void;
  /** Wait this long between recording and collecting (a delta interval needs a length). */
  collectAfterMs?: number;
}): Promise<SdkRequest> {
  const reader = new OnDemandReader({
    aggregationTemporalitySelector: () =>
      options.temporality === 'delta'
        ? AggregationTemporality.DELTA
        : AggregationTemporality.CUMULATIVE,
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes(options.resource ?? { 'service.name': 'checkout' }),
    readers: [reader],
    views: options.views ?? [],
  });
  try {
    const scope = options.scope ?? { name: 'test-scope', version: '1.2.3' };
    options.record(provider.getMeter(scope.name, scope.version));
    if (options.collectAfterMs) await new Promise((r) => setTimeout(r, options.collectAfterMs));
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw errors[0];
    const proto = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
    const json = JsonMetricsSerializer.serializeRequest(resourceMetrics);
    if (!proto || !json) throw new Error('the SDK serializer returned nothing');
    return { proto, json: Buffer.from(json).toString('utf8') };
  } finally {
    await provider.shutdown();
  }
}

export const exponentialView = (instrumentName: string): ViewOptions => ({
  instrumentName,
  aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
});

/**
 * A request from a plain object in OTLP/JSON shape, encoded with our schema: for cases the
 * SDK cannot produce (summaries, bad input). The schema itself is checked against the
 * official definitions in otlp-schema.test.ts.
 */
export function encodeRequest(request: object): Uint8Array {
  const message = ExportMetricsServiceRequestType.fromObject(request);
  return ExportMetricsServiceRequestType.encode(message).finish();
}

/** Nanoseconds since the epoch as the decimal string OTLP/JSON uses. */
export const nanos = (ms: number, extraNs = 0): string =>
  (BigInt(ms) * 1_000_000n + BigInt(extraNs)).toString();
