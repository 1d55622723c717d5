import { EventBuffer } from './buffer';
import type { DispatchContext, Dispatcher, DispatchKey } from './dispatchers/dispatcher';
import {
  describeValue,
  HandlerError,
  InvalidOptionError,
  StageError,
  StageNotRunningError,
  SubscriptionError,
} from './errors';
import { Queue } from './queue';
import { type Runnable, schedule } from './scheduler';
import {
  type DemandMode,
  type DiscardReporter,
  parseSubscribeOptions,
  type StageConfig,
  type StageKind,
} from './stage-options';
import type { StageStats, SubscriptionStats } from './stats';
import {
  type Source,
  type StopReason,
  type SubscribeOptions,
  Subscription,
  type SubscriptionMode,
} from './subscription';

/** A value or a promise of it: every handler may be sync or async. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** What a handler that emits returns: the events (possibly none), or nothing. */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler written as returning void must fit
export type Emitted<T> = readonly T[] | undefined | void;

/** `'idle'` until `start()`, then `'running'`, then `'stopped'` for good. */
export type StageStatus = 'idle' | 'running' | 'stopped';

/** A mailbox message: runs to completion, or returns a promise the mailbox waits for. */
type Task = () => Promise<void> | undefined;

const EVENTS = 0;
const INFO = 1;
const CANCEL = 2;
/** Producer-consumer input waiting for downstream demand, in arrival order. */
type Inbound<T> =
  | { readonly type: typeof EVENTS; readonly sub: Subscription<T>; readonly events: T[] }
  | { readonly type: typeof INFO; readonly message: unknown }
  | { readonly type: typeof CANCEL; readonly sub: Subscription<T>; readonly reason: StopReason };

interface Marker {
  /** Buffer position after which the info is due. */
  readonly at: number;
  readonly message: unknown;
}

const producerOf = <T>(sub: Subscription<T>) => sub.producer as unknown as Stage<never, T>;
const consumerOf = <T>(sub: Subscription<T>) => sub.consumer as unknown as Stage<T, unknown>;

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Continues with `next` now, or once `value` settles: no promise when nothing is async. */
function chain<T>(value: MaybePromise<T>, next: (value: T) => Promise<void> | undefined) {
  return isThenable<T>(value) ? Promise.resolve(value).then(next) : next(value);
}

const isNormal = (reason: StopReason) => reason === 'normal' || reason === 'shutdown';

let warnedAt = 0;
const warnDiscard: DiscardReporter = (count, stage) => {
  // A full buffer discards on every batch; one warning a second is enough to be seen.
  const now = Date.now();
  if (now - warnedAt < 1000) return;
  warnedAt = now;
  process.emitWarning(`stage '${stage}' discarded ${count} events: its buffer was full`, {
    code: 'KAFKA_STAGES_DISCARD',
  });
};

/**
 * The common core of every stage: a mailbox processed one message at a time (so handlers
 * never overlap), the subscriptions on both sides, the demand bookkeeping, the producer
 * buffer and the lifecycle. Extend {@link Producer}, {@link ProducerConsumer} or
 * {@link Consumer}, not this class.
 */
export abstract class Stage<In, Out> implements Runnable, Source<Out> {
  declare readonly __emits?: readonly Out[];
  readonly kind: StageKind;
  readonly name: string;
  /** @internal Scheduler bookkeeping. */
  queued = false;

  /** Called once, first thing after `start()`, before any subscription. */
  init?(): MaybePromise<void>;
  /**
   * A subscription was made: `kind` is `'producer'` on the consumer side (return
   * `'manual'` to ask with {@link ask} yourself) and `'consumer'` on the producer side.
   */
  handleSubscribe?(
    kind: 'producer' | 'consumer',
    subscription: Subscription,
    // biome-ignore lint/suspicious/noConfusingVoidType: a handler written as returning void must fit
  ): MaybePromise<SubscriptionMode | undefined | void>;
  /** A subscription ended (cancelled by either side, or the other stage stopped). */
  handleCancel?(reason: StopReason, subscription: Subscription): MaybePromise<Emitted<Out>>;
  /** A message from {@link sendInfo}; producers deliver it after the events buffered before it. */
  handleInfo?(message: unknown): MaybePromise<Emitted<Out>>;
  /** The stage is stopping: release resources. Its subscriptions end right after. */
  terminate?(reason: StopReason): MaybePromise<void>;

