import { Actor } from './actor';
import { EventBuffer } from './buffer';
import {
  type CallFrom,
  type CallResult,
  DEFAULT_CALL_TIMEOUT_MS,
  PendingCalls,
  readCallResult,
} from './call';
import type { DispatchContext, Dispatcher, DispatchKey } from './dispatchers/dispatcher';
import { describeValue, HandlerError, StageNotRunningError, SubscriptionError } from './errors';
import { InvalidArgumentError } from './kafka-stages-error';
import { chain, type Emitted, type MaybePromise } from './maybe-promise';
import { Queue } from './queue';
import type { DemandMode, DiscardReporter, StageConfig } from './stage-options';
import type { StopReason, Subscription, SubscriptionMode } from './subscription';

/**
 * Events a stage had received and not passed on when it stopped: `input` (delivered and not
 * yet handled, or handed to the handler call that failed), `output` (made and not yet sent).
 */
export interface LostEvents<In, Out> {
  readonly input: In[];
  readonly output: Out[];
}

/** An info message waiting behind buffered events. */
export interface Marker {
  /** Buffer position after which the info is due. */
  readonly at: number;
  readonly message: unknown;
}

const consumerOf = <T>(sub: Subscription<T>) => sub.consumer as unknown as Emitter<T, unknown>;

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
 * The producer side of a stage: subscriptions of consumers, demand from them, the
 * dispatcher, the bounded buffer with its info markers, and `handleDemand`. The consumer
 * side ({@link Stage}) builds on it; a Consumer simply never has consumers.
 */
export abstract class Emitter<In, Out> extends Actor {
  /**
   * A subscription was made: `kind` is `'producer'` on the consumer side (return
   * `'manual'` to ask with `ask` yourself) and `'consumer'` on the producer side.
   */
  handleSubscribe?(
    kind: 'producer' | 'consumer',
    subscription: Subscription,
    // biome-ignore lint/suspicious/noConfusingVoidType: a handler written as returning void must fit
  ): MaybePromise<SubscriptionMode | undefined | void>;
  /** A subscription ended (cancelled by either side, or the other stage stopped). */
  handleCancel?(reason: StopReason, subscription: Subscription): MaybePromise<Emitted<Out>>;
  /** A message from `sendInfo`; producers deliver it after the events buffered before it. */
  handleInfo?(message: unknown): MaybePromise<Emitted<Out>>;
  /**
   * A request from {@link Emitter.call}, in mailbox order. Return `{ reply, events? }`, or
   * `{ noreply: true, events? }` and reply later with `from.reply(value)`. The events go out
   * (or into the buffer) before the reply. A stage without it fails on a call.
   */
  handleCall?(request: unknown, from: CallFrom): MaybePromise<CallResult<Out>>;
  /** A request from {@link Emitter.cast}, in mailbox order; returns events to emit. */
  handleCast?(request: unknown): MaybePromise<Emitted<Out>>;

  protected readonly downstream = new Set<Subscription<Out>>();
  protected readonly dispatcher: Dispatcher<Out> | undefined;
  protected readonly outBuffer: EventBuffer<Out>;
  protected readonly markers = new Queue<Marker>();
  /** Producer-consumer: downstream demand not yet met. */
  protected pcDemand = 0;
  /** Producer in accumulate mode: the sum of {@link accumulatedAsks}, for stats. */
  protected accumulated = 0;
  protected eventsOut = 0;
  protected discarded = 0;
  private demandMode: DemandMode;
  /** Producer in accumulate mode: each ask's demand, in arrival order (GenStage's log). */
  private readonly accumulatedAsks = new Queue<number>();
  /** Buffer position where accumulating began: info waits only behind events before it. */
  private holdFrom = 0;
  /** Events buffered while accumulating and not yet reported to the dispatcher. */
  private unreported = 0;
  private readonly calls = new PendingCalls();
  /** Events delivered whose mailbox message has not run yet, oldest first. */
  private readonly deliveries = new Queue<In[]>();
  private lostListener: ((lost: LostEvents<In, Out>, reason: StopReason) => void) | undefined;
  private readonly context: DispatchContext<Out>;
  private readonly onDiscard: DiscardReporter;

