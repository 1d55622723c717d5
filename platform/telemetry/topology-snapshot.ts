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
  /**
   * What the stage does in the pipeline: `source`, `processor`, `batcher`, `sink`,
   * `repartition` (writes the internal topic of a repartition hop) or `stateful`.
   */
  readonly role?: string;
  /** Which part of the pipeline the stage belongs to: 0 before the first repartition hop. */
  readonly part?: number;
  /** Restarts after a crash (supervised stages: processors and batchers). */
  readonly restarts?: number;
}

/** One subscription edge: `from` (producer) sends events to `to` (consumer) on demand. */
export interface TopologySubscription {
  readonly from: string;
  readonly to: string;
}

/**
 * A repartition hop: the stage `from` writes re-keyed messages to the internal `topic`,
 * which the stage `to` (a source of the next part, in every instance) reads back.
 */
export interface TopologyHop {
  readonly from: string;
  readonly to: string;
  readonly topic: string;
}

/** One source partition. */
export interface TopologyPartition {
  readonly topic: string;
  readonly partition: number;
  /** Fetching is paused, by back-pressure or by an operator. */
  readonly paused: boolean;
  /** An operator paused it (`POST /control/pause`); absent when the source does not say. */
  readonly operatorPaused?: boolean;
  /** The group member id that owns the partition; absent before the first join. */
  readonly owner?: string;
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
  /** Repartition hops between the parts of the pipeline (none for a one-part pipeline). */
  readonly hops?: readonly TopologyHop[];
}
