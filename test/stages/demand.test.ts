import { Consumer, Producer, type Subscription } from '../../stages';
import { Collector, Counter, Mapper, range, settle } from './helpers';

// Generous: these tests wait for conditions, and the machine may be busy.
jest.setTimeout(20_000);

describe('demand (GenStage patterns)', () => {
  it('maxDemand 10 / minDemand 5: asks 10 first, then 5 after every 5 events processed', async () => {
    const counter = new Counter(40).start();
    const sink = new Collector<number>({
      subscribeTo: [{ producer: counter, maxDemand: 10, minDemand: 5 }],
    }).start();
    await sink.done();
    expect(counter.demands).toEqual([10, 5, 5, 5, 5, 5, 5]);
    expect(sink.batches.map((b) => b.length)).toEqual(Array(8).fill(5));
    expect(sink.events).toEqual(range(0, 40));
  });

  it('minDemand defaults to floor(maxDemand / 2); batches are at most maxDemand - minDemand', async () => {
    const counter = new Counter(21).start();
    const sink = new Collector<number>({
      subscribeTo: [{ producer: counter, maxDemand: 7 }],
    }).start();
    await sink.done();
    // min 3: ask 7; 7 arrive as batches of 4 (running demand 3 <= 3: ask 4) and 3
    // (running demand 4: no ask); the 4 then arrive as one batch (0 left: ask 7).
    expect(counter.demands.slice(0, 3)).toEqual([7, 4, 7]);
    expect(Math.max(...sink.batches.map((b) => b.length))).toBe(4);
    expect(sink.events).toEqual(range(0, 21));
  });

  it('maxDemand defaults to 1000', async () => {
    const counter = new Counter(3000).start();
    const sink = new Collector<number>({ subscribeTo: [counter] }).start();
    await sink.done();
    expect(counter.demands[0]).toBe(1000);
    expect(sink.batches.every((b) => b.length <= 500)).toBe(true);
  });

  it('a producer-consumer asks upstream only as far as downstream demand allows', async () => {
    const counter = new Counter().start();
    const pass = new Mapper<number, number>((e) => e, {
      subscribeTo: [{ producer: counter, maxDemand: 10, minDemand: 5 }],
    }).start();
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    class Stuck extends Consumer<number> {
      received = 0;
      handleEvents(events: number[]): Promise<void> {
        this.received += events.length;
        return released;
      }
    }
    const stuck = new Stuck({
      subscribeTo: [{ producer: pass, maxDemand: 4, minDemand: 2 }],
    }).start();
    await settle(10);
    // The consumer received its 4 and is stuck in the first batch of 2; the
    // producer-consumer holds at most its own maxDemand of input and never asked for more.
    expect(stuck.received).toBe(2);
    expect(stuck.stats().eventsIn).toBe(4);
    // As in GenStage, a message of input is processed whole once started (re-asking after
    // each batch), so it holds at most twice its maxDemand; then it stops asking.
    const asked = counter.demands.reduce((a, b) => a + b, 0);
    expect(asked).toBeLessThanOrEqual(2 * 10);
    expect(pass.stats().queued + pass.stats().buffered).toBeLessThanOrEqual(2 * 10);
    await settle(20);
    expect(counter.demands.reduce((a, b) => a + b, 0)).toBe(asked);
    release();
    await counter.stop('shutdown');
    await stuck.done();
  });

  it('manual mode: nothing flows until ask(subscription, n)', async () => {
    const counter = new Counter(100).start();
    class Manual extends Consumer<number> {
      sub: Subscription | undefined;
      got: number[] = [];
      override handleSubscribe(_kind: 'producer' | 'consumer', sub: Subscription): 'manual' {
        this.sub = sub;
        return 'manual';
      }
      handleEvents(events: number[]): void {
        this.got.push(...events);
      }
    }
    const manual = new Manual({ subscribeTo: [counter] }).start();
    await settle();
    expect(manual.got).toEqual([]);
    expect(counter.demands).toEqual([]);
    manual.ask(manual.sub!, 3);
    await settle();
    expect(manual.got).toEqual([0, 1, 2]);
    manual.ask(manual.sub!, 2);
    await settle();
    expect(manual.got).toEqual([0, 1, 2, 3, 4]);
    expect(counter.demands).toEqual([3, 2]);
    expect(manual.stats().producers[0]).toMatchObject({ mode: 'manual', pendingDemand: 0 });
    await counter.stop();
  });

  it("demand 'accumulate' holds demand until demand('forward')", async () => {
    const counter = new Counter(10, { demand: 'accumulate' }).start();
    const a = new Collector<number>({ subscribeTo: [{ producer: counter, maxDemand: 4 }] }).start();
    const b = new Collector<number>({ subscribeTo: [{ producer: counter, maxDemand: 6 }] }).start();
    await settle();
    expect(counter.demands).toEqual([]);
    expect(counter.stats().accumulatedDemand).toBe(10);
    counter.demand('forward');
    await Promise.all([a.done(), b.done()]);
    // As GenStage replays its log: each ask reaches handleDemand on its own, in order.
    expect(counter.demands).toEqual([4, 6]);
    expect([...a.events, ...b.events].sort((x, y) => x - y)).toEqual(range(0, 10));
  });

  it('async handlers: one call at a time per stage, order kept', async () => {
    let active = 0;
    let most = 0;
    class Slow extends Consumer<number> {
      got: number[] = [];
      async handleEvents(events: number[]): Promise<void> {
        active++;
        most = Math.max(most, active);
        await new Promise((r) => setTimeout(r, 1));
        this.got.push(...events);
        active--;
      }
    }
    const counter = new Counter(200).start();
    const slow = new Slow({ subscribeTo: [{ producer: counter, maxDemand: 20 }] }).start();
    await slow.done();
    expect(most).toBe(1);
    expect(slow.got).toEqual(range(0, 200));
  });
});

