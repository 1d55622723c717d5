import { spawnSync } from 'node:child_process';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { Registry } from 'prom-client';
import { type HttpServer, startHttpServer } from '../../../platform/http/http-server';
import { createPipeline } from '../../../platform/kafka/index';
import type { Pipeline } from '../../../platform/pipeline/index';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import {
  consumeAll,
  createTopic,
  deleteTopics,
  produceRecords,
  testBrokers,
  uniqueName,
} from '../../support/kafka';
import { headersOf, inMemoryTracing } from './tracing-sdk';

// The "must show": a real broker, the real pipeline (KafkaSource → processor →
// batcher → KafkaSink), a real trace SDK with an in-memory exporter, a real HTTP server.

const PARTITIONS = 2;
const RECORDS = 40;

let sdk: ReturnType<typeof inMemoryTracing>;
let server: HttpServer | undefined;
let pipeline: Pipeline | undefined;
const topics: string[] = [];

afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
  await server?.close();
  server = undefined;
  await sdk?.close();
  await deleteTopics(...topics.splice(0));
});

async function topicsFor(name: string): Promise<{ input: string; output: string }> {
  const input = uniqueName(`${name}-in`);
  const output = uniqueName(`${name}-out`);
  topics.push(input, output);
  await createTopic(input, PARTITIONS);
  await createTopic(output, PARTITIONS);
  return { input, output };
}

