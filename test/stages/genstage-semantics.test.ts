import {
  BroadcastDispatcher,
  type CallFrom,
  type CallResult,
  CallTimeoutError,
  Consumer,
  type ConsumerOptions,
  DispatchError,
  HandlerError,
  InvalidOptionError,
  PartitionDispatcher,
  Producer,
  type ProducerOptions,
  StageNotRunningError,
  type StopReason,
  type Subscription,
} from '../../stages';
import { Collector, Counter, eventually, range, settle } from './helpers';

/**
 * Where the stages differed from GenStage 1.3 in ways that stalled or lost events silently
 * (issue 11). Each test is named after what broke.
 */

jest.setTimeout(20_000);

/** A consumer in manual mode: asks only through `ask`, optionally from handleSubscribe. */
class Manual<T> extends Consumer<T> {
  readonly got: T[] = [];
  sub: Subscription | undefined;
  constructor(
    private readonly askOnSubscribe = 0,
    options: ConsumerOptions<T> = {},
  ) {
    super(options);
  }
  override handleSubscribe(_kind: 'producer' | 'consumer', sub: Subscription): 'manual' {
    this.sub = sub;
    // GenStage's ConsumerSupervisor asks from handle_subscribe.
    this.ask(sub, this.askOnSubscribe);
    return 'manual';
  }
  handleEvents(events: T[]): void {
    this.got.push(...events);
  }
}

/** A producer fed from outside: handleInfo emits what it is sent; records every demand. */
class Fed<T> extends Producer<T> {
  readonly demands: number[] = [];
  constructor(options: ProducerOptions<T> = {}) {
    super(options);
  }
  handleDemand(demand: number): T[] {
    this.demands.push(demand);
    return [];
  }
  override handleInfo(message: unknown): T[] {
    return message as T[];
  }
}

describe('ask reaches the producer', () => {
  it('an ask made inside handleSubscribe reaches the producer (a ConsumerSupervisor-style consumer stalled)', async () => {
    const counter = new Counter(100).start();
    const manual = new Manual<number>(3, { subscribeTo: [counter] }).start();
    await eventually(() => manual.got.length === 3);
    expect(manual.got).toEqual([0, 1, 2]);
    expect(counter.demands).toEqual([3]);
    expect(manual.stats().producers[0]).toMatchObject({ mode: 'manual', pendingDemand: 0 });
    await counter.stop();
    await manual.stop();
  });

  it('an ask made right after subscribe() returns reaches the producer', async () => {
    const counter = new Counter(100).start();
    const manual = new Manual<number>().start();
    const sub = manual.subscribe(counter);
    manual.ask(sub, 2);
    await eventually(() => manual.got.length === 2);
    expect(manual.got).toEqual([0, 1]);
    expect(counter.demands).toEqual([2]);
    await counter.stop();
    await manual.stop();
  });

  it('ask(sub, 0) is a no-op; a negative or fractional ask is refused', async () => {
    const counter = new Counter(100).start();
    const manual = new Manual<number>(0, { subscribeTo: [counter] }).start();
    await settle();
    expect(() => manual.ask(manual.sub!, 0)).not.toThrow();
    await settle();
    expect(counter.demands).toEqual([]);
    expect(manual.stats().producers[0]!.pendingDemand).toBe(0);
    expect(() => manual.ask(manual.sub!, -1)).toThrow(
      new InvalidOptionError(`stage '${manual.name}'`, 'ask(n)', -1, 'an integer >= 0'),
    );
    expect(() => manual.ask(manual.sub!, 1.5)).toThrow(InvalidOptionError);
    await counter.stop();
    await manual.stop();
  });
});

