import { Registry } from 'prom-client';
import { createControlCenter } from '../../../platform/control/control-center';
import {
  ControlError,
  type Controllable,
  type PauseScope,
} from '../../../platform/control/controllable';
import { createLogger } from '../../../platform/log/logger';

const logger = createLogger({ level: 'silent' });

/** A pipeline stand-in that records what it was asked (the real one is in the Kafka tests). */
function fakeTarget(name = 'orders'): Controllable & { calls: string[] } {
  const paused: PauseScope[] = [];
  const calls: string[] = [];
  return {
    name,
    calls,
    topics: () => ['in'],
    pause(scope) {
      calls.push(`pause ${JSON.stringify(scope)}`);
      const had = paused.some((p) => p.topic === scope.topic && p.partition === scope.partition);
      if (!had) paused.push(scope);
      return { changed: !had, paused: [...paused] };
    },
    resume(scope) {
      calls.push(`resume ${JSON.stringify(scope)}`);
      const i = paused.findIndex((p) => p.topic === scope.topic && p.partition === scope.partition);
      if (i >= 0) paused.splice(i, 1);
      return { changed: i >= 0, paused: [...paused] };
    },
    paused: () => [...paused],
    settings: () => ({
      batchers: { default: { batchSize: 100, batchTimeoutMs: 50 } },
      processors: { concurrency: 2 },
    }),
    setBatcher(batcher, settings) {
      calls.push(`setBatcher ${batcher} ${JSON.stringify(settings)}`);
    },
    setProcessors(settings) {
      calls.push(`setProcessors ${JSON.stringify(settings)}`);
    },
  };
}

function refusal(fn: () => unknown): ControlError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ControlError) return error;
    throw error;
  }
  throw new Error('expected a ControlError');
}

async function refusalOf(p: Promise<unknown>): Promise<ControlError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof ControlError) return error;
    throw error;
  }
  throw new Error('expected a ControlError');
}