describe('producer buffer', () => {
  class Burst extends Producer<number> {
    next = 0;
    handleDemand(demand: number): number[] {
      // Ten times what was asked: the rest goes to the buffer.
      const from = this.next;
      this.next += demand * 10;
      return range(from, this.next);
    }
  }

  it("bufferKeep 'last' discards the oldest and counts them", async () => {
    const discards: number[] = [];
    const burst = new Burst({ bufferSize: 15, onDiscard: (n) => discards.push(n) }).start();
    const sink = new Collector<number>({
      subscribeTo: [{ producer: burst, maxDemand: 2, minDemand: 0 }],
    });
    sink.start();
    await settle();
    // asked 2 -> emitted 20: 2 delivered, 18 offered to a buffer of 15: 3 oldest dropped
    expect(sink.events.slice(0, 2)).toEqual([0, 1]);
    expect(discards[0]).toBe(3);
    expect(burst.stats().discarded).toBeGreaterThanOrEqual(3);
    expect(burst.stats().buffered).toBeLessThanOrEqual(15);
    expect(sink.events.slice(2, 4)).toEqual([5, 6]);
    await burst.stop();
  });

  it("bufferKeep 'first' discards the newest", async () => {
    const burst = new Burst({ bufferSize: 15, bufferKeep: 'first', onDiscard: () => {} }).start();
    const sink = new Collector<number>({
      subscribeTo: [{ producer: burst, maxDemand: 2, minDemand: 0 }],
    });
    sink.start();
    await settle();
    expect(sink.events.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(burst.stats().discarded).toBeGreaterThanOrEqual(3);
    await burst.stop();
  });

  it('info messages are delivered after the events buffered before them', async () => {
    const seen: string[] = [];
    class Src extends Producer<number> {
      handleDemand(): number[] {
        return [];
      }
      override handleInfo(message: unknown): number[] {
        seen.push(`info ${message} after ${this.stats().eventsOut} sent`);
        return message === 'emit' ? [1, 2, 3, 4] : [];
      }
    }
    const src = new Src().start();
    class Sink extends Consumer<number> {
      handleEvents(events: number[]): void {
        seen.push(`events ${events.join(',')}`);
      }
    }
    const sink = new Sink({ subscribeTo: [{ producer: src, maxDemand: 2, minDemand: 0 }] }).start();
    await settle();
    src.sendInfo('emit'); // 1,2 go out, 3,4 are buffered
    src.sendInfo('after');
    await settle(10);
    expect(seen).toEqual([
      'info emit after 0 sent',
      'events 1,2',
      'info after after 4 sent',
      'events 3,4',
    ]);
    await src.stop();
    await sink.done();
  });
});
