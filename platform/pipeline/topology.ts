import {
  type Dispatcher,
  PartitionDispatcher,
  type Producer,
  type StageStats,
  type StopReason,
  type SubscribeTo,
} from '../../stages/index';
import type { Logger } from '../log/logger';
import type { Message } from '../message/message';
import type { Telemetry } from '../telemetry/telemetry';
import type { Batch } from './batch-accumulator';
import { BatcherStage } from './batcher-stage';
import { buildDeadLetterSend, buildSink, buildSource } from './build-ends';
import type { Lifecycle, PipelineConnectors } from './connectors';
import { createDeadLetterer } from './dead-letter';
import { hashKey } from './hash-key';
import { keyOf } from './key-of';
import type { ValidPipelineOptions } from './options';
import type { PipelineSource } from './pipeline-source';
import { ProcessorStage, TerminalProcessorStage } from './processor-stage';
import type { ProcessorStepSettings } from './processor-step';
import type { StatefulOptions } from './repartition/repartition-options';
import type { WriterWatermarks } from './repartition/writer-watermarks';
import type { Sleep } from './retry';
import { SinkStage } from './sink-stage';
import type { TransactionalOutput } from './stateful/stateful-handler';
import { type CheckpointStore, StatefulStage } from './stateful/stateful-stage';

/** What the pipeline needs of any of its stages, whatever their event types. */
export interface AnyStage {
  readonly name: string;
  start(): unknown;
  stop(reason?: StopReason): Promise<StopReason>;
  done(): Promise<StopReason>;
  stats(): StageStats;
}

/** The stages of a pipeline, built (not started) from its validated options. */
export interface Topology {
  /** The source: its stage, readiness, drain (see {@link PipelineSource}). */
  readonly input: PipelineSource;
  /** The source's stage (`input.stage`). */
  readonly source: Producer<Message>;
  readonly processors: readonly (ProcessorStage | TerminalProcessorStage)[];
  /** The stateful stage of a part after a repartition hop, when it has one. */
  readonly stateful: StatefulStage | undefined;
  readonly batchers: readonly BatcherStage[];
  readonly sinks: readonly SinkStage[];
  /** The stages whose end is the end of the pipeline: sinks, or processors without batchers. */
  readonly terminals: readonly AnyStage[];
  /** Every stage, source first. */
  readonly stages: readonly AnyStage[];
  /** Connector-built sinks and dead-letter writer: started before the stages, stopped after. */
  readonly lifecycles: readonly Lifecycle[];
}

export interface TopologyDeps {
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly wait: Sleep;
  /** True once a stop's drain time is up: transient failures are no longer retried. */
  readonly givingUp: () => boolean;
  /** Build the ends that the options give as options objects (Kafka's: `platform/kafka`). */
  readonly connectors?: PipelineConnectors;
  /** Set for the part after a repartition hop: its input carries watermark markers. */
  readonly hop?: {
    readonly watermarks: WriterWatermarks;
    readonly stateful: StatefulOptions | undefined;
    readonly checkpoints?: CheckpointStore;
    readonly transactional?: TransactionalOutput;
    readonly commitIntervalMs?: number;
  };
}

/**
 * Builds source → processors → batchers → sink stages (Broadway's topology):
 * - processors share the source's events (demand dispatcher), or take one partition each of
 *   `processors.partitionBy` (partition dispatcher), which keeps per-key order;
 * - with several batchers the processors route each message (partition dispatcher by
 *   batcher name); every batcher subscribes to every processor;
 * - a batcher's sink stages take batches by demand, or by the hash of the batch's
 *   `partitionBy`/batch key when there are several, so one key's batches stay in order.
 */
