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
  // Insertion order is opening order, and every batch has the same timeout: the first entry
  // always has the earliest deadline.
  private readonly open = new Map<unknown, Open>();
  private pendingCount = 0;

  constructor(private readonly settings: AccumulatorSettings) {}

  /** Messages waiting in open batches. */
  get pending(): number {
    return this.pendingCount;
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
