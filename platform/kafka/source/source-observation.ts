import type { PartitionSnapshot } from '../../telemetry/telemetry';
import type { PartitionState } from './partition-state';
import {
  exposureOf,
  partitionExposure,
  type RevocationCause,
  type RevocationReport,
} from './revocation';

/** Per-partition state for metrics and `/topology`, read at scrape time. */
export function partitionSnapshots(
  states: readonly PartitionState[],
  owner: string | undefined,
): PartitionSnapshot[] {
  return states.map((s) => ({
    topic: s.topic,
    partition: s.partition,
    highWatermark: s.highWatermark,
    committed: s.committed,
    paused: s.queue.paused,
    operatorPaused: s.queue.held,
    owner,
    bufferedEvents: s.queue.events,
    bufferedBytes: s.queue.bytes,
    lastCommitAt: s.lastCommitAt,
  }));
}

/** What the assignment that just ended cost (event `revoked`): see {@link RevocationReport}. */
export function revocationReport(
  states: readonly PartitionState[],
  ended: {
    readonly generation: number;
    readonly cause: RevocationCause;
    readonly unacknowledged: number;
    /** When the revocation was noticed (0: it was not). */
    readonly noticedAt: number;
  },
): RevocationReport {
  const partitions = states.map(partitionExposure);
  return {
    generation: ended.generation,
    cause: ended.cause,
    unacknowledged: ended.unacknowledged,
    exposure: partitions.reduce((sum, p) => sum + exposureOf(p), 0),
    ms: ended.noticedAt ? Date.now() - ended.noticedAt : 0,
    partitions,
  };
}
