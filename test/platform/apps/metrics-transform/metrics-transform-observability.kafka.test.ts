import { spawnSync } from 'node:child_process';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { Registry } from 'prom-client';
import {
  type MetricsTransformApp,
  startMetricsTransform,
} from '../../../../platform/apps/metrics-transform/app/metrics-transform-app';
import { type HttpServer, startHttpServer } from '../../../../platform/http/http-server';
import { createLogger } from '../../../../platform/log/logger';
import { createTelemetry } from '../../../../platform/telemetry/create-telemetry';
import { metricNamesUsedByChart } from '../../../deploy/metric-names';
import {
  consumeAll,
  createTopic,
  deleteTopics,
  produceRecords,
  testBrokers,
  uniqueName,
} from '../../../support/kafka';
import { headersOf, inMemoryTracing } from '../../telemetry/tracing-sdk';
import { fixtureInput, fixtureTransformConfig } from './kafka-fixture';

// The transformer in-process against the real broker, with a real trace SDK (in-memory
// exporter) and the real HTTP server: readiness over the lifecycle, the trace carried from
// the input records to the output and dead-letter records, and a live /metrics scrape that
// holds every name the chart's dashboard and alerts query and passes promtool.

let sdk: ReturnType<typeof inMemoryTracing> | undefined;
let server: HttpServer | undefined;
let app: MetricsTransformApp | undefined;
const created: string[] = [];

