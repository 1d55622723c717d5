import type { PartitionState } from './partition-state';

/** How a rebalance was first noticed by this member. */
export type RevocationCause =
  /** A heartbeat inside a fetched batch failed: the rejoin waited for the drain. */
  | 'batch'
  /** The source's own heartbeat between batches failed: drained while kafkajs rejoined. */
  | 'heartbeat'
  /** kafkajs noticed it first (an empty fetch's heartbeat); its rejoin waited for the drain. */
  | 'rejoin'
  /** The group refused a commit of this generation (member unknown, generation over). */
  | 'commit'
  /** The consumer crashed and restarts. */
  | 'crash'
  /**
   * Asked for (`requestRejoin`): a transactional id of one of its partitions was fenced, so
   * this member's assignment may be out of date (Kafka Streams' "task migrated").
   */
  | 'requested'
  /** No notice: the next join simply came with a new generation (evicted while silent). */
  | 'unnoticed'
  /** The source stopped and left the group (reported at once, after the last commit). */
  | 'stop';

/**
 * What one lost assignment cost, reported (event `revoked`) when the next join completes,
 * or when the source stops.
 * `exposure` is the most this member's partitions can re-deliver to the group: messages
 * handed out in that assignment at or above the last offset the broker confirmed. A test
 * asserts that duplicates never exceed the sum of exposures.
 */
export interface RevocationReport {
  /** The assignment generation that ended (the source's join count). */
  readonly generation: number;
  readonly cause: RevocationCause;
  /** Handed out and still unacknowledged when the next join completed. */
  readonly unacknowledged: number;
  /** Handed out at or above the last confirmed commit (see above). */
  readonly exposure: number;
  /** From the notice to the new join (0 when unnoticed). */
  readonly ms: number;
  /** Per partition: first offset fetched, last confirmed commit, end of what was handed out. */
  readonly partitions: readonly PartitionExposure[];
}

/** One partition's part of a {@link RevocationReport}. */
export interface PartitionExposure {
  readonly topic: string;
  readonly partition: number;
  readonly first: number;
  /** Last confirmed commit before this assignment (-1: none seen). */
  readonly floor: number;
  readonly committed: number;
  readonly handedOutEnd: number;
}

/** Where `state` stood when its assignment ended. */
export function partitionExposure(state: PartitionState): PartitionExposure {
  return {
    topic: state.topic,
    partition: state.partition,
    first: state.firstOffset,
    floor: state.floor,
    committed: state.committed,
    // Past the last handed-out message: the oldest still buffered, else everything fetched
    // but what a stop dropped from the buffer.
    handedOutEnd: state.queue.peek()?.offset ?? state.tracker.end - state.dropped,
  };
}

/**
 * Handed-out messages at or above the last confirmed commit (offsets: no gaps assumed).
 * Without a commit in this assignment the group's offset is where it began, or lower: a
 * seek made in the last one can have started this one past it (see nudgeTargets).
 */
export function exposureOf(p: PartitionExposure): number {
  if (p.first < 0) return 0;
  const from = p.committed >= 0 ? p.committed : p.floor >= 0 ? Math.min(p.first, p.floor) : p.first;
  return Math.max(0, p.handedOutEnd - from);
}
