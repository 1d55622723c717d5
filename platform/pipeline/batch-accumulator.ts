import type { Message } from '../message/message';
import { keyOf } from './key-of';

/** A batch handed to a sink: messages sharing one batch key, in arrival order. */
export interface Batch {
  readonly batcher: string;
  readonly key: unknown;
  readonly messages: Message[];
  /** Sum of the messages' `size`. */
  readonly bytes: number;
}

/** The sizes an operator may change while the batcher runs. */
export interface BatchSizes {
  readonly batchSize: number;
  readonly batchTimeoutMs: number;
}

/** What a {@link BatchAccumulator} needs: a batcher's validated settings. */
export interface AccumulatorSettings {
  readonly batcher: string;
  readonly batchSize: number;
  readonly batchBytes?: number | undefined;
  readonly batchTimeoutMs: number;
  readonly batchKey?: ((message: Message) => unknown) | undefined;
}

interface Open {
  messages: Message[];
  bytes: number;
  /** When this batch must be flushed even if not full (ms, the clock given to `add`). */
  deadline: number;
}

/**
 * The batching logic of a batcher, as pure state: messages go in, full or expired batches
 * come out. One open batch per batch key; a batch closes when it holds `batchSize`
 * messages, when its bytes reach `batchBytes`, or `batchTimeoutMs` after its first message.
 * Order within a key is arrival order. Time is passed in, so tests need no timers.
 */
export class BatchAccumulator {
  // Insertion order is opening order, and deadlines never decrease along it (a shorter
  // timeout pulls the earlier deadlines in, see `resize`): the first entry always has the
  // earliest deadline.
  private readonly open = new Map<unknown, Open>();
  private pendingCount = 0;
  private settings: AccumulatorSettings;

  constructor(settings: AccumulatorSettings) {
    this.settings = settings;
  }

  /** Messages waiting in open batches. */
  get pending(): number {
    return this.pendingCount;
  }

  /** The batch size and timeout in force. */
  get sizes(): BatchSizes {
    return { batchSize: this.settings.batchSize, batchTimeoutMs: this.settings.batchTimeoutMs };
  }

  /**
   * Changes the batch size and/or timeout at time `now`. Batches opened from now on use the
   * new values; an open batch that already holds the new size closes now (returned), and
   * one whose deadline lies beyond `now` + the new timeout is due then, so a shorter timeout
   * is never waited out at the old length.
   */
  resize(sizes: Partial<BatchSizes>, now: number): Batch[] {
    this.settings = { ...this.settings, ...sizes };
    const { batchSize, batchTimeoutMs } = this.settings;
    const latest = now + batchTimeoutMs;
    const closed: Batch[] = [];
    for (const [key, batch] of this.open) {
      if (batch.messages.length >= batchSize) closed.push(this.close(key, batch));
      else if (batch.deadline > latest) batch.deadline = latest;
    }
    return closed;
  }

  /** Adds messages at time `now`; returns the batches they filled, in closing order. */
  add(messages: readonly Message[], now: number): Batch[] {
    const { batchSize, batchBytes, batchTimeoutMs, batchKey } = this.settings;
    const closed: Batch[] = [];
    for (const message of messages) {
      const key = batchKey ? keyOf(batchKey, message, 'batch-key') : undefined;
      let batch = this.open.get(key);
      if (!batch) {
        batch = { messages: [], bytes: 0, deadline: now + batchTimeoutMs };
        this.open.set(key, batch);
      }
      batch.messages.push(message);
      batch.bytes += message.size;
      this.pendingCount++;
      if (
        batch.messages.length >= batchSize ||
        (batchBytes !== undefined && batch.bytes >= batchBytes)
      ) {
        closed.push(this.close(key, batch));
      }
    }
    return closed;
  }

  /** Closes and returns every batch whose deadline is at or before `now`. */
  due(now: number): Batch[] {
    const closed: Batch[] = [];
    for (const [key, batch] of this.open) {
      if (batch.deadline > now) break;
      closed.push(this.close(key, batch));
    }
    return closed;
  }

  /** Closes and returns every open batch (stopping: nothing waits for a timeout). */
  flushAll(): Batch[] {
    return [...this.open].map(([key, batch]) => this.close(key, batch));
  }

  /** The earliest deadline of an open batch, or undefined when none is open. */
  nextDeadline(): number | undefined {
    for (const batch of this.open.values()) return batch.deadline;
    return undefined;
  }

  private close(key: unknown, batch: Open): Batch {
    this.open.delete(key);
    this.pendingCount -= batch.messages.length;
    return { batcher: this.settings.batcher, key, messages: batch.messages, bytes: batch.bytes };
  }
}
