import { z } from 'zod';
import { type Dispatcher, formatPath, Producer } from '../../stages/index';
import type { Message } from '../message/message';
import { describeZodError } from '../options/index';
import type { Telemetry } from '../telemetry/telemetry';
import { PipelineOptionsError } from './errors';
import { isIterable } from './iterable-source';
import { isPipelineSource, type PipelineSource } from './pipeline-source';
import { repartitionSchema, statefulSchema } from './repartition/repartition-options';

/**
 * Per-message handler of the processors. Change `message.data` (or return a replacement
 * message); mark a message failed with `markFailed` for a permanent failure (it goes to the
 * dead-letter topic without retries). A handler that throws marks the message failed with
 * reason `handler`, and the retry policy calls it again with the message as it arrived.
 */
export type HandleMessage = (message: Message) => unknown;

/**
 * Per-batch handler of the processors: receives every message of one processor call (never
 * empty). Same rules as {@link HandleMessage}; a throw fails the whole batch, and the retry
 * policy calls it again with the failed messages only.
 */
export type HandleBatch = (messages: Message[]) => unknown;

/** Turns a record's raw value into `message.data`. A throw sends the record to the dead-letter topic. */
export type Decode = (value: unknown, message: Message) => unknown;

/** What a sink function is told about the batch it receives. */
export interface SinkContext {
  readonly pipeline: string;
  readonly batcher: string;
  /** The batch key every message of this batch shares. */
  readonly batchKey: unknown;
}

/**
 * A sink as a function: delivers one batch (never empty). Resolving means every message not
 * marked failed was delivered; throwing fails the whole batch (retried, then dead-lettered).
 */
export type SinkFunction = (messages: Message[], context: SinkContext) => unknown;

/**
 * Builds the source stage (or a whole {@link PipelineSource}) with the dispatcher the
 * processors need (see `processors.partitionBy`).
 */
export type SourceFactory = (settings: {
  readonly name: string;
  /** Undefined unless `processors.partitionBy` needs one: the stage's default then applies. */
  readonly dispatcher: Dispatcher<Message> | undefined;
}) => Producer<Message> | PipelineSource;

/**
 * Options a connector turns into a source or a sink (Kafka's: KafkaSource and KafkaSink
 * options, with `createPipeline` from `kafka-stages`).
 */
export type ConnectorOptions = object;

/**
 * Where a pipeline's messages come from: a source (see {@link PipelineSource}), a producer
 * stage, a function that builds either, an (async) iterable, or connector options.
 */
export type SourceSpec =
  | PipelineSource
  | Producer<Message>
  | SourceFactory
  | AsyncIterable<unknown>
  | Iterable<unknown>
  | ConnectorOptions;

/** A sink that its owner builds, starts and stops (a `KafkaSink`, for one): anything with `send`. */
export interface SinkObject {
  send(messages: Message[]): unknown;
}

/** The sink of one batcher: a function, a ready sink object, or connector options (KafkaSink options). */
export type SinkSpec = SinkFunction | SinkObject | ConnectorOptions;

/** Sends dead-letter records and resolves once the broker confirmed them. */
export type DeadLetterSend = (records: DeadLetterRecord[]) => Promise<unknown>;

/** A record bound for the dead-letter topic. */
export interface DeadLetterRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | string | null;
  readonly headers: Record<string, string | Buffer>;
}

const isFunction = (value: unknown): boolean => typeof value === 'function';
const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null;

const fn = <T>(what: string) => z.custom<T>(isFunction, { error: `a function ${what}` });

/** Names that end up in metric labels, topic-like: letters, digits, `.`, `_`, `-`. */
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

const processorsSchema = z
  .strictObject({
    concurrency: z
      .int()
      .min(1)
      .max(1024)
      .default(1)
      .describe(
        'Processor stages running side by side (async handlers overlap; CPU work does not).',
      ),
    maxDemand: z.int().min(1).default(1000).describe('Messages a processor asks for at a time.'),
    handleMessage: fn<HandleMessage>('(message) => message | void').optional(),
    handleBatch: fn<HandleBatch>('(messages) => void').optional(),
    partitionBy: fn<(message: Message) => unknown>('(message) => key')
      .optional()
      .describe('Messages with equal keys go to the same processor, in order.'),
  })
  .describe('The processors: decode and handle every message. No handler: pass messages through.');

