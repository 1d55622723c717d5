import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import {
  type HttpServer,
  httpOptionsFromEnv,
  startHttpServer,
} from '../../../platform/http/http-server';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import { TelemetryError } from '../../../platform/telemetry/telemetry-errors';

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<Parameters<typeof startHttpServer>[0]> = {}) {
  const server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry: new Registry(),
    ...options,
  });
  servers.push(server);
  return server;
}

function fixedLag(ms: number) {
  return { lagMs: () => ms, stop() {} };
}

describe('startHttpServer', () => {
  it('serves /metrics in the Prometheus text format, accepted by promtool', async () => {
    const telemetry = createTelemetry({ pipeline: 'p' });
    telemetry.recordBatch('processor_0', { eventsIn: 3, eventsOut: 3, seconds: 0.001 });
    telemetry.recordBatch('sink', {
      eventsIn: 3,
      eventsOut: 3,
      seconds: 0.001,
      failures: { x: 1 },
    });
    telemetry.recordDeadLettered('in', 'decode', 1);
    telemetry.recordDelivered('out', [], Date.now());
    telemetry.recordCommit('in', 0.01);
    telemetry.recordPause('in', 0);
    telemetry.recordRebalance();
    telemetry.observe({
      partitions: () => [
        {
          topic: 'in',
          partition: 0,
          highWatermark: 10,
          committed: 4,
          paused: true,
          bufferedEvents: 1,
          bufferedBytes: 9,
          lastCommitAt: Date.now(),
        },
      ],
      stages: () => [
        { stage: 'source', pendingDemand: 1, bufferedEvents: 2 },
        { stage: 'processor_0', pendingDemand: 0, bufferedEvents: 0, restarts: 2 },
      ],
    });
    const server = await start({ registry: telemetry.registry });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    expect(body).toContain(
      'kafka_stages_stage_events_in_total{pipeline="p",stage="processor_0"} 3',
    );
    expect(body).toContain(
      'kafka_stages_source_lag_records{pipeline="p",topic="in",partition="0"} 6',
    );
    expect(body).toContain('kafka_stages_stage_restarts_total{pipeline="p",stage="processor_0"} 2');
    expect(body).toContain('process_cpu_seconds_total');
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(promtool.error).toBeUndefined();
    expect({ status: promtool.status, out: promtool.stdout + promtool.stderr }).toEqual({
      status: 0,
      out: '',
    });
  });

  it('reports liveness from the event loop and the stages, not the broker', async () => {
    let alive: boolean | { ok: boolean; reason?: string } = true;
    let lag = 10;
    const server = await start({
      health: () => alive,
      eventLoopLag: { lagMs: () => lag, stop() {} },
      maxEventLoopLagMs: 500,
    });
    let res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', eventLoop: { ok: true, lagMs: 10 } });
    lag = 900;
    res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unhealthy', eventLoop: { ok: false } });
    lag = 10;
    alive = { ok: false, reason: 'stage processor_1 exited' };
    res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      stages: { ok: false, reason: 'stage processor_1 exited' },
    });
  });

  it('measures real event-loop stalls by default', async () => {
    const server = await start({ maxEventLoopLagMs: 150 });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // The sampler measures between its ticks: let it tick once before the stall.
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Block the loop well past the bound: the sampler sees a delay at least this long.
    const until = Date.now() + 400;
    while (Date.now() < until) {}
    // The sampler records the delay when its timer next fires.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const res = await fetch(`${server.url}/healthz`);
    const body = (await res.json()) as { eventLoop: { lagMs: number } };
    expect(res.status).toBe(503);
    expect(body.eventLoop.lagMs).toBeGreaterThanOrEqual(300);
  });

  it('is ready only when the readiness check says so, and never while shutting down', async () => {
    let ready = false;
    const server = await start({ readiness: () => ready, eventLoopLag: fixedLag(0) });
    let res = await fetch(`${server.url}/readyz`);
    expect([res.status, await res.json()]).toEqual([503, { status: 'not_ready' }]);
    ready = true;
    res = await fetch(`${server.url}/readyz`);
    expect([res.status, await res.json()]).toEqual([200, { status: 'ready' }]);
    server.setShuttingDown();
    res = await fetch(`${server.url}/readyz`);
    expect([res.status, await res.json()]).toEqual([503, { status: 'shutting_down' }]);
  });

  it('serves the topology as JSON', async () => {
    const telemetry = createTelemetry({ pipeline: 'p', defaultMetrics: false });
    telemetry.observe({ stages: () => [{ stage: 'source', pendingDemand: 5, bufferedEvents: 1 }] });
    telemetry.setReady(true);
    const server = await start({ topology: () => telemetry.topology(), eventLoopLag: fixedLag(0) });
    const res = await fetch(`${server.url}/topology`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { pipelines: unknown[] };
    expect(body.pipelines).toEqual([
      expect.objectContaining({
        pipeline: 'p',
        ready: true,
        stages: [expect.objectContaining({ stage: 'source', pendingDemand: 5 })],
      }),
    ]);
    const page = await fetch(`${server.url}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).not.toMatch(/<(script|link)[^>]+(src|href)=/); // self-contained
  });

  it('says which port is taken and how to change it', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(start({ port })).rejects.toThrow(
        `http server: port ${port} on 127.0.0.1 is already in use; choose another with the 'port' option or the HTTP_PORT environment variable (0 picks a free port)`,
      );
      await expect(start({ port })).rejects.toMatchObject({ code: 'HTTP_PORT_IN_USE' });
    } finally {
      blocker.close();
    }
  });

  it('rejects bad options with the key, the value and what is allowed', async () => {
    await expect(start({ port: 70000 })).rejects.toThrow(
      "http server: option 'port' is 70000; allowed: a number <= 65535",
    );
    await expect(start({ registry: {} as Registry })).rejects.toBeInstanceOf(TelemetryError);
    expect(httpOptionsFromEnv({ HTTP_PORT: '8080', HTTP_HOST: '::1' })).toEqual({
      port: 8080,
      host: '::1',
    });
    expect(() => httpOptionsFromEnv({ HTTP_PORT: 'eighty' })).toThrow(
      'http server: option \'HTTP_PORT\' is "eighty"; allowed: an integer from 0 to 65535',
    );
  });
});
