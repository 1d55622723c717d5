import type { Context } from '@opentelemetry/api';
import type { Message, MessageHeaders } from '../message/message';
import type { TopologyHop } from './topology-snapshot';

/** A snapshot of one source partition, read at scrape time (never pushed per event). */
export interface PartitionSnapshot {
  readonly topic: string;
  readonly partition: number;
  /** Next offset the broker will write (kafkajs `highWatermark`), -1 when unknown. */
  readonly highWatermark: number;
  /** Next offset to consume per the last successful commit, -1 before the first commit. */
  readonly committed: number;
  /** Fetching is paused, by back-pressure or by an operator. */
  readonly paused: boolean;
  /** Optional: an operator paused it (it stays paused until the operator resumes it). */
  readonly operatorPaused?: boolean;
  /** Optional: the group member that owns the partition (this instance's member id). */
  readonly owner?: string;
  readonly bufferedEvents: number;
  readonly bufferedBytes: number;
  /** `Date.now()` of the last successful commit, 0 before the first. */
  readonly lastCommitAt: number;
}

/** A snapshot of one stage, as the stages core reports it. */
export interface StageSnapshot {
  readonly stage: string;
  readonly pendingDemand: number;
  readonly bufferedEvents: number;
  /** Optional, for `/topology`: `producer`, `producer_consumer` or `consumer`. */
  readonly kind?: string;
  /** Optional, for `/topology`: names of the stages this one subscribes to (its producers). */
  readonly subscribedTo?: readonly string[];
  /**
   * Optional, for `/topology`: totals from the stage itself (`stage.stats()`); without
   * them `/topology` shows the totals reported through `recordBatch`.
   */
  readonly eventsIn?: number;
  readonly eventsOut?: number;
  /** Optional, for `/topology`: `source`, `processor`, `batcher`, `sink`, `repartition`, `stateful`. */
  readonly role?: string;
  /** Optional, for `/topology`: the pipeline part (0 before the first repartition hop). */
  readonly part?: number;
  /**
   * Optional: restarts after a crash, for stages run under a supervisor (processors,
   * batchers). Feeds `/topology` and `kafka_stages_stage_restarts_total`.
   */
  readonly restarts?: number;
}

/** Counts of one handler call (one batch) of a stage. */
export interface BatchRecord {
  readonly eventsIn: number;
  readonly eventsOut: number;
  readonly seconds: number;
  /** Failed messages by bounded reason. */
  readonly failures?: Readonly<Record<string, number>>;
}

/**
 * What the platform's stages report, and the tracing they need. The pipeline and the Kafka
 * stages call it; `platform/telemetry` implements it with prom-client and OpenTelemetry, and
 * {@link noopTelemetry} is the default when telemetry is off.
 *
 * Contract: every method is called per batch or per rare event, never per message on a hot
 * path (except where it takes the batch's messages); none throws; none blocks.
 */
export interface Telemetry {
  /** One handler call of `stage` finished. */
  recordBatch(stage: string, record: BatchRecord): void;
  /** A partition was paused (for its pauses counter; the paused gauge comes from snapshots). */
  recordPause(topic: string, partition: number): void;
  /** A commit of `topic` took `seconds`. */
  recordCommit(topic: string, seconds: number): void;
  recordRebalance(): void;
  recordDeadLettered(topic: string, reason: string, count: number): void;
  /** Messages confirmed by the sink: end-to-end latency from each record's timestamp. */
  recordDelivered(topic: string, messages: readonly Message[], now: number): void;
  /** Readiness of the pipeline (group joined and partitions assigned; false when stopping). */
  setReady(ready: boolean): void;
  /** Registers snapshot providers read at scrape time. Returns an unregister function. */
  observe(provider: {
    partitions?: () => readonly PartitionSnapshot[];
    stages?: () => readonly StageSnapshot[];
    /** Repartition hops between the pipeline's parts, for `/topology` and the live page. */
    hops?: () => readonly TopologyHop[];
  }): () => void;

  /**
   * Parent context from a record's headers (W3C `traceparent`/`tracestate`); a malformed
   * header is counted and yields `undefined` (a new trace), never an error.
   */
  extractContext(headers: MessageHeaders): Context | undefined;
  /** Writes the current/given context into headers of a record about to be produced. */
  injectContext(headers: Record<string, string | Buffer>, context?: Context): void;
  /**
   * Runs `fn` inside a `process <topic>` CONSUMER span for one stage batch, linked to each
   * message's trace context; per-message child spans where the sampler selects them.
   */
  traceBatch<T>(stage: string, topic: string, messages: readonly Message[], fn: () => T): T;
  /** Runs `fn` inside a `send <topic>` PRODUCER span; `fn` receives the span's context. */
  traceSend<T>(topic: string, count: number, fn: (context: Context | undefined) => T): T;
  /** Runs `fn` inside a `commit <topic>` CLIENT span. */
  traceCommit<T>(topic: string, fn: () => T): T;
}

/** Telemetry that records nothing: the default, and the baseline of the telemetry benchmark. */
export const noopTelemetry: Telemetry = {
  recordBatch() {},
  recordPause() {},
  recordCommit() {},
  recordRebalance() {},
  recordDeadLettered() {},
  recordDelivered() {},
  setReady() {},
  observe: () => () => {},
  extractContext: () => undefined,
  injectContext() {},
  traceBatch: (_stage, _topic, _messages, fn) => fn(),
  traceSend: (_topic, _count, fn) => fn(undefined),
  traceCommit: (_topic, fn) => fn(),
};