  protected constructor(config: StageConfig<In, Out>) {
    super(config.kind, config.name);
    this.dispatcher = config.dispatcher;
    this.outBuffer = new EventBuffer<Out>(config.bufferSize, config.bufferKeep);
    this.demandMode = config.demand;
    this.onDiscard = config.onDiscard ?? warnDiscard;
    this.context = {
      send: (key: DispatchKey, events: Out[]) => {
        const sub = key as Subscription<Out>;
        this.eventsOut += events.length;
        consumerOf(sub).deliver(sub, events);
      },
      ask: (key: DispatchKey, n: number) => {
        const sub = key as Subscription<Out>;
        this.post(() => this.onAsk(sub, n));
      },
      demand: (n: number) => {
        this.post(() => this.supply(n));
      },
    };
  }

  /**
   * GenStage's `call`: runs `handleCall(request, from)` in the stage's mailbox and resolves
   * with its reply, so a producer can be fed from outside and the caller waits until its
   * events were dispatched (GenStage's broadcaster example). Rejects with
   * {@link CallTimeoutError} after `timeoutMs` (default 5000; `Infinity` waits for ever), or
   * with {@link StageNotRunningError} (`cause`: the error it stopped with) if the stage
   * stops first.
   */
  call<R = unknown>(request: unknown, timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS): Promise<R> {
    if (this.exiting) return Promise.reject(new StageNotRunningError(this.name, 'call'));
    let opened: { from: CallFrom; reply: Promise<R> };
    try {
      opened = this.calls.open<R>(this.name, timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    const { from, reply } = opened;
    this.post(() => {
      this.runningHandler = 'handleCall';
      if (!this.handleCall) throw new InvalidArgumentError('the stage has no handleCall');
      return chain(this.handleCall(request, from), (result) => {
        const answer = readCallResult<Out>(result);
        this.emitEvents(answer.events);
        if (answer.replies) from.reply(answer.reply);
        return undefined;
      });
    });
    return reply;
  }

  /**
   * GenStage's `cast`: queues `request` for `handleCast` and returns at once; the events it
   * returns go out as from any handler. A stage without `handleCast` fails on a cast.
   */
  cast(request: unknown): void {
    this.post(() => {
      this.runningHandler = 'handleCast';
      if (!this.handleCast) throw new InvalidArgumentError('the stage has no handleCast');
      return chain(this.handleCast(request), (events) => this.emitEvents(events));
    });
  }

  /**
   * Tells `listener` about the events this stage drops because it stops: when it begins to
   * stop, if it holds any (see {@link LostEvents}), then for each delivery that still
   * reaches it. A stage that finishes normally has none; one that fails, is killed or is
   * stopped with a reason drops what it held (GenStage does the same, silently). The
   * pipeline uses it to fail those messages, so their offsets can still be committed.
   * One listener; a second call replaces it.
   */
  onLost(listener: (lost: LostEvents<In, Out>, reason: StopReason) => void): void {
    this.lostListener = listener;
  }

  /** @internal A producer delivers `events` over `sub`: queued for `receiveEvents`. */
  deliver(sub: Subscription<In>, events: In[]): void {
    if (this.exiting) {
      this.lostListener?.({ input: events, output: [] }, this.exitReason ?? 'normal');
      return;
    }
    this.deliveries.push(events);
    this.post(() => {
      this.deliveries.shift();
      return this.receiveEvents(sub, events);
    });
  }

  /** Consumer side: input taken in and not passed on yet (its queue, the failed call). */
  protected heldInput(_into: In[]): void {}

  protected override collectLost(reason: StopReason): void {
    const listener = this.lostListener;
    if (!listener) return;
    const input: In[] = [];
    this.heldInput(input);
    for (const events of this.deliveries) for (const e of events) input.push(e);
    this.deliveries.clear();
    const output = this.outBuffer.size > 0 ? this.outBuffer.peek(this.outBuffer.size) : [];
    const held = this.dispatcher?.takeHeld?.();
    if (held) for (const e of held) output.push(e);
    if (input.length > 0 || output.length > 0) listener({ input, output }, reason);
  }

  protected override exit(reason: StopReason): void {
    if (this.exiting) return;
    super.exit(reason);
    const cause = reason instanceof Error ? reason : undefined;
    this.calls.failAll(new StageNotRunningError(this.name, 'answer the call', cause));
  }

  /** Consumer side: events from a producer arrive. */
  protected abstract receiveEvents(sub: Subscription<In>, events: In[]): Promise<void> | undefined;
  /** Consumer side: a producer cancelled or stopped. */
  protected abstract upstreamCancelled(
    sub: Subscription<In>,
    reason: StopReason,
  ): Promise<void> | undefined;
  /** Producer-consumer: processes queued input while downstream has demand. */
  protected abstract drainInbound(): Promise<void> | undefined;

  /** Producer side: calls `handleDemand`. Implemented by Producer. */
  protected invokeDemand(_demand: number): MaybePromise<Emitted<Out>> {
    return undefined;
  }

  /**
   * A producer in `'accumulate'` mode holds everything: demand is logged, events it emits
   * (from any handler) stay in its buffer, even where consumers have demand.
   */
  protected get holding(): boolean {
    return this.demandMode === 'accumulate' && this.kind === 'producer';
  }

  /**
   * Producer: switches the demand mode. `'forward'` releases what was held: first the held
   * events go to the dispatcher (every consumer subscribed by now, broadcast ones
   * included), then each accumulated ask reaches `handleDemand` as a call of its own, in
   * the order the asks arrived, less what the buffer met (as GenStage replays its log).
   */
  protected setDemandMode(mode: DemandMode): void {
    this.post(() => {
      const was = this.demandMode;
      this.demandMode = mode;
      if (was === mode) return undefined;
      if (mode === 'accumulate') {
        this.holdFrom = this.outBuffer.end;
        return undefined;
      }
      return this.releaseHeld();
    });
  }

  /**
   * Where an info message sent now is due in the buffer: after the events buffered so far,
   * or for a holding producer after those buffered before it began to hold (held events do
   * not hold info back, as in GenStage, where they are not in the buffer).
   */
  protected infoPosition(): number {
    return this.holding ? Math.min(this.outBuffer.end, this.holdFrom) : this.outBuffer.end;
  }

  private releaseHeld(): Promise<void> | undefined {
    const total = this.accumulated;
    return chain(this.takeFromBuffer(total), (left) => {
      const still = Math.min(this.unreported, this.outBuffer.size);
      this.unreported = 0;
      if (still > 0) this.dispatcher!.buffered?.(still);
      return this.replayAsks(total - left);
    });
  }

  /** Passes the logged asks to handleDemand one by one; `met` were met by held events. */
  private replayAsks(met: number): Promise<void> | undefined {
    while (this.accumulatedAsks.length > 0) {
      let demand = this.accumulatedAsks.shift()!;
      this.accumulated -= demand;
      const cut = Math.min(met, demand);
      met -= cut;
      demand -= cut;
      if (demand === 0) continue;
      const pending = this.supply(demand);
      if (pending !== undefined) return pending.then(() => this.replayAsks(met));
    }
    return undefined;
  }

  protected override releaseSubscriptions(reason: StopReason): void {
    for (const sub of this.downstream) {
      const consumer = consumerOf(sub);
      consumer.post(() => consumer.upstreamCancelled(sub, reason));
    }
    this.downstream.clear();
  }

  /** Producer side: the subscription arrives; the dispatcher may still refuse it. */
  protected acceptSubscription(sub: Subscription<Out>): Promise<void> | undefined {
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
    this.runningHandler = 'handleSubscribe';
    const answer = this.handleSubscribe
      ? this.handleSubscribe('consumer', sub as Subscription)
      : undefined;
    return chain(answer, () => (demand > 0 ? this.supply(demand) : undefined));
  }

  /** Producer side: a consumer cancelled, or stopped (`reply` false). */
  protected downstreamCancelled(sub: Subscription<Out>, reason: StopReason, reply: boolean) {
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
    this.runningHandler = 'handleCancel';
    const events = this.handleCancel ? this.handleCancel(reason, sub as Subscription) : undefined;
    return chain(events, (out) => {
      this.emitEvents(out);
      return demand > 0 || this.outBuffer.size > 0 ? this.supply(demand) : undefined;
    });
  }

  protected onAsk(sub: Subscription<Out>, n: number): Promise<void> | undefined {
    if (!sub.accepted || !this.downstream.has(sub)) return undefined;
    return this.supply(this.dispatcher!.ask(n, sub, this.context));
  }

  /** Meets `demand`: from the buffer first, then `handleDemand` or the queued input. */
  protected supply(demand: number): Promise<void> | undefined {
    if (this.holding) {
      if (demand > 0 && !this.finishing) {
        this.accumulatedAsks.push(demand);
        this.accumulated += demand;
      }
      return undefined;
    }
    return chain(this.takeFromBuffer(demand), (left) => {
      if (this.exiting) return undefined;
      if (this.kind === 'producer') {
        if (left <= 0 || this.finishing) return undefined;
        return this.callDemand(left);
      }
      this.pcDemand += left;
      return this.drainInbound();
    });
  }

  protected callDemand(demand: number): Promise<void> | undefined {
    this.runningHandler = 'handleDemand';
    return chain(this.invokeDemand(demand), (events) => this.emitEvents(events));
  }

  /**
   * Offers buffered events to the dispatcher (it decides how many it takes, so this also
   * runs when `demand` is 0), delivering due info messages in order. Resolves to the part
   * of `demand` the buffer did not meet. A holding producer only delivers due info.
   */
  protected takeFromBuffer(demand: number): number | Promise<number> {
    const buffer = this.outBuffer;
    for (;;) {
      const marker = this.markers.peek();
      if (marker !== undefined && marker.at <= buffer.removed) {
        this.markers.shift();
        const pending = this.deliverInfo(marker.message);
        if (pending !== undefined) return pending.then(() => this.takeFromBuffer(demand));
        continue;
      }
      if (buffer.size === 0 || this.exiting || this.holding) return demand;
      const upTo = marker === undefined ? buffer.size : marker.at - buffer.removed;
      // Peek no more than the demand (or a chunk) so small asks never copy a big buffer.
      const want = Math.min(upTo, Math.max(demand, 1024));
      const rest = this.dispatcher!.dispatch(buffer.peek(want), this.context);
      const taken = want - rest.length;
      buffer.drop(taken);
      if (!this.dispatcher!.countsBuffered) demand = Math.max(0, demand - taken);
      if (taken < want) return demand;
    }
  }

  protected flushMarkers(): Promise<void> | undefined {
    const left = this.takeFromBuffer(0);
    return typeof left === 'number' ? undefined : left.then(() => undefined);
  }

  protected deliverInfo(message: unknown): Promise<void> | undefined {
    if (!this.handleInfo) return undefined;
    this.runningHandler = 'handleInfo';
    return chain(this.handleInfo(message), (events) => this.emitEvents(events));
  }

  /** Hands events a handler returned to the dispatcher; what it cannot place is buffered. */
  protected emitEvents(events: Emitted<Out>): undefined {
    if (events === undefined || events === null) return undefined;
    if (!Array.isArray(events)) {
      throw new HandlerError(
        this.name,
        this.runningHandler,
        new InvalidArgumentError(
          `returned ${describeValue(events)}; expected an array of events or nothing`,
        ),
      );
    }
    const length = events.length;
    if (length === 0 || this.dispatcher === undefined) return undefined;
    const all = events as Out[];
    const holding = this.holding;
    const rest =
      !holding && this.outBuffer.size === 0 && this.markers.length === 0
        ? this.dispatcher.dispatch(all, this.context)
        : all;
    if (this.kind === 'producer_consumer') {
      this.pcDemand = Math.max(0, this.pcDemand - (length - rest.length));
    }
    if (rest.length === 0) return undefined;
    const discarded = this.outBuffer.push(rest);
    // New events the consumers had no room for: the dispatcher may count them as made.
    // Held ones are offered first when the producer forwards, then reported.
    if (holding) this.unreported = Math.min(this.unreported + rest.length, this.outBuffer.size);
    else this.dispatcher.buffered?.(rest.length);
    if (discarded > 0) {
      this.discarded += discarded;
      this.onDiscard(discarded, this.name);
      const marker = this.markers.peek();
      if (marker !== undefined && marker.at <= this.outBuffer.removed)
        this.post(() => this.flushMarkers());
    }
    return undefined;
  }
}
