import type { StageKind } from './stage-options';
import type { SubscriptionMode } from './subscription';

/** One subscription as seen in {@link StageStats}. */
export interface SubscriptionStats {
  readonly id: number;
  readonly producer: string;
  readonly consumer: string;
  readonly mode: SubscriptionMode;
  readonly maxDemand: number;
  readonly minDemand: number;
  /** Events the consumer asked for and has not received yet. */
  readonly pendingDemand: number;
}

/**
 * A snapshot of one stage, from `stage.stats()`: plain numbers and strings, cheap enough to
 * read on every metrics scrape.
 */
export interface StageStats {
  readonly name: string;
  readonly kind: StageKind;
  readonly status: 'idle' | 'running' | 'stopped';
  /** Messages waiting in the mailbox. */
  readonly mailbox: number;
  /** Events received from producers, in total. */
  readonly eventsIn: number;
  /** Events delivered to consumers, in total. */
  readonly eventsOut: number;
  /** Events produced and not yet delivered (buffer and dispatcher queues). */
  readonly buffered: number;
  /** Producer-consumer: events received and waiting for downstream demand. */
  readonly queued: number;
  readonly bufferSize: number;
  /** Events discarded by a full buffer or by the dispatcher, in total. */
  readonly discarded: number;
  /** Events received beyond what was asked for; 0 unless something is broken. */
  readonly excess: number;
  /** Producer in `'accumulate'` mode: demand held back. */
  readonly accumulatedDemand: number;
  /** Subscriptions to producers (this stage as consumer). */
  readonly producers: readonly SubscriptionStats[];
  /** Subscriptions of consumers (this stage as producer). */
  readonly consumers: readonly SubscriptionStats[];
}