const batcherSchema = z.strictObject({
  batchSize: z.int().min(1).default(100).describe('Messages per batch, at most.'),
  batchBytes: z
    .int()
    .min(1)
    .optional()
    .describe('Flush a batch once its messages reach this many bytes (key + value).'),
  batchTimeoutMs: z
    .int()
    .min(1)
    .default(1000)
    .describe('Flush a batch this long after its first message, full or not.'),
  concurrency: z.int().min(1).max(1024).default(1).describe('Sink stages for this batcher.'),
  maxDemand: z.int().min(1).default(10).describe('Batches a sink stage asks for at a time.'),
  batchKey: fn<(message: Message) => unknown>('(message) => key')
    .optional()
    .describe('Only messages with equal keys share a batch; their order is kept.'),
  partitionBy: fn<(message: Message) => unknown>('(message) => key')
    .optional()
    .describe('Which sink stage gets a batch (default: the batch key, when concurrency > 1).'),
});

const retrySchema = z
  .strictObject({
    attempts: z
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe('Handler or sink calls per message, the first included.'),
    backoff: z.enum(['exponential', 'constant']).default('exponential'),
    jitter: z
      .enum(['full', 'equal', 'none'])
      .default('equal')
      .describe('full: 0..delay; equal: delay/2..delay; none: delay.'),
    initialMs: z.int().min(0).default(100).describe('Delay before the first retry.'),
    maxMs: z.int().min(0).default(10_000).describe('Longest delay between two attempts.'),
  })
  .default({ attempts: 3, backoff: 'exponential', jitter: 'equal', initialMs: 100, maxMs: 10_000 });

const deadLetterSchema = z.strictObject({
  topic: z.string().min(1).max(249).describe('Topic that receives the records given up on.'),
  send: fn<DeadLetterSend>('(records) => Promise')
    .optional()
    .describe('Delivery of dead-letter records; default: a Kafka producer to the source brokers.'),
});

/**
 * `next`: the part of the pipeline after a repartition hop. It reads the internal topic in
 * every instance; `stateful` runs first (windows, rates), then batchers and sinks; or
 * processors, batchers and sinks as in the first part.
 */
const nextSchema = z
  .strictObject({
    stateful: statefulSchema.optional(),
    processors: processorsSchema.optional(),
    batchers: z.record(z.string().regex(NAME), batcherSchema).optional(),
    route: fn<(message: Message) => string>('(message) => batcher name').optional(),
    sinks: z
      .record(
        z.string(),
        z.custom<SinkSpec>((v) => isFunction(v) || isObject(v), {
          error: 'a function (messages, context) => Promise, or KafkaSink options',
        }),
      )
      .optional(),
  })
  .describe('The part after the repartition hop: stateful stage or processors, batchers, sinks.');

