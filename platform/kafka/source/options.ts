import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { clientOptionsSchema } from '../client/client-options';
import type { CommitMetadata } from './offset-committer';

const MiB = 1024 * 1024;

/** A kafkajs client supplied by the caller (tests, or an application sharing one client). */
const kafkaInstance = z.custom<Kafka>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Kafka).consumer === 'function' &&
    typeof (value as Kafka).admin === 'function',
  { error: 'must be a kafkajs Kafka instance' },
);

const startFrom = z.union(
  [
    z.enum(['committed', 'earliest', 'latest']),
    z.strictObject({ timestamp: z.number().int().nonnegative() }),
  ],
  { error: "must be 'committed', 'earliest', 'latest' or { timestamp: <ms since epoch> }" },
);

const queue = z
  .strictObject({
    /** Pause a partition when its queue holds this many events… */
    highWaterEvents: z.number().int().positive().default(10_000),
    /** …and resume it once at most this many are left. Default: half the high mark. */
    lowWaterEvents: z.number().int().nonnegative().optional(),
    /** Pause a partition when its queue holds this many bytes (key + value)… */
    highWaterBytes: z
      .number()
      .int()
      .positive()
      .default(16 * MiB),
    /** …and resume it once at most this many are left. Default: half the high mark. */
    lowWaterBytes: z.number().int().nonnegative().optional(),
  })
  .default({ highWaterEvents: 10_000, highWaterBytes: 16 * MiB });

const session = z
  .strictObject({
    sessionTimeoutMs: z.number().int().positive().default(30_000),
    heartbeatIntervalMs: z.number().int().positive().default(3_000),
    rebalanceTimeoutMs: z.number().int().positive().default(60_000),
  })
  .default({ sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000, rebalanceTimeoutMs: 60_000 });

const fetch = z
  .strictObject({
    /**
     * How long the broker may hold a fetch waiting for data; also how long kafkajs sleeps
     * when every assigned partition is paused, so it bounds how late a resume takes effect.
     */
    maxWaitTimeMs: z.number().int().nonnegative().default(500),
    minBytes: z.number().int().positive().default(1),
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(10 * MiB),
    /** Bytes per partition per fetch: a queue holds at most its high mark plus this. */
    maxBytesPerPartition: z
      .number()
      .int()
      .positive()
      .default(1 * MiB),
  })
  .default({ maxWaitTimeMs: 500, minBytes: 1, maxBytes: 10 * MiB, maxBytesPerPartition: MiB });

/**
 * Options of {@link KafkaSource}, validated once at construction.
 *
 * Exactly one of `client` (connection settings) and `kafka` (a kafkajs client) is given.
 */
export const kafkaSourceOptionsSchema = z
  .strictObject({
    /** Stage name in logs, metrics and the topology. */
    name: z.string().min(1).default('kafka-source'),
    client: clientOptionsSchema.optional(),
    kafka: kafkaInstance.optional(),
    groupId: z.string().min(1),
    /** Topic names or patterns; patterns are matched against the topics that exist at start. */
    topics: z
      .array(
        z.union([z.string().min(1), z.instanceof(RegExp)], {
          error: 'must be a topic name or a RegExp',
        }),
      )
      .min(1, { error: 'needs at least one topic' }),
    /**
     * Where a partition starts the first time this source gets it: `committed` resumes
     * from the group's committed offset (earliest when there is none); `earliest`,
     * `latest` and `{ timestamp }` ignore committed offsets for that first assignment.
     * Later assignments (after a rebalance) always resume from the committed offset.
     */
    startFrom: startFrom.default('committed'),
    queue,
    /** How often finished offsets are committed. */
    commitIntervalMs: z.number().int().min(10).default(1_000),
    /**
     * `auto`: the source commits finished offsets itself. `external`: it never commits;
     * whoever writes the results commits the offsets with them (a transaction, for
     * exactly-once processing), reading `committable()`.
     */
    commits: z.enum(['auto', 'external']).default('auto'),
    /**
     * What the source stores with each committed offset (Kafka's commit metadata), given
     * the topic, partition and offset: a stateful stage's checkpoint, say. Default none.
     */
    commitMetadata: z
      .custom<CommitMetadata>((v) => typeof v === 'function', {
        error: 'a function (topic, partition, offset) => string | undefined',
      })
      .optional(),
    /** How long a rebalance waits for handed-out messages to be acknowledged before committing. */
    rebalanceDrainTimeoutMs: z.number().int().nonnegative().default(5_000),
    /** How long stop() waits for handed-out messages to be acknowledged. */
    shutdownTimeoutMs: z.number().int().nonnegative().default(10_000),
    session,
    fetch,
    /** Pause and resume events kept for pauseHistory(). */
    pauseHistoryLimit: z.number().int().positive().default(10_000),
  })
  .superRefine((o, ctx) => {
    if ((o.client === undefined) === (o.kafka === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: o.client === undefined ? [] : ['kafka'],
        message:
          'needs exactly one of `client` (connection settings) or `kafka` (a kafkajs client)',
      });
    }
    const q = o.queue;
    if (q.lowWaterEvents !== undefined && q.lowWaterEvents >= q.highWaterEvents) {
      ctx.addIssue({
        code: 'custom',
        path: ['queue', 'lowWaterEvents'],
        message: `must be below queue.highWaterEvents (${q.highWaterEvents})`,
      });
    }
    if (q.lowWaterBytes !== undefined && q.lowWaterBytes >= q.highWaterBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['queue', 'lowWaterBytes'],
        message: `must be below queue.highWaterBytes (${q.highWaterBytes})`,
      });
    }
    if (o.session.heartbeatIntervalMs >= o.session.sessionTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['session', 'heartbeatIntervalMs'],
        message: `must be below session.sessionTimeoutMs (${o.session.sessionTimeoutMs})`,
      });
    }
  })
  .transform((o) => ({
    ...o,
    queue: {
      highWaterEvents: o.queue.highWaterEvents,
      lowWaterEvents: o.queue.lowWaterEvents ?? Math.floor(o.queue.highWaterEvents / 2),
      highWaterBytes: o.queue.highWaterBytes,
      lowWaterBytes: o.queue.lowWaterBytes ?? Math.floor(o.queue.highWaterBytes / 2),
    },
  }));

/** Source options as written by a user. */
export type KafkaSourceOptionsInput = z.input<typeof kafkaSourceOptionsSchema>;
/** Source options after validation, with defaults. */
export type KafkaSourceOptions = z.output<typeof kafkaSourceOptionsSchema>;
