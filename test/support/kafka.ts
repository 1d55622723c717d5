// Helpers for tests that talk to the real broker (files ending `.kafka.test.ts`). The jest
// project `kafka` starts one broker per run (kafka-global-setup.ts) and hands its address to
// every worker through KAFKA_BROKERS. Each test makes its own topics and groups with
// uniqueName(), so tests never see each other's records and need no cleanup to stay correct.
import { randomBytes } from 'node:crypto';
import {
  type Admin,
  type IHeaders,
  Kafka,
  type KafkaMessage,
  logLevel,
  Partitioners,
} from 'kafkajs';

/** The broker list of this test run, from KAFKA_BROKERS (set by the global setup). */
export function testBrokers(): string[] {
  const brokers = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0) {
    throw new Error(
      'test/support/kafka: KAFKA_BROKERS is not set. Kafka tests run in the jest project ' +
        '`kafka` (file names ending .kafka.test.ts), whose global setup starts a broker: ' +
        'npx jest --selectProjects kafka <path>',
    );
  }
  return brokers;
}

/**
 * A topic, group or client name unique to this call: `prefix` (characters Kafka does not
 * allow in topic names replaced by `-`), a time stamp and a random suffix.
 */
export function uniqueName(prefix: string): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 180);
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * kafkajs logs the transient errors it retries (leader moves, rebalances) at ERROR; in a test
 * run they bury jest's report. They show with LOG_LEVEL=debug or trace.
 */
const kafkajsLogLevel = /^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '')
  ? logLevel.ERROR
  : logLevel.NOTHING;

/** A kafkajs client for the test broker: retries kept short, logs per LOG_LEVEL. */
export function newKafka(clientId: string = uniqueName('test-client')): Kafka {
  return new Kafka({
    clientId,
    brokers: testBrokers(),
    logLevel: kafkajsLogLevel,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
}

/** Runs `work` with a connected admin client of the test broker, disconnecting after. */
export async function withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = newKafka(uniqueName('test-admin')).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates `topic` with `partitions` partitions (replication factor 1) and waits until every
 * partition has a leader, so producers and consumers can use it at once. Throws when the
 * topic already exists: with uniqueName() that means two tests share a name.
 */
export async function createTopic(
  topic: string,
  partitions: number,
  configEntries?: { name: string; value: string }[],
): Promise<void> {
  const created = await withAdmin((admin) =>
    admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }],
      // kafkajs's own wait for leaders gives up on the first 'does not host this
      // topic-partition' of a busy broker; waitForPartitionLeaders below polls instead.
      waitForLeaders: false,
      timeout: 30_000,
    }),
  );
  if (!created) {
    throw new Error(`test/support/kafka: topic '${topic}' already exists (use uniqueName())`);
  }
  await waitForPartitionLeaders(topic, partitions);
}

/**
 * `waitForLeaders` waits for the controller; the broker's own metadata cache can lag behind
 * it, and a produce sent in that gap fails with "This server does not host this
 * topic-partition". Polls the broker's metadata until every partition has a leader.
 */
async function waitForPartitionLeaders(topic: string, partitions: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  await withAdmin(async (admin) => {
    for (;;) {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const found = metadata?.topics.find((t) => t.name === topic)?.partitions ?? [];
      if (found.length === partitions && found.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `test/support/kafka: topic '${topic}' has ${found.length} of ${partitions} partitions with a leader after 15 s`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  });
}

/** Deletes the topics; topics that do not exist are ignored. */
export async function deleteTopics(...topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
  });
}

/** A record to produce; without `partition` the key (or round robin) picks one. */
export interface TestRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  partition?: number;
  headers?: IHeaders;
}

/** Records per produce request: large enough to be fast, small enough for message.max.bytes. */
const PRODUCE_CHUNK = 2_000;

/**
 * Produces `records` to `topic` in order (chunks sent one after another, so the order of
 * records bound for the same partition is kept), acks from all replicas.
 */
export async function produceRecords(topic: string, records: TestRecord[]): Promise<void> {
  const producer = newKafka(uniqueName('test-producer')).producer({
    // Idempotent: a send retried on a loaded machine must not write the test's input twice
    // (a rebalance test once counted 13 526 records in a topic given 12 000).
    idempotent: true,
    allowAutoTopicCreation: false,
    // The default partitioner, named so kafkajs does not warn that its default changed in v2.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += PRODUCE_CHUNK) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + PRODUCE_CHUNK) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** A record read back by consumeAll: kafkajs's message plus where it came from. */
export type ConsumedRecord = KafkaMessage & { topic: string; partition: number };

/** Options of consumeAll. */
export interface ConsumeAllOptions {
  /** Give up (and throw, naming how many arrived) after this long. Default 60 000 ms. */
  timeoutMs?: number;
  /** Consumer group. Default: a fresh uniqueName('test-group'). */
  groupId?: string;
  /** Start at the earliest offset when the group has none committed. Default true. */
  fromBeginning?: boolean;
}

/**
 * Reads records from `topic` with a fresh consumer group until at least `count` arrived,
 * then leaves the group. Resolves to every record received, in arrival order (per
 * partition that is offset order); more than `count` are returned if they came in the same
 * batch, so a test can see duplicates and extras. Offsets are not committed.
 */
export async function consumeAll(
  topic: string,
  count: number,
  options: ConsumeAllOptions = {},
): Promise<ConsumedRecord[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const consumer = newKafka(uniqueName('test-consumer')).consumer({
    groupId: options.groupId ?? uniqueName('test-group'),
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  });
  const received: ConsumedRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? true });
    await new Promise<void>((resolve, reject) => {
      if (count <= 0) {
        resolve();
        return;
      }
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `test/support/kafka: consumeAll('${topic}') got ${received.length} of ${count} records in ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              received.push({ ...message, topic: batch.topic, partition: batch.partition });
            }
            // Resolving here, not disconnecting: disconnect() waits for this batch to end.
            if (received.length >= count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return received;
}
