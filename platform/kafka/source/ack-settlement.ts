import type { Acknowledger, Message } from '../../message/message';
import { AckWaiters } from '../../pipeline/index';
import type { AssignmentRegistry } from './assignment-registry';
import type { OffsetTracker } from './offset-tracker';
import type { PartitionState } from './partition-state';
import type { SourceMessage } from './source-message';

/**
 * Settles the source's messages: an acknowledgement (delivered or dead-lettered) marks the
 * message's offset done in its partition's tracker, unless it comes from an older
 * assignment generation; drains waiting for the messages in flight are told of each one.
 */
export class AckSettlement {
  /** The acknowledger every message of the source carries. */
  readonly acknowledger: Acknowledger = {
    ack: (successful, failed) => this.settle(successful, failed),
  };
  /** Drains in progress (a rebalance's and a stop's can overlap), told of every ack. */
  private readonly waiters = new AckWaiters();

  constructor(
    private readonly registry: AssignmentRegistry,
    /** Called after each acknowledgement was recorded. */
    private readonly onSettled: () => void,
  ) {}

  /** Resolves true once nothing is in flight, false after `timeoutMs`. */
  waitForAcks(timeoutMs: number): Promise<boolean> {
    return this.waiters.until(() => this.registry.inFlight() <= 0, timeoutMs);
  }

  private settle(successful: readonly Message[], failed: readonly Message[]): void {
    this.markDone(successful);
    this.markDone(failed);
    this.waiters.notify();
    this.onSettled();
  }

  private markDone(messages: readonly Message[]): void {
    // Acknowledged batches come in runs of one partition: look the tracker up per run.
    let topic: string | undefined;
    let partitions: ReadonlyMap<number, PartitionState> | undefined;
    let partition = -1;
    let tracker: OffsetTracker | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as SourceMessage;
      if (m.topic !== topic) {
        topic = m.topic;
        partitions = this.registry.ofTopic(topic);
        partition = -1;
      }
      if (m.partition !== partition) {
        partition = m.partition;
        tracker = partitions?.get(partition)?.tracker;
      }
      tracker?.ack(m.generation, m.offset);
    }
  }
}
