import type { Kafka } from 'kafkajs';

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
      waitForLeaders: true,
      timeout: 30_000,
    });
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
}
