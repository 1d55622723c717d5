import { DemandDispatcher } from '../../../stages';
import { opts, recorder } from './recorder';

describe('DemandDispatcher (pure transitions)', () => {
  const a = { id: 'a' };
  const b = { id: 'b' };

  it('forwards demand and sends to the consumer with the most pending demand', () => {
    const d = new DemandDispatcher<number>();
    const ctx = recorder<number>();
    expect(d.subscribe(a, opts)).toBe(0);
    expect(d.subscribe(b, opts)).toBe(0);
    expect(d.ask(3, a)).toBe(3);
    expect(d.ask(5, b)).toBe(5);
    expect(d.dispatch([1, 2, 3, 4, 5, 6, 7, 8, 9], ctx)).toEqual([9]);
    expect(ctx.sent).toEqual([
      [b, [1, 2, 3, 4, 5]],
      [a, [6, 7, 8]],
    ]);
    expect(d.demandOf(a)).toBe(0);
    expect(d.demandOf(b)).toBe(0);
  });

  it('returns every event when nobody has demand', () => {
    const d = new DemandDispatcher<number>();
    d.subscribe(a, opts);
    const events = [1, 2];
    expect(d.dispatch(events, recorder())).toBe(events);
  });

  it('demand of a cancelled consumer is not asked again', () => {
    const d = new DemandDispatcher<number>();
    d.subscribe(a, opts);
    d.subscribe(b, opts);
    d.ask(10, a);
    expect(d.cancel(a)).toBe(0);
    // The producer was already asked for a's 10: b's first 10 come from that.
    expect(d.ask(4, b)).toBe(0);
    expect(d.ask(8, b)).toBe(2);
    expect(d.demandOf(b)).toBe(12);
  });

  it('demand of a cancelled consumer stops counting once the producer buffered events it owed', () => {
    const d = new DemandDispatcher<number>();
    d.subscribe(a, opts);
    d.ask(10, a);
    d.cancel(a);
    // The producer made the 10 it owed; nobody had demand: it buffered them.
    d.buffered(10);
    d.subscribe(b, opts);
    // b asks 15: the buffer serves 10, the producer must be asked for all 15 (the stage
    // subtracts what its buffer supplied), not 5 (which would lose 5).
    expect(d.ask(15, b)).toBe(15);
    d.buffered(3); // more than still pending: pending stays at 0
    expect(d.ask(1, b)).toBe(1);
  });
});
