import {
  Consumer,
  HandlerError,
  InvalidOptionError,
  PartitionDispatcher,
  type Source,
  StageError,
  SubscriptionError,
} from '../../stages';
import { Collector, Counter, Mapper } from './helpers';

function thrown(fn: () => unknown): StageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StageError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('bad input', () => {
  const counter = new Counter(10, { name: 'counter' });

  it('zero or negative demand', () => {
    const error = thrown(
      () =>
        new Collector<number>({ name: 'sink', subscribeTo: [{ producer: counter, maxDemand: 0 }] }),
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.code).toBe('STAGE_INVALID_OPTION');
    expect(error.message).toBe(
      "stage 'sink': option 'subscribeTo[0].maxDemand' is 0; allowed: an integer >= 1",
    );
    expect(
      thrown(
        () =>
          new Collector<number>({
            name: 'sink',
            subscribeTo: [{ producer: counter, minDemand: -1 }],
          }),
      ).message,
    ).toBe("stage 'sink': option 'subscribeTo[0].minDemand' is -1; allowed: an integer >= 0");
  });

  it('minDemand >= maxDemand', () => {
    expect(
      thrown(
        () =>
          new Collector<number>({
            name: 'sink',
            subscribeTo: [{ producer: counter, maxDemand: 10, minDemand: 10 }],
          }),
      ).message,
    ).toBe(
      "stage 'sink': option 'subscribeTo[0].minDemand' is 10; allowed: an integer >= 0 and below maxDemand (10)",
    );
  });

  it('unknown keys, in stage and subscription options', () => {
    expect(thrown(() => new Counter(1, { name: 'c', bufferSise: 5 } as never)).message).toBe(
      "stage Counter: option 'bufferSise' is unknown; allowed: one of the keys name, dispatcher, bufferSize, bufferKeep, demand, onDiscard",
    );
    expect(
      thrown(
        () =>
          new Collector<number>({
            name: 'sink',
            subscribeTo: [{ producer: counter, maxDemmand: 3 } as never],
          }),
      ).message,
    ).toBe(
      "stage 'sink': option 'subscribeTo[0].maxDemmand' is unknown; allowed: one of the keys producer, maxDemand, minDemand, cancel, partition, selector",
    );
  });

  it('bad enum and buffer values', () => {
    expect(thrown(() => new Counter(1, { name: 'c', bufferKeep: 'middle' as never })).message).toBe(
      'stage \'c\': option \'bufferKeep\' is "middle"; allowed: one of "first", "last"',
    );
    expect(thrown(() => new Counter(1, { name: 'c', bufferSize: -1 })).message).toBe(
      "stage 'c': option 'bufferSize' is -1; allowed: an integer >= 0 or Infinity",
    );
  });

  it('subscribing to a consumer', () => {
    const sink = new Collector<number>({ name: 'sink' });
    const other = new Collector<number>({ name: 'other' });
    const error = thrown(() => other.subscribe(sink as unknown as Source<number>));
    expect(error).toBeInstanceOf(SubscriptionError);
    expect(error.code).toBe('STAGE_INVALID_SUBSCRIPTION');
    expect(error.message).toBe(
      "stage 'other' cannot subscribe to stage 'sink': 'sink' is a consumer; subscribe to a producer or producer-consumer",
    );
  });

  it('subscribing twice', () => {
    const sink = new Collector<number>({ name: 'twice' });
    sink.subscribe(counter);
    expect(thrown(() => sink.subscribe(counter)).message).toBe(
      "stage 'twice' cannot subscribe to stage 'counter': already subscribed; cancel that subscription first",
    );
    expect(
      thrown(
        () => new Collector<number>({ name: 'dup', subscribeTo: [counter, { producer: counter }] }),
      ).message,
    ).toBe(
      "stage 'dup': option 'subscribeTo[1].producer' is a Counter; allowed: each producer at most once",
    );
  });

  it('a partition that does not exist or is taken', () => {
    const source = new Counter(10, {
      name: 'parts',
      dispatcher: new PartitionDispatcher<number>({ partitions: 2 }),
    });
    const a = new Collector<number>({ name: 'a' });
    expect(thrown(() => a.subscribe(source)).message).toBe(
      "stage 'a' cannot subscribe to stage 'parts': the subscription option partition is required (one of 0, 1)",
    );
    expect(thrown(() => a.subscribe(source, { partition: 5 })).message).toBe(
      "stage 'a' cannot subscribe to stage 'parts': partition 5 does not exist (one of 0, 1)",
    );
    a.subscribe(source, { partition: 0 });
    expect(
      thrown(() => new Collector<number>({ name: 'b' }).subscribe(source, { partition: 0 }))
        .message,
    ).toBe("stage 'b' cannot subscribe to stage 'parts': partition 0 already has a consumer");
  });

  it('a handler that throws fails its stage, and downstream stops with the error', async () => {
    const source = new Counter(100).start();
    const boom = new Mapper<number, number>(
      () => {
        throw new Error('boom');
      },
      { name: 'boom', subscribeTo: [source] },
    ).start();
    const sink = new Collector<number>({ subscribeTo: [boom] }).start();
    const reason = await boom.done();
    expect(reason).toBeInstanceOf(HandlerError);
    expect((reason as HandlerError).code).toBe('STAGE_HANDLER_FAILED');
    expect((reason as Error).message).toBe("stage 'boom': handleEvents failed: boom");
    expect(((reason as Error).cause as Error).message).toBe('boom');
    expect(await sink.done()).toBe(reason);
    await source.stop();
  });

  it('a handler that returns something other than an array fails the stage', async () => {
    const source = new Counter(10).start();
    const bad = new Mapper<number, number>(() => 42 as never, {
      name: 'bad',
      subscribeTo: [source],
    }).start();
    // A producer-consumer processes input only when downstream has demand.
    new Collector<number>({ subscribeTo: [bad] }).start();
    expect(((await bad.done()) as Error).message).toBe(
      "stage 'bad': handleEvents failed: returned 42; expected an array of events or nothing",
    );
    await source.stop();
  });

  it('an async handler that rejects fails the stage', async () => {
    class Rejects extends Consumer<number> {
      async handleEvents(): Promise<void> {
        throw new TypeError('nope');
      }
    }
    const source = new Counter(10).start();
    const sink = new Rejects({ name: 'rejects', subscribeTo: [source] }).start();
    expect(((await sink.done()) as Error).message).toBe(
      "stage 'rejects': handleEvents failed: nope",
    );
    await source.stop();
  });
});
