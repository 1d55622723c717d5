// The public surface of the pipeline: building, running and stopping pipelines, and testing
// them without a broker. Hand-curated: internals (stages, accumulator, retries) stay inside.

// Building and running
export { DEAD_LETTER_HEADERS } from './dead-letter';
// Errors
export {
  PipelineDeadLetterError,
  PipelineError,
  type PipelineErrorCode,
  PipelineOptionsError,
  PipelineStateError,
} from './errors';
export {
  type DeadLetterRecord,
  type DeadLetterSend,
  type Decode,
  type HandleBatch,
  type HandleMessage,
  type PipelineOptions,
  type PipelineSource,
  pipelineOptionsSchema,
  type SinkContext,
  type SinkFunction,
  type SinkObject,
  type SinkSpec,
  type SourceFactory,
  type ValidPipelineOptions,
  validatePipelineOptions,
} from './options';
export {
  createPipeline,
  Pipeline,
  type PipelineDependencies,
  type PipelineStopReport,
} from './pipeline';
export { exitOnSignals, type ShutdownOptions, type Stoppable } from './shutdown';
// Testing without a broker
export {
  acknowledgerOf,
  sendTestMessages,
  type TestAcknowledgement,
  TestAcknowledger,
  type TestMessageOptions,
  TestSource,
  testBatch,
  testMessage,
} from './testing';