describe('createControlCenter', () => {
  it('is read only without a token: every action is refused with 403 and counted', async () => {
    const registry = new Registry();
    const control = createControlCenter({ targets: [fakeTarget()], registry, logger });
    expect(control.enabled).toBe(false);
    const error = refusal(() => control.authorize('Bearer anything', 'pause'));
    expect(error.status).toBe(403);
    expect(error.message).toBe(
      'control is off: this process was started without CONTROL_TOKEN, so pause and every other action are refused (the page is read only)',
    );
    control.refused('pause', error);
    expect(await registry.getSingleMetricAsString('kafka_stages_control_refused_total')).toContain(
      'kafka_stages_control_refused_total{action="pause",reason="read_only"} 1',
    );
  });

  it('refuses a missing or wrong token with 401, accepts the right one', () => {
    const control = createControlCenter({
      token: 's3cret-token',
      targets: [fakeTarget()],
      registry: new Registry(),
      logger,
    });
    expect(refusal(() => control.authorize(undefined, 'pause')).message).toBe(
      'missing token: send the header Authorization: Bearer <CONTROL_TOKEN>',
    );
    const wrong = refusal(() => control.authorize('Bearer s3cret-tokem', 'pause'));
    expect([wrong.status, wrong.reason, wrong.code]).toEqual([
      401,
      'unauthorized',
      'CONTROL_UNAUTHORIZED',
    ]);
    expect(refusal(() => control.authorize('Basic s3cret-token', 'set')).status).toBe(401);
    expect(() => control.authorize('Bearer s3cret-token', 'pause')).not.toThrow();
    expect(() => control.authorize('bearer   s3cret-token', 'resume')).not.toThrow();
  });

  it('applies pause and resume of a partition, a topic and the whole pipeline; counts and keeps them', async () => {
    const registry = new Registry();
    const target = fakeTarget();
    let clock = 1000;
    const control = createControlCenter({
      token: 't',
      targets: [target],
      registry,
      logger,
      now: () => clock++,
    });
    const seen: string[] = [];
    control.onAction((r) => seen.push(`${r.outcome} ${r.message}`));
    expect((await control.act('pause', { topic: 'in', partition: 2 })).message).toBe(
      'paused partition in/2',
    );
    expect((await control.act('pause', { topic: 'in', partition: 2 })).changed).toBe(false);
    expect((await control.act('pause', { topic: 'in' })).message).toBe("paused topic 'in'");
    expect((await control.act('pause', {})).paused).toEqual([
      { topic: 'in', partition: 2 },
      { topic: 'in' },
      {},
    ]);
    expect((await control.act('resume', {})).message).toBe('resumed the whole pipeline');
    expect(target.calls).toEqual([
      'pause {"topic":"in","partition":2}',
      'pause {"topic":"in","partition":2}',
      'pause {"topic":"in"}',
      'pause {}',
      'resume {}',
    ]);
    expect(seen).toEqual([
      'applied paused partition in/2',
      'unchanged partition in/2 was already paused',
      "applied paused topic 'in'",
      'applied paused the whole pipeline',
      'applied resumed the whole pipeline',
    ]);
    const text = await registry.getSingleMetricAsString('kafka_stages_control_actions_total');
    expect(text).toContain(
      'kafka_stages_control_actions_total{pipeline="orders",action="pause"} 4',
    );
    expect(text).toContain(
      'kafka_stages_control_actions_total{pipeline="orders",action="resume"} 1',
    );
    expect(text).toContain('kafka_stages_control_actions_total{pipeline="orders",action="set"} 0');
    expect(control.describe().recent.map((r) => r.at)).toEqual([1000, 1001, 1002, 1003, 1004]);
  });

  it('sets batch sizes and concurrency through the target', async () => {
    const target = fakeTarget();
    const control = createControlCenter({
      token: 't',
      targets: [target],
      registry: new Registry(),
      logger,
    });
    const result = await control.act('set', { batcher: 'default', batchSize: 500, concurrency: 4 });
    expect(result.message).toBe("set batcher 'default' batchSize 500, processors concurrency 4");
    expect(target.calls).toEqual([
      'setBatcher default {"batchSize":500}',
      'setProcessors {"concurrency":4}',
    ]);
  });

  it.each([
    [
      'pause',
      { topic: 'in', partition: -1 },
      "POST /control/pause: option 'partition' is -1; allowed: an integer from 0 to 2147483647",
    ],
    [
      'pause',
      { partition: 1 },
      "POST /control/pause: option 'topic' is missing; allowed: the topic of partition 1 (a partition is named by its topic and number)",
    ],
    [
      'resume',
      { topic: 3 },
      "POST /control/resume: option 'topic' is 3; allowed: a non-empty string of at most 249 characters",
    ],
    [
      'resume',
      [1],
      'POST /control/resume: options are [1]; allowed: a JSON object (Content-Type: application/json)',
    ],
    [
      'pause',
      { topik: 'in' },
      "POST /control/pause: option 'topik' is unknown; allowed: one of the keys pipeline, topic, partition",
    ],
    [
      'set',
      {},
      "POST /control/set: options are {}; allowed: 'batcher' with 'batchSize' and/or 'batchTimeoutMs', or 'concurrency' (processors); nothing to change otherwise",
    ],
    [
      'set',
      { batchSize: 5 },
      "POST /control/set: option 'batcher' is missing; allowed: the name of the batcher to change (needed with 'batchSize' and 'batchTimeoutMs')",
    ],
    [
      'set',
      { batcher: 'default' },
      "POST /control/set: option 'batchSize' is missing; allowed: 'batchSize' and/or 'batchTimeoutMs' with batcher 'default' (nothing to change otherwise)",
    ],
    [
      'set',
      { concurrency: 0 },
      "POST /control/set: option 'concurrency' is 0; allowed: an integer from 1 to 1024",
    ],
    [
      'set',
      { batcher: 'default', batchTimeoutMs: 1.5 },
      "POST /control/set: option 'batchTimeoutMs' is 1.5; allowed: an integer from 1 to 3600000",
    ],
    [
      'pause',
      { pipeline: 'nope' },
      "control: option 'pipeline' is \"nope\"; allowed: one of 'orders' (the pipelines running here)",
    ],
  ] as const)('refuses %s %j with a precise message', async (action, body, message) => {
    const registry = new Registry();
    const control = createControlCenter({ token: 't', targets: [fakeTarget()], registry, logger });
    const error = await refusalOf(control.act(action, body));
    expect(error.message).toBe(message);
    expect(control.describe().recent.at(-1)).toMatchObject({ outcome: 'refused', action, message });
  });

  it('asks which pipeline when several run', async () => {
    const control = createControlCenter({
      token: 't',
      targets: [fakeTarget('a'), fakeTarget('b')],
      registry: new Registry(),
      logger,
    });
    expect((await refusalOf(control.act('pause', {}))).message).toBe(
      "control: option 'pipeline' is missing; allowed: one of 'a', 'b' (this process runs 2 pipelines)",
    );
    expect((await control.act('pause', { pipeline: 'b' })).pipeline).toBe('b');
  });
});
