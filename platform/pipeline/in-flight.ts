import type { DispatchContext, Dispatcher, DispatchKey, DispatchOptions } from '../../stages/index';
import type { Message } from '../message/message';
import type { Batch } from './batch-accumulator';

/**
 * The messages one running instance of a supervised stage (a processor or a batcher) is
 * answerable for: every message a dispatcher sent it, until it sends the message on or
 * settles it (acknowledged or dead-lettered). That covers the messages in its mailbox, in
 * its input queue, in the handler call that is running, in open batches and in its output
 * buffer: exactly what is lost when the stage crashes, and what must then be failed so that
 * its offsets can still be committed.
 */
export class Holding {
  readonly messages = new Set<Message>();
  /** Set once the stage crashed: messages still sent to it are failed at once. */
  crashed: Error | undefined;

  constructor(readonly stage: string) {}

  /** Forgets the messages of `input` that are not in `kept` (settled by the stage itself). */
  settle(input: readonly Message[], kept: readonly Message[]): void {
    if (kept === input) return;
    if (kept.length === 0) {
      for (const m of input) this.messages.delete(m);
      return;
    }
    const passed = new Set(kept);
    for (const m of input) if (!passed.has(m)) this.messages.delete(m);
  }
}

/** Told about messages a crashed stage held (or that reached it after its crash). */
export type OnOrphans = (holding: Holding, messages: Message[], error: Error) => void;

/**
 * Who holds which in-flight message, among the supervised stages of one pipeline part.
 * Ownership passes where messages pass: in the dispatchers of the source, the processors
 * and the batchers ({@link InFlightLedger.track}), so no message is ever in nobody's hands
 * between two stages. A stage that crashes gives up everything it holds to `onOrphans`.
 *
 * Costs a set insertion and deletion per message and supervised stage it crosses.
 */
export class InFlightLedger {
  private readonly holdings = new WeakMap<object, Holding>();

  constructor(private readonly onOrphans: OnOrphans) {}

  /** Makes `stage` the owner of what dispatchers send it from now on. */
  register(stage: object, holding: Holding): void {
    this.holdings.set(stage, holding);
  }

  /**
   * The stage crashed with `error`: everything it held that is not settled yet (not
   * acknowledged, not dead-lettered) goes to `onOrphans`, and so does anything still sent
   * to it afterwards.
   */
  crashed(holding: Holding, error: Error): void {
    holding.crashed = error;
    const held = [...holding.messages];
    holding.messages.clear();
    const open = held.filter((m) => m.status.kind === 'pending' || m.status.kind === 'failed');
    if (open.length > 0) this.onOrphans(holding, open, error);
  }

  /**
   * `inner`, passing each message it sends from `from` (the stage that owns the dispatcher;
   * none for the source) to the receiving stage's holding.
   */
  track(inner: Dispatcher<Message>, from: Holding | undefined): Dispatcher<Message> {
    return new TrackingDispatcher(inner, (key, events) => {
      const to = this.holdingOf(key);
      if (!from && !to) return;
      for (const m of events) {
        from?.messages.delete(m);
        to?.messages.add(m);
      }
      if (to?.crashed) this.lateArrivals(to, events);
    });
  }

  /** `inner` for a batcher: the messages of each batch it sends leave `from` (sinks settle them). */
  trackBatches(inner: Dispatcher<Batch>, from: Holding): Dispatcher<Batch> {
    return new TrackingDispatcher(inner, (_key, batches) => {
      for (const batch of batches) for (const m of batch.messages) from.messages.delete(m);
    });
  }

  private holdingOf(key: DispatchKey): Holding | undefined {
    // The stages core keys its dispatchers by subscription; its consumer is the receiver.
    const consumer = (key as { consumer?: object }).consumer;
    return consumer === undefined ? undefined : this.holdings.get(consumer);
  }

  private lateArrivals(to: Holding, events: readonly Message[]): void {
    for (const m of events) to.messages.delete(m);
    this.onOrphans(to, [...events], to.crashed!);
  }
}

/** A dispatcher that tells `sent` about every delivery of the one it wraps. */
class TrackingDispatcher<T> implements Dispatcher<T> {
  private context: DispatchContext<T> | undefined;
  private wrapped: DispatchContext<T> | undefined;

  constructor(
    private readonly inner: Dispatcher<T>,
    private readonly sent: (key: DispatchKey, events: T[]) => void,
  ) {}

  get kind(): string {
    return this.inner.kind;
  }
  get held(): number {
    return this.inner.held;
  }
  get discarded(): number {
    return this.inner.discarded;
  }
  get countsBuffered(): boolean | undefined {
    return this.inner.countsBuffered;
  }

  check(options: DispatchOptions<T>): string | undefined {
    return this.inner.check(options);
  }
  subscribe(key: DispatchKey, options: DispatchOptions<T>): number {
    return this.inner.subscribe(key, options);
  }
  cancel(key: DispatchKey): number {
    return this.inner.cancel(key);
  }
  ask(n: number, key: DispatchKey, context: DispatchContext<T>): number {
    return this.inner.ask(n, key, this.wrap(context));
  }
  buffered(count: number): void {
    this.inner.buffered?.(count);
  }
  dispatch(events: T[], context: DispatchContext<T>): T[] {
    return this.inner.dispatch(events, this.wrap(context));
  }

  /** The producer passes the same context every time: wrapped once. */
  private wrap(context: DispatchContext<T>): DispatchContext<T> {
    if (context !== this.context || !this.wrapped) {
      this.context = context;
      this.wrapped = {
        send: (key, events) => {
          this.sent(key, events);
          context.send(key, events);
        },
        ask: (key, n) => context.ask(key, n),
        demand: (n) => context.demand(n),
      };
    }
    return this.wrapped;
  }
}
