import { OffsetTracker } from './offset-tracker';
import type { PartitionQueues } from './partition-queues';
import type { PartitionState } from './partition-state';
import type { StartOffsets } from './resolve-topics';
import type { SourceMessage } from './source-message';
import type { TopicPartitions } from './source-types';

/** A seek the consumer makes for a partition it is assigned for the first time. */
export interface StartSeek {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * What the source knows per partition: the current assignment's states (queue, tracker,
 * offsets), the offset trackers of every partition ever assigned (so generations keep
 * counting up), and what outlives an assignment (partitions seen, offsets confirmed).
 */
export class AssignmentRegistry {
  /** The current assignment, in the order the group gave it. */
  list: PartitionState[] = [];
  private states = new Map<string, Map<number, PartitionState>>();
  private readonly trackers = new Map<string, Map<number, OffsetTracker>>();
  private readonly seen = new Set<string>();
  /** Per `topic:partition`, the last offset the broker confirmed, whatever the assignment. */
  private readonly confirmed = new Map<string, number>();

  constructor(private readonly queues: PartitionQueues<SourceMessage>) {}

  /** The state of `topic`/`partition` in the current assignment. */
  get(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(topic)?.get(partition);
  }

  /** The current assignment's states of `topic`, by partition. */
  ofTopic(topic: string): ReadonlyMap<number, PartitionState> | undefined {
    return this.states.get(topic);
  }

  /** The current assignment. */
  assignment(): TopicPartitions[] {
    return [...this.states].map(([topic, parts]) => ({ topic, partitions: [...parts.keys()] }));
  }

  /** See `SourceConsumer.committable`. */
  committable(topic: string, partition: number): number | undefined {
    return this.get(topic, partition)?.tracker.committable();
  }

  /** See `SourceConsumer.committedExternally`. */
  committedExternally(topic: string, partition: number, offset: number): void {
    const state = this.get(topic, partition);
    if (!state) return;
    if (offset > state.committed) state.committed = offset;
    state.lastCommitAt = Date.now();
  }

  /** Handed-out messages not yet acknowledged, in the current assignment. */
  inFlight(): number {
    let n = 0;
    for (const s of this.list) n += s.tracker.pending - s.queue.events - s.dropped;
    return n;
  }

  /**
   * A new generation (eager rebalancing: every partition was revoked). Keeps what the ending
   * assignment confirmed, then builds a state per assigned partition, each with a new queue
   * and its tracker reset. Returns the assignment, and the seeks to each partition's start
   * offset (`startFrom`) for partitions assigned for the first time.
   */
  replace(
    memberAssignment: Readonly<Record<string, readonly number[]>>,
    startOffsets: StartOffsets | undefined,
  ): { assignment: TopicPartitions[]; seeks: StartSeek[] } {
    for (const s of this.list) {
      if (s.committed >= 0) this.confirmed.set(`${s.topic}:${s.partition}`, s.committed);
    }
    this.states = new Map();
    this.list = [];
    const assignment: TopicPartitions[] = [];
    const seeks: StartSeek[] = [];
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      const byPartition = new Map<number, PartitionState>();
      for (const partition of partitions) {
        const key = `${topic}:${partition}`;
        let start: number | undefined;
        if (!this.seen.has(key)) {
          this.seen.add(key);
          start = startOffsets?.get(topic)?.get(partition);
          if (start !== undefined) seeks.push({ topic, partition, offset: String(start) });
        }
        const tracker = this.trackerFor(topic, partition);
        tracker.reset(start);
        const state: PartitionState = {
          topic,
          partition,
          tracker,
          queue: this.queues.add(topic, partition),
          highWatermark: -1,
          firstOffset: -1,
          floor: this.confirmed.get(key) ?? -1,
          committed: -1,
          lastCommitAt: 0,
          dropped: 0,
        };
        byPartition.set(partition, state);
        this.list.push(state);
      }
      this.states.set(topic, byPartition);
      assignment.push({ topic, partitions: [...partitions] });
    }
    return { assignment, seeks };
  }

  private trackerFor(topic: string, partition: number): OffsetTracker {
    let byPartition = this.trackers.get(topic);
    if (!byPartition) {
      byPartition = new Map();
      this.trackers.set(topic, byPartition);
    }
    let tracker = byPartition.get(partition);
    if (!tracker) {
      tracker = new OffsetTracker();
      byPartition.set(partition, tracker);
    }
    return tracker;
  }
}
