import { BroadcastDispatcher } from '../../../stages';
import { opts, recorder } from './recorder';

describe('BroadcastDispatcher (pure transitions)', () => {
  const a = { id: 'a' };
  const b = { id: 'b' };

  it('asks the producer for the smallest demand and sends every event to everyone', () => {
    const d = new BroadcastDispatcher<number>();
    d.subscribe(a, opts);
    d.subscribe(b, opts);
    expect(d.ask(5, a)).toBe(0);
    expect(d.ask(3, b)).toBe(3);
    expect(d.ask(1, b)).toBe(1);
    const ctx = recorder<number>();
    expect(d.dispatch([1, 2, 3, 4, 5, 6], ctx)).toEqual([5, 6]);
    expect(ctx.sent).toEqual([
      [a, [1, 2, 3, 4]],
      [b, [1, 2, 3, 4]],
    ]);
    expect(d.demandOf(a)).toBe(1);
    expect(d.demandOf(b)).toBe(0);
  });

  it('a selector filters, and the rejected events are asked again on the consumer’s behalf', () => {
    const d = new BroadcastDispatcher<number>();
    d.subscribe(a, { ...opts, selector: (n: number) => n % 2 === 0 });
    d.subscribe(b, opts);
    d.ask(4, a);
    d.ask(4, b);
    const ctx = recorder<number>();
    expect(d.dispatch([1, 2, 3, 4], ctx)).toEqual([]);
    expect(ctx.sent).toEqual([
      [a, [2, 4]],
      [b, [1, 2, 3, 4]],
    ]);
    expect(ctx.asks).toEqual([[a, 2]]);
  });

  it('a consumer leaving can raise the pace', () => {
    const d = new BroadcastDispatcher<number>();
    d.subscribe(a, opts);
    d.subscribe(b, opts);
    d.ask(10, a);
    expect(d.ask(2, b)).toBe(2);
    expect(d.cancel(b)).toBe(8);
  });

  it('a selector that is not a function is refused', () => {
    expect(new BroadcastDispatcher<number>().check({ maxDemand: 1, selector: 3 as never })).toBe(
      'the broadcast option selector must be a function (event) => boolean',
    );
  });
});
