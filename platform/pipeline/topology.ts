import {
  type Dispatcher,
  PartitionDispatcher,
  type Producer,
  type StageStats,
  type StopReason,
  type SubscribeOptions,
  type SubscribeTo,
} from '../../stages/index';
import type { Logger } from '../log/logger';
import { type Message, markFailed } from '../message/message';
import type { Telemetry } from '../telemetry/telemetry';
import type { Batch } from './batch-accumulator';
import { BatcherStage } from './batcher-stage';
import { buildDeadLetterSend, buildSink, buildSource } from './build-ends';
import type { Lifecycle, PipelineConnectors } from './connectors';
import { createDeadLetterer, type DeadLetterer } from './dead-letter';
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
import { type BatcherBlueprint, SupervisedStages } from './supervised-stages';

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
  /** The stateful stage of a part after a repartition hop, when it has one. */
  readonly stateful: StatefulStage | undefined;
  /** The processors and batchers, under a supervisor (they change at run time). */
  readonly supervised: SupervisedStages;
  /** The batchers' sink stages (they outlive batcher restarts). */
  readonly sinks: readonly SinkStage[];
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

  const processorsFixed = partitionBy
    ? 'processors.partitionBy gives each processor a fixed share of the keys (so that one key stays in order): their number cannot change at run time'
    : undefined;
  const makeProcessor = (i: number, subscribe: boolean) => {
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
    const subscribeTo: SubscribeTo<Message>[] = subscribe
      ? [{ producer: source, maxDemand, ...(partitionBy ? { partition: i } : {}) }]
      : [];
    if (step.terminal) {
      return new TerminalProcessorStage({ name: step.stage, subscribeTo }, step);
    }
    const dispatcher: Dispatcher<Message> | undefined = routes
      ? new PartitionDispatcher<Message, string>({
          partitions: batcherNames,
          hash: (m) => routes.get(m),
        })
      : undefined;
    return new ProcessorStage({ name: step.stage, subscribeTo, dispatcher }, step);
  };

  const batchers: BatcherBlueprint[] = [];
  const sinks: SinkStage[] = [];
  for (const batcherName of batcherNames) {
    const settings = options.batchers![batcherName]!;
    const { concurrency: sinkCount, partitionBy: sinkKey, batchKey } = settings;
    const partitioned = sinkCount > 1 && (sinkKey !== undefined || batchKey !== undefined);
    const input: SubscribeOptions<Message> = {
      maxDemand: Math.max(2, Math.min(settings.batchSize * 2, 10_000)),
      cancel: 'temporary',
      ...(routed ? { partition: batcherName } : {}),
    };
    const { sink, lifecycle } = buildSink(options, batcherName, ends);
    if (lifecycle) lifecycles.push(lifecycle);
    const own: { stage: SinkStage; options: SubscribeOptions<Batch> }[] = [];
    for (let i = 0; i < sinkCount; i++) {
      const stage = new SinkStage(
        { name: `${name}.sink.${batcherName}.${i}` },
        {
          pipeline: name,
          sink,
          retry: options.retry,
          deadLetterer,
          telemetry,
          wait,
          stopping: deps.givingUp,
        },
      );
      sinks.push(stage);
      own.push({
        stage,
        options: {
          maxDemand: settings.maxDemand,
          cancel: 'temporary',
          ...(partitioned ? { partition: i } : {}),
        },
      });
    }
    batchers.push({
      name: batcherName,
      sizes: { batchSize: settings.batchSize, batchTimeoutMs: settings.batchTimeoutMs },
      input,
      sinks: own,
      make: (producers, sizes) => {
        const dispatcher: Dispatcher<Batch> | undefined = partitioned
          ? new PartitionDispatcher<Batch>({
              partitions: sinkCount,
              hash: (batch) =>
                hashKey(sinkKey ? keyOf(sinkKey, batch.messages[0]!, 'partition-key') : batch.key) %
                sinkCount,
            })
          : undefined;
        return new BatcherStage(
          {
            name: `${name}.batcher.${batcherName}`,
            subscribeTo: producers.map((producer) => ({ producer, ...input })),
            dispatcher,
          },
          { batcher: batcherName, ...settings, ...sizes },
          telemetry,
        );
      },
    });
  }

  const supervised = new SupervisedStages(
    {
      part: name,
      source,
      ...(stateful
        ? { batcherInput: stateful }
        : {
            processors: {
              concurrency,
              ...(processorsFixed ? { fixed: processorsFixed } : {}),
              make: makeProcessor,
            },
          }),
      batchers,
    },
    {
      supervision: options.supervision,
      shutdownMs: Math.max(1_000, options.drainTimeoutMs),
      onCrash: failLost(deadLetterer, logger),
      logger,
      givingUp: deps.givingUp,
    },
  );
  return { input, source, stateful, sinks, supervised, lifecycles };
}

/**
 * Messages a crashed stage held and had not settled: failed with reason `crashed`, then
 * dead-lettered (acknowledged), so their offsets can be committed.
 */
function failLost(
  deadLetterer: DeadLetterer,
  logger: Logger,
): (stage: string, messages: Message[], error: Error) => void {
  return (stage, held, error) => {
    const messages = held.filter((m) => m.status.kind === 'pending' || m.status.kind === 'failed');
    if (messages.length === 0) return;
    for (const m of messages) if (m.status.kind === 'pending') markFailed(m, 'crashed', error);
    deadLetterer
      .deadLetter(messages)
      .catch((failure: unknown) =>
        logger.error(
          { err: failure, stage, messages: messages.length },
          'dead-lettering the messages of a crashed stage failed; they will be delivered again',
        ),
      );
  };
}
