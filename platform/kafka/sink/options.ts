import type { Kafka, PartitionerArgs } from 'kafkajs';
import { z } from 'zod';
import type { Message } from '../../message/message';
import { clientOptionsSchema } from '../client/client-options';

/** Picks the partition of a record; `args` as kafkajs passes them to partitioners. */
export type PartitionFunction = (args: PartitionerArgs) => number;

/** Turns a message's data into the produced record's value. */
export type SerializeValue = (message: Message) => Buffer | string | null;

const kafkaInstance = z.custom<Kafka>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Kafka).producer === 'function' &&
    typeof (value as Kafka).admin === 'function',
  { error: 'must be a kafkajs Kafka instance' },
);

const partitioner = z.union(
  [
    z.enum(['default', 'legacy', 'source']),
    z.custom<PartitionFunction>((v) => typeof v === 'function'),
  ],
  {
    error:
      "must be 'default' (Java-compatible murmur2 of the key), 'legacy' (kafkajs 1.x), 'source' (the message's own partition) or a function ({ topic, partitionMetadata, message }) => partition",
  },
);

/** Options shared by every producer of the platform (sink and dead-letter). */
export const producerShape = {
  /** Component name in logs and errors. */
  name: z.string().min(1).default('kafka-sink'),
  client: clientOptionsSchema.optional(),
  kafka: kafkaInstance.optional(),
  /** -1 (all in-sync replicas, the default), 1 (leader only) or 0 (no confirmation). */
  acks: z
    .union([z.literal(-1), z.literal(0), z.literal(1), z.literal('all')], {
      error: "must be -1 (or 'all'), 1 or 0",
    })
    .default(-1)
    .transform((a) => (a === 'all' ? -1 : a)),
  /** Broker-side deduplication of retried sends (needs acks -1). */
  idempotent: z.boolean().default(true),
  compression: z.enum(['none', 'gzip']).default('none'),
  partitioner: partitioner.default('default'),
  /** Requests in flight per broker. Default 1 when idempotent (kafkajs sequences), else 5. */
  maxInFlightRequests: z.number().int().positive().optional(),
  /** How long the broker may take to confirm a request (acks timeout). */
  ackTimeoutMs: z.number().int().positive().default(30_000),
  /** A send that is not confirmed in this time fails with KafkaProduceError (retriable). */
  sendTimeoutMs: z.number().int().positive().default(60_000),
};

export function checkProducer(
  o: { client?: unknown; kafka?: unknown; idempotent: boolean; acks: number },
  ctx: z.RefinementCtx,
): void {
  if ((o.client === undefined) === (o.kafka === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: o.client === undefined ? [] : ['kafka'],
      message: 'needs exactly one of `client` (connection settings) or `kafka` (a kafkajs client)',
    });
  }
  if (o.idempotent && o.acks !== -1) {
    ctx.addIssue({
      code: 'custom',
      path: ['acks'],
      message: 'must be -1 (all) while idempotent is true (set idempotent: false for acks 0 or 1)',
    });
  }
}

/** Options of the thin {@link KafkaProducer}, validated once at construction. */
export const kafkaProducerOptionsSchema = z.strictObject(producerShape).superRefine(checkProducer);

/** Options of {@link KafkaSink}, validated once at construction. */
export const kafkaSinkOptionsSchema = z
  .strictObject({
    ...producerShape,
    /** The output topic. It must exist (checked at start). */
    topic: z.string().min(1),
    /**
     * Turns `message.data` into the record value. Default: Buffers and strings as they are,
     * `null` and `undefined` as a tombstone, anything else as JSON.
     */
    serialize: z
      .custom<SerializeValue>((v) => typeof v === 'function', {
        error: 'must be a function (message) => Buffer | string | null',
      })
      .optional(),
  })
  .superRefine(checkProducer);

export type KafkaProducerOptionsInput = z.input<typeof kafkaProducerOptionsSchema>;
export type KafkaProducerOptions = z.output<typeof kafkaProducerOptionsSchema>;
export type KafkaSinkOptionsInput = z.input<typeof kafkaSinkOptionsSchema>;
export type KafkaSinkOptions = z.output<typeof kafkaSinkOptionsSchema>;
