import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { main } from '../../../platform/cli/main';
import { createControlCenter } from '../../../platform/control/control-center';
import { controlPipeline } from '../../../platform/control/pipeline-control';
import { type HttpServer, startHttpServer } from '../../../platform/http/http-server';
import { createPipeline } from '../../../platform/kafka/index';
import { createLogger } from '../../../platform/log/logger';
import type { Message } from '../../../platform/message/message';
import type { Pipeline } from '../../../platform/pipeline/index';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import type { TopologySnapshot } from '../../../platform/telemetry/topology-snapshot';
import {
  createTopic,
  deleteTopics,
  produceRecords,
  testBrokers,
  uniqueName,
} from '../../support/kafka';

// `POST /control/set` (and `kafka-stages ctl set`) on a pipeline reading a real topic: the
// batches the sink receives change size, and the processors' number goes up and down while
// records flow, none lost or delivered twice, and every offset is committed in the end.
jest.setTimeout(180_000);

const TOKEN = 'control-set-token';
const PARTITIONS = 3;
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** What the control answers: the action's result, or the refusal. */
interface Answer {
  readonly message: string;
  readonly settings: {
    batchers: Record<string, { batchSize: number; batchTimeoutMs: number }>;
    processors: { concurrency: number } | null;
  };
  readonly error: { code: string; message: string };
}

async function post(server: HttpServer, body: unknown): Promise<{ status: number; body: Answer }> {
  const response = await fetch(`${server.url}/control/set`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

async function topology(server: HttpServer): Promise<TopologySnapshot> {
  const body = (await (await fetch(`${server.url}/topology`)).json()) as {
    pipelines: TopologySnapshot[];
  };
  return body.pipelines[0]!;
}

const records = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    partition: (from + i) % PARTITIONS,
    value: `v${from + i}`,
  }));

