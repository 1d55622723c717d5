import { KafkaJSProtocolError } from 'kafkajs';
import type { PartitionState } from './partition-state';

/** Error types after which this member no longer owns its assignment (rejoin needed). */
const MEMBERSHIP_LOST = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
]);

/** True for a commit or heartbeat error saying that the assignment is gone. */
export function isMembershipLost(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' && MEMBERSHIP_LOST.has(type);
}

/**
 * What `eachBatch` throws to make kafkajs rejoin the group: its runner rejoins on a
 * protocol error of type REBALANCE_IN_PROGRESS thrown by the handler, exactly as when its
 * own heartbeat returns one.
 */
export function rejoinError(reason: string): Error {
  return new KafkaJSProtocolError({
    name: 'KafkaJSProtocolError',
    message: `kafka-source: rejoining the group (${reason})`,
    type: 'REBALANCE_IN_PROGRESS',
    code: 27,
    retriable: false,
  } as unknown as Error);
}

/**
 * Where to seek partitions so that kafkajs fetches a batch, and so reaches `eachBatch`,
 * which makes it rejoin: partitions holding buffered records, at their committable offset
 * (the first one not acknowledged, a record that is there: it was fetched). If the seek only
 * takes effect after the rejoin, consumption starts there: never before what was committed
 * (no re-delivery the revocation did not report), never past a record not acknowledged (no
 * loss: everything below it was delivered or dead-lettered).
 */
export function nudgeTargets(
  states: readonly PartitionState[],
): { topic: string; partition: number; offset: string }[] {
  const targets: { topic: string; partition: number; offset: string }[] = [];
  for (const s of states) {
    const offset = s.tracker.committable();
    if (s.queue.events === 0 || offset === undefined) continue;
    targets.push({ topic: s.topic, partition: s.partition, offset: String(offset) });
  }
  return targets;
}