  private _status: StageStatus = 'idle';
  private exiting = false;
  private busy = false;
  private finishing = false;
  private handler = '';
  private readonly mailbox = new Queue<Task>();
  private readonly upstream = new Set<Subscription<In>>();
  private readonly downstream = new Set<Subscription<Out>>();
  private readonly inbound = new Queue<Inbound<In>>();
  private inboundEvents = 0;
  private readonly dispatcher: Dispatcher<Out> | undefined;
  private readonly buffer: EventBuffer<Out>;
  private readonly markers = new Queue<Marker>();
  private readonly context: DispatchContext<Out>;
  private readonly onDiscard: DiscardReporter;
  private readonly subscribeTo: StageConfig<In, Out>['subscribeTo'];
  /** Producer-consumer: downstream demand not yet met. */
  private counter = 0;
  private accumulated = 0;
  private demandMode: DemandMode;
  private eventsIn = 0;
  private eventsOut = 0;
  private discarded = 0;
  private excess = 0;
  private readonly exitListeners: ((reason: StopReason) => void)[] = [];
  private resolveDone!: (reason: StopReason) => void;
  private readonly donePromise = new Promise<StopReason>((resolve) => {
    this.resolveDone = resolve;
  });

  protected constructor(config: StageConfig<In, Out>) {
    this.kind = config.kind;
    this.name = config.name;
    this.dispatcher = config.dispatcher;
    this.buffer = new EventBuffer<Out>(config.bufferSize, config.bufferKeep);
    this.demandMode = config.demand;
    this.onDiscard = config.onDiscard ?? warnDiscard;
    this.subscribeTo = config.subscribeTo;
    this.context = {
      send: (key: DispatchKey, events: Out[]) => {
        const sub = key as Subscription<Out>;
        this.eventsOut += events.length;
        const consumer = consumerOf(sub);
        consumer.post(() => consumer.receive(sub, events));
      },
      ask: (key: DispatchKey, n: number) => {
        const sub = key as Subscription<Out>;
        this.post(() => this.onAsk(sub, n));
      },
    };
  }

  /** Where the stage is in its life. */
  get status(): StageStatus {
    return this._status;
  }

  /**
   * Starts the stage: runs `init`, then subscribes to `subscribeTo`. Stages may start in
   * any order; messages to a stage not started yet wait in its mailbox. Returns `this`.
   */
  start(): this {
    if (this._status === 'running') return this;
    if (this._status === 'stopped') throw new StageNotRunningError(this.name, 'start it again');
    this._status = 'running';
    if (this.init) {
      this.mailbox.push(() => {
        this.handler = 'init';
        const result = this.init!();
        return isThenable(result) ? Promise.resolve(result) : undefined;
      });
    }
    for (const { producer, options } of this.subscribeTo) this.subscribe(producer, options);
    if (this.mailbox.length > 0) schedule(this);
    return this;
  }

  /**
   * Stops the stage after the messages already in its mailbox, with `reason` (default
   * `'normal'`): `terminate` runs, consumers are told (and stop too if their cancel mode
   * says so), producers forget it. Resolves once stopped.
   */
  stop(reason: StopReason = 'normal'): Promise<StopReason> {
    if (this._status === 'idle') {
      this._status = 'running';
      this.mailbox.clear();
      this.exit(reason);
    } else {
      this.post(() => {
        this.exit(reason);
        return undefined;
      });
    }
    return this.donePromise;
  }

  /**
   * Stops the stage now, without waiting for the handler in progress or the mailbox (OTP's
   * brutal kill): for a stage stuck in a handler that never settles. `terminate` still runs.
   */
  kill(reason: StopReason = 'shutdown'): Promise<StopReason> {
    if (this._status === 'idle') this._status = 'running';
    this.busy = false;
    this.exit(reason);
    return this.donePromise;
  }

