// The public surface of the platform layer. Hand-curated: add exports here deliberately.
// Observability: the HTTP server (/metrics, /healthz, /readyz, /topology, live page)
export {
  type HttpServer,
  type HttpServerOptions,
  httpOptionsFromEnv,
  startHttpServer,
} from './http/index';
export { createLogger, type Logger, type LoggerSettings, logger, setLogger } from './log/logger';
// Pipelines: Broadway's topology on the stages core; testing without a broker
export {
  createPipeline,
  DEAD_LETTER_HEADERS,
  exitOnSignals,
  Pipeline,
  PipelineError,
  type PipelineOptions,
  PipelineOptionsError,
  type PipelineStopReport,
  sendTestMessages,
  TestSource,
  testBatch,
  testMessage,
} from './pipeline/index';
// Telemetry: Prometheus metrics and OpenTelemetry traces; the SDK for entry points
export {
  createTelemetry,
  noopTelemetry,
  type PipelineTelemetry,
  startTracingSdk,
  type Telemetry,
  TelemetryError,
  type TelemetryOptions,
  type TopologySnapshot,
} from './telemetry/index';
