import type { Admin } from 'kafkajs';
import { KafkaTopicNotFoundError } from '../errors';
import type { KafkaSourceOptions } from './options';

/** Where each partition of each topic starts on its first assignment, when not committed. */
export type StartOffsets = Map<string, Map<number, number>>;

/** The topics a source reads and, unless it starts from committed offsets, where. */
export interface ResolvedTopics {
  readonly topics: readonly string[];
  readonly startOffsets: StartOffsets | undefined;
}

/**
 * Matches the configured names and patterns against the topics that exist, and looks up
 * the start offsets once. kafkajs cannot subscribe to a missing topic (and would create it
 * when auto-creation is on), so a missing name or a pattern that matches nothing is an
 * error here, at start, naming every missing one.
 */
export async function resolveTopics(
  admin: Admin,
  sourceName: string,
  options: Pick<KafkaSourceOptions, 'topics' | 'startFrom'>,
): Promise<ResolvedTopics> {
  const existing = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
  const known = new Set(existing);
  const chosen = new Set<string>();
  const missing: string[] = [];
  for (const entry of options.topics) {
    if (typeof entry === 'string') {
      if (known.has(entry)) chosen.add(entry);
      else missing.push(`'${entry}'`);
      continue;
    }
    const matches = existing.filter((t) => {
      entry.lastIndex = 0;
      return entry.test(t);
    });
    if (matches.length === 0) missing.push(`${entry} (matches no topic)`);
    for (const t of matches) chosen.add(t);
  }
  if (missing.length > 0) {
    throw new KafkaTopicNotFoundError(
      `KafkaSource '${sourceName}': topic ${missing.join(', ')} does not exist; create ` +
        `${missing.length > 1 ? 'them' : 'it'} before starting the source ` +
        '(topics are never auto-created)',
      missing,
    );
  }
  const topics = [...chosen];
  const startFrom = options.startFrom;
  if (startFrom === 'committed') return { topics, startOffsets: undefined };

  const startOffsets: StartOffsets = new Map();
  for (const topic of topics) {
    const perPartition = new Map<number, number>();
    const ends = await admin.fetchTopicOffsets(topic);
    if (startFrom === 'earliest' || startFrom === 'latest') {
      for (const e of ends) {
        perPartition.set(e.partition, Number(startFrom === 'earliest' ? e.low : e.high));
      }
    } else {
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, startFrom.timestamp);
      const high = new Map(ends.map((e) => [e.partition, Number(e.high)]));
      for (const e of byTime) {
        // -1: no record at or after the timestamp, so start at the end.
        const offset = Number(e.offset);
        perPartition.set(e.partition, offset >= 0 ? offset : (high.get(e.partition) ?? 0));
      }
    }
    startOffsets.set(topic, perPartition);
  }
  return { topics, startOffsets };
}