  /** Resolves with the reason once the stage has stopped (never rejects). */
  done(): Promise<StopReason> {
    return this.donePromise;
  }

  /**
   * Queues `message` for `handleInfo`. A producer delivers it after every event it had
   * buffered at this moment; a producer-consumer also after the input it had queued.
   */
  sendInfo(message: unknown): void {
    this.post(() => {
      if (this.kind === 'consumer') return this.deliverInfo(message);
      if (this.kind === 'producer_consumer' && this.inbound.length > 0) {
        this.inbound.push({ type: INFO, message });
        return undefined;
      }
      if (this.buffer.size > 0 || this.markers.length > 0) {
        this.markers.push({ at: this.buffer.end, message });
        return this.buffer.size === 0 ? this.flushMarkers() : undefined;
      }
      return this.deliverInfo(message);
    });
  }

  /**
   * Subscribes this stage to `producer` now (see `subscribeTo` for subscriptions made at
   * start). Throws if the options are invalid, `producer` is a consumer or stopped, or the
   * pair is already subscribed.
   */
  subscribe<T extends In>(
    producer: Source<T>,
    options: SubscribeOptions<T> = {},
  ): Subscription<In> {
    const component = `stage '${this.name}'`;
    const resolved = parseSubscribeOptions<In>(component, '', options);
    if (!(producer instanceof Stage)) {
      throw new InvalidOptionError(
        component,
        'producer',
        producer,
        'a Producer or ProducerConsumer',
      );
    }
    const refuse = (problem: string) => new SubscriptionError(this.name, producer.name, problem);
    if (this.kind === 'producer')
      throw refuse(`'${this.name}' is a producer; producers do not subscribe`);
    if (this.exiting) throw new StageNotRunningError(this.name, 'subscribe');
    if (producer.kind === 'consumer') {
      throw refuse(
        `'${producer.name}' is a consumer; subscribe to a producer or producer-consumer`,
      );
    }
    if ((producer as unknown) === this) throw refuse('a stage cannot subscribe to itself');
    if (producer.exiting) throw refuse(`'${producer.name}' has stopped`);
    for (const sub of this.upstream) {
      if ((sub.producer as unknown) === producer) {
        throw refuse('already subscribed; cancel that subscription first');
      }
    }
    const problem =
      producer.dispatcher!.check(resolved) ??
      (resolved.partition !== undefined &&
      [...producer.downstream].some((s) => s.options.partition === resolved.partition)
        ? `partition ${JSON.stringify(resolved.partition)} already has a consumer`
        : undefined);
    if (problem) throw refuse(problem);
    const upstream = producer as unknown as Stage<never, In>;
    const sub = new Subscription<In>(upstream, this, resolved);
    this.upstream.add(sub);
    upstream.downstream.add(sub);
    this.post(() => this.beginSubscription(sub));
    return sub;
  }

  /**
   * Cancels a subscription of this stage (consumer side). The producer confirms, and then
   * the subscription's cancel mode applies as for any cancel: with `'permanent'` (the
   * default) this stage stops too, as in GenStage; use `'temporary'` to keep running.
   */
  cancel(subscription: Subscription, reason: StopReason = 'normal'): void {
    const sub = subscription as Subscription<In>;
    if (sub.consumer !== this || !this.upstream.has(sub)) return;
    const producer = producerOf(sub);
    producer.post(() => producer.downstreamCancelled(sub, reason, true));
  }

