import { Producer, type ProducerOptions } from '../../../stages';

/**
 * The lesson's producer: emits `initial`, `initial + 1`, … as far as it is asked. With a
 * `limit` it emits exactly the numbers below it and then finishes, so the pipeline drains
 * and stops.
 */
export class Counter extends Producer<number> {
  private next: number;

  constructor(
    initial = 0,
    private readonly limit = Number.POSITIVE_INFINITY,
    options: ProducerOptions<number> = {},
  ) {
    super({ name: 'counter', ...options });
    this.next = initial;
  }

  handleDemand(demand: number): number[] {
    const count = Math.max(0, Math.min(demand, this.limit - this.next));
    const events = new Array<number>(count);
    for (let i = 0; i < count; i++) events[i] = this.next++;
    if (this.next >= this.limit) this.finish();
    return events;
  }
}