afterEach(async () => {
  await app?.stop();
  app = undefined;
  await server?.close();
  server = undefined;
  await sdk?.close();
  sdk = undefined;
  await deleteTopics(...created.splice(0));
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Metric names present in a Prometheus text exposition (samples only). */
function namesIn(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+\S+/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

it('readiness follows the group and the stop, the trace reaches the output, /metrics has every chart name and passes promtool', async () => {
  sdk = inMemoryTracing();
  const t = {
    input: uniqueName('mt-obs-in'),
    output: uniqueName('mt-obs-out'),
    deadLetter: uniqueName('mt-obs-dlq'),
    group: uniqueName('mt-obs-group'),
  };
  created.push(t.input, t.output, t.deadLetter);
  await createTopic(t.input, 1);
  await createTopic(t.output, 2);
  await createTopic(t.deadLetter, 1);

  const upstream = sdk.provider.getTracer('upstream-service').startSpan(`send ${t.input}`, {
    kind: SpanKind.PRODUCER,
  });
  upstream.end();
  const up = upstream.spanContext();
  const { records, expected, brokenRecords } = fixtureInput(21, 1_500, Date.now());
  await produceRecords(
    t.input,
    records.map((r) => ({ ...r, partition: 0, headers: headersOf(upstream) })),
  );
  // A refused record with a malformed traceparent: counted, dead-lettered in a new trace.
  await produceRecords(t.input, [
    { key: 'bad-tp', value: 'broken line', partition: 0, headers: { traceparent: 'nonsense' } },
  ]);

  const telemetry = createTelemetry({
    pipeline: t.group,
    registry: new Registry(),
    tracerProvider: sdk.provider,
    consumerGroup: t.group,
  });
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry: telemetry.registry,
    readiness: () => telemetry.ready,
    health: () => app?.health() ?? true,
    topology: () => telemetry.topology(),
  });
  const status = async (path: string) => (await fetch(`${server!.url}${path}`)).status;
  expect(await status('/readyz')).toBe(503); // not joined yet

  app = await startMetricsTransform({
    config: fixtureTransformConfig(t),
    client: { brokers: testBrokers() },
    telemetry,
    log: createLogger({ level: 'warn', format: 'json' }),
    startFrom: 'earliest',
    maxDemand: 2,
  });
  await until('/readyz to turn ready', async () => (await status('/readyz')) === 200);
  expect(await status('/healthz')).toBe(200);

  const outputs = await consumeAll(t.output, expected.size, { timeoutMs: 120_000 });
  const deadLetters = await consumeAll(t.deadLetter, brokenRecords + 1, { timeoutMs: 60_000 });
  // Acknowledged input (windows emitted and confirmed) reaches the end-to-end histogram and
  // gets committed: the steady state a scrape of a running instance sees.
  await until('end-to-end latency recorded and offsets committed', async () => {
    const text = await (await fetch(`${server!.url}/metrics`)).text();
    return (
      /kafka_stages_end_to_end_latency_seconds_count\{[^}]*\} [1-9]/.test(text) &&
      /kafka_stages_source_commit_duration_seconds_count\{[^}]*\} [1-9]/.test(text)
    );
  });

  // (b) Tracing. Every produced record's traceparent is a recorded `send` span; a send made
  // while a batch is handled descends from the batch's `process` span, which links the
  // upstream context.
  const spans = sdk.spans();
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  // Through parents and links: a batch's `process` span links each message's context, and
  // an aggregate's trace continues from the batch that emitted it, across the repartition hop.
  const reachesUpstream = (span: ReadableSpan | undefined): boolean => {
    const seen = new Set<string>();
    const todo = span ? [span] : [];
    while (todo.length > 0) {
      const s = todo.pop()!;
      if (seen.has(s.spanContext().spanId)) continue;
      seen.add(s.spanContext().spanId);
      const next = [s.parentSpanContext?.spanId, ...s.links.map((l) => l.context.spanId)];
      if (next.includes(up.spanId)) return true;
      for (const id of next) {
        const found = byId.get(id ?? '');
        if (found) todo.push(found);
      }
    }
    return false;
  };
  const linksAnywhere = (span: ReadableSpan | undefined): boolean => {
    for (let s = span; s; s = byId.get(s.parentSpanContext?.spanId ?? '')) {
      if (s.links.length > 0) return true;
    }
    return false;
  };
  const processSpans = spans.filter((s) => s.name === `process ${t.input}`);
  expect(processSpans.length).toBeGreaterThan(0);
  // All but the batch of the record with the malformed traceparent.
  expect(processSpans.filter(reachesUpstream).length).toBeGreaterThanOrEqual(
    processSpans.length - 1,
  );
  let inBatch = 0;
  let fromTimer = 0;
  for (const [topic, list] of [
    [t.output, outputs],
    [t.deadLetter, deadLetters],
  ] as const) {
    for (const record of list) {
      const [, traceId, spanId] = (record.headers?.traceparent?.toString() ?? '').split('-');
      const send = byId.get(spanId ?? '');
      expect(send?.name).toBe(`send ${topic}`);
      expect(send?.spanContext().traceId).toBe(traceId);
      if (record.key?.toString() === 'bad-tp') continue;
      if (reachesUpstream(send)) {
        inBatch++;
      } else {
        // A window closed by the idle timer, outside any input batch: a trace of its own,
        // with no link anywhere up its chain.
        expect(linksAnywhere(send)).toBe(false);
        fromTimer++;
      }
    }
  }
  expect(inBatch).toBeGreaterThan(0);
  // Dead letters are always produced inside the batch of the refused record.
  expect(inBatch).toBeGreaterThanOrEqual(deadLetters.length);

  // (c) and (d): a live scrape.
  const body = await (await fetch(`${server.url}/metrics`)).text();
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  expect({ status: promtool.status, out: `${promtool.stdout}${promtool.stderr}` }).toEqual({
    status: 0,
    out: '',
  });
  const exported = namesIn(body);
  // This run writes to Kafka: the remote-write sink's series are checked where the transformer
  // writes to Prometheus (metrics-transform-prometheus.kafka.test.ts).
  const used = metricNamesUsedByChart().filter((n) => !n.startsWith('kafka_stages_remote_write_'));
  const missing = used.filter((n) => !exported.has(n));
  process.stderr.write(
    `metrics-transform observability: ${outputs.length} output records and ${deadLetters.length} dead letters (${inBatch} records sent inside a batch, ${fromTimer} by the idle timer), ` +
      `${processSpans.length} process spans, ${used.length} chart metric names, missing: [${missing.join(', ')}]\n`,
  );
  // Every name the dashboard and the alerts query is exported, including counters of
  // events this run does not have (no rebalance, no paused partition): they start at 0.
  expect(missing).toEqual([]);

  // /topology carries the stage totals.
  const topology = (await (await fetch(`${server.url}/topology`)).json()) as {
    pipelines: { stages: { stage: string; eventsIn: number }[] }[];
  };
  const stageRow = topology.pipelines[0]!.stages.find((s) => s.stage === `${t.group}.processor.0`);
  expect(stageRow?.eventsIn).toBeGreaterThanOrEqual(records.length);

  // (a) Shutdown: unready as soon as the stop begins, and after.
  const stopping = app.stop();
  expect(await status('/readyz')).toBe(503);
  await stopping;
  app = undefined;
  expect(await status('/readyz')).toBe(503);
}, 240_000);
