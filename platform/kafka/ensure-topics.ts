import type { Admin, Kafka } from 'kafkajs';
import { KafkaTopicNotReadyError } from './errors';

/** A topic an application needs. */
export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** Default 1 (a single local broker); use the cluster's default elsewhere. */
  readonly replicationFactor?: number;
}

/**
 * Creates the topics that do not exist yet (existing ones are left as they are, whatever
 * their partition count) and waits for their leaders, since kafkajs fails to subscribe to a
 * topic whose leader is not elected. Resolves with the names it created.
 *
 * Written for the metric transformer's `run --with-broker`; any application may use it.
 */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return [];
    await admin.createTopics({
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor ?? 1,
      })),
      // kafkajs's own wait gives up on the first "This server does not host this
      // topic-partition" (a fresh broker's metadata cache lags behind the controller: it
      // stopped `make run` on a new local broker); leaders are polled below instead.
      waitForLeaders: false,
      timeout: 30_000,
    });
    await waitForLeaders(admin, missing);
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
}

/** Polls the brokers' metadata until every partition of `specs` has a leader (30 s at most). */
async function waitForLeaders(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  const topics = specs.map((s) => s.topic);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const metadata = await admin.fetchTopicMetadata({ topics }).catch(() => undefined);
    const waiting = specs.filter((spec) => {
      const found = metadata?.topics.find((t) => t.name === spec.topic)?.partitions ?? [];
      return found.length < spec.partitions || found.some((p) => p.leader < 0);
    });
    if (metadata && waiting.length === 0) return;
    if (Date.now() > deadline) {
      const late = (waiting.length > 0 ? waiting : specs).map((s) => s.topic);
      throw new KafkaTopicNotReadyError(
        `topics ${late.map((t) => `'${t}'`).join(', ')} have no leader for every partition after 30 s`,
        late,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
