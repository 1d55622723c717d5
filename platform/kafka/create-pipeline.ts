import type { Producer } from '../../stages/index';
import type { Message } from '../message/message';
import {
  Pipeline,
  type PipelineDependencies,
  type PipelineOptions,
  type PipelineSource,
  type SinkFunction,
  type SinkObject,
  type SourceFactory,
} from '../pipeline/index';
import { kafkaConnectors } from './pipeline-connectors';
import type { KafkaSinkOptionsInput } from './sink/options';
import type { KafkaSourceOptionsInput } from './source/options';

/** A batcher's sink in a Kafka pipeline: a function, a sink object, or KafkaSink options. */
export type KafkaSinkSpec = SinkFunction | SinkObject | KafkaSinkOptionsInput;

/**
 * Pipeline options where the ends may be Kafka's: `source` as KafkaSource options, sinks as
 * KafkaSink options (connecting like the source unless they say otherwise).
 */
export type KafkaPipelineOptions = Omit<PipelineOptions, 'source' | 'sinks' | 'next'> & {
  readonly source:
    | KafkaSourceOptionsInput
    | PipelineSource
    | Producer<Message>
    | SourceFactory
    | AsyncIterable<unknown>;
  readonly sinks?: Record<string, KafkaSinkSpec>;
  readonly next?: Omit<NonNullable<PipelineOptions['next']>, 'sinks'> & {
    readonly sinks?: Record<string, KafkaSinkSpec>;
  };
};

/**
 * Validates the options and builds the pipeline (not started), with Kafka's connectors:
 * KafkaSource options as `source`, KafkaSink options as sinks, a dead-letter topic written by
 * a Kafka producer, and the repartition hop. See {@link Pipeline} for the shape. Options
 * built elsewhere as plain `PipelineOptions` are taken too (they are validated the same way).
 */
export function createPipeline(
  options: KafkaPipelineOptions | PipelineOptions,
  deps: Omit<PipelineDependencies, 'connectors'> = {},
): Pipeline {
  return new Pipeline(options, { ...deps, connectors: kafkaConnectors });
}
