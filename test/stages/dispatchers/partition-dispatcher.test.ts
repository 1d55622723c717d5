import { DispatchError, InvalidOptionError, PartitionDispatcher } from '../../../stages';
import { recorder } from './recorder';

describe('PartitionDispatcher (pure transitions)', () => {
  const even = { id: 'even' };
  const odd = { id: 'odd' };

  it('numbered partitions: each event goes to its partition; the rest waits in its queue', () => {
    const d = new PartitionDispatcher<number>({ partitions: 2 });
    d.subscribe(even, { maxDemand: 10, partition: 0 });
    d.subscribe(odd, { maxDemand: 10, partition: 1 });
    expect(d.ask(2, even, recorder())).toBe(2);
    expect(d.ask(3, odd, recorder())).toBe(3);
    const ctx = recorder<number>();
    // accepts 5 (what was asked); numbers hash to themselves modulo 2
    expect(d.dispatch([0, 1, 2, 3, 4, 5, 6], ctx)).toEqual([5, 6]);
    expect(ctx.sent).toEqual([
      [even, [0, 2]],
      [odd, [1, 3]],
    ]);
    expect(d.held).toBe(1); // 4 waits for partition 0
    const later = recorder<number>();
    expect(d.ask(1, even, later)).toBe(1);
    expect(later.sent).toEqual([[even, [4]]]);
    expect(d.held).toBe(0);
  });

  it('named partitions with a hash; undefined drops the event and counts it', () => {
    const d = new PartitionDispatcher<string, 'a-m' | 'n-z'>({
      partitions: ['a-m', 'n-z'],
      hash: (word) => (word === '' ? undefined : word < 'n' ? 'a-m' : 'n-z'),
    });
    const first = { id: 1 };
    const second = { id: 2 };
    d.subscribe(first, { maxDemand: 10, partition: 'a-m' });
    d.subscribe(second, { maxDemand: 10, partition: 'n-z' });
    d.ask(10, first, recorder());
    d.ask(10, second, recorder());
    const ctx = recorder<string>();
    d.dispatch(['apple', 'pear', '', 'kiwi', 'zebra'], ctx);
    expect(ctx.sent).toEqual([
      [first, ['apple', 'kiwi']],
      [second, ['pear', 'zebra']],
    ]);
    expect(d.discarded).toBe(1);
  });

  it('checks subscriptions and options', () => {
    const d = new PartitionDispatcher<number>({ partitions: 2 });
    expect(d.check({ maxDemand: 1 })).toBe(
      'the subscription option partition is required (one of 0, 1)',
    );
    d.subscribe(even, { maxDemand: 1, partition: 0 });
    expect(d.check({ maxDemand: 1, partition: 0 })).toBe('partition 0 already has a consumer');
    expect(() => new PartitionDispatcher<string>({ partitions: ['x'] })).toThrow(
      InvalidOptionError,
    );
    expect(() => new PartitionDispatcher<number>({ partitions: 0 })).toThrow(
      "PartitionDispatcher: option 'partitions' is 0; allowed: an integer >= 1 or an array of names",
    );
  });

  it('a partition left by its consumer keeps its queue for the next one', () => {
    const d = new PartitionDispatcher<number>({ partitions: 1 });
    d.subscribe(even, { maxDemand: 10, partition: 0 });
    d.ask(3, even, recorder());
    d.cancel(even);
    // The 3 asked for still arrive; with nobody on partition 0 they wait in its queue.
    expect(d.dispatch([1, 2, 3], recorder())).toEqual([]);
    expect(d.held).toBe(3);
    d.subscribe(odd, { maxDemand: 10, partition: 0 });
    const ctx = recorder<number>();
    // Served from the queue, and the producer owes the cancelled 3: nothing more to ask.
    expect(d.ask(2, odd, ctx)).toBe(0);
    expect(ctx.sent).toEqual([[odd, [1, 2]]]);
    expect(d.held).toBe(1);
  });

  it('a dropped event uses no demand: the next events take its place, and the producer owes one more for each drop it answered with', () => {
    const d = new PartitionDispatcher<number>({
      partitions: 2,
      hash: (n) => (n < 0 ? undefined : n % 2),
    });
    d.subscribe(even, { maxDemand: 10, partition: 0 });
    d.subscribe(odd, { maxDemand: 10, partition: 1 });
    expect(d.ask(2, even, recorder())).toBe(2);
    expect(d.ask(2, odd, recorder())).toBe(2);
    // The producer answered 4 with 4 events, 2 of them dropped: it owes 2 more.
    const ctx = recorder<number>();
    expect(d.dispatch([-1, 0, -3, 1], ctx)).toEqual([]);
    expect(ctx.sent).toEqual([
      [even, [0]],
      [odd, [1]],
    ]);
    expect(d.discarded).toBe(2);
    expect(ctx.demands).toEqual([2]);
    // It answers with more than owed: drops are skipped, and only 2 events are taken.
    const more = recorder<number>();
    expect(d.dispatch([-5, 2, -7, 3, 4, 5], more)).toEqual([4, 5]);
    expect(more.sent).toEqual([
      [even, [2]],
      [odd, [3]],
    ]);
    expect(more.demands).toEqual([]); // the drops were made up by the events after them
    expect(d.discarded).toBe(4);
  });

  it('a hash returning an unknown partition throws a DispatchError naming it, before sending anything', () => {
    const d = new PartitionDispatcher<number>({ partitions: 2, hash: (n) => (n > 5 ? 9 : 0) });
    d.subscribe(even, { maxDemand: 10, partition: 0 });
    d.ask(5, even, recorder());
    const ctx = recorder<number>();
    expect(() => d.dispatch([1, 2, 7], ctx)).toThrow(
      new DispatchError(
        'PartitionDispatcher',
        'the hash returned partition 9, which does not exist (partitions: 0, 1)',
      ),
    );
    expect(ctx.sent).toEqual([]);
  });
});
