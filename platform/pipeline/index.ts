/**
 * # pipeline: Broadway's topology on the stages core
 *
 * A pipeline reads messages from a source, handles them in processors, groups them into
 * batches and hands the batches to sinks. Every hop is a stage, so demand flows back from
 * the sinks to the Kafka partitions: a slow sink pauses partitions instead of filling memory.
 *
 * ```
 * source ─▶ processor ×N ─▶ batcher (per name) ─▶ sink stage ×M ─▶ sink (KafkaSink or a function)
 *              decode, handle     size / bytes / timeout     deliver, then acknowledge
 * ```
 *
 * ## How to
 *
 * With Kafka at both ends (`createPipeline` of `kafka-stages`, which passes Kafka's
 * connectors; this folder's own `createPipeline` knows no broker and takes connectors in its
 * dependencies):
 *
 * ```ts
 * const pipeline = createPipeline({
 *   name: 'orders',
 *   source: { client: { brokers: ['localhost:9092'] }, groupId: 'orders', topics: ['orders'] },
 *   decode: (value) => JSON.parse(String(value)),          // a throw: dead letter, reason decode
 *   processors: { concurrency: 2, handleMessage: (m) => { m.data = price(m.data); } },
 *   batchers: { default: { batchSize: 500, batchTimeoutMs: 200 } },
 *   sinks: { default: { topic: 'orders-priced' } },        // KafkaSink options, or a function
 *   retry: { attempts: 3, initialMs: 100, maxMs: 5_000 },   // for handlers and sinks that throw
 *   deadLetter: { topic: 'orders-dlq' },                    // origin and error in the headers
 * });
 * await pipeline.start();
 * exitOnSignals([pipeline]);                                 // SIGTERM: drain, commit, exit 0
 * ```
 *
 * ## Guidelines
 * - A failure is a status on the message: `markFailed(message, reason)` for a permanent one
 *   (dead-lettered without retries); a handler or sink that throws is retried with backoff,
 *   then dead-lettered with reason `handler` or `sink`. Nothing a message does stops a stage.
 * - A message is acknowledged (and its offset becomes committable) only after the sink
 *   confirmed it, or after its dead-letter record was confirmed: delivery is at least once.
 * - Order: `processors.partitionBy` and `batchKey` keep the order of messages with one key;
 *   without them, processors and sink stages share the work in any order.
 * - Test pipelines without a broker: `source: (o) => new TestSource(o)`, then
 *   `sendTestMessages(pipeline, data)` resolves with the successful and failed messages.
 * - Any source plugs in through the {@link PipelineSource} contract (readiness, start,
 *   drain with a report, operator pause); an (async) iterable is one: `source: items`
 *   reads it only as fast as the processors ask ({@link iterableSource}).
 * - Options are validated once, by `pipelineOptionsSchema`; an error names the option path,
 *   the value and what is allowed (`PipelineOptionsError`).
 */

// Building and running
export { AckWaiters } from './ack-waiters';
export type {
  ConnectorDeps,
  DeadLetterSettings,
  Lifecycle,
  PipelineConnectors,
  RepartitionHop,
  SinkSettings,
  SourceSettings,
} from './connectors';
export { DEAD_LETTER_HEADERS } from './dead-letter';
export type { Sink } from './deliver-batch';
// Errors
export {
  PipelineDeadLetterError,
  PipelineError,
  type PipelineErrorCode,
  PipelineOptionsError,
  PipelineStateError,
} from './errors';
// Sources: the contract every source meets, and the ones that need no broker
export {
  type IterableSourceOptions,
  type IterableSourceSettings,
  isIterable,
  iterableSource,
} from './iterable-source';
export {
  type ConnectorOptions,
  type DeadLetterRecord,
  type DeadLetterSend,
  type Decode,
  type HandleBatch,
  type HandleMessage,
  isConnectorOptions,
  type PipelineOptions,
  pipelineOptionsSchema,
  type SinkContext,
  type SinkFunction,
  type SinkObject,
  type SinkSpec,
  type SourceFactory,
  type SourceSpec,
  type ValidPipelineOptions,
  validatePipelineOptions,
} from './options';
export {
  createPipeline,
  Pipeline,
  type PipelineDependencies,
  type PipelineStopReport,
} from './pipeline';
export {
  isPipelineSource,
  type OperatorControls,
  type OperatorScope,
  type PipelineSource,
  type SourceDrainReport,
  type SourceListener,
  type SourcePartitions,
  stageSource,
} from './pipeline-source';
// Retries: the one retry loop, and what counts as a transient error
export { isTransient, type RetryLoop, retrying } from './retry';
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
