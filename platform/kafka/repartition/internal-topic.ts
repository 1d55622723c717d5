import type { Admin, Kafka } from 'kafkajs';
import { isTransient, retrying } from '../../pipeline/index';
import { KafkaInternalTopicError } from '../errors';

/** What an internal topic of a pipeline must look like. */
export interface InternalTopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** Default 1 (a single local broker); use the cluster's default replication elsewhere. */
  readonly replicationFactor: number;
}

/**
 * Creates the internal topic, or checks the one that exists: same partition count, and a
 * `delete` cleanup policy. A mismatch is one {@link KafkaInternalTopicError} that names the
 * topic, what was expected and what was found; nothing is changed on the broker.
 *
 * Why refuse instead of adapting: records already in the topic were placed by the hash of
 * their key over the old partition count, and a compacted topic keeps only the last record
 * per key, so either would silently give other results than the data says.
 */
export async function ensureInternalTopic(
  kafka: Kafka,
  spec: InternalTopicSpec,
): Promise<'created' | 'checked'> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let outcome: 'created' | 'checked' = 'checked';
    const existing = new Set(await admin.listTopics());
    if (!existing.has(spec.topic)) {
      try {
        await admin.createTopics({
          topics: [
            {
              topic: spec.topic,
              numPartitions: spec.partitions,
              replicationFactor: spec.replicationFactor,
              configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
            },
          ],
          waitForLeaders: true,
          timeout: 30_000,
        });
        outcome = 'created';
      } catch (error) {
        // Another instance created it first: check it like any existing topic. Or it was
        // created and kafkajs's wait for leaders gave up on the first "This server does not
        // host this topic-partition" of a fresh broker (its metadata lags behind the
        // controller): the check below retries until the broker knows it.
        const type = (error as { type?: unknown }).type;
        if (type !== 'TOPIC_ALREADY_EXISTS' && type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
      }
    }
    // A topic just created (here or by another instance) can take a moment before every
    // partition has a leader that knows it: until then, listing its offsets (what a source
    // does at start) fails with "not the leader". Wait for that, so that no part of the
    // pipeline starts on a topic it cannot use yet.
    return await retrying(
      async () => {
        if (outcome === 'checked') await check(admin, spec);
        await admin.fetchTopicOffsets(spec.topic);
        return outcome;
      },
      { attempts: 15, retryIf: isTransient, delayMs: (n) => Math.min(2_000, 200 * n) },
    );
  } finally {
    await admin.disconnect();
  }
}

async function check(admin: Admin, spec: InternalTopicSpec): Promise<void> {
  const metadata = await admin.fetchTopicMetadata({ topics: [spec.topic] });
  const found = metadata.topics[0]?.partitions.length ?? 0;
  const problems: string[] = [];
  if (found !== spec.partitions) {
    problems.push(`${spec.partitions} partitions expected, ${found} found`);
  }
  const configs = await admin.describeConfigs({
    resources: [{ type: 2 /* TOPIC */, name: spec.topic, configNames: ['cleanup.policy'] }],
    includeSynonyms: false,
  });
  const policy = configs.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy');
  if (policy && policy.configValue !== 'delete') {
    problems.push(`cleanup.policy 'delete' expected, '${policy.configValue}' found`);
  }
  if (problems.length > 0) {
    throw new KafkaInternalTopicError(
      `internal topic '${spec.topic}': ${problems.join('; ')}. It holds records placed for another layout: delete it (when the pipeline is stopped and its input re-read is acceptable) or set the step's partitions to match`,
      spec.topic,
    );
  }
}
