import { Consumer, RestartLimitError, Supervisor } from '../../stages';
import { Collector, Counter, eventually, Mapper, settle } from './helpers';

/** Fails on its first events, every time it is started. */
function failing() {
  return new Mapper<number, number>(() => {
    throw new Error('always fails');
  });
}

// Generous: these tests wait for conditions, and the machine may be busy.
jest.setTimeout(20_000);

describe('Supervisor', () => {
  let sup: Supervisor | undefined;
  afterEach(async () => {
    await sup?.stop();
    sup = undefined;
  });

  it('one_for_one restarts the failed child; it resubscribes to the current producer', async () => {
    let starts = 0;
    sup = new Supervisor([
      { id: 'counter', start: () => new Counter() },
      {
        id: 'sink',
        start: (s) => {
          starts++;
          return new Collector<number>({ subscribeTo: [s.get<Counter>('counter')] }, 1);
        },
      },
    ]).start();
    await settle();
    await sup.get<Consumer<number>>('sink').stop(new Error('crash'));
    await eventually(() => starts === 2);
    expect(sup.restarts).toBe(1);
    expect(sup.get<Counter>('counter').stats().consumers).toHaveLength(1);
    await sup.stop();
    expect(await sup.done()).toBe('shutdown');
  });

  it('rest_for_one restarts the failed producer and the consumers after it', async () => {
    sup = new Supervisor(
      [
        { id: 'counter', start: () => new Counter() },
        {
          id: 'sink',
          start: (s) => new Collector<number>({ subscribeTo: [s.get<Counter>('counter')] }, 1),
        },
      ],
      { strategy: 'rest_for_one' },
    ).start();
    await settle();
    const firstCounter = sup.get<Counter>('counter');
    const firstSink = sup.get<Collector<number>>('sink');
    await firstCounter.stop(new Error('crash'));
    await eventually(
      () => sup!.get('sink') !== firstSink && sup!.get<Collector<number>>('sink').events.length > 0,
    );
    expect(sup.get('counter')).not.toBe(firstCounter);
    expect(sup.get('sink')).not.toBe(firstSink);
    const sink = sup.get<Collector<number>>('sink');
    // the new sink receives the new counter's numbers, from 0
    expect(sink.events[0]).toBe(0);
    expect(sup.get<Counter>('counter').stats().consumers).toHaveLength(1);
    await sup.stop();
  });

  it('gives up when the restart budget is spent', async () => {
    sup = new Supervisor(
      [
        { id: 'counter', start: () => new Counter() },
        { id: 'bad', start: (s) => withSource(failing(), s.get<Counter>('counter')) },
        {
          id: 'sink',
          start: (s) =>
            new Collector<number>({ subscribeTo: [s.get<Mapper<number, number>>('bad')] }),
        },
      ],
      { name: 'seed', strategy: 'rest_for_one', maxRestarts: 2, withinMs: 10_000 },
    ).start();
    const reason = await sup.done();
    expect(reason).toBeInstanceOf(RestartLimitError);
    expect((reason as RestartLimitError).code).toBe('STAGE_RESTART_LIMIT');
    expect((reason as Error).message).toBe(
      "supervisor 'seed': child 'bad' failed after 2 restarts within 10000 ms; giving up",
    );
  });

  it('transient children that end normally are not restarted; the supervisor then ends', async () => {
    sup = new Supervisor([
      { id: 'counter', start: () => new Counter(100), restart: 'transient' },
      {
        id: 'sink',
        start: (s) => new Collector<number>({ subscribeTo: [s.get<Counter>('counter')] }, 1),
        restart: 'transient',
      },
    ]).start();
    expect(await sup.done()).toBe('normal');
    expect(sup.restarts).toBe(0);
  });
});

function withSource(stage: Mapper<number, number>, source: Counter): Mapper<number, number> {
  stage.subscribe(source);
  return stage;
}

describe('Supervisor shutdown', () => {
  it('kills a child stuck in a handler after shutdownMs, so stopping never hangs', async () => {
    class Stuck extends Consumer<number> {
      handleEvents(): Promise<void> {
        return new Promise(() => {}); // never settles
      }
    }
    const sup = new Supervisor(
      [
        { id: 'counter', start: () => new Counter() },
        { id: 'stuck', start: (s) => new Stuck({ subscribeTo: [s.get<Counter>('counter')] }) },
      ],
      { shutdownMs: 20 },
    ).start();
    await eventually(() => sup.get<Stuck>('stuck').stats().eventsIn > 0);
    const stuck = sup.get<Stuck>('stuck');
    expect(await sup.stop()).toBe('shutdown');
    expect(stuck.status).toBe('stopped');
  });
});

describe('Supervisor children added and removed at run time', () => {
  it('startChild starts a child that is restarted like the others; terminateChild stops it for good', async () => {
    const sup = new Supervisor([{ id: 'counter', start: () => new Counter() }], {
      name: 'pool',
    }).start();
    try {
      const consumer = (s: Supervisor) =>
        new Collector<number>({ subscribeTo: [s.get<Counter>('counter')] }, 1);
      const added = sup.startChild({ id: 'c1', start: consumer, restart: 'transient' });
      expect(added).toBe(sup.get('c1'));
      expect(sup.childIds()).toEqual(['counter', 'c1']);
      await eventually(() => sup.get<Collector<number>>('c1').events.length > 0);
      await sup.get<Collector<number>>('c1').stop(new Error('crash'));
      await eventually(() => sup.restarts === 1 && sup.get('c1') !== added);
      const second = sup.get<Collector<number>>('c1');
      // A graceful stop of our choosing; whatever its reason, no restart follows.
      expect(await sup.terminateChild('c1', (stage) => stage.stop(new Error('gone')))).toEqual(
        new Error('gone'),
      );
      expect(second.status).toBe('stopped');
      expect(sup.childIds()).toEqual(['counter']);
      await settle();
      expect(sup.restarts).toBe(1);
      expect(() => sup.get('c1')).toThrow('option \'get(id)\' is "c1"');
    } finally {
      await sup.stop();
    }
  });

  it('refuses a duplicate id and an unknown child, naming them', async () => {
    const sup = new Supervisor([{ id: 'counter', start: () => new Counter() }], {
      name: 'pool',
    });
    expect(() => sup.startChild({ id: 'counter', start: () => new Counter() })).toThrow(
      'option \'startChild(spec).id\' is "counter"; allowed: a new non-empty id',
    );
    await expect(sup.terminateChild('nope')).rejects.toThrow(
      "option 'terminateChild(id)' is \"nope\"; allowed: a child: 'counter'",
    );
    await sup.stop();
  });
});
