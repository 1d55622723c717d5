// The public surface of the platform layer. Hand-curated: add exports here deliberately.
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
