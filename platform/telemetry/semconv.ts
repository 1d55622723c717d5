/**
 * The OpenTelemetry messaging semantic-convention names this project uses, in one place
 * (design.md "Names for metrics and spans"). Kept local rather than imported from
 * `@opentelemetry/semantic-conventions` because most messaging names are still
 * "incubating" there, and a rename upstream must not silently change our spans.
 */

/** `kafka`, always. */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
/** The topic. */
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
/** The partition, as a string (the conventions say string, not int). */
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
/** Number of messages in a batch span (only set on batch operations). */
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
/** One of {@link MessagingOperationType}. */
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
/** The system-specific operation name: `process`, `send`, `commit`. */
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
/** A single message's offset (per-message spans only; never a metric label). */
export const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';

/** Project attribute: which stage of the pipeline made the span. */
export const ATTR_KAFKA_STAGES_STAGE = 'kafka_stages.stage';
/** Project attribute: the pipeline name. */
export const ATTR_KAFKA_STAGES_PIPELINE = 'kafka_stages.pipeline';

export const MESSAGING_SYSTEM_KAFKA = 'kafka';

/** `messaging.operation.type` values from the conventions (`commit` is a `settle`). */
export const MessagingOperationType = {
  process: 'process',
  send: 'send',
  settle: 'settle',
} as const;
