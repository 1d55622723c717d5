/**
 * # platform/kafka: the Kafka ends of a pipeline
 *
 * - {@link KafkaSource}: a producer stage over a kafkajs consumer group. Records wait in
 *   per-partition queues with high/low-water marks (events and bytes) that pause and resume
 *   fetching; demand takes from them fairly. Offsets are committed per partition only up to
 *   the first message not yet acknowledged (delivered or dead-lettered), on an interval, on
 *   rebalance and on shutdown. {@link SourceConsumer} is the same without the stage.
 * - {@link KafkaSink}: produces batches of messages (keys and headers kept, trace context
 *   injected), resolving once the broker confirmed (`acks: -1`, idempotent, by default).
 * - {@link DeadLetterProducer}: writes the pipeline's dead-letter records, confirmed.
 * - {@link KafkaProducer}: the thin producer under both.
 * - {@link createPipeline}: a pipeline whose ends may be given as Kafka options; it hands the
 *   pipeline {@link kafkaConnectors}, which build the source (a {@link KafkaSource} behind
 *   the pipeline's source contract, {@link kafkaPipelineSource}), sinks, dead letters and
 *   the repartition hop. The pipeline itself knows no Kafka class.
 * - Client settings ({@link clientOptionsSchema}, {@link clientOptionsFromEnv},
 *   {@link createKafka}): brokers, client id, SASL PLAIN/SCRAM and TLS passed through.
 * - Errors: {@link KafkaStageError} and its subclasses, with stable `code`s.
 *
 * Options are validated once at construction; a bad option throws {@link KafkaOptionsError}
 * naming the component, the key path, the value and what is allowed. Topics are never
 * auto-created: a missing one fails `start()` with {@link KafkaTopicNotFoundError}.
 *
 * Local brokers for tests and `make run` live in `./brokers` and `./local-broker`.
 */

export {
  type ClientOptions,
  type ClientOptionsInput,
  clientOptionsFromEnv,
  clientOptionsSchema,
} from './client/client-options';
export { createKafka } from './client/create-kafka';
export { createPipeline, type KafkaPipelineOptions, type KafkaSinkSpec } from './create-pipeline';
export {
  DeadLetterProducer,
  type DeadLetterProducerOptionsInput,
  deadLetterProducerOptionsSchema,
} from './dead-letter';
export {
  type AuthenticatingClient,
  authenticationError,
  KafkaAuthenticationError,
  KafkaCommitError,
  KafkaOptionsError,
  KafkaProduceError,
  KafkaSourceStateError,
  KafkaStageError,
  type KafkaStageErrorCode,
  KafkaTopicNotFoundError,
  KafkaTopicNotReadyError,
} from './errors';
export { kafkaConnectors } from './pipeline-connectors';
export { kafkaPipelineSource, kafkaSourceOf } from './pipeline-source';
export { KafkaProducer, type ProducedRecord } from './sink/kafka-producer';
export { defaultSerialize, KafkaSink, type SinkDependencies } from './sink/kafka-sink';
export {
  type KafkaProducerOptions,
  type KafkaProducerOptionsInput,
  type KafkaSinkOptions,
  type KafkaSinkOptionsInput,
  kafkaProducerOptionsSchema,
  kafkaSinkOptionsSchema,
  type PartitionFunction,
  type SerializeValue,
} from './sink/options';
export { KafkaSource, type KafkaSourceStageOptions } from './source/kafka-source';
export { OffsetTracker } from './source/offset-tracker';
export {
  type KafkaSourceOptions,
  type KafkaSourceOptionsInput,
  kafkaSourceOptionsSchema,
} from './source/options';
export { PartitionQueues, type PauseEvent, type WaterMarks } from './source/partition-queues';
export {
  SourceConsumer,
  type SourceDependencies,
  type SourceEvents,
  type StopReport,
  type TopicPartitions,
} from './source/source-consumer';
export type { SourceMessage } from './source/source-message';
