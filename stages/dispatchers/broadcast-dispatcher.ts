import {
  type DispatchContext,
  type Dispatcher,
  type DispatchKey,
  type DispatchOptions,
  tail,
} from './dispatcher';

interface Entry<T> {
  readonly key: DispatchKey;
  demand: number;
  readonly selector: ((event: T) => boolean) | undefined;
}

/**
 * Sends every event to every consumer, at the pace of the slowest: the producer is asked
 * only for the smallest pending demand among the consumers.
 *
 * Subscription option `selector(event)` keeps only the events a consumer wants. Events it
 * rejects still use that consumer's demand in the shared pace, so the dispatcher asks again
 * on its behalf for as many as were rejected (as GenStage does), and it is never starved.
 */
export class BroadcastDispatcher<T> implements Dispatcher<T> {
  readonly kind = 'broadcast';
  readonly held = 0;
  readonly discarded = 0;
  readonly countsBuffered = true;
  private readonly entries: Entry<T>[] = [];
  /**
   * Events on their way to the slowest consumer's demand and not yet dispatched: what the
   * producer still owes plus what sits in its buffer. It never falls below the minimum
   * demand (every dispatch lowers both by the same count), so the producer is asked only
   * for what neither can supply.
   */
  private waiting = 0;

  check(options: DispatchOptions<T>): string | undefined {
    if (options.selector !== undefined && typeof options.selector !== 'function') {
      return 'the broadcast option selector must be a function (event) => boolean';
    }
    return undefined;
  }

  subscribe(key: DispatchKey, options: DispatchOptions<T>): number {
    this.entries.push({ key, demand: 0, selector: options.selector });
    return 0;
  }

  cancel(key: DispatchKey): number {
    const index = this.entries.findIndex((e) => e.key === key);
    if (index >= 0) this.entries.splice(index, 1);
    return this.forward();
  }

  ask(n: number, key: DispatchKey): number {
    const entry = this.entries.find((e) => e.key === key);
    if (!entry) return 0;
    entry.demand += n;
    return this.forward();
  }

  dispatch(events: T[], context: DispatchContext<T>): T[] {
    if (this.entries.length === 0) return events;
    const count = Math.min(events.length, this.minimum());
    if (count === 0) return events;
    const now = count === events.length ? events : events.slice(0, count);
    for (const entry of this.entries) {
      entry.demand -= count;
      const selected = entry.selector ? now.filter(entry.selector) : now;
      if (selected.length > 0) context.send(entry.key, selected);
      if (selected.length < count) context.ask(entry.key, count - selected.length);
    }
    this.waiting = Math.max(0, this.waiting - count);
    return tail(events, count);
  }

  /** Pending demand per consumer, for tests and stats. */
  demandOf(key: DispatchKey): number {
    return this.entries.find((e) => e.key === key)?.demand ?? 0;
  }

  private minimum(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const entry of this.entries) if (entry.demand < min) min = entry.demand;
    return this.entries.length === 0 ? 0 : min;
  }

  /** Asks the producer for whatever the slowest consumer can take beyond what is asked. */
  private forward(): number {
    const more = Math.max(0, this.minimum() - this.waiting);
    this.waiting += more;
    return more;
  }
}
