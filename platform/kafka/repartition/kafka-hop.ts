import type { Kafka } from 'kafkajs';
import { formatOptionProblem } from '../../../stages/index';
import type { Logger } from '../../log/logger';
import type { Message } from '../../message/message';
import {
  isTransient,
  type PipelineSource,
  type RepartitionHop,
  retrying,
} from '../../pipeline/index';
import {
  type RepartitionOptions,
  type RepartitionRecord,
  repartitionTopic,
} from '../../pipeline/repartition/repartition-options';
import { WriterWatermarks } from '../../pipeline/repartition/writer-watermarks';
import type { TransactionalOutput } from '../../pipeline/stateful/stateful-handler';
import type { CheckpointStore } from '../../pipeline/stateful/stateful-stage';
import { noopTelemetry, type Telemetry } from '../../telemetry/telemetry';
import { clientOptionsSchema } from '../client/client-options';
import { createKafka } from '../client/create-kafka';
import { KafkaOptionsError } from '../errors';
import { kafkaSourceOf } from '../pipeline-source';
import { chunkRecords } from '../sink/chunk-records';
import type { KafkaSource } from '../source/kafka-source';
import type { KafkaSourceOptionsInput } from '../source/options';
import type { SourceMessage } from '../source/source-message';
import { TransactionalProducers } from '../transactions/transactional-producers';
import { ensureInternalTopic } from './internal-topic';
import { RepartitionWriter } from './repartition-writer';

/** The Kafka side of one repartition hop of a pipeline. */
export interface KafkaHop extends RepartitionHop {
  readonly topic: string;
  readonly step: string;
  /** Watermarks of the internal topic's partitions, fed by the next part's stateful stage. */
  readonly watermarks: WriterWatermarks;
  /** The first part's sink: writes re-keyed records and markers to the internal topic. */
  readonly writer: RepartitionWriter;
  /** Source options of the first part: as given; exactly once, with commits left to the hop. */
  readonly firstSource: KafkaSourceOptionsInput;
  /** Source options of the next part: the internal topic, same connection and group. */
  readonly sourceOptions: KafkaSourceOptionsInput;
  /** The next part's checkpoints: the metadata of the group's committed offsets. */
  readonly checkpoints: CheckpointStore;
  /** Exactly once: writes the next part's results with its offsets, per partition. */
  readonly transactionalOutput: TransactionalOutput | undefined;
  /** Tells the hop the two parts' sources, once built (exactly once settles with them). */
  bind(first: PipelineSource | undefined, next: PipelineSource | undefined): void;
  /** Creates or checks the internal topic, learns the upstream writers, starts the writer. */
  start(): Promise<void>;
  /** After the first part stopped: the writer's producers. */
  stopWriter(): Promise<void>;
  /** After every part stopped: the rest. */
  stop(): Promise<void>;
}

/** How the hop delivers. */
export interface HopDelivery {
  readonly exactlyOnce: boolean;
  /** Exactly once: where the next part's results go. */
  readonly outputTopic?: string;
  readonly telemetry?: Telemetry;
}

function defaultRecords(key: (m: Message) => string | Buffer) {
  return (m: Message): RepartitionRecord[] => {
    const data = m.data;
    const value =
      data === null || data === undefined
        ? null
        : typeof data === 'string' || Buffer.isBuffer(data)
          ? data
          : JSON.stringify(data);
    return [{ key: key(m), value, timestamp: m.timestamp }];
  };
}

/**
 * Builds the hop of `pipeline` from its validated repartition options and the first part's
 * Kafka source options (the hop reuses its connection and consumer group).
 *
 * Exactly once (Kafka Streams' model, with kafkajs's limits): both parts' sources commit
 * nothing themselves (`commits: 'external'`); the writer commits each input partition's
 * records and offsets in one transaction, and the next part's results go to the output in
 * one transaction per internal partition with its offsets and checkpoint. Each uses a
 * transactional id per input partition, initialised as soon as the partition is assigned,
 * which fences an instance that lost it (kafkajs sends no group generation with
 * transactional offsets). Readers of the internal topic read committed records only.
 */