/** The one options schema of a pipeline: it gives the types, the defaults and the docs. */
export const pipelineOptionsSchema = z
  .strictObject({
    name: z.string().regex(NAME).describe('The pipeline name: metric label and stage name prefix.'),
    source: z
      .custom<SourceSpec>((v) => isObject(v) || isFunction(v), {
        error:
          'KafkaSource options, a producer stage of messages, or a function ({ name, dispatcher }) => producer stage',
      })
      .describe(
        'KafkaSource options; or any producer stage of messages; or a function that builds one with the dispatcher the processors need.',
      ),
    decode: fn<Decode>('(value, message) => data')
      .optional()
      .describe('Decodes each record first; a throw dead-letters it with reason `decode`.'),
    processors: processorsSchema.default({ concurrency: 1, maxDemand: 1000 }),
    batchers: z
      .record(z.string().regex(NAME), batcherSchema)
      .optional()
      .describe('Named batchers; without any, processors acknowledge what they handled.'),
    route: fn<(message: Message) => string>('(message) => batcher name')
      .optional()
      .describe('Picks the batcher of a message; needed with more than one batcher.'),
    sinks: z
      .record(
        z.string(),
        z.custom<SinkSpec>((v) => isFunction(v) || isObject(v), {
          error: 'a function (messages, context) => Promise, or KafkaSink options',
        }),
      )
      .optional()
      .describe('One sink per batcher: KafkaSink options or a function.'),
    repartition: repartitionSchema
      .optional()
      .describe('Re-key every message through an internal topic read back by `next`.'),
    next: nextSchema.optional(),
    processing: z
      .enum(['at_least_once', 'exactly_once'])
      .default('at_least_once')
      .describe(
        'exactly_once (with a repartition hop and a stateful stage): results and input offsets in Kafka transactions; readers use read_committed.',
      ),
    commitIntervalMs: z
      .int()
      .min(10)
      .max(60_000)
      .default(100)
      .describe(
        'exactly_once: how long the first part gathers a transaction (Kafka Streams: 100 ms).',
      ),
    retry: retrySchema,
    deadLetter: deadLetterSchema.optional(),
    supervision: z
      .strictObject({
        maxRestarts: z
          .int()
          .min(0)
          .max(1000)
          .default(3)
          .describe('Crash restarts of one processor or batcher allowed within withinMs.'),
        withinMs: z.int().min(1).max(86_400_000).default(5000),
      })
      .default({ maxRestarts: 3, withinMs: 5000 })
      .describe(
        'Processors and batchers restart after a crash (its in-flight messages are failed and dead-lettered); one crash more than maxRestarts within withinMs stops the pipeline.',
      ),
    drainTimeoutMs: z
      .int()
      .min(1)
      .default(30_000)
      .describe('How long stopping waits for in-flight messages before giving up on them.'),
    telemetry: z.custom<Telemetry>(isObject, { error: 'a Telemetry object' }).optional(),
  })
  .superRefine((options, ctx) => {
    const problem = (path: PropertyKey[], message: string, input: unknown) =>
      ctx.addIssue({ code: 'custom', path, message, input, params: { sentence: true } });
    const { processors, batchers, sinks, route, retry, repartition, next } = options;
    if (repartition && !next) {
      problem(
        ['next'],
        'is missing; allowed: the part after the repartition hop ({ stateful | processors, batchers, sinks })',
        undefined,
      );
    }
    if (next && !repartition) {
      problem(
        ['next'],
        'is set without repartition; allowed: next only after a repartition step',
        next,
      );
    }
    if (repartition && (batchers || sinks)) {
      problem(
        [batchers ? 'batchers' : 'sinks'],
        'is set together with repartition; allowed: batchers and sinks under next (the hop is the end of the first part)',
        batchers ?? sinks,
      );
    }
    if (repartition && !isConnectorOptions(options.source)) {
      problem(
        ['repartition'],
        'is used with a source that is not KafkaSource options; allowed: source as KafkaSource options (the hop reads its internal topic with the same connection and group)',
        repartition,
      );
    }
    if (options.processing === 'exactly_once') {
      const kafkaSinks = Object.values(next?.sinks ?? {});
      if (!repartition || !next?.stateful) {
        problem(
          ['processing'],
          "is 'exactly_once'; allowed: exactly_once with repartition and next.stateful (other pipelines: at_least_once)",
          options.processing,
        );
      } else if (
        kafkaSinks.length !== 1 ||
        typeof kafkaSinks[0] === 'function' ||
        typeof (kafkaSinks[0] as { topic?: unknown }).topic !== 'string'
      ) {
        problem(
          ['next', 'sinks'],
          "is not one sink given as KafkaSink options with a topic; allowed: exactly one sink given as KafkaSink options with a topic for processing 'exactly_once' (results are written in the stateful stage's transactions)",
          next.sinks,
        );
      }
    }
    if (next?.stateful && next.processors) {
      problem(
        ['next', 'processors'],
        'is set together with next.stateful; allowed: one of them',
        next.processors,
      );
    }
    if (next) {
      const names = Object.keys(next.batchers ?? {});
      if (names.length === 0) {
        problem(
          ['next', 'batchers'],
          'is missing or empty; allowed: at least one batcher with its sink',
          next.batchers,
        );
      }
      if (names.length > 1 && !next.route) {
        problem(
          ['next', 'route'],
          `is missing; allowed: a function (message) => one of ${names.join(', ')}`,
          undefined,
        );
      }
      for (const name of names) {
        if (!next.sinks || !(name in next.sinks)) {
          problem(
            ['next', 'sinks', name],
            `is missing; allowed: a sink for every batcher (${names.join(', ')})`,
            undefined,
          );
        }
      }
    }
    if (processors.handleMessage && processors.handleBatch) {
      problem(
        ['processors'],
        'is given both handleMessage and handleBatch; allowed: one of them (or neither to pass messages through)',
        processors,
      );
    }
    const batcherNames = Object.keys(batchers ?? {});
    if (batchers && batcherNames.length === 0) {
      problem(
        ['batchers'],
        'is empty; allowed: at least one batcher, or leave batchers out',
        batchers,
      );
    }
    if (batcherNames.length > 1 && !route) {
      problem(
        ['route'],
        `is missing; allowed: a function (message) => one of ${batcherNames.join(', ')} (needed with more than one batcher)`,
        undefined,
      );
    }
    if (route && batcherNames.length === 0) {
      problem(
        ['route'],
        'is set but there are no batchers; allowed: define batchers or drop route',
        route,
      );
    }
    for (const name of batcherNames) {
      if (!sinks || !(name in sinks)) {
        problem(
          ['sinks', name],
          `is missing; allowed: a sink for every batcher (${batcherNames.join(', ')})`,
          undefined,
        );
      }
    }
    for (const name of Object.keys(sinks ?? {})) {
      if (!batcherNames.includes(name)) {
        problem(
          ['sinks', name],
          `is a sink that names no batcher; allowed: ${batcherNames.length ? batcherNames.join(', ') : 'none (define batchers first)'}`,
          sinks?.[name],
        );
      }
    }
    if (retry.initialMs > retry.maxMs) {
      problem(
        ['retry', 'initialMs'],
        `is ${retry.initialMs}, above retry.maxMs (${retry.maxMs}); allowed: a delay <= retry.maxMs`,
        retry.initialMs,
      );
    }
    if (
      processors.partitionBy &&
      (options.source instanceof Producer || isPipelineSource(options.source))
    ) {
      problem(
        ['processors', 'partitionBy'],
        'is set with a ready-made source stage, which cannot get the partition dispatcher it needs; allowed: source as KafkaSource options or as a function ({ name, dispatcher }) => stage',
        processors.partitionBy,
      );
    }
    if (options.deadLetter && !options.deadLetter.send && !isConnectorOptions(options.source)) {
      problem(
        ['deadLetter', 'send'],
        'is missing; allowed: a function (records) => Promise (needed unless the source is KafkaSource options, whose connection the dead-letter producer reuses)',
        undefined,
      );
    }
    const deadTopic = options.deadLetter?.topic;
    if (deadTopic && sourceTopics(options.source).includes(deadTopic)) {
      problem(
        ['deadLetter', 'topic'],
        `is "${deadTopic}", a topic the source reads (a loop); allowed: any other topic`,
        deadTopic,
      );
    }
  });