describe("demand mode 'accumulate'", () => {
  it('holds events emitted meanwhile until forward, so a broadcast consumer subscribed later gets them too', async () => {
    const producer = new Fed<string>({
      dispatcher: new BroadcastDispatcher<string>(),
      demand: 'accumulate',
    }).start();
    const early = new Collector<string>({ subscribeTo: [producer] }).start();
    await settle();
    producer.sendInfo(['a', 'b', 'c']);
    await settle();
    // Held, although `early` has demand for them.
    expect(early.events).toEqual([]);
    expect(producer.stats().buffered).toBe(3);
    const late = new Collector<string>({ subscribeTo: [producer] }).start();
    await settle();
    producer.demand('forward');
    await eventually(() => early.events.length === 3 && late.events.length === 3);
    expect(early.events).toEqual(['a', 'b', 'c']);
    expect(late.events).toEqual(['a', 'b', 'c']);
    await producer.stop();
    await Promise.all([early.done(), late.done()]);
  });

  it('each accumulated ask reaches handleDemand on its own, in arrival order, less what held events met', async () => {
    const producer = new Fed<number>({ demand: 'accumulate' }).start();
    const a = new Manual<number>(4, { subscribeTo: [producer] }).start();
    await settle();
    const b = new Manual<number>(6, { subscribeTo: [producer] }).start();
    await settle();
    expect(producer.demands).toEqual([]);
    expect(producer.stats().accumulatedDemand).toBe(10);
    producer.demand('forward');
    await settle();
    expect(producer.demands).toEqual([4, 6]);
    expect(producer.stats().accumulatedDemand).toBe(0);

    // Held events are served first: 5 held events meet the first ask (4) and 1 of the
    // second, so handleDemand is asked only for the 5 nobody supplied.
    const held = new Fed<number>({ demand: 'accumulate' }).start();
    held.sendInfo(range(0, 5));
    const c = new Manual<number>(4, { subscribeTo: [held] }).start();
    await settle();
    const d = new Manual<number>(6, { subscribeTo: [held] }).start();
    await settle();
    held.demand('forward');
    await eventually(() => c.got.length + d.got.length === 5);
    expect(held.demands).toEqual([5]);
    expect([...c.got, ...d.got].sort()).toEqual(range(0, 5));
    for (const stage of [producer, held]) await stage.stop();
    await Promise.all([a, b, c, d].map((s) => s.done()));
  });

  it('info is not held behind held events', async () => {
    const seen: unknown[] = [];
    class Src extends Fed<number> {
      override handleInfo(message: unknown): number[] {
        seen.push(message);
        return Array.isArray(message) ? message : [];
      }
    }
    const src = new Src({ demand: 'accumulate' }).start();
    src.sendInfo([1, 2]);
    src.sendInfo('ping');
    await settle();
    expect(seen).toEqual([[1, 2], 'ping']);
    expect(src.stats().buffered).toBe(2);
    await src.stop();
  });
});

describe('PartitionDispatcher in a producer', () => {
  /** Answers with twice the demand: the rest waits in the buffer. */
  class Bursty extends Counter {
    override handleDemand(demand: number): number[] {
      return super.handleDemand(demand * 2);
    }
  }

  it.each([
    ['exactly the demand', Counter],
    ['twice the demand', Bursty],
  ])(
    'a hash that drops events does not use up partition demand (partitions stalled with events left in the buffer); producer answers %s',
    async (_, Kind) => {
      const producer = new Kind(60, {
        dispatcher: new PartitionDispatcher<number>({
          partitions: 2,
          // drops every multiple of 3
          hash: (n) => (n % 3 === 0 ? undefined : n % 2),
        }),
      }).start();
      const sinks = [0, 1].map((partition) =>
        new Collector<number>({
          subscribeTo: [{ producer, partition, maxDemand: 4, minDemand: 2 }],
        }).start(),
      );
      const reasons = await Promise.all(sinks.map((s) => s.done()));
      expect(reasons).toEqual(['normal', 'normal']);
      const kept = range(0, 60).filter((n) => n % 3 !== 0);
      expect(sinks[0]!.events).toEqual(kept.filter((n) => n % 2 === 0));
      expect(sinks[1]!.events).toEqual(kept.filter((n) => n % 2 === 1));
      expect(producer.stats().discarded).toBe(20);
    },
  );

  it('a hash returning an unknown partition stops the producer with an error naming it (events were discarded silently)', async () => {
    const producer = new Counter(Number.POSITIVE_INFINITY, {
      dispatcher: new PartitionDispatcher<number>({ partitions: 2, hash: () => 7 }),
    }).start();
    const sink = new Collector<number>({ subscribeTo: [{ producer, partition: 0 }] }).start();
    const reason = await producer.done();
    expect(reason).toBeInstanceOf(DispatchError);
    expect((reason as DispatchError).code).toBe('STAGE_DISPATCH_FAILED');
    expect((reason as Error).message).toBe(
      'PartitionDispatcher: the hash returned partition 7, which does not exist (partitions: 0, 1)',
    );
    expect(await sink.done()).toBe(reason);
    expect(sink.events).toEqual([]);
  });
});

