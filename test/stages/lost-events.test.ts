import { type LostEvents, Producer, type StopReason } from '../../stages';
import { Collector, Counter, eventually, Mapper, range } from './helpers';

// A stage that stops with events in hand reports them (GenStage drops them silently): the
// handler call that failed and the rest of its delivery, its queue, its mailbox, its output
// buffer, and what still reaches it afterwards.
describe('onLost', () => {
  it('a producer-consumer whose handler throws reports what it held: nothing vanishes', async () => {
    const reports: { lost: LostEvents<number, number>; reason: StopReason }[] = [];
    let calls = 0;
    const source = new Counter(1000);
    const mapper = new Mapper<number, number>(
      (events) => {
        if (++calls === 3) throw new Error('bug');
        return events;
      },
      { subscribeTo: [{ producer: source, maxDemand: 10, minDemand: 5 }] },
    );
    mapper.onLost((lost, reason) => reports.push({ lost, reason }));
    // A slow consumer with little demand: the mapper's input waits in its queue.
    const sink = new Collector<number>({ subscribeTo: [{ producer: mapper, maxDemand: 2 }] }, 20);
    sink.start();
    mapper.start();
    source.start();
    try {
      const reason = await mapper.done();
      expect((reason as Error).message).toContain('bug');
      expect(reports).toHaveLength(1);
      expect(reports[0]!.reason).toBe(reason);
      const { input, output } = reports[0]!.lost;
      expect(input.length).toBeGreaterThanOrEqual(5); // the failed call's 5, and what followed
      // Everything the mapper took in reached the sink or was reported, once.
      const taken = mapper.stats().eventsIn;
      const all = () => [...sink.events, ...output, ...input].sort((a, b) => a - b);
      await eventually(() => all().length >= taken);
      expect(all()).toEqual(range(0, taken));
    } finally {
      await source.stop();
      await sink.stop();
    }
  });

  it('reports the output buffer of a stage that emits more than was asked for', async () => {
    const reports: LostEvents<number, number>[] = [];
    let calls = 0;
    const source = new Counter(1000);
    // Each event becomes ten: the buffer holds what the consumer has not asked for.
    const mapper = new Mapper<number, number>(
      (events) => {
        if (++calls === 2) throw new Error('bug');
        return events.flatMap((e) => range(e * 10, e * 10 + 10));
      },
      { subscribeTo: [{ producer: source, maxDemand: 4, minDemand: 2 }] },
    );
    mapper.onLost((lost) => reports.push(lost));
    const sink = new Collector<number>({ subscribeTo: [{ producer: mapper, maxDemand: 3 }] }, 20);
    sink.start();
    mapper.start();
    source.start();
    try {
      await mapper.done();
      const { output } = reports[0]!;
      expect(output.length).toBeGreaterThan(0);
      await eventually(() => sink.events.length + output.length >= 20);
      // The first call's twenty events: delivered or reported, in order, once.
      expect([...sink.events, ...output].sort((a, b) => a - b)).toEqual(range(0, 20));
    } finally {
      await source.stop();
      await sink.stop();
    }
  });

  it('reports deliveries that reach a stage after it stopped', async () => {
    const reports: number[][] = [];
    class Manual extends Producer<number> {
      handleDemand(): number[] {
        return [];
      }
      override handleCast(events: unknown): number[] {
        return events as number[];
      }
    }
    const source = new Manual();
    const sink = new Collector<number>({ subscribeTo: [{ producer: source, maxDemand: 100 }] });
    sink.onLost((lost) => reports.push(lost.input));
    sink.start();
    source.start();
    try {
      await eventually(() => source.stats().consumers[0]?.pendingDemand === 100);
      // The producer emits before it hears that its consumer was killed.
      source.cast([1, 2, 3]);
      void sink.kill(new Error('gone'));
      await eventually(() => reports.length === 1);
      expect(reports).toEqual([[1, 2, 3]]);
    } finally {
      await source.stop();
    }
  });

  it('a stage that finishes normally reports nothing', async () => {
    const reports: unknown[] = [];
    const source = new Counter(50);
    const mapper = new Mapper<number, number>((e) => e, { subscribeTo: [source] });
    mapper.onLost((lost) => reports.push(lost));
    const sink = new Collector<number>({ subscribeTo: [mapper] });
    sink.start();
    mapper.start();
    source.start();
    expect(await mapper.done()).toBe('normal');
    expect(reports).toEqual([]);
    await sink.done();
    expect(sink.events).toEqual(range(0, 50));
  });
});
