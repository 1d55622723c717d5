import { Registry } from 'prom-client';
import { createControlCenter } from '../../../platform/control/control-center';
import type { Controllable } from '../../../platform/control/controllable';
import { type HttpServer, startHttpServer } from '../../../platform/http/http-server';
import { createLogger } from '../../../platform/log/logger';

// The control routes over real HTTP (the pipeline behind them is a stand-in; a real one is
// steered in live-page.kafka.test.ts and pipeline-control.kafka.test.ts).
const logger = createLogger({ level: 'silent' });
const servers: HttpServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const target: Controllable = {
  name: 'orders',
  topics: () => ['in'],
  pause: () => ({ changed: true, paused: [{}] }),
  resume: () => ({ changed: true, paused: [] }),
  paused: () => [],
  settings: () => null,
  setBatcher() {},
  setProcessors() {},
};

async function serve(control: boolean): Promise<HttpServer> {
  const registry = new Registry();
  const server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry,
    ...(control
      ? { control: createControlCenter({ token: 'tok', targets: [target], registry, logger }) }
      : {}),
  });
  servers.push(server);
  return server;
}

const post = (server: HttpServer, path: string, body: string, token?: string) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body,
  });

describe('control routes', () => {
  it('answers 404 with the reason when the process serves no control', async () => {
    const server = await serve(false);
    const res = await post(server, '/control/pause', '{}', 'tok');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        code: 'not_found',
        message:
          'control is not available in this process: it serves no control (read only); an application enables it with a CONTROL_TOKEN',
      },
    });
  });

  it('asks for the token with WWW-Authenticate, before reading the body', async () => {
    const server = await serve(true);
    const res = await post(server, '/control/pause', 'not json');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="kafka-stages"');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('refuses a body that is not JSON with 400 and says so', async () => {
    const server = await serve(true);
    const res = await post(server, '/control/resume', '{"topic": ', 'tok');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('bad_request');
    expect(body.error.message).toMatch(/^POST \/control\/resume: the body is not valid JSON: /);
  });

  it('takes an empty body as the whole pipeline and answers what was done', async () => {
    const server = await serve(true);
    const res = await post(server, '/control/pause', '', 'tok');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      pipeline: 'orders',
      action: 'pause',
      changed: true,
      message: 'paused the whole pipeline',
      paused: [{}],
      settings: null,
    });
    const described = (await (await fetch(`${server.url}/control`)).json()) as {
      enabled: boolean;
      recent: { message: string }[];
    };
    expect(described.enabled).toBe(true);
    expect(described.recent.map((r) => r.message)).toEqual(['paused the whole pipeline']);
  });
});
