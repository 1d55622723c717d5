import { type Dispatcher, Producer } from '../../stages/index';
import { DeadLetterProducer } from '../kafka/dead-letter';
import { buildKafkaHop, type KafkaHop } from '../kafka/repartition/kafka-hop';
import { KafkaSink } from '../kafka/sink/kafka-sink';
import type { KafkaSinkOptionsInput } from '../kafka/sink/options';
import { KafkaSource } from '../kafka/source/kafka-source';
import type { KafkaSourceOptionsInput } from '../kafka/source/options';
import type { SourceMessage } from '../kafka/source/source-message';
import { type Logger, logger as rootLogger } from '../log/logger';
import type { Message } from '../message/message';
import type { Telemetry } from '../telemetry/telemetry';
import type { Sink } from './deliver-batch';
import type {
  DeadLetterSend,
  SinkFunction,
  SinkObject,
  SourceFactory,
  ValidPipelineOptions,
} from './options';

/** What needs starting before and stopping after the stages. */
export interface Lifecycle {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
}

/** Dependencies handed to the Kafka components. */
export interface ConnectorDeps {
  readonly telemetry: Telemetry;
  readonly logger: Logger;
}

/** True when `source` is KafkaSource options (not a stage and not a factory). */
export function isKafkaSourceOptions(source: unknown): source is KafkaSourceOptionsInput {
  return typeof source === 'object' && source !== null && !(source instanceof Producer);
}

/** The source stage: as given, from its factory, or a {@link KafkaSource} from options. */
export function buildSource(
  options: ValidPipelineOptions,
  dispatcher: Dispatcher<Message> | undefined,
  deps: ConnectorDeps,
): Producer<Message> {
  const { source } = options;
  const name = `${options.name}.source`;
  if (source instanceof Producer) return source as Producer<Message>;
  if (typeof source === 'function') {
    return (source as SourceFactory)({ name, dispatcher });
  }
  const kafka = source as KafkaSourceOptionsInput;
  return new KafkaSource(
    // The source waits for acknowledgements as long as the pipeline drains, unless told.
    { name, shutdownTimeoutMs: options.drainTimeoutMs, ...kafka },
    deps,
    dispatcher ? { dispatcher: dispatcher as unknown as Dispatcher<SourceMessage> } : {},
  ) as unknown as Producer<Message>;
}

/** Connection settings of a Kafka source options object, for sinks and dead letters. */
function sourceConnection(options: ValidPipelineOptions): { client?: unknown; kafka?: unknown } {
  if (!isKafkaSourceOptions(options.source)) return {};
  const { client, kafka } = options.source as { client?: unknown; kafka?: unknown };
  return kafka !== undefined ? { kafka } : client !== undefined ? { client } : {};
}

/**
 * The sink of one batcher: a function, a ready object with `send` (its owner starts and
 * stops it), or KafkaSink options (a {@link KafkaSink} this pipeline starts and stops; without
 * `client`/`kafka` it connects like the source).
 */
export function buildSink(
  options: ValidPipelineOptions,
  batcher: string,
  deps: ConnectorDeps,
): { sink: Sink; lifecycle?: Lifecycle } {
  const spec = options.sinks?.[batcher];
  if (typeof spec === 'function') {
    const fn = spec as SinkFunction;
    return { sink: { send: fn, destination: batcher } };
  }
  if (typeof (spec as SinkObject).send === 'function') {
    const object = spec as SinkObject;
    const topic = (spec as { options?: { topic?: unknown } }).options?.topic;
    return {
      sink: {
        send: (messages) => object.send(messages),
        destination: typeof topic === 'string' ? topic : batcher,
      },
    };
  }
  const given = spec as KafkaSinkOptionsInput;
  const connection =
    given.client === undefined && given.kafka === undefined ? sourceConnection(options) : {};
  const kafkaSink = new KafkaSink(
    { name: `${options.name}.sink.${batcher}`, ...connection, ...given } as KafkaSinkOptionsInput,
    deps,
  );
  return {
    sink: { send: (messages) => kafkaSink.send(messages), destination: kafkaSink.options.topic },
    lifecycle: { start: () => kafkaSink.start(), stop: () => kafkaSink.stop() },
  };
}

/** The dead-letter writer: the given `send`, or a {@link DeadLetterProducer} like the source. */
export function buildDeadLetterSend(
  options: ValidPipelineOptions,
  deps: ConnectorDeps,
): { send?: DeadLetterSend; lifecycle?: Lifecycle } {
  const deadLetter = options.deadLetter;
  if (!deadLetter) return {};
  if (deadLetter.send) return { send: deadLetter.send };
  const producer = new DeadLetterProducer(
    {
      name: `${options.name}.dead-letter`,
      topic: deadLetter.topic,
      ...sourceConnection(options),
    } as ConstructorParameters<typeof DeadLetterProducer>[0],
    deps,
  );
  return {
    send: producer.send,
    lifecycle: { start: () => producer.start(), stop: () => producer.stop() },
  };
}

/** The repartition hop of a pipeline (its Kafka side). */
export type Hop = KafkaHop;

/** Builds the hop from the validated options: the source must be KafkaSource options. */
export function buildHop(options: ValidPipelineOptions, deps: { logger?: Logger }): Hop {
  const source = options.source as KafkaSourceOptionsInput;
  // Exactly once: the next part's results go to its one Kafka sink's topic, in transactions.
  const sinks = Object.values(options.next?.sinks ?? {});
  const outputTopic = (sinks[0] as { topic?: unknown } | undefined)?.topic;
  const hop = buildKafkaHop(
    options.name,
    options.repartition!,
    source,
    (deps.logger ?? rootLogger()).child({ pipeline: options.name, hop: options.repartition!.step }),
    {
      exactlyOnce: options.processing === 'exactly_once',
      ...(typeof outputTopic === 'string' ? { outputTopic } : {}),
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    },
  );
  return hop;
}