  /**
   * Asks `subscription`'s producer for `n` more events. For subscriptions in manual mode
   * (`handleSubscribe` returned `'manual'`); automatic ones ask by themselves.
   */
  ask(subscription: Subscription, n: number): void {
    const sub = subscription as Subscription<In>;
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidOptionError(`stage '${this.name}'`, 'ask(n)', n, 'an integer >= 1');
    }
    if (sub.consumer !== this || !this.upstream.has(sub)) {
      throw new InvalidOptionError(
        `stage '${this.name}'`,
        'ask(subscription)',
        `${sub}`,
        `an active subscription of '${this.name}'`,
      );
    }
    this.sendAsk(sub, n);
  }

  /** A cheap snapshot for telemetry and tests: counters, buffer and demand per subscription. */
  stats(): StageStats {
    const describe = <T>(sub: Subscription<T>): SubscriptionStats => ({
      id: sub.id,
      producer: sub.producer.name,
      consumer: sub.consumer.name,
      mode: sub.mode,
      maxDemand: sub.maxDemand,
      minDemand: sub.minDemand,
      pendingDemand: sub.pendingDemand,
    });
    return {
      name: this.name,
      kind: this.kind,
      status: this._status,
      mailbox: this.mailbox.length,
      eventsIn: this.eventsIn,
      eventsOut: this.eventsOut,
      buffered: this.buffer.size + (this.dispatcher?.held ?? 0),
      queued: this.inboundEvents,
      bufferSize: this.buffer.capacity,
      discarded: this.discarded + (this.dispatcher?.discarded ?? 0),
      excess: this.excess,
      accumulatedDemand: this.accumulated,
      producers: [...this.upstream].map(describe),
      consumers: [...this.downstream].map(describe),
    };
  }

  /** Producer side: calls `handleDemand`. Implemented by Producer. */
  protected invokeDemand(_demand: number): MaybePromise<Emitted<Out>> {
    return undefined;
  }

  /** Consumer side: calls `handleEvents`. Implemented by ProducerConsumer and Consumer. */
  protected invokeEvents(_events: In[], _from: Subscription<In>): MaybePromise<Emitted<Out>> {
    return undefined;
  }

  /** Producer: switches the demand mode; `'forward'` hands over the accumulated demand. */
  protected setDemandMode(mode: DemandMode): void {
    this.post(() => {
      this.demandMode = mode;
      if (mode !== 'forward' || this.accumulated === 0 || this.finishing) return undefined;
      const demand = this.accumulated;
      this.accumulated = 0;
      return this.callDemand(demand);
    });
  }

  /** Producer: stop with `'normal'` once the events handed over so far are dispatched. */
  protected finishWhenDrained(): void {
    this.post(() => {
      this.finishing = true;
      return undefined;
    });
  }

  /** @internal Registers a synchronous exit listener (the supervisor's). */
  onExit(listener: (reason: StopReason) => void): void {
    if (this._status === 'stopped') listener(this.stopReason!);
    else this.exitListeners.push(listener);
  }

  private stopReason: StopReason | undefined;

  // ---- mailbox ------------------------------------------------------------------------

  /** @internal Appends a message; messages to a stopped stage are dropped. */
  post(task: Task): void {
    if (this.exiting) return;
    this.mailbox.push(task);
    if (!this.busy && this._status === 'running') schedule(this);
  }

  /** @internal Runs up to `budget` messages; stops at the first one that awaits. */
  runSlice(budget: number): void {
    while (budget-- > 0 && !this.busy && !this.exiting && this.mailbox.length > 0) {
      const task = this.mailbox.shift()!;
      let result: Promise<void> | undefined;
      try {
        result = task();
      } catch (error) {
        this.fail(error);
        return;
      }
      if (result !== undefined) {
        this.busy = true;
        result.then(this.resume, this.failAsync);
        return;
      }
      if (this.finishing) this.checkFinished();
    }
    if (this.mailbox.length > 0 && !this.busy && !this.exiting) schedule(this);
  }

  private readonly resume = (): void => {
    this.busy = false;
    if (this.exiting) return;
    if (this.finishing) this.checkFinished();
    if (this.mailbox.length > 0) schedule(this);
  };

  private readonly failAsync = (error: unknown): void => {
    this.busy = false;
    this.fail(error);
  };

  private fail(error: unknown): void {
    this.exit(
      error instanceof StageError
        ? error
        : new HandlerError(this.name, this.handler || 'a handler', error),
    );
  }

  private exit(reason: StopReason): void {
    if (this.exiting) return;
    this.exiting = true;
    this.mailbox.clear();
    this.inbound.clear();
    this.inboundEvents = 0;
    let finishing: unknown;
    if (this.terminate) {
      try {
        finishing = this.terminate(reason);
      } catch {
        // terminate failing must not hide why the stage stopped
      }
    }
    const finish = () => this.exited(reason);
    if (isThenable(finishing)) Promise.resolve(finishing).then(finish, finish);
    else finish();
  }

  private exited(reason: StopReason): void {
    for (const sub of this.downstream) {
      const consumer = consumerOf(sub);
      consumer.post(() => consumer.upstreamCancelled(sub, reason));
    }
    for (const sub of this.upstream) {
      const producer = producerOf(sub);
      producer.post(() => producer.downstreamCancelled(sub, reason, false));
    }
    this.downstream.clear();
    this.upstream.clear();
    this._status = 'stopped';
    this.stopReason = reason;
    this.resolveDone(reason);
    for (const listener of this.exitListeners.splice(0)) listener(reason);
  }

  private checkFinished(): void {
    if (this.exiting || this.busy || this.inbound.length > 0 || this.buffer.size > 0) return;
    if (this.dispatcher !== undefined && this.dispatcher.held > 0) return;
    if (this.markers.length > 0) {
      this.post(() => this.flushMarkers());
      return;
    }
    this.exit('normal');
  }

  // ---- subscriptions ------------------------------------------------------------------

  /** Consumer side: runs `handleSubscribe`, then tells the producer and asks. */
  private beginSubscription(sub: Subscription<In>): Promise<void> | undefined {
    if (!this.upstream.has(sub)) return undefined;
    this.handler = 'handleSubscribe';
    const mode = this.handleSubscribe
      ? this.handleSubscribe('producer', sub as Subscription)
      : undefined;
    return chain(mode, (answer) => {
      if (answer === 'manual') sub.mode = 'manual';
      else if (answer !== undefined && answer !== 'automatic') {
        throw new HandlerError(
          this.name,
          'handleSubscribe',
          new TypeError(
            `returned ${describeValue(answer)}; expected 'automatic', 'manual' or nothing`,
          ),
        );
      }
      const producer = producerOf(sub);
      producer.post(() => producer.acceptSubscription(sub));
      if (sub.mode === 'automatic') {
        sub.demand = sub.maxDemand;
        this.sendAsk(sub, sub.maxDemand);
      }
      return undefined;
    });
  }

  /** Producer side: the subscription arrives; the dispatcher may still refuse it. */
  private acceptSubscription(sub: Subscription<Out>): Promise<void> | undefined {
    if (!this.downstream.has(sub)) return undefined;
    const problem = this.dispatcher!.check(sub.options);
    if (problem) {
      this.downstream.delete(sub);
      const error = new SubscriptionError(sub.consumer.name, this.name, problem);
      const consumer = consumerOf(sub);
      consumer.post(() => consumer.upstreamCancelled(sub, error));
      return undefined;
    }
    sub.accepted = true;
    const demand = this.dispatcher!.subscribe(sub, sub.options);
    this.handler = 'handleSubscribe';
    const answer = this.handleSubscribe
      ? this.handleSubscribe('consumer', sub as Subscription)
      : undefined;
    return chain(answer, () => (demand > 0 ? this.supply(demand) : undefined));
  }

  private sendAsk(sub: Subscription<In>, n: number): void {
    sub.asked += n;
    const producer = producerOf(sub);
    producer.post(() => producer.onAsk(sub, n));
  }

  /** Producer side: a consumer cancelled, or stopped (`reply` false). */
  private downstreamCancelled(sub: Subscription<Out>, reason: StopReason, reply: boolean) {
    if (!this.downstream.delete(sub)) return undefined;
    let demand = 0;
    if (sub.accepted) {
      sub.accepted = false;
      demand = this.dispatcher!.cancel(sub);
    }
    if (reply) {
      const consumer = consumerOf(sub);
      consumer.post(() => consumer.upstreamCancelled(sub, reason));
    }
    this.handler = 'handleCancel';
    const events = this.handleCancel ? this.handleCancel(reason, sub as Subscription) : undefined;
    return chain(events, (out) => {
      this.emit(out);
      return demand > 0 || this.buffer.size > 0 ? this.supply(demand) : undefined;
    });
  }

  /** Consumer side: the producer cancelled or stopped; queued input is processed first. */
  private upstreamCancelled(sub: Subscription<In>, reason: StopReason): Promise<void> | undefined {
    if (!this.upstream.has(sub)) return undefined;
    // A normal end waits behind the input already queued (nothing is lost); an error or a
    // shutdown applies at once, even when downstream has no demand for the queued input.
    if (this.kind === 'producer_consumer' && this.inbound.length > 0 && reason === 'normal') {
      this.inbound.push({ type: CANCEL, sub, reason });
      return undefined;
    }
    return this.cancelNow(sub, reason);
  }

  private cancelNow(sub: Subscription<In>, reason: StopReason): Promise<void> | undefined {
    this.upstream.delete(sub);
    this.handler = 'handleCancel';
    const events = this.handleCancel ? this.handleCancel(reason, sub as Subscription) : undefined;
    return chain(events, (out) => {
      this.emit(out);
      const mode = sub.options.cancel;
      if (mode === 'temporary' || (mode === 'transient' && isNormal(reason))) return undefined;
      if (reason === 'normal' && this.kind === 'producer_consumer') {
        // Upstream finished: pass on what we have, then finish too (see finishWhenDrained).
        this.finishing = true;
        for (const other of this.upstream) this.cancel(other as Subscription, 'normal');
        return undefined;
      }
      this.exit(reason);
      return undefined;
    });
  }

  // ---- producer side -----------------------------------------------------------------

  private onAsk(sub: Subscription<Out>, n: number): Promise<void> | undefined {
    if (!sub.accepted || !this.downstream.has(sub)) return undefined;
    return this.supply(this.dispatcher!.ask(n, sub, this.context));
  }

  /** Meets `demand`: from the buffer first, then `handleDemand` or the queued input. */
  private supply(demand: number): Promise<void> | undefined {
    return chain(this.takeFromBuffer(demand), (left) => {
      if (this.exiting) return undefined;
      if (this.kind === 'producer') {
        if (left <= 0 || this.finishing) return undefined;
        if (this.demandMode === 'accumulate') {
          this.accumulated += left;
          return undefined;
        }
        return this.callDemand(left);
      }
      this.counter += left;
      return this.drainInbound();
    });
  }

  private callDemand(demand: number): Promise<void> | undefined {
    this.handler = 'handleDemand';
    return chain(this.invokeDemand(demand), (events) => this.emit(events));
  }

  /**
   * Offers buffered events to the dispatcher (it decides how many it takes, so this also
   * runs when `demand` is 0), delivering due info messages in order. Resolves to the part
   * of `demand` the buffer did not meet.
   */
  private takeFromBuffer(demand: number): number | Promise<number> {
    const buffer = this.buffer;
    for (;;) {
      const marker = this.markers.peek();
      if (marker !== undefined && marker.at <= buffer.removed) {
        this.markers.shift();
        const pending = this.deliverInfo(marker.message);
        if (pending !== undefined) return pending.then(() => this.takeFromBuffer(demand));
        continue;
      }
      if (buffer.size === 0 || this.exiting) return demand;
      const upTo = marker === undefined ? buffer.size : marker.at - buffer.removed;
      // Peek no more than the demand (or a chunk) so small asks never copy a big buffer.
      const want = Math.min(upTo, Math.max(demand, 1024));
      const rest = this.dispatcher!.dispatch(buffer.peek(want), this.context);
      const taken = want - rest.length;
      buffer.drop(taken);
      demand = Math.max(0, demand - taken);
      if (taken < want) return demand;
    }
  }

  private flushMarkers(): Promise<void> | undefined {
    const left = this.takeFromBuffer(0);
    return typeof left === 'number' ? undefined : left.then(() => undefined);
  }

  private deliverInfo(message: unknown): Promise<void> | undefined {
    if (!this.handleInfo) return undefined;
    this.handler = 'handleInfo';
    return chain(this.handleInfo(message), (events) => this.emit(events));
  }

  /** Hands events a handler returned to the dispatcher; what it cannot place is buffered. */
  private emit(events: Emitted<Out>): undefined {
    if (events === undefined || events === null) return undefined;
    if (!Array.isArray(events)) {
      throw new HandlerError(
        this.name,
        this.handler,
        new TypeError(`returned ${describeValue(events)}; expected an array of events or nothing`),
      );
    }
    const length = events.length;
    if (length === 0 || this.dispatcher === undefined) return undefined;
    const all = events as Out[];
    const rest =
      this.buffer.size === 0 && this.markers.length === 0
        ? this.dispatcher.dispatch(all, this.context)
        : all;
    if (this.kind === 'producer_consumer') {
      this.counter = Math.max(0, this.counter - (length - rest.length));
    }
    if (rest.length === 0) return undefined;
    const discarded = this.buffer.push(rest);
    if (discarded > 0) {
      this.discarded += discarded;
      this.onDiscard(discarded, this.name);
      const marker = this.markers.peek();
      if (marker !== undefined && marker.at <= this.buffer.removed)
        this.post(() => this.flushMarkers());
    }
    return undefined;
  }

  // ---- consumer side -----------------------------------------------------------------

  private receive(sub: Subscription<In>, events: In[]): Promise<void> | undefined {
    if (!this.upstream.has(sub)) return undefined;
    const length = events.length;
    sub.received += length;
    this.eventsIn += length;
    if (sub.received > sub.asked) this.excess += Math.min(length, sub.received - sub.asked);
    if (this.kind === 'consumer') return this.consume(sub, events, 0);
    this.inbound.push({ type: EVENTS, sub, events });
    this.inboundEvents += length;
    return this.drainInbound();
  }

  /** Producer-consumer: processes queued input while downstream has demand. */
  private drainInbound(): Promise<void> | undefined {
    for (;;) {
      const item = this.inbound.peek();
      if (item === undefined || this.exiting) return undefined;
      if (item.type === EVENTS && this.counter <= 0) return undefined;
      this.inbound.shift();
      let pending: Promise<void> | undefined;
      if (item.type === EVENTS) {
        this.inboundEvents -= item.events.length;
        pending = this.consume(item.sub, item.events, 0);
      } else if (item.type === CANCEL) {
        pending = this.cancelNow(item.sub, item.reason);
      } else if (this.buffer.size > 0) {
        this.markers.push({ at: this.buffer.end, message: item.message });
      } else {
        pending = this.deliverInfo(item.message);
      }
      if (pending !== undefined) return pending.then(() => this.drainInbound());
    }
  }

  /**
   * Hands events to `handleEvents` in batches of at most `maxDemand - minDemand` and asks
   * again after each batch once the running demand has fallen to `minDemand` (GenStage's
   * split_batches): with maxDemand 10 / minDemand 5, it asks 10, then 5 after every 5.
   */
  private consume(sub: Subscription<In>, events: In[], from: number): Promise<void> | undefined {
    if (sub.mode === 'manual') {
      this.handler = 'handleEvents';
      return chain(this.invokeEvents(events, sub), (out) => this.emit(out));
    }
    const { maxDemand, minDemand } = sub.options;
    const step = maxDemand - minDemand;
    const length = events.length;
    while (from < length && !this.exiting) {
      const to = Math.min(from + step, length);
      const batch = from === 0 && to === length ? events : events.slice(from, to);
      const left = Math.max(0, sub.demand - (to - from));
      let ask = 0;
      if (left <= minDemand) {
        ask = maxDemand - left;
        sub.demand = maxDemand;
      } else {
        sub.demand = left;
      }
      this.handler = 'handleEvents';
      const out = this.invokeEvents(batch, sub);
      if (isThenable<Emitted<Out>>(out)) {
        return Promise.resolve(out).then((emitted) => {
          this.emit(emitted);
          if (ask > 0 && this.upstream.has(sub)) this.sendAsk(sub, ask);
          return this.consume(sub, events, to);
        });
      }
      this.emit(out);
      if (ask > 0 && this.upstream.has(sub)) this.sendAsk(sub, ask);
      from = to;
    }
    return undefined;
  }

  toString(): string {
    return `${this.kind} '${this.name}'`;
  }
}
