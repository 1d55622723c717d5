import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import {
  type MetricsTransformApp,
  startMetricsTransform,
} from '../../../platform/apps/metrics-transform/app/metrics-transform-app';
import { ControlError } from '../../../platform/control/controllable';
import { controlPipeline } from '../../../platform/control/pipeline-control';
import { createLogger } from '../../../platform/log/logger';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import { createTopic, deleteTopics, testBrokers, uniqueName } from '../../support/kafka';
import { fixtureTransformConfig } from '../apps/metrics-transform/kafka-fixture';

// The control of the real transformer, a pipeline of two parts around a repartition hop:
// the whole pipeline pauses every part's source, a topic only the part that reads it, and
// what cannot be done is refused with a message that says why.
jest.setTimeout(180_000);

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
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

it('pauses and resumes the transformer as a whole and per topic across its repartition hop', async () => {
  const t = {
    input: uniqueName('ctl-in'),
    output: uniqueName('ctl-out'),
    deadLetter: uniqueName('ctl-dlq'),
    group: uniqueName('ctl-group'),
  };
  await createTopic(t.input, 2);
  await createTopic(t.output, 1);
  await createTopic(t.deadLetter, 1);
  const telemetry = createTelemetry({ pipeline: 'mt-test', registry: new Registry() });
  let app: MetricsTransformApp | undefined;
  try {
    app = await startMetricsTransform({
      config: fixtureTransformConfig(t),
      client: { brokers: testBrokers(), logLevel: 'nothing' },
      telemetry,
      log: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
      startFrom: 'earliest',
    });
    const control = controlPipeline(app.pipeline);
    const topics = control.topics();
    expect(topics).toContain(t.input);
    const internal = topics.find((x) => x !== t.input)!;
    expect(internal).toMatch(/repartition/);
    const partitions = () => telemetry.topology().partitions;
    await until('both parts to have partitions', () => {
      const seen = new Set(partitions().map((p) => p.topic));
      return seen.has(t.input) && seen.has(internal);
    });

    expect(control.pause({})).toEqual({ changed: true, paused: [{}] });
    expect(partitions().every((p) => p.paused && p.operatorPaused)).toBe(true);
    expect(control.resume({}).changed).toBe(true);
    expect(partitions().some((p) => p.operatorPaused)).toBe(false);

    expect(control.pause({ topic: t.input }).paused).toEqual([{ topic: t.input }]);
    const byTopic = (topic: string) => partitions().filter((p) => p.topic === topic);
    expect(byTopic(t.input).every((p) => p.operatorPaused)).toBe(true);
    expect(byTopic(internal).some((p) => p.operatorPaused)).toBe(false);

    const wider = refusal(() => control.resume({ topic: t.input, partition: 0 }));
    expect([wider.reason, wider.code, wider.status]).toEqual(['conflict', 'CONTROL_CONFLICT', 409]);
    expect(wider.message).toContain(
      `partition ${t.input}/0 is paused as part of topic '${t.input}': resume topic '${t.input}'`,
    );
    const unknown = refusal(() => control.pause({ topic: 'no-such-topic' }));
    expect([unknown.reason, unknown.code, unknown.status]).toEqual([
      'not_found',
      'CONTROL_NOT_FOUND',
      404,
    ]);
    expect(unknown.message).toContain("topic 'no-such-topic' is not one this source reads");

    expect(control.resume({ topic: t.input }).paused).toEqual([]);
    expect(partitions().some((p) => p.operatorPaused)).toBe(false);

    // Batch sizes: every batcher of both parts, named as /topology names the parts (the
    // first part's batcher is the hop's, named after the step; the next part's carry the
    // step as prefix). Processors: none adjustable (the first part's keep each input
    // partition on one processor for the hop, the next part has a stateful stage): 501.
    const settings = control.settings()!;
    expect(settings.processors).toBeNull();
    const batchers = Object.keys(settings.batchers);
    expect(batchers.length).toBeGreaterThan(0);
    const stages = telemetry.topology().stages.map((s) => s.stage);
    for (const name of batchers) {
      const [part, own] = name.includes('.') ? name.split('.') : [undefined, name];
      const suffix = part ? `.${part}.batcher.${own}` : `.batcher.${own}`;
      expect(stages.filter((s) => s.endsWith(suffix))).toHaveLength(1);
    }
    await control.setBatcher(batchers[0]!, { batchSize: 777 });
    expect(control.settings()!.batchers[batchers[0]!]!.batchSize).toBe(777);
    const set = await Promise.resolve()
      .then(() => control.setProcessors({ concurrency: 2 }))
      .then(
        () => undefined,
        (error: unknown) => error as ControlError,
      );
    expect(set).toBeInstanceOf(ControlError);
    expect(set!.status).toBe(501);
    expect(set!.message).toMatch(
      /^Pipeline '[^']+': no part's processors can change their number at run time: part '[^']+' keeps each input partition on one processor, so that the repartition hop writes it in order; part '[^']+' has a stateful stage in place of processors$/,
    );
  } finally {
    await app?.stop();
    await deleteTopics(t.input, t.output, t.deadLetter).catch(() => {});
  }
});
