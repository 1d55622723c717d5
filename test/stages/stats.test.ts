import { Consumer } from '../../stages';
import { Counter, Mapper, settle } from './helpers';

// Generous: these tests wait for conditions, and the machine may be busy.
jest.setTimeout(20_000);

describe('stats()', () => {
  it('reports name, kind, counters, buffer and pending demand per subscription', async () => {
    const counter = new Counter(Number.POSITIVE_INFINITY, {
      name: 'counter',
      bufferSize: 50,
    }).start();
    const double = new Mapper<number, number>((e) => e.map((n) => n * 2), {
      name: 'double',
      subscribeTo: [{ producer: counter, maxDemand: 8, minDemand: 4 }],
    }).start();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    class Held extends Consumer<number> {
      handleEvents(): Promise<void> {
        return held;
      }
    }
    const sink = new Held({
      name: 'sink',
      subscribeTo: [{ producer: double, maxDemand: 3, minDemand: 0 }],
    });
    sink.start();
    await settle(10);
    const stats = double.stats();
    expect(stats).toMatchObject({
      name: 'double',
      kind: 'producer_consumer',
      status: 'running',
      excess: 0,
    });
    expect(stats.producers).toEqual([
      expect.objectContaining({
        producer: 'counter',
        consumer: 'double',
        maxDemand: 8,
        minDemand: 4,
        mode: 'automatic',
      }),
    ]);
    expect(stats.consumers).toEqual([
      expect.objectContaining({
        producer: 'double',
        consumer: 'sink',
        maxDemand: 3,
        pendingDemand: 0,
      }),
    ]);
    // the sink got its 3 and sits on them; double holds what it has beyond that
    expect(sink.stats().eventsIn).toBe(3);
    expect(stats.eventsOut).toBe(3);
    expect(stats.eventsIn).toBe(stats.eventsOut + stats.buffered + stats.queued);
    expect(counter.stats()).toMatchObject({
      kind: 'producer',
      bufferSize: 50,
      eventsOut: stats.eventsIn,
    });
    release();
    await counter.stop('shutdown');
    await sink.done();
  });
});