export function buildKafkaHop(
  pipeline: string,
  options: RepartitionOptions,
  source: KafkaSourceOptionsInput,
  logger: Logger,
  delivery: HopDelivery = { exactlyOnce: false },
): KafkaHop {
  const given = source as { kafka?: Kafka; client?: unknown };
  if (given.client === undefined) {
    throw new KafkaOptionsError(
      formatOptionProblem(`Pipeline '${pipeline}'`, {
        path: 'source.kafka',
        is: 'a shared kafkajs client',
        allowed:
          "source.client (connection settings) with repartition, since each part's consumer of the one group needs a client of its own",
      }),
      'Pipeline',
      'source.kafka',
    );
  }
  const kafka = given.kafka ?? createKafka(clientOptionsSchema.parse(given.client ?? {}), logger);
  const topic = repartitionTopic(pipeline, options.step);
  const groupId = (source as { groupId: string }).groupId;
  const telemetry = delivery.telemetry ?? noopTelemetry;
  const watermarks = new WriterWatermarks(options.idleTimeoutMs);
  let firstSource: KafkaSource | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let idleBusy = false;
  let nextSource: KafkaSource | undefined;
  // A fenced id: the part's assignment may be out of date (another instance owns the
  // partition, or the broker expired a transaction while it was away). Like Kafka Streams'
  // "task migrated", that part rejoins the group; the new assignment initialises fresh ids.
  const inputProducers = delivery.exactlyOnce
    ? new TransactionalProducers(kafka, `${pipeline}-in`, logger, undefined, () =>
        firstSource?.requestRejoin(),
      )
    : undefined;
  const outputProducers = delivery.exactlyOnce
    ? new TransactionalProducers(kafka, `${pipeline}-${options.step}`, logger, undefined, () =>
        nextSource?.requestRejoin(),
      )
    : undefined;
  // After a commit that failed without an answer: is the group's offset there already?
  const isCommitted = async (t: string, partition: number, offset: number): Promise<boolean> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [fetched] = await admin.fetchOffsets({ groupId, topics: [t] });
      const at = fetched?.partitions.find((p) => p.partition === partition);
      return at !== undefined && Number(at.offset) >= offset;
    } finally {
      await admin.disconnect();
    }
  };
  const writer = new RepartitionWriter({
    name: `${pipeline}.${options.step}.writer`,
    kafka,
    topic,
    partitions: options.partitions,
    records: options.records ?? defaultRecords(options.key!),
    logger,
    telemetry,
    ...(inputProducers
      ? {
          transactions: () => ({
            producers: inputProducers,
            groupId,
            settle: (messages: readonly Message[]) =>
              firstSource?.settle(messages as readonly SourceMessage[]),
            isCommitted,
            committed: (topic: string, partition: number, offset: number) =>
              firstSource?.committedExternally(topic, partition, offset),
          }),
        }
      : {}),
  });
  const {
    topics: inputTopics,
    startFrom: _s,
    name: _n,
    ...connection
  } = source as KafkaSourceOptionsInput & { name?: unknown };
  // The next part's consumer gets a kafkajs client of its own: kafkajs keeps a group's
  // committed offsets per client, and a rejoin of one consumer clears the other's (a crash
  // in its offset manager), so two consumers of one group must not share a client.
  const sourceOptions = {
    ...connection,
    ...(given.client !== undefined ? {} : { kafka }),
    topics: [topic],
    // An internal topic is read from its start when the group has no offset for it yet.
    startFrom: 'earliest',
    // On stop, what the stateful stage holds (open windows) is never acknowledged: wait only
    // for results in flight, then leave it to be read again after a restart.
    shutdownTimeoutMs: 3_000,
    // Exactly once, offsets go in the window stage's transactions; at least once, the source
    // commits them with the stage's checkpoint beside (see CheckpointStore.use): without it,
    // a restart would aggregate again inputs of windows already delivered (partial copies).
    ...(delivery.exactlyOnce
      ? { commits: 'external' }
      : { commitMetadata: (_t: string, p: number, o: number) => checkpointOf?.(p, o) }),
  } as KafkaSourceOptionsInput;
  let checkpointOf: ((partition: number, offset: number) => string) | undefined;
  const checkpoints: CheckpointStore = {
    use(checkpoint) {
      checkpointOf = checkpoint;
    },
    async load(partitions) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const out = new Map<number, string>();
        for (const p of fetched?.partitions ?? []) {
          const metadata = (p as { metadata?: string | null }).metadata;
          if (partitions.includes(p.partition) && metadata) out.set(p.partition, metadata);
        }
        return out;
      } finally {
        await admin.disconnect();
      }
    },
  };
  const outputTopic = delivery.outputTopic;
  const transactionalOutput: TransactionalOutput | undefined =
    outputProducers && outputTopic
      ? {
          async commit(partition, records, done, metadata) {
            const started = performance.now();
            let committedOffset: number | undefined;
            // Not under a `commit` span: those start traces of their own, and the results' send
            // span must stay in the trace of the batch that closed their windows.
            await outputProducers.run(
              topic,
              partition,
              async (txn) => {
                if (records.length > 0) {
                  await telemetry.traceSend(outputTopic, records.length, (context) => {
                    const messages = records.map((r) => {
                      const headers: Record<string, string | Buffer> = { ...r.headers };
                      telemetry.injectContext(headers, context);
                      return { key: r.key, value: r.value, headers };
                    });
                    // Many windows closing at once (after a backlog) can make MBs: in chunks
                    // the broker takes, one after another, all in this transaction.
                    return (async () => {
                      for (const chunk of chunkRecords(messages)) {
                        await txn.sendBatch({
                          topicMessages: [{ topic: outputTopic, messages: chunk }],
                          acks: -1,
                        });
                      }
                    })();
                  });
                }
                const source = nextSource!;
                if (done.length > 0) source.settle(done as readonly SourceMessage[]);
                const offset = source.committable(topic, partition);
                if (offset === undefined) return;
                // kafkajs's types omit the metadata its TxnOffsetCommit request does write.
                const committed = { partition, offset: String(offset), metadata: metadata(offset) };
                await txn.sendOffsets({
                  consumerGroupId: groupId,
                  topics: [{ topic, partitions: [committed] }],
                });
                committedOffset = offset;
              },
              () =>
                // A commit without an answer: its offset tells whether it took effect (results
                // with no offset to commit cannot be told apart, and are written again).
                committedOffset === undefined
                  ? Promise.resolve(false)
                  : isCommitted(topic, partition, committedOffset),
            );
            if (committedOffset !== undefined) {
              nextSource?.committedExternally(topic, partition, committedOffset);
            }
            // The transaction's commit is the commit of the offsets, and the delivery of the
            // results: the same metrics as a source's commit and a sink's confirmation.
            telemetry.recordCommit(topic, (performance.now() - started) / 1000);
            if (done.length > 0) telemetry.recordDelivered(outputTopic, done, Date.now());
          },
        }
      : undefined;
  return {
    topic,
    step: options.step,
    watermarks,
    writer,
    // Exactly once: the writer commits the first part's offsets in its transactions.
    firstSource: delivery.exactlyOnce
      ? ({ ...source, commits: 'external' } as KafkaSourceOptionsInput)
      : source,
    sourceOptions,
    checkpoints,
    transactionalOutput,
    bind(first, next) {
      firstSource = first && kafkaSourceOf(first);
      nextSource = next && kafkaSourceOf(next);
      // Initialise the transactional producers of newly assigned partitions at once: that
      // fences an instance that owned them before (a zombie) before this one writes.
      if (inputProducers && firstSource) {
        firstSource.events.on('assigned', (assignment) => {
          const partitions = assignment.flatMap((a) =>
            a.partitions.map((partition) => ({ topic: a.topic, partition })),
          );
          inputProducers
            .prepare(partitions)
            .catch((error: unknown) =>
              logger.warn({ err: error }, 'initialising transactional producers failed'),
            );
        });
      }
      if (outputProducers && nextSource) {
        nextSource.events.on('assigned', (assignment) => {
          const partitions = assignment.flatMap((a) =>
            a.partitions.map((partition) => ({ topic: a.topic, partition })),
          );
          outputProducers
            .prepare(partitions)
            .catch((error: unknown) =>
              logger.warn({ err: error }, 'initialising transactional producers failed'),
            );
        });
      }
    },
    async start() {
      idleTimer = setInterval(() => {
        if (!firstSource || idleBusy) return;
        const caughtUp: string[] = [];
        for (const p of firstSource.snapshot()) {
          const next = firstSource.committable(p.topic, p.partition);
          if (p.highWatermark >= 0 && next !== undefined && next >= p.highWatermark) {
            caughtUp.push(`${p.topic}/${p.partition}`);
          }
        }
        if (caughtUp.length === 0) return;
        idleBusy = true;
        writer
          .announceIdle(caughtUp)
          .catch((error: unknown) => logger.warn({ err: error }, 'idle markers not written'))
          .finally(() => {
            idleBusy = false;
          });
      }, options.idleAnnounceMs);
      idleTimer.unref();
      const created = await ensureInternalTopic(kafka, {
        topic,
        partitions: options.partitions,
        replicationFactor: options.replicationFactor,
      });
      if (created === 'created') logger.info({ topic }, 'created the internal repartition topic');
      // Exactly once needs the brokers' transactions: find out now, before anything is read.
      await inputProducers?.check();
      watermarks.expect(await writersOf(kafka, inputTopics));
      await writer.start();
    },
    async stopWriter() {
      clearInterval(idleTimer);
      await writer.stop();
    },
    async stop() {
      clearInterval(idleTimer);
      await writer.stop();
      await outputProducers?.stop();
    },
  };
}

/** Every partition of the input topics: the writers each internal partition expects. */
async function writersOf(kafka: Kafka, topics: unknown): Promise<string[]> {
  const names = (Array.isArray(topics) ? topics : [topics]).filter(
    (t): t is string => typeof t === 'string',
  );
  if (names.length === 0) return [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Metadata right after a topic was created can say "not the leader" for a moment.
    const metadata = await retrying(() => admin.fetchTopicMetadata({ topics: names }), {
      attempts: 10,
      retryIf: isTransient,
      delayMs: (n) => 300 * n,
    });
    return metadata.topics.flatMap((t) => t.partitions.map((p) => `${t.name}/${p.partitionId}`));
  } finally {
    await admin.disconnect();
  }
}
