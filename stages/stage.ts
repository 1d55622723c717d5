import { Emitter } from './emitter';
import {
  describeValue,
  HandlerError,
  InvalidOptionError,
  StageNotRunningError,
  SubscriptionError,
} from './errors';
import { InvalidArgumentError } from './kafka-stages-error';
import { chain, type Emitted, isThenable, type MaybePromise } from './maybe-promise';
import { Queue } from './queue';
import { parseSubscribeOptions, type StageConfig } from './stage-options';
import type { StageStats, SubscriptionStats } from './stats';
import { type Source, type StopReason, type SubscribeOptions, Subscription } from './subscription';

export type { StageStatus } from './actor';
export type { Emitted, MaybePromise } from './maybe-promise';

const EVENTS = 0;
const INFO = 1;
const CANCEL = 2;
/** Producer-consumer input waiting for downstream demand, in arrival order. */
type Inbound<T> =
  | { readonly type: typeof EVENTS; readonly sub: Subscription<T>; readonly events: T[] }
  | { readonly type: typeof INFO; readonly message: unknown }
  | { readonly type: typeof CANCEL; readonly sub: Subscription<T>; readonly reason: StopReason };

const producerOf = <T>(sub: Subscription<T>) => sub.producer as unknown as Stage<never, T>;

const isNormal = (reason: StopReason) => reason === 'normal' || reason === 'shutdown';

/**
 * The common core of every stage, its consumer side here on top of the producer side
 * ({@link Emitter}) and the mailbox ({@link Actor}): subscriptions to producers, asking for
 * demand (GenStage's split_batches), the producer-consumer's input queue, stats. Extend
 * {@link Producer}, {@link ProducerConsumer} or {@link Consumer}, not this class.
 */
export abstract class Stage<In, Out> extends Emitter<In, Out> implements Source<Out> {
  declare readonly __emits?: readonly Out[];
  private readonly upstream = new Set<Subscription<In>>();
  private readonly inbound = new Queue<Inbound<In>>();
  private inboundEvents = 0;
  private readonly subscribeTo: StageConfig<In, Out>['subscribeTo'];
  private eventsIn = 0;
  private excess = 0;
  /** The delivery `consume` works through, and where the call in progress began in it. */
  private consuming: In[] | undefined;
  private consumingFrom = 0;

  protected constructor(config: StageConfig<In, Out>) {
    super(config);
    this.subscribeTo = config.subscribeTo;
  }

  protected override onStart(): void {
    for (const { producer, options } of this.subscribeTo) this.subscribe(producer, options);
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
      const at = this.infoPosition();
      if (at > this.outBuffer.removed || this.markers.length > 0) {
        this.markers.push({ at, message });
        return at <= this.outBuffer.removed ? this.flushMarkers() : undefined;
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
    // A partition whose consumer has stopped is free as soon as the producer reads that
    // consumer's cancel, which its mailbox holds before this subscription: a restarted
    // consumer takes its partition back (the producer checks again when it accepts).
    const taken = [...producer.downstream].filter(
      (s) => resolved.partition !== undefined && s.options.partition === resolved.partition,
    );
    const stale =
      taken.length > 0 &&
      taken.every((s) => (s.consumer as unknown as Stage<unknown, unknown>).status === 'stopped');
    const problem = stale
      ? undefined
      : (producer.dispatcher!.check(resolved) ??
        (taken.length > 0
          ? `partition ${JSON.stringify(resolved.partition)} already has a consumer`
          : undefined));
    if (problem) throw refuse(problem);
    const upstream = producer as unknown as Stage<never, In>;
    const sub = new Subscription<In>(upstream, this, resolved);
    this.upstream.add(sub);
    upstream.downstream.add(sub);
    // The producer hears of the subscription first (as in GenStage, where the consumer
    // sends it before running its own handleSubscribe), so an ask made in handleSubscribe
    // or right after this returns reaches the producer after it, never before.
    upstream.post(() => upstream.acceptSubscription(sub));
    this.post(() => this.beginSubscription(sub));
    return sub;
  }

  /**
   * Cancels a subscription of this stage (consumer side). The producer confirms, and then
   * the subscription's cancel mode applies as for any cancel: with `'permanent'` (the
   * default) this stage stops too, as in GenStage; use `'temporary'` to keep running.
   */
  cancel(subscription: Subscription<In> | Subscription, reason: StopReason = 'normal'): void {
    const sub = subscription as Subscription<In>;
    if (sub.consumer !== this || !this.upstream.has(sub)) return;
    const producer = producerOf(sub);
    producer.post(() => producer.downstreamCancelled(sub, reason, true));
  }

  /**
   * Asks `subscription`'s producer for `n` more events. For subscriptions in manual mode
   * (`handleSubscribe` returned `'manual'`); automatic ones ask by themselves. May be
   * called from `handleSubscribe` or right after `subscribe` returns. `ask(sub, 0)` does
   * nothing, as in GenStage.
   */
  ask(subscription: Subscription<In> | Subscription, n: number): void {
    const sub = subscription as Subscription<In>;
    if (!Number.isInteger(n) || n < 0) {
      throw new InvalidOptionError(`stage '${this.name}'`, 'ask(n)', n, 'an integer >= 0');
    }
    if (n === 0) return;
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
      status: this.status,
      mailbox: this.mailboxLength,
      eventsIn: this.eventsIn,
      eventsOut: this.eventsOut,
      buffered: this.outBuffer.size + (this.dispatcher?.held ?? 0),
      queued: this.inboundEvents,
      bufferSize: this.outBuffer.capacity,
      discarded: this.discarded + (this.dispatcher?.discarded ?? 0),
      excess: this.excess,
      accumulatedDemand: this.accumulated,
      producers: [...this.upstream].map(describe),
      consumers: [...this.downstream].map(describe),
    };
  }