function pipelineOf(name: string, input: string, output: string, telemetry: unknown) {
  return createPipeline({
    name,
    source: {
      client: { brokers: testBrokers() },
      groupId: uniqueName(`${name}-group`),
      topics: [input],
      startFrom: 'earliest',
      commitIntervalMs: 100,
    },
    processors: {
      concurrency: 2,
      handleMessage: (m) => {
        m.data = String(m.data).toUpperCase();
      },
    },
    batchers: { out: { batchSize: 7, batchTimeoutMs: 50 } },
    sinks: { out: { client: { brokers: testBrokers() }, topic: output } },
    telemetry: telemetry as never,
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Metric samples of the Prometheus text, `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/i.exec(line);
    if (m) out.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}

function sumOf(all: Map<string, number>, name: string, labelFilter = ''): number {
  let total = 0;
  for (const [k, v] of all) {
    if ((k === name || k.startsWith(`${name}{`)) && k.includes(labelFilter)) total += v;
  }
  return total;
}

it('one trace follows each record from the upstream producer through every stage into the output topic', async () => {
  sdk = inMemoryTracing();
  const { input, output } = await topicsFor('traced');
  const upstream = sdk.provider.getTracer('upstream-service').startSpan(`send ${input}`, {
    kind: SpanKind.PRODUCER,
  });
  upstream.end();
  const up = upstream.spanContext();
  await produceRecords(
    input,
    Array.from({ length: RECORDS }, (_, i) => ({
      key: `k${i}`,
      value: `event ${i}`,
      headers: headersOf(upstream),
    })),
  );
  const telemetry = createTelemetry({
    pipeline: 'traced',
    registry: new Registry(),
    defaultMetrics: false,
    tracerProvider: sdk.provider,
    consumerGroup: 'traced-group',
  });
  pipeline = pipelineOf('traced', input, output, telemetry);
  await pipeline.start();
  const produced = await consumeAll(output, RECORDS);
  await pipeline.stop();
  pipeline = undefined;

  expect(new Set(produced.map((r) => r.value?.toString()))).toEqual(
    new Set(Array.from({ length: RECORDS }, (_, i) => `EVENT ${i}`)),
  );
  const spans = sdk.spans();
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  /** True when the upstream span is an ancestor of `span`, or a link of it or of an ancestor. */
  const reachesUpstream = (span: ReadableSpan | undefined): boolean => {
    for (let s = span; s; s = byId.get(s.parentSpanContext?.spanId ?? '')) {
      if (s.parentSpanContext?.spanId === up.spanId) return true;
      if (s.links.some((l) => l.context.spanId === up.spanId)) return true;
    }
    return false;
  };

  // Every stage span: processors and sinks, and the producer spans of the sink.
  const stageSpans = spans.filter((s) => s.name === `process ${input}`);
  const stagesSeen = new Set(stageSpans.map((s) => String(s.attributes['kafka_stages.stage'])));
  expect([...stagesSeen].some((s) => s.includes('processor'))).toBe(true);
  expect([...stagesSeen].some((s) => s.includes('sink'))).toBe(true);
  const sendSpans = spans.filter((s) => s.name === `send ${output}`);
  expect(sendSpans.length).toBeGreaterThan(0);
  for (const s of [...stageSpans, ...sendSpans]) {
    expect({
      span: s.name,
      stage: s.attributes['kafka_stages.stage'],
      ok: reachesUpstream(s),
    }).toEqual({
      span: s.name,
      stage: s.attributes['kafka_stages.stage'],
      ok: true,
    });
    expect(s.spanContext().traceId).toBe(up.traceId); // one trace
  }
  const messagesProcessed = stageSpans
    .filter((s) => String(s.attributes['kafka_stages.stage']).includes('processor'))
    .reduce((n, s) => n + Number(s.attributes['messaging.batch.message_count']), 0);
  expect(messagesProcessed).toBe(RECORDS);
  expect(stageSpans[0]!.attributes).toMatchObject({
    'messaging.system': 'kafka',
    'messaging.consumer.group.name': 'traced-group',
    'messaging.operation.type': 'process',
  });

  // The produced records carry the trace on: their context is a span of this trace that
  // descends from the upstream span.
  for (const record of produced) {
    const traceparent = record.headers?.traceparent?.toString() ?? '';
    const [, traceId, spanId] = traceparent.split('-');
    expect(traceId).toBe(up.traceId);
    const parent = byId.get(spanId ?? '');
    expect(parent?.name).toBe(`send ${output}`);
    expect(reachesUpstream(parent)).toBe(true);
  }
});

it('/metrics of a real run passes promtool and matches the run; /readyz follows the group', async () => {
  const { input, output } = await topicsFor('metrics');
  await produceRecords(
    input,
    Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
  );
  // A malformed traceparent on some records: counted, and the records still go through.
  await produceRecords(input, [
    { key: 'bad-1', value: 'bad 1', headers: { traceparent: 'not-a-traceparent' } },
    { key: 'bad-2', value: 'bad 2', headers: { traceparent: '00-abc-def-01' } },
  ]);
  const total = RECORDS + 2;
  const telemetry = createTelemetry({ pipeline: 'metrics', registry: new Registry() });
  pipeline = pipelineOf('metrics', input, output, telemetry);
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry: telemetry.registry,
    readiness: () => telemetry.ready,
    topology: () => telemetry.topology(),
  });
  const readyz = async () => (await fetch(`${server!.url}/readyz`)).status;
  expect(await readyz()).toBe(503); // not joined yet

  await pipeline.start();
  await until('/readyz to turn ready', async () => (await readyz()) === 200);
  const produced = await consumeAll(output, total);
  expect(produced.length).toBeGreaterThanOrEqual(total);
  // Committed everything: lag 0 on both partitions.
  await until('offsets committed', async () => {
    const m = samples(await (await fetch(`${server!.url}/metrics`)).text());
    const lags = [0, 1].map((p) =>
      m.get(
        `kafka_stages_source_lag_records{pipeline="metrics",topic="${input}",partition="${p}"}`,
      ),
    );
    return lags.every((l) => l === 0);
  });

  const res = await fetch(`${server.url}/metrics`);
  const body = await res.text();
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  expect({ status: promtool.status, out: `${promtool.stdout}${promtool.stderr}` }).toEqual({
    status: 0,
    out: '',
  });
  const m = samples(body);
  const processorsIn = sumOf(m, 'kafka_stages_stage_events_in_total', '.processor.');
  // Events in == records sent. At least once: a rebalance (a slow, loaded machine) may
  // deliver some records twice, and the metrics must then say so.
  if (sumOf(m, 'kafka_stages_source_rebalances_total') === 0) expect(processorsIn).toBe(total);
  else expect(processorsIn).toBeGreaterThan(total);
  expect(sumOf(m, 'kafka_stages_sink_records_total', `topic="${output}"`)).toBe(total);
  expect(sumOf(m, 'kafka_stages_end_to_end_latency_seconds_count')).toBe(total);
  expect(sumOf(m, 'kafka_stages_trace_context_invalid_total')).toBe(2);
  expect(sumOf(m, 'kafka_stages_stage_failures_total')).toBe(0);
  expect(m.get('kafka_stages_pipeline_ready{pipeline="metrics"}')).toBe(1);
  expect(sumOf(m, 'kafka_stages_source_commit_duration_seconds_count')).toBeGreaterThan(0);
  expect(
    m.get(
      `kafka_stages_source_partition_paused{pipeline="metrics",topic="${input}",partition="0"}`,
    ),
  ).toBe(0);

  const topology = (await (await fetch(`${server.url}/topology`)).json()) as {
    pipelines: { stages: { stage: string }[]; partitions: { lag: number }[] }[];
  };
  expect(topology.pipelines[0]!.partitions.map((p) => p.lag)).toEqual([0, 0]);
  expect(topology.pipelines[0]!.stages.length).toBeGreaterThanOrEqual(5);

  // Shutdown: unready as soon as the stop begins, and after.
  const stopping = pipeline.stop();
  expect(await readyz()).toBe(503);
  await stopping;
  pipeline = undefined;
  expect(await readyz()).toBe(503);
  expect(
    samples(await (await fetch(`${server.url}/metrics`)).text()).get(
      'kafka_stages_pipeline_ready{pipeline="metrics"}',
    ),
  ).toBe(0);
});
