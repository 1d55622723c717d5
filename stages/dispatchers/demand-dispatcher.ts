import {
  type DispatchContext,
  type Dispatcher,
  type DispatchKey,
  type DispatchOptions,
  tail,
} from './dispatcher';

interface Entry {
  readonly key: DispatchKey;
  demand: number;
}

/**
 * The default dispatcher: each event goes to one consumer, the one with the most pending
 * demand, so consumers share the work in proportion to what they ask.
 *
 * Demand a consumer had when it cancelled was already passed to the producer; it is kept
 * as `pending` and subtracted from the next asks, so the producer is never asked twice
 * for the same events. Once the producer has made those events and they wait in its
 * buffer ({@link DemandDispatcher.buffered}), they are no longer pending: the buffer serves
 * the next asks and the rest of the demand reaches the producer.
 */
export class DemandDispatcher<T> implements Dispatcher<T> {
  readonly kind = 'demand';
  readonly held = 0;
  readonly discarded = 0;
  private readonly entries: Entry[] = [];
  private pending = 0;

  check(): string | undefined {
    return undefined;
  }

  subscribe(key: DispatchKey, _options: DispatchOptions<T>): number {
    this.entries.push({ key, demand: 0 });
    return 0;
  }

  cancel(key: DispatchKey): number {
    const index = this.entries.findIndex((e) => e.key === key);
    if (index >= 0) {
      this.pending += this.entries[index]!.demand;
      this.entries.splice(index, 1);
    }
    return 0;
  }

  ask(n: number, key: DispatchKey): number {
    const entry = this.entries.find((e) => e.key === key);
    if (!entry) return 0;
    entry.demand += n;
    const alreadyAsked = Math.min(this.pending, n);
    this.pending -= alreadyAsked;
    return n - alreadyAsked;
  }

  buffered(count: number): void {
    this.pending = Math.max(0, this.pending - count);
  }

  dispatch(events: T[], context: DispatchContext<T>): T[] {
    const length = events.length;
    let sent = 0;
    while (sent < length) {
      const entry = this.mostDemanding();
      if (entry === undefined) break;
      const count = Math.min(entry.demand, length - sent);
      entry.demand -= count;
      context.send(
        entry.key,
        sent === 0 && count === length ? events : events.slice(sent, sent + count),
      );
      sent += count;
    }
    return tail(events, sent);
  }

  /** Pending demand per consumer, for tests and stats. */
  demandOf(key: DispatchKey): number {
    return this.entries.find((e) => e.key === key)?.demand ?? 0;
  }

  private mostDemanding(): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.entries) {
      if (entry.demand > 0 && (best === undefined || entry.demand > best.demand)) best = entry;
    }
    return best;
  }
}
