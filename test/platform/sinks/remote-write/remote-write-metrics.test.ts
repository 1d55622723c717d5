import { spawnSync } from 'node:child_process';
import type { Registry } from 'prom-client';
import type { Message } from '../../../../platform/message/message';
import { testBatch } from '../../../../platform/pipeline/testing';
import {
  RemoteWriteSink,
  RemoteWriteUnavailableError,
} from '../../../../platform/sinks/remote-write/index';
import { createTelemetry } from '../../../../platform/telemetry/create-telemetry';
import { statusClass } from '../../../../platform/telemetry/remote-write-metrics';
import { type Answer, type ReceivedRequest, TestReceiver } from './receiver';

// The sink's kafka_stages_remote_write_* metrics, read from the pipeline's registry after
// real requests to the local receiver the sink's other tests use.

const T = 1_767_000_000_000;
const FAST = { initialBackoffMs: 5, maxBackoffMs: 20 };
const PIPELINE = 'rw-metrics';
const sample = (name: string, t: number, value: number, labels: Record<string, string> = {}) => ({
  name,
  value,
  timestamp: t,
  labels,
});
const messages = (data: unknown[]): Message[] => testBatch(data);

let receiver: TestReceiver | undefined;
let sink: RemoteWriteSink | undefined;
afterEach(async () => {
  sink?.close();
  sink = undefined;
  await receiver?.stop();
  receiver = undefined;
});

async function receive(answer: (r: ReceivedRequest, i: number) => Answer): Promise<TestReceiver> {
  receiver = await new TestReceiver(answer).start();
  return receiver;
}

/** A fresh pipeline telemetry (its own registry) and a sink reporting into it. */
function sinkWithTelemetry(url: string, extra: Record<string, unknown> = {}) {
  const telemetry = createTelemetry({ pipeline: PIPELINE, tracing: false, defaultMetrics: false });
  sink = new RemoteWriteSink({ url, ...FAST, ...extra, telemetry });
  return { sink, registry: telemetry.registry };
}

/** Every sample of the registry's exposition as `name{labels}` → value (what a scrape sees). */
async function scrape(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The remote-write series of the pipeline, by short name, as a scrape shows them. */
async function remoteWrite(registry: Registry) {
  const m = await scrape(registry);
  const p = `pipeline="${PIPELINE}"`;
  const requests: Record<string, number> = {};
  for (const [key, value] of m) {
    const status = /^kafka_stages_remote_write_requests_total\{.*status="([^"]+)"/.exec(key)?.[1];
    if (status) requests[status] = value;
  }
  return {
    requests,
    sent: m.get(`kafka_stages_remote_write_samples_sent_total{${p}}`),
    refused: m.get(`kafka_stages_remote_write_samples_refused_total{${p}}`),
    retries: m.get(`kafka_stages_remote_write_retries_total{${p}}`),
    durationCount: m.get(`kafka_stages_remote_write_request_duration_seconds_count{${p}}`),
    durationSum: m.get(`kafka_stages_remote_write_request_duration_seconds_sum{${p}}`),
  };
}

