import type { Dispatcher } from '../../stages/index';
import { logger as rootLogger } from '../log/logger';
import type { PipelineConnectors } from '../pipeline/index';
import { DeadLetterProducer, type DeadLetterProducerOptionsInput } from './dead-letter';
import { kafkaPipelineSource } from './pipeline-source';
import { buildKafkaHop } from './repartition/kafka-hop';
import { KafkaSink } from './sink/kafka-sink';
import type { KafkaSinkOptionsInput } from './sink/options';
import { KafkaSource } from './source/kafka-source';
import type { KafkaSourceOptionsInput } from './source/options';
import type { SourceMessage } from './source/source-message';

/**
 * The connection settings of a pipeline's Kafka source options (`kafka`, else `client`), for
 * its sinks and dead letters; nothing when the source is not Kafka options.
 */
function sourceConnection(source: unknown): { client?: unknown; kafka?: unknown } {
  if (typeof source !== 'object' || source === null) return {};
  const { client, kafka } = source as { client?: unknown; kafka?: unknown };
  return kafka !== undefined ? { kafka } : client !== undefined ? { client } : {};
}

/**
 * Kafka's ends of a pipeline: a {@link KafkaSource} from the source options, a
 * {@link KafkaSink} per batcher given as KafkaSink options (connecting like the source when
 * it names no `client`/`kafka`), a {@link DeadLetterProducer} like the source, and the
 * repartition hop over an internal topic. `createPipeline` of `kafka-stages` passes them.
 */
export const kafkaConnectors: PipelineConnectors = {
  kind: 'Kafka',
  source(options, settings, deps) {
    const source = new KafkaSource(
      // The source waits for acknowledgements as long as the pipeline drains, unless told.
      {
        name: settings.name,
        shutdownTimeoutMs: settings.drainTimeoutMs,
        ...(options as KafkaSourceOptionsInput),
      },
      deps,
      settings.dispatcher
        ? { dispatcher: settings.dispatcher as unknown as Dispatcher<SourceMessage> }
        : {},
    );
    return kafkaPipelineSource(source);
  },
  sink(options, settings, deps) {
    const given = options as KafkaSinkOptionsInput;
    const connection =
      given.client === undefined && given.kafka === undefined
        ? sourceConnection(settings.source)
        : {};
    const sink = new KafkaSink(
      { name: settings.name, ...connection, ...given } as KafkaSinkOptionsInput,
      deps,
    );
    return {
      sink: { send: (messages) => sink.send(messages), destination: sink.options.topic },
      lifecycle: { start: () => sink.start(), stop: () => sink.stop() },
    };
  },
  deadLetter(settings, deps) {
    const producer = new DeadLetterProducer(
      {
        name: settings.name,
        topic: settings.topic,
        ...sourceConnection(settings.source),
      } as DeadLetterProducerOptionsInput,
      deps,
    );
    return {
      send: producer.send,
      lifecycle: { start: () => producer.start(), stop: () => producer.stop() },
    };
  },
  hop(options, deps) {
    const source = options.source as KafkaSourceOptionsInput;
    const repartition = options.repartition!;
    // Exactly once: the next part's results go to its one Kafka sink's topic, in transactions.
    const sinks = Object.values(options.next?.sinks ?? {});
    const outputTopic = (sinks[0] as { topic?: unknown } | undefined)?.topic;
    return buildKafkaHop(
      options.name,
      repartition,
      source,
      (deps.logger ?? rootLogger()).child({ pipeline: options.name, hop: repartition.step }),
      {
        exactlyOnce: options.processing === 'exactly_once',
        ...(typeof outputTopic === 'string' ? { outputTopic } : {}),
        ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      },
    );
  },
};