describe('cancel with demand outstanding', () => {
  it("a new consumer's demand beyond the buffered events reaches handleDemand (it was lost)", async () => {
    const producer = new Fed<number>().start();
    const first = new Manual<number>(10, {
      subscribeTo: [{ producer, cancel: 'temporary' }],
    }).start();
    await eventually(() => producer.demands.length === 1);
    // The producer owes 10 and has none yet; the consumer leaves.
    first.cancel(first.sub!);
    await eventually(() => producer.stats().consumers.length === 0);
    // The 10 owed are made now, and wait in the buffer for somebody.
    producer.sendInfo(range(0, 10));
    await settle();
    expect(producer.stats().buffered).toBe(10);
    const second = new Manual<number>(15, { subscribeTo: [producer] }).start();
    // The buffer serves 10; the other 5 must be asked of the producer.
    await eventually(() => producer.demands.length === 2);
    expect(producer.demands).toEqual([10, 5]);
    expect(second.got).toEqual(range(0, 10));
    await producer.stop();
    await Promise.all([first.stop(), second.done()]);
  });
});

describe('call and cast', () => {
  /** GenStage's Broadcaster: events come from calls, handleDemand ignores demand. */
  class Broadcaster extends Producer<string> {
    constructor() {
      super({ dispatcher: new BroadcastDispatcher<string>() });
    }
    syncNotify(event: string): Promise<unknown> {
      return this.call({ notify: event });
    }
    override handleCall(request: unknown): CallResult<string> {
      return { reply: 'ok', events: [(request as { notify: string }).notify] };
    }
    handleDemand(): string[] {
      return [];
    }
  }

  it("GenStage's broadcaster example: a producer fed from outside with call; every consumer gets every event", async () => {
    const broadcaster = new Broadcaster().start();
    const sinks = [1, 2].map(() => new Collector<string>({ subscribeTo: [broadcaster] }).start());
    await settle();
    for (const event of ['a', 'b', 'c']) expect(await broadcaster.syncNotify(event)).toBe('ok');
    await eventually(() => sinks.every((s) => s.events.length === 3));
    for (const sink of sinks) expect(sink.events).toEqual(['a', 'b', 'c']);
    await broadcaster.stop();
  });

  it("GenStage's queue broadcaster: replies later with from.reply, once the event is dispatched", async () => {
    class QueueBroadcaster extends Producer<string> {
      private readonly queue: { from: CallFrom; event: string }[] = [];
      private pending = 0;
      constructor() {
        super({ dispatcher: new BroadcastDispatcher<string>() });
      }
      override handleCall(request: unknown, from: CallFrom): CallResult<string> {
        this.queue.push({ from, event: request as string });
        return { noreply: true, events: this.take() };
      }
      handleDemand(demand: number): string[] {
        this.pending += demand;
        return this.take();
      }
      private take(): string[] {
        const out: string[] = [];
        while (this.pending > 0 && this.queue.length > 0) {
          const { from, event } = this.queue.shift()!;
          from.reply('dispatched');
          out.push(event);
          this.pending--;
        }
        return out;
      }
    }
    const producer = new QueueBroadcaster().start();
    const replies: unknown[] = [];
    const calls = ['x', 'y'].map((e) => producer.call(e).then((r) => replies.push(r)));
    await settle();
    expect(replies).toEqual([]); // nobody asked yet: the callers wait
    const sink = new Collector<string>({ subscribeTo: [producer] }).start();
    await Promise.all(calls);
    expect(replies).toEqual(['dispatched', 'dispatched']);
    await eventually(() => sink.events.length === 2);
    expect(sink.events).toEqual(['x', 'y']);
    await producer.stop();
  });

  it('cast: the events handleCast returns go out like any others', async () => {
    class Casted extends Producer<number> {
      override handleCast(request: unknown): number[] {
        return request as number[];
      }
      handleDemand(): number[] {
        return [];
      }
    }
    const producer = new Casted().start();
    const sink = new Collector<number>({ subscribeTo: [producer] }).start();
    producer.cast([1, 2]);
    producer.cast([3]);
    await eventually(() => sink.events.length === 3);
    expect(sink.events).toEqual([1, 2, 3]);
    await producer.stop();
  });

  it('a call without reply times out with CallTimeoutError; a later reply is ignored', async () => {
    let kept: CallFrom | undefined;
    class Silent extends Producer<number> {
      override handleCall(_request: unknown, from: CallFrom): CallResult<number> {
        kept = from;
        return { noreply: true };
      }
      handleDemand(): number[] {
        return [];
      }
    }
    const producer = new Silent({ name: 'silent' }).start();
    const timedOut = await producer.call('hello', 30).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(CallTimeoutError);
    expect(timedOut).toMatchObject({
      code: 'STAGE_CALL_TIMEOUT',
      message: "stage 'silent': call got no reply within 30 ms",
    });
    expect(kept!.answered).toBe(true);
    kept!.reply('too late');
    expect(producer.status).toBe('running');
    await expect(producer.call('x', 0)).rejects.toThrow(
      "stage 'silent': option 'call(timeoutMs)' is 0; allowed: an integer >= 1 or Infinity",
    );
    await producer.stop();
  });

  it('calls fail when the stage stops first, or when it has no handleCall (it fails)', async () => {
    class NoReply extends Producer<number> {
      override handleCall(): CallResult<number> {
        return { noreply: true };
      }
      handleDemand(): number[] {
        return [];
      }
    }
    const producer = new NoReply({ name: 'quiet' }).start();
    const waiting = producer.call('x', Number.POSITIVE_INFINITY);
    await settle();
    await producer.stop();
    await expect(waiting).rejects.toThrow(new StageNotRunningError('quiet', 'answer the call'));
    await expect(producer.call('again')).rejects.toThrow(StageNotRunningError);

    const plain = new Counter(10, { name: 'plain' }).start();
    const failed = await plain.call('x').catch((e: Error) => e);
    expect(failed).toBeInstanceOf(StageNotRunningError);
    const reason = (failed as Error).cause as StopReason;
    expect(reason).toBeInstanceOf(HandlerError);
    expect((reason as Error).message).toBe(
      "stage 'plain': handleCall failed: the stage has no handleCall",
    );
    expect(await plain.done()).toBe(reason);
  });

  it('a handleCall answer of the wrong shape fails the stage naming the handler', async () => {
    class Wrong extends Producer<number> {
      override handleCall(): CallResult<number> {
        return ['ok'] as unknown as CallResult<number>;
      }
      handleDemand(): number[] {
        return [];
      }
    }
    const producer = new Wrong({ name: 'wrong' }).start();
    await expect(producer.call('x')).rejects.toThrow(StageNotRunningError);
    expect(((await producer.done()) as Error).message).toBe(
      'stage \'wrong\': handleCall failed: returned ["ok"]; expected { reply, events? } or { noreply: true, events? }',
    );
  });
});

