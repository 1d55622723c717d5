import type { Message } from '../../message/message';

/** A record a stateful handler emits (a window's result, for one). */
export interface StatefulOutput {
  readonly key: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** Event time of the result, ms (default: when it was emitted). */
  readonly timestamp?: number;
  /**
   * The input partition whose state produced the record. Needed for exactly-once output,
   * where each partition's results and offsets go in one transaction.
   */
  readonly partition?: number;
}

/**
 * Exactly-once output of a stateful stage: per input partition, its results, the offset
 * its finished inputs allow and the stage's checkpoint go in one transaction.
 */
export interface TransactionalOutput {
  /**
   * Writes `records` (results of `partition`'s state) and, after acknowledging `done` with
   * the source, the offset they allow with `metadata(offset)`, in one transaction. Rejects
   * with a fenced error when another instance owns the partition now.
   */
  commit(
    partition: number,
    records: readonly StatefulOutput[],
    done: readonly Message[],
    metadata: (offset: number) => string,
  ): Promise<void>;
}

/** What a handler call gives back. */
export interface StatefulResult {
  /** Records to pass on now (to the batchers and sinks). */
  readonly emit: readonly StatefulOutput[];
  /**
   * Input messages no state holds any more: acknowledged once every record of `emit` (of
   * this call) was confirmed by the sink. A message held by state comes back in the `done`
   * of a later call.
   */
  readonly done: readonly Message[];
}

/** What the stage tells its handler when it builds it. */
export interface StatefulContext {
  readonly pipeline: string;
  readonly stage: string;
}

/**
 * The logic of a stateful stage (windows, rates, joins): plain code the
 * {@link StatefulStage} calls one call at a time, with no I/O of its own.
 *
 * Contract:
 * - `handle` gets input messages (never empty, in order per partition, no watermark
 *   markers). A message it refuses is marked with `markFailed(message, reason)`: the stage
 *   sends it to the dead-letter topic; it must then appear in no `done` list.
 * - `advance` is called after each `handle` and on a timer, with the watermark of each
 *   assigned partition of the stage's input: emit the state the watermarks closed.
 * - A message is acknowledged (its offset may be committed) only after it was returned in
 *   `done` and the records emitted with it were confirmed: at least once, whatever crashes.
 * - `reset` forgets all state: after a consumer-group rebalance everything not committed is
 *   delivered again, and messages handed out before it can no longer be acknowledged.
 */
export interface StatefulHandler {
  /**
   * `fresh(m)`: true when `m` was never handed to this stage before (its writer's sequence
   * is past what the last checkpoint says was handled), false when it may be a re-read of
   * one counted before a restart. A fresh message is never "delivered before": if its state
   * was already emitted, it is late.
   */
  handle(messages: Message[], now: number, fresh?: (m: Message) => boolean): StatefulResult;
  /**
   * The watermark up to which state was emitted by the last `advance` (−∞ before any):
   * once those emissions are confirmed, it is stored with the committed offsets.
   */
  readonly watermark: number;
  /**
   * After `reset`, for each partition whose committed offset came with a stored state:
   * state at or below `watermark` was emitted and confirmed before, so messages of
   * `partition` that only touch such state are done without being counted again.
   */
  restore(partition: number, watermark: number): void;
  advance(
    watermark: (partition: number) => number,
    partitions: readonly number[],
    now: number,
  ): StatefulResult;
  reset(): void;
}

/** Builds the handler of one stateful stage. */
export type StatefulFactory = (context: StatefulContext) => StatefulHandler;