it('changes batch size and processor concurrency of a running Kafka pipeline over HTTP and the CLI', async () => {
  const input = uniqueName('set-in');
  await createTopic(input, PARTITIONS);
  const batches: string[][] = [];
  let server: HttpServer | undefined;
  let pipeline: Pipeline | undefined;
  let producing: Promise<void> | undefined;
  const out: string[] = [];
  try {
    const telemetry = createTelemetry({
      pipeline: 'set',
      registry: new Registry(),
      defaultMetrics: false,
      tracing: false,
    });
    pipeline = createPipeline(
      {
        name: 'set',
        telemetry,
        source: {
          client: { brokers: testBrokers(), logLevel: 'nothing' },
          groupId: uniqueName('set-group'),
          topics: [input],
          startFrom: 'earliest',
          fetch: { maxWaitTimeMs: 50 },
          commitIntervalMs: 100,
        },
        processors: {
          concurrency: 1,
          maxDemand: 40,
          // Now and then asynchronous, so processors hold messages while their number changes.
          handleMessage: async (m: Message) => {
            if (m.offset % 7 === 0) await sleep(1);
          },
        },
        batchers: { default: { batchSize: 50, batchTimeoutMs: 50 } },
        sinks: {
          default: async (messages: Message[]) => {
            batches.push(messages.map((m) => String(m.data)));
          },
        },
      },
      { logger },
    );
    const control = createControlCenter({
      token: TOKEN,
      registry: telemetry.registry,
      targets: [controlPipeline(pipeline)],
      logger,
    });
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      registry: telemetry.registry,
      topology: () => telemetry.topology(),
      readiness: () => telemetry.ready,
      control,
    });
    await pipeline.start();
    const delivered = () => batches.reduce((n, b) => n + b.length, 0);

    // Batch size 50: a backlog arrives in batches of 50.
    await produceRecords(input, records(0, 600));
    await until('600 delivered', () => delivered() === 600);
    expect(Math.max(...batches.map((b) => b.length))).toBe(50);
    const before = batches.length;

    // Batch size 7 from the next batch on.
    const resized = await post(server, { batcher: 'default', batchSize: 7 });
    expect([resized.status, resized.body.message]).toEqual([
      200,
      "set batcher 'default' batchSize 7",
    ]);
    expect(resized.body.settings.batchers.default).toEqual({ batchSize: 7, batchTimeoutMs: 50 });
    await produceRecords(input, records(600, 600));
    await until('1200 delivered', () => delivered() === 1200);
    const after = batches.slice(before).map((b) => b.length);
    expect(Math.max(...after)).toBe(7);
    expect(after.filter((n) => n === 7).length).toBeGreaterThan(after.length / 2);

    // Refused values name the key, the value and what is allowed.
    const zero = await post(server, { batcher: 'default', batchSize: 0 });
    expect(zero.status).toBe(400);
    expect(zero.body.error.message).toContain("'batchSize'");
    expect(zero.body.error.message).toContain('0');
    const unknown = await post(server, { batcher: 'nope', batchSize: 3 });
    expect([unknown.status, unknown.body.error.message]).toEqual([
      404,
      "pipeline 'set' has no batcher 'nope'; its batchers: 'default'",
    ]);

    // Four processors, set from the CLI, while records flow; then two, over HTTP.
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
    producing = (async () => {
      for (let from = 1200; from < 3000; from += 150) {
        await produceRecords(input, records(from, 150));
        await sleep(20);
      }
    })();
    const cli = await main([
      'ctl',
      'set',
      '--concurrency',
      '4',
      '--url',
      server.url,
      '--token',
      TOKEN,
    ]);
    jest.restoreAllMocks();
    expect([cli, out]).toEqual([0, ['set processors concurrency 4\n']]);
    const processors = async () =>
      (await topology(server!)).stages
        .filter((s) => s.role === 'processor' || s.stage.includes('.processor.'))
        .map((s) => s.stage)
        .sort();
    expect(await processors()).toEqual([
      'set.processor.0',
      'set.processor.1',
      'set.processor.2',
      'set.processor.3',
    ]);
    await until('the fourth processor to take records', async () =>
      (await topology(server!)).stages.some((s) => s.stage === 'set.processor.3' && s.eventsIn > 0),
    );
    const down = await post(server, { concurrency: 2 });
    expect([down.status, down.body.message, down.body.settings.processors]).toEqual([
      200,
      'set processors concurrency 2',
      { concurrency: 2 },
    ]);
    expect(await processors()).toEqual(['set.processor.0', 'set.processor.1']);
    await producing;
    await until('3000 delivered', () => delivered() >= 3000).catch(async (error: Error) => {
      const stats = pipeline!.stats().map((st) => ({
        name: st.name,
        status: st.status,
        in: st.eventsIn,
        out: st.eventsOut,
        buffered: st.buffered,
        queued: st.queued,
        mailbox: st.mailbox,
        producers: st.producers.map((p) => `${p.producer}:${p.pendingDemand}`),
        consumers: st.consumers.map((c) => `${c.consumer}:${c.pendingDemand}`),
      }));
      const partitions = (await topology(server!)).partitions;
      throw new Error(
        `${error.message}: ${delivered()} delivered; stages ${JSON.stringify(stats)}; partitions ${JSON.stringify(partitions)}`,
      );
    });
    await sleep(300);

    // Every record exactly once.
    const seen = new Map<string, number>();
    for (const value of batches.flat()) seen.set(value, (seen.get(value) ?? 0) + 1);
    expect(seen.size).toBe(3000);
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    // Acknowledgements intact: every partition commits up to its end.
    await until('every offset committed', async () =>
      (await topology(server!)).partitions.every((p) => p.lag === 0),
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('kafka_stages_control_actions_total{pipeline="set",action="set"} 3');
    expect(metrics).toContain(
      'kafka_stages_stage_restarts_total{pipeline="set",stage="set.processor.0"} 0',
    );
  } finally {
    jest.restoreAllMocks();
    await producing?.catch(() => {});
    await pipeline?.stop();
    await server?.close();
    await deleteTopics(input).catch(() => {});
  }
});