describe('bufferSize and bufferKeep apply to events from every handler', () => {
  /** Emits two tagged events from each handler; never from handleDemand. */
  class Everywhere extends Producer<string> {
    handleDemand(): string[] {
      return [];
    }
    override handleInfo(): string[] {
      return ['info1', 'info2'];
    }
    override handleCancel(): string[] {
      return ['cancel1', 'cancel2'];
    }
    override handleCast(): string[] {
      return ['cast1', 'cast2'];
    }
    override handleCall(): CallResult<string> {
      return { reply: 'ok', events: ['call1', 'call2'] };
    }
  }

  it.each([
    ['last', ['cast2', 'call1', 'call2']],
    ['first', ['info1', 'info2', 'cancel1']],
  ] as const)("bufferKeep '%s' keeps %p of 8 events in a buffer of 3", async (keep, kept) => {
    const discards: number[] = [];
    const producer = new Everywhere({
      bufferSize: 3,
      bufferKeep: keep,
      onDiscard: (n) => discards.push(n),
    }).start();
    producer.sendInfo('go');
    // subscribe without asking, then leave: handleCancel emits
    const passer = new Manual<string>(0, {
      subscribeTo: [{ producer, cancel: 'temporary' }],
    }).start();
    await settle();
    passer.cancel(passer.sub!);
    await eventually(() => producer.stats().consumers.length === 0);
    producer.cast('go');
    expect(await producer.call('go')).toBe('ok');
    expect(producer.stats().buffered).toBe(3);
    expect(producer.stats().discarded).toBe(5);
    expect(discards.reduce((a, b) => a + b, 0)).toBe(5);
    const reader = new Manual<string>(10, { subscribeTo: [producer] }).start();
    await eventually(() => reader.got.length === 3);
    expect(reader.got).toEqual(kept);
    await producer.stop();
    await Promise.all([passer.stop(), reader.done()]);
  });
});
