/**
 * # platform/telemetry: metrics and traces of a pipeline
 *
 * - {@link createTelemetry}: the {@link Telemetry} the pipeline and the Kafka stages call,
 *   with prom-client metrics (the `kafka_stages_*` catalogue) on an injectable registry and
 *   OpenTelemetry spans through `@opentelemetry/api` only; `noopTelemetry` when off.
 * - {@link startTracingSdk}: the OpenTelemetry SDK for application entry points, configured
 *   by `OTEL_*` variables (never call it from library code).
 * - Span attribute names live in `semconv.ts`; label bounds in `reason-label.ts`.
 */
export {
  createTelemetry,
  type PipelineTelemetry,
  type TelemetryOptions,
  telemetryOptionsSchema,
} from './create-telemetry';
export { startTracingSdk, type TracingSdk, type TracingSdkOptions } from './otel-sdk';
export { MAX_DISTINCT_REASONS, MAX_REASON_LENGTH, sanitizeReason } from './reason-label';
export {
  type BatchRecord,
  noopTelemetry,
  type PartitionSnapshot,
  type StageSnapshot,
  type Telemetry,
} from './telemetry';
export { TelemetryError, type TelemetryErrorCode } from './telemetry-errors';
export type {
  TopologyPartition,
  TopologySnapshot,
  TopologyStage,
  TopologySubscription,
} from './topology-snapshot';
