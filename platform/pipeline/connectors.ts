import type { Dispatcher } from '../../stages/index';
import type { Logger } from '../log/logger';
import type { Message } from '../message/message';
import type { Telemetry } from '../telemetry/telemetry';
import type { Sink } from './deliver-batch';
import type { DeadLetterSend, ValidPipelineOptions } from './options';
import type { PipelineSource } from './pipeline-source';
import type { WriterWatermarks } from './repartition/writer-watermarks';
import type { TransactionalOutput } from './stateful/stateful-handler';
import type { CheckpointStore } from './stateful/stateful-stage';

/** What needs starting before and stopping after the stages. */
export interface Lifecycle {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
}

/** Dependencies a connector hands the components it builds. */
export interface ConnectorDeps {
  readonly telemetry: Telemetry;
  readonly logger: Logger;
}

/** What a connector is told when it builds a pipeline's source. */
export interface SourceSettings {
  /** The source stage's name: `<pipeline>.source`. */
  readonly name: string;
  /** Undefined unless `processors.partitionBy` needs one: the stage's default then applies. */
  readonly dispatcher: Dispatcher<Message> | undefined;
  /** The pipeline's `drainTimeoutMs`: how long a stop may wait for acknowledgements. */
  readonly drainTimeoutMs: number;
}

/** What a connector is told when it builds the sink of one batcher. */
export interface SinkSettings {
  /** `<pipeline>.sink.<batcher>`. */
  readonly name: string;
  readonly batcher: string;
  /** The pipeline's `source` option as given: a sink may connect like the source does. */
  readonly source: unknown;
}

/** What a connector is told when it builds the dead-letter writer. */
export interface DeadLetterSettings {
  /** `<pipeline>.dead-letter`. */
  readonly name: string;
  readonly topic: string;
  /** The pipeline's `source` option as given. */
  readonly source: unknown;
}

/**
 * The repartition hop between the two parts of a pipeline, as the pipeline drives it
 * (Kafka's: an internal topic; see `platform/kafka`).
 */
export interface RepartitionHop {
  /** The internal topic (for `/topology`). */
  readonly topic: string;
  /** Watermarks of the internal topic's partitions, fed by the next part's stateful stage. */
  readonly watermarks: WriterWatermarks;
  /** The first part's sink: writes re-keyed messages to the internal topic. */
  readonly writer: { send(messages: Message[]): unknown };
  /** The first part's `source` option, as the hop needs it (exactly once: commits left to the hop). */
  readonly firstSource: object;
  /** The next part's `source` option: the internal topic, same connection and group. */
  readonly sourceOptions: object;
  /** The next part's checkpoints. */
  readonly checkpoints: CheckpointStore;
  /** Exactly once: writes the next part's results with its offsets, per partition. */
  readonly transactionalOutput: TransactionalOutput | undefined;
  /** Tells the hop the two parts' sources, once built. */
  bind(first: PipelineSource, next: PipelineSource): void;
  /** Creates or checks the internal topic, starts the writer. */
  start(): Promise<void>;
  /** After the first part stopped: the writer. */
  stopWriter(): Promise<void>;
  /** After every part stopped: the rest. */
  stop(): Promise<void>;
}

/**
 * Builds the ends of a pipeline that its options give as plain options objects (a source's
 * connection settings, a sink's topic, a dead-letter topic without `send`, a repartition
 * hop). The pipeline itself knows no broker: it receives connectors through
 * `PipelineDependencies.connectors`; `createPipeline` of `kafka-stages` passes Kafka's.
 */
export interface PipelineConnectors {
  /** What the connectors connect to, for error messages (`Kafka`). */
  readonly kind: string;
  /** The source from its options object. */
  source(options: object, settings: SourceSettings, deps: ConnectorDeps): PipelineSource;
  /** The sink of one batcher from its options object (its lifecycle: started and stopped with the pipeline). */
  sink(
    options: object,
    settings: SinkSettings,
    deps: ConnectorDeps,
  ): { sink: Sink; lifecycle?: Lifecycle };
  /** The dead-letter writer, when `deadLetter.send` is not given. */
  deadLetter(
    settings: DeadLetterSettings,
    deps: ConnectorDeps,
  ): { send: DeadLetterSend; lifecycle?: Lifecycle };
  /** The repartition hop of a pipeline with `repartition`. */
  hop(options: ValidPipelineOptions, deps: { readonly logger?: Logger }): RepartitionHop;
}
