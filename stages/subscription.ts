import type { StageKind } from './stage-options';
import type { StageStats } from './stats';

/**
 * What happens to a consumer when its producer cancels the subscription or stops:
 * - `'permanent'` (default): the consumer stops too, with the same reason;
 * - `'transient'`: it stops only when the reason is an error (not `'normal'`/`'shutdown'`);
 * - `'temporary'`: it keeps running; only `handleCancel` tells it.
 */
export type CancelMode = 'permanent' | 'transient' | 'temporary';

/**
 * `'automatic'` (default): the stage asks its producer for events by itself, `maxDemand`
 * first, then more as it processes them. `'manual'`: `handleSubscribe` returned `'manual'`,
 * and the stage asks with {@link Stage.ask}.
 */
export type SubscriptionMode = 'automatic' | 'manual';

/** Why a stage stopped, or why a subscription was cancelled. */
export type StopReason = 'normal' | 'shutdown' | Error;

/** Options of one subscription (in `subscribeTo` or `stage.subscribe(producer, options)`). */
export interface SubscribeOptions<T = unknown> {
  /** Most events in flight from this producer: the first ask. Default 1000. */
  maxDemand?: number;
  /**
   * When pending demand falls to this, ask for more (up to `maxDemand`). Default
   * `floor(maxDemand / 2)`; must be below `maxDemand`. Events are handed to `handleEvents`
   * in batches of at most `maxDemand - minDemand`.
   */
  minDemand?: number;
  /** See {@link CancelMode}. Default `'permanent'`. */
  cancel?: CancelMode;
  /** PartitionDispatcher: the partition this consumer takes. */
  partition?: number | string;
  /** BroadcastDispatcher: keep only the events for which this returns true. */
  selector?: (event: T) => boolean;
}

/**
 * A stage that emits events of type `T`: a Producer<T> or a ProducerConsumer<_, T>. What
 * `subscribeTo` and `subscribe` accept.
 */
export interface Source<T> {
  readonly name: string;
  readonly kind: StageKind;
  stats(): StageStats;
  /** Type-level only: what the stage emits. Never set. */
  readonly __emits?: readonly T[];
}

/** Any stage, as a subscription names it. */
export interface StageRef {
  readonly name: string;
  readonly kind: StageKind;
  stats(): StageStats;
}

/** A subscription entry of `subscribeTo`: a producer, with or without options. */
export type SubscribeTo<T> = Source<T> | ({ producer: Source<T> } & SubscribeOptions<T>);

/** Subscription options after validation and defaults. */
export interface ResolvedSubscribeOptions<T> {
  readonly maxDemand: number;
  readonly minDemand: number;
  readonly cancel: CancelMode;
  readonly partition: number | string | undefined;
  readonly selector: ((event: T) => boolean) | undefined;
}

let nextId = 1;

/**
 * The link between one producer and one consumer; the `from` of `handleEvents`, the
 * argument of `ask` and `cancel`. Both stages hold the same object, so its counters are the
 * demand bookkeeping of the pair.
 */
export class Subscription<T = unknown> {
  readonly id = nextId++;
  /** Set by the consumer once `handleSubscribe` answered. */
  mode: SubscriptionMode = 'automatic';
  /** Set by the producer once it accepted the subscription. */
  accepted = false;
  /** Events the consumer asked for, in total. */
  asked = 0;
  /** Events the consumer received, in total. */
  received = 0;
  /** The consumer's running demand, as GenStage tracks it to decide when to ask again. */
  demand = 0;

  constructor(
    readonly producer: Source<T>,
    readonly consumer: StageRef,
    readonly options: ResolvedSubscribeOptions<T>,
  ) {}

  get maxDemand(): number {
    return this.options.maxDemand;
  }

  get minDemand(): number {
    return this.options.minDemand;
  }

  /** Events asked for and not yet received by the consumer. */
  get pendingDemand(): number {
    return this.asked - this.received;
  }

  toString(): string {
    return `${this.producer.name} -> ${this.consumer.name}`;
  }
}