  /** Consumer side: calls `handleEvents`. Implemented by ProducerConsumer and Consumer. */
  protected invokeEvents(_events: In[], _from: Subscription<In>): MaybePromise<Emitted<Out>> {
    return undefined;
  }

  protected override heldInput(into: In[]): void {
    // The call that failed and the rest of its delivery first, then the queue, in order.
    const consuming = this.consuming;
    if (consuming)
      for (let i = this.consumingFrom; i < consuming.length; i++) into.push(consuming[i]!);
    for (const item of this.inbound) {
      if (item.type === EVENTS) for (const e of item.events) into.push(e);
    }
  }

  protected override dropQueued(): void {
    this.inbound.clear();
    this.inboundEvents = 0;
  }

  protected override releaseSubscriptions(reason: StopReason): void {
    for (const sub of this.upstream) {
      const producer = producerOf(sub);
      producer.post(() => producer.downstreamCancelled(sub, reason, false));
    }
    this.upstream.clear();
    super.releaseSubscriptions(reason);
  }

  protected override checkFinished(): void {
    if (this.exiting || this.busy || this.inbound.length > 0 || this.outBuffer.size > 0) return;
    if (this.dispatcher !== undefined && this.dispatcher.held > 0) return;
    if (this.markers.length > 0) {
      this.post(() => this.flushMarkers());
      return;
    }
    this.exit('normal');
  }

  /** Consumer side: runs `handleSubscribe`, then asks (the producer was told already). */
  private beginSubscription(sub: Subscription<In>): Promise<void> | undefined {
    if (!this.upstream.has(sub)) return undefined;
    this.runningHandler = 'handleSubscribe';
    const mode = this.handleSubscribe
      ? this.handleSubscribe('producer', sub as Subscription)
      : undefined;
    return chain(mode, (answer) => {
      if (answer === 'manual') sub.mode = 'manual';
      else if (answer !== undefined && answer !== 'automatic') {
        throw new HandlerError(
          this.name,
          'handleSubscribe',
          new InvalidArgumentError(
            `returned ${describeValue(answer)}; expected 'automatic', 'manual' or nothing`,
          ),
        );
      }
      if (sub.mode === 'automatic') {
        sub.demand = sub.maxDemand;
        this.sendAsk(sub, sub.maxDemand);
      }
      return undefined;
    });
  }

  private sendAsk(sub: Subscription<In>, n: number): void {
    sub.asked += n;
    const producer = producerOf(sub);
    producer.post(() => producer.onAsk(sub, n));
  }

  /** Consumer side: the producer cancelled or stopped; queued input is processed first. */
  protected override upstreamCancelled(
    sub: Subscription<In>,
    reason: StopReason,
  ): Promise<void> | undefined {
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
    this.runningHandler = 'handleCancel';
    const events = this.handleCancel ? this.handleCancel(reason, sub as Subscription) : undefined;
    return chain(events, (out) => {
      this.emitEvents(out);
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

  protected override receiveEvents(sub: Subscription<In>, events: In[]): Promise<void> | undefined {
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
  protected override drainInbound(): Promise<void> | undefined {
    for (;;) {
      const item = this.inbound.peek();
      if (item === undefined || this.exiting) return undefined;
      if (item.type === EVENTS && this.pcDemand <= 0) return undefined;
      this.inbound.shift();
      let pending: Promise<void> | undefined;
      if (item.type === EVENTS) {
        this.inboundEvents -= item.events.length;
        pending = this.consume(item.sub, item.events, 0);
      } else if (item.type === CANCEL) {
        pending = this.cancelNow(item.sub, item.reason);
      } else if (this.outBuffer.size > 0) {
        this.markers.push({ at: this.outBuffer.end, message: item.message });
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
      this.runningHandler = 'handleEvents';
      this.consuming = events;
      this.consumingFrom = 0;
      return chain(this.invokeEvents(events, sub), (out) => {
        this.consuming = undefined;
        return this.emitEvents(out);
      });
    }
    const { maxDemand, minDemand } = sub.options;
    const step = maxDemand - minDemand;
    const length = events.length;
    // Until the whole delivery went through, what is left of it (from the call in progress
    // on) is this stage's to lose (see heldInput).
    this.consuming = events;
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
      this.runningHandler = 'handleEvents';
      this.consumingFrom = from;
      const out = this.invokeEvents(batch, sub);
      if (isThenable<Emitted<Out>>(out)) {
        return Promise.resolve(out).then((emitted) => {
          this.consumingFrom = to;
          this.emitEvents(emitted);
          if (ask > 0 && this.upstream.has(sub)) this.sendAsk(sub, ask);
          return this.consume(sub, events, to);
        });
      }
      this.consumingFrom = to;
      this.emitEvents(out);
      if (ask > 0 && this.upstream.has(sub)) this.sendAsk(sub, ask);
      from = to;
    }
    this.consuming = undefined;
    return undefined;
  }

  override toString(): string {
    return `${this.kind} '${this.name}'`;
  }
}
