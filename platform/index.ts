// The public surface of the platform layer (the package's main entry, `kafka-stages`).
// Hand-curated: add exports here deliberately. README "Public API" lists them.
// The subpaths: `kafka-stages/stages` (the GenStage core alone) and `kafka-stages/testing`
// (pipelines without a broker).

// The stages core, as a namespace: `stages.Producer`, `stages.Consumer`, …
export * as stages from '../stages/index';
// The one error model: the base class of every error, the closed set of codes, and the
// one formatter of option problems (README "Error codes")
export {
  ERROR_CODES,
  type ErrorCode,
  formatOptionProblem,
  InternalError,
  InvalidArgumentError,
  KafkaStagesError,
  type OptionProblem,
} from '../stages/index';
// Operator actions: pause/resume, batch sizes and concurrency at run time, behind a token
// (mounted by passing `control` to startHttpServer; `kafka-stages ctl` talks to it)
export {
  type ActionRecord,
  type ActionResult,
  type BatcherSettings,
  CONTROL_TOKEN_ENV,
  type ControlCenter,
  type ControlCenterOptions,
  ControlError,
  type Controllable,
  controlPipeline,
  createControlCenter,
  type PauseScope,
  type ProcessorSettings,
  type RuntimeSettings,
  type RuntimeTunable,
} from './control/index';
// Observability: the HTTP server (/metrics, /healthz, /readyz, /topology, live page)
export {
  type HttpServer,
  type HttpServerOptions,
  httpOptionsFromEnv,
  startHttpServer,
} from './http/index';
// Kafka ends: the source and sink stages, connection settings
export {
  type ClientOptionsInput,
  clientOptionsFromEnv,
  createPipeline,
  KafkaOptionsError,
  type KafkaPipelineOptions,
  KafkaSink,
  type KafkaSinkOptionsInput,
  KafkaSource,
  type KafkaSourceOptionsInput,
  KafkaStageError,
} from './kafka/index';
export { createLogger, type Logger, type LoggerSettings, logger, setLogger } from './log/logger';
// Messages: the envelope every platform stage passes; a failure is a status on it
export {
  type Acknowledger,
  isFailed,
  type Message,
  type MessageHeaders,
  type MessageStatus,
  markFailed,
  type PartRejection,
  rejectPart,
} from './message/message';
// Pipelines: Broadway's topology on the stages core; testing without a broker
export {
  DEAD_LETTER_HEADERS,
  exitOnSignals,
  iterableSource,
  Pipeline,
  PipelineError,
  type PipelineOptions,
  PipelineOptionsError,
  type PipelineSource,
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
