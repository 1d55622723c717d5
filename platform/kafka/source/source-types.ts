import type { Logger } from '../../log/logger';
import type { Telemetry } from '../../telemetry/telemetry';
import type { CommittedOffset } from './offset-committer';
import type { RevocationReport } from './revocation';

/** What the source needs besides its options. */
export interface SourceDependencies {
  readonly telemetry?: Telemetry;
  readonly logger?: Logger;
  /** Clock for pause history and commit times. Default `Date.now`. */
  readonly now?: () => number;
}

/** Partitions of one topic. */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** Events of a source. `failed` means the kafkajs consumer crashed and will not restart. */
export interface SourceEvents {
  ready: [];
  'not-ready': [reason: string];
  assigned: [assignment: readonly TopicPartitions[]];
  failed: [error: Error];
  /** The broker confirmed these offsets (one commit request). */
  committed: [offsets: readonly CommittedOffset[]];
  /** An assignment ended (reported once the next join completed). */
  revoked: [report: RevocationReport];
}

/** How a stop went. */
export interface StopReport {
  /** Every handed-out message was acknowledged before the timeout. */
  readonly drained: boolean;
  /** Handed-out messages still unacknowledged when the source gave up waiting. */
  readonly unacknowledged: number;
  /** Buffered messages never handed out (they are fetched again by the next owner). */
  readonly droppedBuffered: number;
}
