import type { Kafka } from 'kafkajs';
import type { Logger } from '../../log/logger';
import type { Message } from '../../message/message';
import {
  type RepartitionOptions,
  type RepartitionRecord,
  repartitionTopic,
} from '../../pipeline/repartition/repartition-options';
import { WriterWatermarks } from '../../pipeline/repartition/writer-watermarks';
import type { CheckpointStore } from '../../pipeline/stateful/stateful-stage';
import type { Telemetry } from '../../telemetry/telemetry';
import { clientOptionsSchema } from '../client/client-options';
import { createKafka } from '../client/create-kafka';
import type { KafkaSourceOptionsInput } from '../source/options';
import { ensureInternalTopic } from './internal-topic';
import { RepartitionWriter } from './repartition-writer';

/** The Kafka side of one repartition hop of a pipeline. */
export interface KafkaHop {
  readonly topic: string;
  readonly step: string;
  /** Watermarks of the internal topic's partitions, fed by the next part's stateful stage. */
  readonly watermarks: WriterWatermarks;
  /** The first part's sink: writes re-keyed records and markers to the internal topic. */
  readonly writer: RepartitionWriter;
  /** Source options of the next part: the internal topic, same connection and group. */
  readonly sourceOptions: KafkaSourceOptionsInput;
  /** The next part's checkpoints: the metadata of the group's committed offsets. */
  readonly checkpoints: CheckpointStore;
  /** Creates or checks the internal topic, learns the upstream writers, starts the writer. */
  start(): Promise<void>;
  stop(): Promise<void>;
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
 */
export function buildKafkaHop(
  pipeline: string,
  options: RepartitionOptions,
  source: KafkaSourceOptionsInput,
  logger: Logger,
  telemetry?: Telemetry,
): KafkaHop {
  const given = source as { kafka?: Kafka; client?: unknown };
  const kafka = given.kafka ?? createKafka(clientOptionsSchema.parse(given.client ?? {}), logger);
  const topic = repartitionTopic(pipeline, options.step);
  const watermarks = new WriterWatermarks(options.idleTimeoutMs);
  const writer = new RepartitionWriter({
    name: `${pipeline}.${options.step}.writer`,
    kafka,
    topic,
    partitions: options.partitions,
    records: options.records ?? defaultRecords(options.key!),
    markerIntervalMs: options.markerIntervalMs,
    logger,
    ...(telemetry ? { telemetry } : {}),
  });
  const {
    topics: inputTopics,
    startFrom: _s,
    name: _n,
    ...connection
  } = source as KafkaSourceOptionsInput & { name?: unknown };
  const sourceOptions = {
    ...connection,
    kafka,
    topics: [topic],
    // An internal topic is read from its start when the group has no offset for it yet.
    startFrom: 'earliest',
  } as KafkaSourceOptionsInput;
  const groupId = (source as { groupId: string }).groupId;
  const checkpoints: CheckpointStore = {
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
  return {
    topic,
    step: options.step,
    checkpoints,
    watermarks,
    writer,
    sourceOptions,
    async start() {
      const created = await ensureInternalTopic(kafka, {
        topic,
        partitions: options.partitions,
        replicationFactor: options.replicationFactor,
      });
      if (created === 'created') logger.info({ topic }, 'created the internal repartition topic');
      watermarks.expect(await writersOf(kafka, inputTopics));
      await writer.start();
    },
    stop: () => writer.stop(),
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
    const metadata = await admin.fetchTopicMetadata({ topics: names });
    return metadata.topics.flatMap((t) => t.partitions.map((p) => `${t.name}/${p.partitionId}`));
  } finally {
    await admin.disconnect();
  }
}