export function buildTopology(options: ValidPipelineOptions, deps: TopologyDeps): Topology {
  const { telemetry, logger, wait } = deps;
  const name = options.name;
  const lifecycles: Lifecycle[] = [];

  const raw = new WeakMap<Message, unknown>();
  const ends = { telemetry, logger, connectors: deps.connectors };
  const deadLetterSend = buildDeadLetterSend(options, ends);
  if (deadLetterSend.lifecycle) lifecycles.push(deadLetterSend.lifecycle);
  const deadLetterer = createDeadLetterer({
    pipeline: name,
    topic: options.deadLetter?.topic,
    send: deadLetterSend.send,
    retry: options.retry,
    telemetry,
    rawValue: (m) => (raw.has(m) ? raw.get(m) : m.data),
    wait,
    stopping: deps.givingUp,
    onRetry: (error) =>
      logger.error({ err: error, pipeline: name }, 'dead-letter write failed; retrying'),
  });

  const { concurrency, maxDemand, partitionBy } = options.processors;
  const sourceDispatcher = partitionBy
    ? new PartitionDispatcher<Message>({
        partitions: concurrency,
        hash: (m) => hashKey(keyOf(partitionBy, m, 'partition-key')) % concurrency,
      })
    : undefined;
  const input = buildSource(options, sourceDispatcher, ends);
  const source = input.stage;

  const batcherNames = Object.keys(options.batchers ?? {});
  const routed = batcherNames.length > 1;
  const processors: (ProcessorStage | TerminalProcessorStage)[] = [];
  const statefulOptions = deps.hop?.stateful;
  const stateful = statefulOptions
    ? new StatefulStage(
        {
          name: `${name}.stateful`,
          subscribeTo: [{ producer: source, maxDemand: statefulOptions.maxDemand }],
        },
        {
          handler: statefulOptions.create({ pipeline: name, stage: `${name}.stateful` }),
          watermarks: deps.hop!.watermarks,
          deadLetterer,
          telemetry,
          tickIntervalMs: statefulOptions.tickIntervalMs,
          outputLabel: name,
          ...(deps.hop!.checkpoints ? { checkpoints: deps.hop!.checkpoints } : {}),
          ...(deps.hop!.transactional ? { transactional: deps.hop!.transactional } : {}),
          ...(deps.hop!.commitIntervalMs ? { commitIntervalMs: deps.hop!.commitIntervalMs } : {}),
          onFenced: (partition, error) =>
            logger.warn(
              { err: error, partition },
              'fenced: another instance owns this partition now; its results here are dropped',
            ),
          onStale: (partition) =>
            logger.info(
              { partition },
              'results built before a rebalance dropped: they are built again from the committed offsets',
            ),
        },
      )
    : undefined;
  for (let i = 0; !stateful && i < concurrency; i++) {
    const routes = routed ? new WeakMap<Message, string>() : undefined;
    const step: ProcessorStepSettings = {
      stage: `${name}.processor.${i}`,
      telemetry,
      deadLetterer,
      decode: options.decode,
      handleMessage: options.processors.handleMessage,
      handleBatch: options.processors.handleBatch,
      retry: options.retry,
      wait,
      keepRaw: options.decode ? (m, value) => raw.set(m, value) : () => {},
      route: routed ? options.route : undefined,
      batchers: routed ? new Set(batcherNames) : undefined,
      setRoute: routes ? (m, batcher) => routes.set(m, batcher) : undefined,
      terminal: batcherNames.length === 0,
      hopInput: deps.hop !== undefined,
    };
    const subscribeTo: SubscribeTo<Message>[] = [
      { producer: source, maxDemand, ...(partitionBy ? { partition: i } : {}) },
    ];
    if (step.terminal) {
      processors.push(new TerminalProcessorStage({ name: step.stage, subscribeTo }, step));
    } else {
      const dispatcher: Dispatcher<Message> | undefined = routes
        ? new PartitionDispatcher<Message, string>({
            partitions: batcherNames,
            hash: (m) => routes.get(m),
          })
        : undefined;
      processors.push(new ProcessorStage({ name: step.stage, subscribeTo, dispatcher }, step));
    }
  }

  const batchers: BatcherStage[] = [];
  const sinks: SinkStage[] = [];
  for (const batcherName of batcherNames) {
    const settings = options.batchers![batcherName]!;
    const { concurrency: sinkCount, partitionBy: sinkKey, batchKey } = settings;
    const partitioned = sinkCount > 1 && (sinkKey !== undefined || batchKey !== undefined);
    const batcher = new BatcherStage(
      {
        name: `${name}.batcher.${batcherName}`,
        subscribeTo: (stateful ? [stateful] : (processors as ProcessorStage[])).map((p) => ({
          producer: p,
          maxDemand: Math.max(2, Math.min(settings.batchSize * 2, 10_000)),
          cancel: 'temporary' as const,
          ...(routed ? { partition: batcherName } : {}),
        })),
        dispatcher: partitioned
          ? new PartitionDispatcher<Batch>({
              partitions: sinkCount,
              hash: (batch) =>
                hashKey(sinkKey ? keyOf(sinkKey, batch.messages[0]!, 'partition-key') : batch.key) %
                sinkCount,
            })
          : undefined,
      },
      { batcher: batcherName, ...settings },
      telemetry,
    );
    batchers.push(batcher);
    const { sink, lifecycle } = buildSink(options, batcherName, ends);
    if (lifecycle) lifecycles.push(lifecycle);
    for (let i = 0; i < sinkCount; i++) {
      sinks.push(
        new SinkStage(
          {
            name: `${name}.sink.${batcherName}.${i}`,
            subscribeTo: [
              {
                producer: batcher,
                maxDemand: settings.maxDemand,
                ...(partitioned ? { partition: i } : {}),
              },
            ],
          },
          {
            pipeline: name,
            sink,
            retry: options.retry,
            deadLetterer,
            telemetry,
            wait,
            stopping: deps.givingUp,
          },
        ),
      );
    }
  }

  const terminals: AnyStage[] = batchers.length > 0 ? sinks : processors;
  const middle: AnyStage[] = stateful ? [stateful] : processors;
  const stages: AnyStage[] = [source, ...middle, ...batchers, ...sinks];
  return { input, source, processors, stateful, batchers, sinks, terminals, stages, lifecycles };
}