/** The options a caller writes: defaults may be left out. */
export type PipelineOptions = z.input<typeof pipelineOptionsSchema>;
/** The options after validation: every default filled in. */
export type ValidPipelineOptions = z.output<typeof pipelineOptionsSchema>;
export type ProcessorsOptions = ValidPipelineOptions['processors'];
export type BatcherOptions = z.output<typeof batcherSchema>;
export type RetryOptions = ValidPipelineOptions['retry'];
export type DeadLetterOptions = z.output<typeof deadLetterSchema>;
export type NextOptions = z.output<typeof nextSchema>;

/** True for connector options: an object that is no stage, source or iterable. */
export function isConnectorOptions(source: unknown): source is ConnectorOptions {
  return (
    isObject(source) &&
    !(source instanceof Producer) &&
    !isPipelineSource(source) &&
    !isIterable(source)
  );
}

/** Topic names connector options name explicitly (regular expressions excluded). */
function sourceTopics(source: unknown): string[] {
  if (!isConnectorOptions(source)) return [];
  const { topic, topics } = source as { topic?: unknown; topics?: unknown };
  const all = [topic, ...(Array.isArray(topics) ? topics : [topics])];
  return all.filter((t): t is string => typeof t === 'string');
}

/**
 * Validates pipeline options once, at construction. Throws one {@link PipelineOptionsError}
 * naming the pipeline, the key path of the first problem, the bad value and what is allowed
 * (further problems follow on their own lines).
 */
export function validatePipelineOptions(options: unknown): ValidPipelineOptions {
  const result = pipelineOptionsSchema.safeParse(options, { reportInput: true });
  if (result.success) return result.data;
  const name = isObject(options) ? (options as { name?: unknown }).name : undefined;
  const who = typeof name === 'string' && NAME.test(name) ? `Pipeline '${name}'` : 'Pipeline';
  const { message, problems } = describeZodError(who, result.error, pipelineOptionsSchema, options);
  throw new PipelineOptionsError(message, formatPath(problems[0]?.path ?? ''));
}
