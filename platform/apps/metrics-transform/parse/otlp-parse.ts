import { reject } from '../model/reject';
import { type OtlpParseOptions, otlpToSamples } from './otlp-samples';
import { ExportMetricsServiceRequestType, type OtlpMetricsRequest } from './otlp-schema';
import type { ParseResult } from './parse-result';

export type { OtlpParseOptions, ResourceAttributesMode } from './otlp-samples';

/**
 * Parses one record of the OpenTelemetry Collector's Kafka exporter with
 * `encoding: otlp_proto`: the record value is one protobuf-encoded
 * `ExportMetricsServiceRequest` (no framing, no compression beyond Kafka's own). Decoded by
 * protobufjs from the definitions in `otlp-schema.ts`, then mapped by {@link otlpToSamples}
 * (which documents the mapping).
 *
 * A record that is not such a message (truncated, another message, random bytes) is refused
 * whole as `unparseable`, with the decoder's message; a decodable request with bad parts is
 * refused part by part and the rest kept. A record over `maxRecordBytes` is refused before
 * decoding.
 */
export function parseOtlpProto(input: Uint8Array | string, options: OtlpParseOptions): ParseResult {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const tooBig = sizeCheck(bytes.length, options, () => hexExcerpt(bytes));
  if (tooBig) return tooBig;
  let request: OtlpMetricsRequest;
  try {
    request = ExportMetricsServiceRequestType.decode(bytes) as unknown as OtlpMetricsRequest;
  } catch (error) {
    return refused(
      `not an OTLP ExportMetricsServiceRequest: ${(error as Error).message}`,
      hexExcerpt(bytes),
    );
  }
  return mapped(request, options, () => hexExcerpt(bytes));
}

/**
 * Parses one record written with `encoding: otlp_json`: an `ExportMetricsServiceRequest` in
 * the OTLP/JSON encoding (lowerCamelCase keys, 64-bit integers as decimal strings, enums as
 * numbers). Read into the same protobufjs types as {@link parseOtlpProto}, so both map the
 * same way. Text that is not JSON, or JSON that is not an object, is refused whole as
 * `unparseable`.
 */
export function parseOtlpJson(input: Uint8Array | string, options: OtlpParseOptions): ParseResult {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  const tooBig = sizeCheck(text.length, options, () => text);
  if (tooBig) return tooBig;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return refused(`not JSON: ${(error as Error).message}`, text);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return refused('an OTLP/JSON request must be a JSON object', text);
  }
  let request: OtlpMetricsRequest;
  try {
    request = ExportMetricsServiceRequestType.fromObject(parsed) as unknown as OtlpMetricsRequest;
  } catch (error) {
    return refused(
      `not an OTLP/JSON ExportMetricsServiceRequest: ${(error as Error).message}`,
      text,
    );
  }
  return mapped(request, options, () => text);
}

function mapped(
  request: OtlpMetricsRequest,
  options: OtlpParseOptions,
  excerpt: () => string,
): ParseResult {
  const result = otlpToSamples(request, options);
  // Bytes that decode without error yet hold no resource metrics at all are not OTLP
  // metrics (an empty request is 0 bytes, which Kafka exporters do not send).
  if ((request.resourceMetrics ?? []).length === 0) {
    return refused('the request has no resource_metrics', excerpt());
  }
  return result;
}

function sizeCheck(
  size: number,
  options: OtlpParseOptions,
  excerpt: () => string,
): ParseResult | undefined {
  if (size <= options.limits.maxRecordBytes) return undefined;
  return {
    samples: [],
    rejects: [
      reject(
        'line_too_long',
        `record of ${size} bytes, more than ${options.limits.maxRecordBytes}`,
        excerpt(),
      ),
    ],
  };
}

function refused(detail: string, excerpt: string): ParseResult {
  return { samples: [], rejects: [reject('unparseable', detail, excerpt)] };
}

function hexExcerpt(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, 100)).toString('hex');
}