function promtoolCheck(text: string) {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) {
    throw new Error(`promtool is missing: run make test-tools (Debian package prometheus)`);
  }
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('RemoteWriteSink metrics', () => {
  it('starts every series of the pipeline at 0, before any request', async () => {
    const r = await receive(() => ({ status: 204 }));
    const { registry } = sinkWithTelemetry(r.url);
    expect(await remoteWrite(registry)).toEqual({
      requests: { '2xx': 0 },
      sent: 0,
      refused: 0,
      retries: 0,
      durationCount: 0,
      durationSum: 0,
    });
  });

  it('counts a 2xx request, its samples and its duration', async () => {
    const r = await receive(() => ({ status: 204 }));
    const { sink, registry } = sinkWithTelemetry(r.url);
    await sink.send(messages([[sample('a', T, 1), sample('b', T, 2)], sample('c', T, 3)]));
    const m = await remoteWrite(registry);
    expect(r.requests).toHaveLength(1);
    expect(m).toMatchObject({
      requests: { '2xx': 1 },
      sent: 3,
      refused: 0,
      retries: 0,
      durationCount: 1,
    });
    expect(m.durationSum).toBeGreaterThan(0);
  });

  it('counts 503, 429 and 500 answers by class and each retry; the samples once sent', async () => {
    const answers: Answer[] = [
      { status: 503 },
      { status: 429, headers: { 'Retry-After': '0' } },
      { status: 500, body: 'tsdb busy' },
    ];
    const r = await receive((_, i) => answers[i] ?? { status: 200 });
    const { sink, registry } = sinkWithTelemetry(r.url);
    await sink.send(messages([sample('a', T, 1), sample('b', T, 2)]));
    expect(r.requests.map((q) => q.status)).toEqual([503, 429, 500, 200]);
    expect(await remoteWrite(registry)).toMatchObject({
      requests: { '2xx': 1, '4xx': 1, '5xx': 2 },
      sent: 2,
      refused: 0,
      retries: 3,
      durationCount: 4,
    });
  });

  it('counts the samples of messages refused with 400 (split off, dead-lettered) apart from the ones sent', async () => {
    const r = await receive((q) =>
      q.series.some((s) => s.labels.bad === '1')
        ? { status: 400, body: 'out of order sample' }
        : { status: 204 },
    );
    const { sink, registry } = sinkWithTelemetry(r.url);
    // Message 1 carries two refused samples; 0, 2 and 3 are fine (4 samples in all).
    const batch = messages([
      sample('m0', T, 0),
      [sample('m1', T, 1, { bad: '1' }), sample('m1', T + 1, 1, { bad: '1' })],
      [sample('m2', T, 2), sample('m2', T + 1, 2)],
      sample('m3', T, 3),
    ]);
    await sink.send(batch);
    expect(batch.map((m) => m.status.kind)).toEqual(['pending', 'failed', 'pending', 'pending']);
    const answered = r.requests.map((q) => q.status);
    const m = await remoteWrite(registry);
    // 400s are not retried: every request is a new part of the split.
    expect(m).toMatchObject({
      requests: {
        '2xx': answered.filter((s) => s === 204).length,
        '4xx': answered.filter((s) => s === 400).length,
      },
      sent: 4,
      refused: 2,
      retries: 0,
      durationCount: r.requests.length,
    });
    expect(m.requests['4xx']).toBeGreaterThanOrEqual(2);
  });

  it('counts a request that times out as status timeout, and its retry', async () => {
    const r = await receive((_, i) => (i === 0 ? 'hang' : { status: 204 }));
    const { sink, registry } = sinkWithTelemetry(r.url, { timeoutMs: 200 });
    await sink.send(messages([sample('a', T, 1)]));
    const m = await remoteWrite(registry);
    // The receiver answered every request but the first; on a busy machine an answer may
    // still come after 200 ms and count as a timeout too: each timeout is one retry.
    expect(r.accepted()).toEqual([`a@${T}=1`]);
    expect(m.requests.timeout).toBeGreaterThanOrEqual(1);
    expect(m).toEqual({
      requests: { '2xx': 1, timeout: m.requests.timeout },
      sent: 1,
      refused: 0,
      retries: m.requests.timeout,
      durationCount: (m.requests.timeout as number) + 1,
      durationSum: m.durationSum,
    });
    expect(m.durationSum).toBeGreaterThanOrEqual(0.19 * (m.requests.timeout as number));
  });

  it('counts refused connections as status error while the receiver is down; close() is not a request', async () => {
    const r = await receive(() => ({ status: 204 }));
    const url = r.url;
    await r.stop();
    const { sink, registry } = sinkWithTelemetry(url);
    const sending = sink.send(messages([sample('a', T, 1)]));
    const deadline = Date.now() + 10_000;
    while (((await remoteWrite(registry)).retries ?? 0) < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    sink.close();
    await expect(sending).rejects.toBeInstanceOf(RemoteWriteUnavailableError);
    const m = await remoteWrite(registry);
    expect(m.retries).toBeGreaterThanOrEqual(2);
    // Every attempt was refused by the closed port, and counted as one request.
    expect(m.requests).toEqual({ '2xx': 0, error: m.durationCount });
    expect(m.requests.error).toBeGreaterThanOrEqual(m.retries as number);
    expect(m.sent).toBe(0);
  });

  it('exposes the families in a text format that promtool accepts, beside the catalogue', async () => {
    // 503 first (retried), then the batch is refused for its bad sample and split.
    const r = await receive((q, i) =>
      i === 0
        ? { status: 503 }
        : q.series.some((s) => s.labels.bad === '1')
          ? { status: 400 }
          : { status: 204 },
    );
    const { sink, registry } = sinkWithTelemetry(r.url);
    await sink.send(messages([sample('a', T, 1), sample('b', T, 2, { bad: '1' })]));
    const text = await registry.metrics();
    for (const family of [
      'kafka_stages_remote_write_requests_total',
      'kafka_stages_remote_write_samples_sent_total',
      'kafka_stages_remote_write_samples_refused_total',
      'kafka_stages_remote_write_retries_total',
      'kafka_stages_remote_write_request_duration_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${family} `);
    }
    expect(text).toContain(
      'kafka_stages_remote_write_requests_total{pipeline="rw-metrics",status="5xx"} 1',
    );
    expect(promtoolCheck(text)).toEqual({ status: 0, out: '' });
  });

  it('refuses a telemetry option that is not a pipeline telemetry, naming the key', () => {
    expect(
      () => new RemoteWriteSink({ url: 'http://127.0.0.1:1/api/v1/write', telemetry: {} as never }),
    ).toThrow("RemoteWriteSink: option 'telemetry'");
  });
});

describe('statusClass', () => {
  it('gives the class of each status, 5xx for anything out of range', () => {
    expect([200, 204, 302, 400, 429, 499, 500, 503, 600].map(statusClass)).toEqual([
      '2xx',
      '2xx',
      '3xx',
      '4xx',
      '4xx',
      '4xx',
      '5xx',
      '5xx',
      '5xx',
    ]);
  });
});
