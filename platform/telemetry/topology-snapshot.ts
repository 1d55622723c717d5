/** One stage as `/topology` and the live page show it. */
export interface TopologyStage {
  readonly stage: string;
  /** `producer`, `producer_consumer` or `consumer`, when the stage reported it. */
  readonly kind?: string;
  readonly pendingDemand: number;
  readonly bufferedEvents: number;
  /** Totals since start (the live page turns them into rates). */
  readonly eventsIn: number;
  readonly eventsOut: number;
  readonly failures: number;
}

/** One subscription edge: `from` (producer) sends events to `to` (consumer) on demand. */
export interface TopologySubscription {
  readonly from: string;
  readonly to: string;
}

/** One source partition. */
export interface TopologyPartition {
  readonly topic: string;
  readonly partition: number;
  readonly paused: boolean;
  /** High watermark − committed offset; `null` while either is unknown. */
  readonly lag: number | null;
  readonly highWatermark: number;
  readonly committed: number;
  readonly bufferedEvents: number;
  readonly bufferedBytes: number;
  /** Seconds since the last commit; `null` before the first. */
  readonly lastCommitAgeSeconds: number | null;
}

/** What `/topology` returns per pipeline (the body is `{ pipelines: TopologySnapshot[] }`). */
export interface TopologySnapshot {
  readonly pipeline: string;
  readonly ready: boolean;
  /** `Date.now()` when the snapshot was taken. */
  readonly at: number;
  readonly stages: readonly TopologyStage[];
  readonly subscriptions: readonly TopologySubscription[];
  readonly partitions: readonly TopologyPartition[];
}
