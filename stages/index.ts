/**
 * # stages: GenStage's demand-driven stages in TypeScript
 *
 * A pipeline is a chain of stages. Events flow down from producers to consumers, but only
 * as far as consumers ask for them: each consumer sends *demand* upstream ("I can take
 * 1000 more"), so a slow consumer slows its producers instead of being flooded, and memory
 * stays bounded. Stages are actors: each has a mailbox and runs one handler at a time;
 * handlers may be async. Concurrency comes from having several stages.
 *
 * ## How to: A → B → C
 *
 * ```ts
 * import { Consumer, Producer, ProducerConsumer } from './stages';
 *
 * class A extends Producer<number> {                 // emits 0, 1, 2, … on demand
 *   private next = 0;
 *   handleDemand(demand: number): number[] {
 *     return Array.from({ length: demand }, () => this.next++);
 *   }
 * }
 * class B extends ProducerConsumer<number, number> { // multiplies by 2
 *   handleEvents(events: number[]): number[] {
 *     return events.map((n) => n * 2);
 *   }
 * }
 * class C extends Consumer<number> {                 // prints
 *   async handleEvents(events: number[]): Promise<void> {
 *     for (const n of events) console.log(n);
 *   }
 * }
 *
 * const a = new A().start();
 * const b = new B({ subscribeTo: [a] }).start();
 * const c = new C({ subscribeTo: [{ producer: b, maxDemand: 10 }] }).start();
 * // … later: stop the producer; B and C (cancel 'permanent') stop after it.
 * await a.stop();
 * await c.done();
 * ```
 *
 * C asks B for 10 events; B asks A for 1000 (its default) but passes on only what C asked.
 * C handles events in batches of at most `maxDemand - minDemand` (10 - 5) and asks for 5
 * more after each such batch.
 *
 * ## Guidelines
 * - Events move in arrays: return a batch from `handleDemand`/`handleEvents`, never
 *   emit one event at a time. The stage owns arrays you return; do not change them after.
 * - A producer that has fewer events than asked returns what it has and remembers the
 *   rest of the demand; when more data arrives (a callback, a timer), `sendInfo` itself
 *   and return the events from `handleInfo`.
 * - `producer.finish()` ends a finite source gracefully: every event it emitted is
 *   processed downstream, then the stages stop with `'normal'` one after the other, and
 *   `await lastStage.done()` waits for the whole pipeline.
 * - Use stages for concurrency and back-pressure, not for each step of business logic:
 *   logic is plain functions a stage calls.
 * - `stage.stats()` is a cheap snapshot (name, kind, status, events in and out, buffered,
 *   discarded, pending demand per subscription) for metrics and `/topology`; see
 *   {@link StageStats}.
 * - The optional handlers (`handleSubscribe`, `handleCancel`, `handleInfo`, `init`,
 *   `terminate`) are declared on the base class: write them with `override`.
 * - `stop(reason)` stops after the messages already queued; `kill(reason)` stops now (for
 *   a handler that never settles); a {@link Supervisor} kills children that do not stop
 *   within `shutdownMs`.
 * - A broadcast consumer that subscribes late misses what was sent before it: start the
 *   producer with `demand: 'accumulate'` and call `producer.demand('forward')` once every
 *   consumer subscribed. Until then the producer holds both the demand and the events it
 *   emits (from `handleInfo`, `handleCall`, …, kept in its bounded buffer); forward sends
 *   the held events first, then passes each held ask to `handleDemand`, in order.
 * - Feed a producer from outside with `stage.call(request)` (resolves with the reply of
 *   `handleCall`, after the events it returned were dispatched or buffered) or
 *   `stage.cast(request)` (`handleCast`, no reply), as GenStage's broadcaster does:
 *   `handleCall` returns `{ reply: 'ok', events: [event] }` and `handleDemand` returns `[]`.
 * - Manual demand: return `'manual'` from `handleSubscribe` and `ask(subscription, n)` when
 *   ready, from `handleSubscribe` itself if you like (GenStage's ConsumerSupervisor does).
 *
 * ## Reference
 * Stages: {@link Producer}, {@link ProducerConsumer}, {@link Consumer}; their options
 * ({@link ProducerOptions}, {@link ProducerConsumerOptions}, {@link ConsumerOptions}) and
 * per-subscription options ({@link SubscribeOptions}). Dispatchers: {@link Dispatcher},
 * {@link DemandDispatcher} (default), {@link BroadcastDispatcher},
 * {@link PartitionDispatcher}. Requests from outside: `call`, `cast` ({@link CallFrom},
 * {@link CallResult}). Supervision: {@link Supervisor}. Interop:
 * {@link fromIterable}, {@link toAsyncIterable}. Errors: {@link StageError} and its
 * subclasses, with stable `code`s.
 */

export type { StageStatus } from './actor';
export type { BufferKeep } from './buffer';
// Requests from outside (GenStage's call and cast)
export type { CallFrom, CallResult } from './call';
// Stages
export { Consumer, type ConsumerOptions } from './consumer';
// Dispatchers
export { BroadcastDispatcher } from './dispatchers/broadcast-dispatcher';
export { DemandDispatcher } from './dispatchers/demand-dispatcher';
export type {
  DispatchContext,
  Dispatcher,
  DispatchKey,
  DispatchOptions,
} from './dispatchers/dispatcher';
export {
  PartitionDispatcher,
  type PartitionDispatcherOptions,
} from './dispatchers/partition-dispatcher';
export type { LostEvents } from './emitter';
// Errors
export {
  CallTimeoutError,
  DispatchError,
  HandlerError,
  InvalidOptionError,
  RestartLimitError,
  StageError,
  type StageErrorCode,
  StageNotRunningError,
  SubscriptionError,
} from './errors';
// Interop
export { fromIterable } from './from-iterable';
// The one error model (base class, closed set of codes) and the one option-problem formatter
export {
  ERROR_CODES,
  type ErrorCode,
  type ErrorCodeInfo,
  InternalError,
  InvalidArgumentError,
  KafkaStagesError,
} from './kafka-stages-error';
export { type Emitted, isThenable, type MaybePromise } from './maybe-promise';
export {
  describeValue,
  formatOptionProblem,
  formatOptionProblems,
  formatPath,
  type OptionProblem,
} from './option-problem';
export { Producer, type ProducerOptions } from './producer';
export { ProducerConsumer, type ProducerConsumerOptions } from './producer-consumer';
export { Stage } from './stage';
export type { DemandMode, DiscardReporter, StageKind } from './stage-options';
// Introspection
export type { StageStats, SubscriptionStats } from './stats';
// Subscriptions
export {
  type CancelMode,
  type Source,
  type StageRef,
  type StopReason,
  type SubscribeOptions,
  type SubscribeTo,
  Subscription,
  type SubscriptionMode,
} from './subscription';
// Supervision
export {
  type ChildSpec,
  type RestartPolicy,
  type SupervisedStage,
  Supervisor,
  type SupervisorOptions,
} from './supervisor';
export { toAsyncIterable } from './to-async-iterable';
