/**
 * A dispatcher decides which consumer of a producer receives which events. It is a small,
 * synchronous state machine: the producer feeds it subscriptions, demand and events, and it
 * answers with the demand the producer must satisfy and the events it could not place.
 * It never does I/O; deliveries go through the `send` of the context it is given, so a
 * dispatcher is tested as pure state transitions.
 *
 * The producer guarantees: `subscribe` comes before any `ask` for a key; `cancel` is the
 * last call for a key; `dispatch` is only called with a non-empty array, and events the
 * dispatcher returns as leftovers are offered again, in order, before any newer event.
 */
export interface Dispatcher<T> {
  /** `'demand'`, `'broadcast'`, `'partition'`: shown in stats. */
  readonly kind: string;
  /** Events held inside the dispatcher (e.g. partition queues), not yet sent. */
  readonly held: number;
  /** Events the dispatcher dropped on purpose (e.g. a hash that returned `undefined`). */
  readonly discarded: number;
  /**
   * True when the demand this dispatcher returns already excludes the events waiting in
   * the producer's buffer (it counted them when they were emitted, as broadcast does): the
   * producer then asks `handleDemand` for all of it instead of subtracting what its buffer
   * supplied, which would count those events twice and lose demand.
   */
  readonly countsBuffered?: boolean;
  /**
   * Checks a subscription's options before it is made; returns what is wrong, or
   * `undefined` when they are fine. Called again when the subscription arrives.
   */
  check(options: DispatchOptions<T>): string | undefined;
  /** A consumer subscribed. Returns demand for the producer (usually 0). */
  subscribe(key: DispatchKey, options: DispatchOptions<T>): number;
  /** A consumer left. Returns demand for the producer (e.g. broadcast's minimum rose). */
  cancel(key: DispatchKey): number;
  /**
   * A consumer asked for `n` more events. May send events the dispatcher holds. Returns
   * the demand the producer must now satisfy (from its buffer or `handleDemand`).
   */
  ask(n: number, key: DispatchKey, context: DispatchContext<T>): number;
  /**
   * Optional. The producer put `count` new events in its buffer: the leftovers of new
   * events it dispatched, or new events queued behind events already buffered (never
   * leftovers of events offered again from the buffer). A dispatcher that keeps demand
   * the producer already owes (a cancelled consumer's) learns here that the producer has
   * made those events, so it stops subtracting them from new asks: the buffer supplies
   * them instead (GenStage's demand dispatcher lowers its pending demand the same way).
   */
  buffered?(count: number): void;
  /**
   * Optional. The producer stops: returns the events the dispatcher holds (see `held`), in
   * order, and forgets them, so that whoever watches the stop knows they were dropped.
   */
  takeHeld?(): T[];
  /**
   * Places events with consumers that have demand, through `context.send`. Returns the
   * events it could not place, in order (the producer buffers them): `events` itself, a
   * tail of it, or an empty array.
   */
  dispatch(events: T[], context: DispatchContext<T>): T[];
}

/** Identifies a consumer to a dispatcher; the stage uses its subscription object. */
export type DispatchKey = object;

/** The options of a subscription a dispatcher may read. */
export interface DispatchOptions<T> {
  readonly maxDemand: number;
  /** PartitionDispatcher: which partition the consumer takes. */
  readonly partition?: number | string | undefined;
  /** BroadcastDispatcher: which events the consumer wants. */
  readonly selector?: ((event: T) => boolean) | undefined;
}

/** What a dispatcher may do besides returning values. */
export interface DispatchContext<T> {
  /** Delivers events to a consumer. `events` must not be modified afterwards. */
  send(key: DispatchKey, events: T[]): void;
  /** Asks again, later, `n` events on a consumer's behalf (as if the consumer had asked). */
  ask(key: DispatchKey, n: number): void;
  /**
   * The producer owes `n` more events than it was asked for, e.g. it made events the
   * dispatcher dropped: later, the buffer or `handleDemand` is asked for them.
   */
  demand(n: number): void;
}

/** Shared empty result; never mutated. */
export const NO_EVENTS: never[] = [];

/** The events from index `from` on, without copying when nothing is cut. */
export function tail<T>(events: T[], from: number): T[] {
  if (from === 0) return events;
  return from >= events.length ? NO_EVENTS : events.slice(from);
}
