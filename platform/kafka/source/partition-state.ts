import type { OffsetTracker } from './offset-tracker';
import type { PartitionQueue } from './partition-queues';
import type { SourceMessage } from './source-message';

/** What the source keeps per assigned partition, for one assignment. */
export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Shared by every assignment of the partition, so generations keep counting up. */
  readonly tracker: OffsetTracker;
  readonly queue: PartitionQueue<SourceMessage>;
  /** From the last fetched batch, -1 before the first. */
  highWatermark: number;
  /** First offset fetched in this assignment, -1 before the first batch. */
  firstOffset: number;
  /** The last offset this member saw confirmed for the partition before this assignment. */
  readonly floor: number;
  /** Last committed offset in this assignment, -1 before the first commit. */
  committed: number;
  lastCommitAt: number;
  /** Tracked messages dropped unacknowledged from the queue (stop): never coming back. */
  dropped: number;
}
