import type { Producer } from '../../stages/index';
import type { Message } from '../message/message';

/** Partitions of one topic (or of whatever a source splits its input into). */
export interface SourcePartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/**
 * What a source tells the pipeline as it runs. Every callback is optional; each is called
 * only on a change (never twice in a row with the same readiness).
 */
export interface SourceListener {
  /** Ready to serve (Kafka: group joined with partitions assigned). */
  ready?(): void;
  /** Not ready any more; `reason` is for logs (`rebalancing`, `stopping`, …). */
  notReady?(reason: string): void;
  /** Failed for good: the pipeline stops with `error` as its reason. */
  failed?(error: Error): void;
  /**
   * This instance now owns `assignment` (every earlier one is gone): a stateful stage
   * forgets the state of partitions it no longer owns.
   */
  assigned?(assignment: readonly SourcePartitions[]): void;
}

/** How a source's drain went. */
export interface SourceDrainReport {
  /**
   * Every message the source handed out was acknowledged in time; `undefined` when the
   * source does not follow acknowledgements (the pipeline then waits for its end stages).
   */
  readonly drained: boolean | undefined;
  /** Messages handed out and never acknowledged; -1 when the source cannot tell. */
  readonly unacknowledged: number;
}

/** Where an operator pauses a source: all of it (`{}`), a topic, or one partition. */
export interface OperatorScope {
  readonly topic?: string;
  readonly partition?: number;
}

/**
 * An operator's pause and resume of a source (the control API's `pause`/`resume`): reading
 * stops there without leaving the group, and back-pressure never lifts it.
 */
export interface OperatorControls {
  /** Topics the source reads (known once started). */
  readonly topics: readonly string[];
  /**
   * Pauses `scope`; false when it was already paused. Throws for a topic the source does not
   * read (an error {@link OperatorControls.isUnknownScope} recognises).
   */
  pause(scope: OperatorScope): boolean;
  /**
   * Lifts the pause of `scope` and of narrower ones; false when nothing was paused there.
   * Throws when a wider pause holds it (an error {@link OperatorControls.isConflict} recognises).
   */
  resume(scope: OperatorScope): boolean;
  /** The pauses in force, widest first. */
  paused(): OperatorScope[];
  /** True when `error`, thrown by pause or resume, names a scope the source does not read. */
  isUnknownScope(error: unknown): boolean;
  /** True when `error`, thrown by resume, says a wider pause holds the scope. */
  isConflict(error: unknown): boolean;
}

/**
 * The source contract: what a pipeline needs of the place its messages come from. The
 * pipeline knows nothing else about a source: a Kafka consumer group, an async iterable and
 * a test stage all plug in through it.
 *
 * Lifecycle, as the pipeline drives it:
 * 1. `stage` is subscribed to by the processors (or the stateful stage), then started with
 *    the other stages;
 * 2. `watch` is called once, then `started()`; the pipeline is ready when `ready` is true
 *    or a `ready` callback came (a source that is always ready says so from the start);
 * 3. on stop, `drain(timeoutMs)` once: the source stops taking input in, waits (up to
 *    `timeoutMs`) for the messages it handed out to be acknowledged, makes their progress
 *    durable (Kafka: commits), and finishes `stage`, so that the stages after it finish too.
 *
 * Metrics and `/topology`: the pipeline reports the stage; a source with partitions reports
 * them itself to the telemetry its connector was given.
 */
export interface PipelineSource {
  /** The producer stage of the source's messages. */
  readonly stage: Producer<Message>;
  /** Ready to serve now. */
  readonly ready: boolean;
  /** Registers the listener; returns a function that removes it. */
  watch(listener: SourceListener): () => void;
  /**
   * Resolves once the source started (Kafka: topics checked, first group join); rejects
   * with the error that kept it from starting. Called after `stage` was started.
   */
  started(): Promise<void>;
  /**
   * Graceful end (see the lifecycle above) within `timeoutMs`, what the pipeline has left of
   * its `drainTimeoutMs` (a source with a drain timeout of its own may use that instead).
   * Called once; later calls get the same report.
   */
  drain(timeoutMs: number): Promise<SourceDrainReport>;
  /** The operator's pause and resume, when the source has them. */
  readonly operator?: OperatorControls;
}

/** True when `value` implements {@link PipelineSource} (a ready-made source in the options). */
export function isPipelineSource(value: unknown): value is PipelineSource {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<PipelineSource>;
  return (
    typeof v.watch === 'function' &&
    typeof v.started === 'function' &&
    typeof v.drain === 'function' &&
    typeof v.stage === 'object'
  );
}

/**
 * A producer stage as a pipeline source: always ready, no acknowledgements followed. Its
 * drain finishes the stage (if still running); the pipeline then waits for its end stages.
 */
export function stageSource(stage: Producer<Message>): PipelineSource {
  return {
    stage,
    ready: true,
    watch: () => () => {},
    started: () => Promise.resolve(),
    drain: async () => {
      if (stage.status === 'running') stage.finish();
      return { drained: undefined, unacknowledged: -1 };
    },
  };
}
