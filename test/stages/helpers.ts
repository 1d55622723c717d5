import {
  Consumer,
  type ConsumerOptions,
  Producer,
  ProducerConsumer,
  type ProducerConsumerOptions,
  type ProducerOptions,
  type Subscription,
} from '../../stages';

/** Emits 0, 1, 2, … up to `limit` (exclusive), then finishes; records every demand. */
export class Counter extends Producer<number> {
  readonly demands: number[] = [];
  next = 0;
  constructor(
    readonly limit = Number.POSITIVE_INFINITY,
    options: ProducerOptions<number> = {},
  ) {
    super(options);
  }
  handleDemand(demand: number): number[] {
    this.demands.push(demand);
    const count = Math.min(demand, this.limit - this.next);
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = this.next++;
    if (this.next >= this.limit) this.finish();
    return out;
  }
}

/** Passes events through `fn`. */
export class Mapper<In, Out> extends ProducerConsumer<In, Out> {
  constructor(
    private readonly fn: (events: In[]) => Out[],
    options: ProducerConsumerOptions<In, Out> = {},
  ) {
    super(options);
  }
  handleEvents(events: In[]): Out[] {
    return this.fn(events);
  }
}

/** Records every batch it receives (optionally waiting `delayMs` per batch). */
export class Collector<T> extends Consumer<T> {
  readonly batches: T[][] = [];
  constructor(
    options: ConsumerOptions<T> = {},
    private readonly delayMs = 0,
  ) {
    super(options);
  }
  get events(): T[] {
    return this.batches.flat();
  }
  handleEvents(events: T[], _from: Subscription<T>): void | Promise<void> {
    this.batches.push(events.slice());
    if (this.delayMs > 0) return new Promise((resolve) => setTimeout(resolve, this.delayMs));
  }
}

/** Resolves after the stages have processed everything currently queued. */
export function settle(turns = 3): Promise<void> {
  return new Promise((resolve) => {
    let left = turns;
    const step = () => (--left <= 0 ? resolve() : setImmediate(step));
    setImmediate(step);
  });
}

export const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);

/** Waits until `condition()` holds (polling), failing after `ms`. */
export async function eventually(condition: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms: ${condition}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
