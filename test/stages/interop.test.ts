import { fromIterable, HandlerError, toAsyncIterable } from '../../stages';
import { Collector, Counter, Mapper, range } from './helpers';

// Generous: these tests wait for conditions, and the machine may be busy.
jest.setTimeout(20_000);

describe('interop', () => {
  it('a producer from a sync iterable emits every item, then finishes', async () => {
    const source = fromIterable(range(0, 2500)).start();
    const sink = new Collector<number>({
      subscribeTo: [{ producer: source, maxDemand: 300 }],
    }).start();
    expect(await sink.done()).toBe('normal');
    expect(sink.events).toEqual(range(0, 2500));
  });

  it('a producer from an async iterable pulls only as far as demand goes', async () => {
    let pulled = 0;
    async function* numbers() {
      for (let i = 0; i < 50; i++) {
        pulled++;
        if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
        yield i;
      }
    }
    const source = fromIterable(numbers()).start();
    const sink = new Collector<number>({
      subscribeTo: [{ producer: source, maxDemand: 4 }],
    }).start();
    expect(await sink.done()).toBe('normal');
    expect(sink.events).toEqual(range(0, 50));
    expect(pulled).toBe(50);
  });

  it('an async iterable that throws fails the producer', async () => {
    async function* broken() {
      yield 1;
      throw new Error('source broke');
    }
    const source = fromIterable(broken(), { name: 'broken' }).start();
    const sink = new Collector<number>({ subscribeTo: [source] }).start();
    const reason = await sink.done();
    expect(reason).toBeInstanceOf(HandlerError);
    expect((reason as Error).message).toBe("stage 'broken': handleInfo failed: source broke");
  });

  it('any stage as an async iterable, with back-pressure', async () => {
    const counter = new Counter(1000).start();
    const evens = new Mapper<number, number>((e) => e.filter((n) => n % 2 === 0), {
      subscribeTo: [counter],
    }).start();
    const seen: number[] = [];
    for await (const n of toAsyncIterable(evens, { maxDemand: 10 })) {
      seen.push(n);
      // never more than maxDemand in flight: the producer side has not run far ahead
      expect(counter.stats().eventsOut - 2 * seen.length).toBeLessThanOrEqual(2 * 1000);
    }
    expect(seen).toEqual(range(0, 500).map((n) => n * 2));
  });

  it('leaving the loop early cancels the subscription', async () => {
    const counter = new Counter().start();
    let count = 0;
    for await (const _ of toAsyncIterable(counter, { maxDemand: 5 })) {
      if (++count === 12) break;
    }
    await new Promise((r) => setImmediate(r));
    expect(counter.stats().consumers).toHaveLength(0);
    await counter.stop();
  });

  it('the loop throws when the source fails', async () => {
    const counter = new Counter().start();
    const iterator = toAsyncIterable(counter, { maxDemand: 5 });
    await iterator.next();
    await counter.stop(new Error('down'));
    await expect(
      (async () => {
        for await (const _ of iterator) {
        }
      })(),
    ).rejects.toThrow('down');
  });
});
