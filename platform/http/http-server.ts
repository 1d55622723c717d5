import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { formatOptionProblem } from '../../stages/index';
import type { ControlCenter } from '../control/control-center';
import { optionsError, TelemetryError } from '../telemetry/telemetry-errors';
import type { TopologySnapshot } from '../telemetry/topology-snapshot';
import { controlRoutes } from './control-routes';
import { type EventLoopLag, monitorEventLoopLag } from './event-loop-lag';
import { createLiveFeed } from './live-feed';
import { livePage } from './live-page';

/** Environment variables {@link httpOptionsFromEnv} reads. */
export const HTTP_PORT_ENV = 'HTTP_PORT';
export const HTTP_HOST_ENV = 'HTTP_HOST';
export const DEFAULT_HTTP_PORT = 9464;

/** What a stage-liveness check reports: `ok`, and why not. */
export interface HealthReport {
  readonly ok: boolean;
  readonly reason?: string;
}

const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === 'function', { error: `must be a function (${what})` });

/** The options of {@link startHttpServer}, validated once. */
export const httpServerOptionsSchema = z
  .object({
    /** TCP port; 0 picks a free one (see `server.port`). */
    port: z.number().int().min(0).max(65535).default(DEFAULT_HTTP_PORT),
    /** Bind address. */
    host: z.string().min(1).default('0.0.0.0'),
    /** Served at `/metrics`. */
    registry: z.custom<Registry>((v) => v instanceof Registry, {
      error: 'must be a prom-client Registry',
    }),
    /** Stages alive? Part of `/healthz` (with the event-loop check). Default: always. */
    health: fn<() => HealthReport | boolean>('() => boolean | { ok, reason }').optional(),
    /** Group joined and partitions assigned? `/readyz`. Default: ready unless shutting down. */
    readiness: fn<() => boolean>('() => boolean').optional(),
    /** `/topology` and the live page. Default: no pipelines. */
    topology: fn<() => TopologySnapshot | readonly TopologySnapshot[]>(
      '() => TopologySnapshot | TopologySnapshot[]',
    ).optional(),
    /**
     * Operator actions (`POST /control/pause|resume|set`, `GET /control`) and the live
     * page's buttons. Default: none (the page is read only, `/control/*` answers 404).
     */
    control: z
      .custom<ControlCenter>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as ControlCenter).act === 'function' &&
          typeof (v as ControlCenter).authorize === 'function',
        { error: 'must be a ControlCenter (createControlCenter)' },
      )
      .optional(),
    /** How often the live page's feed (`/events`) samples and pushes, milliseconds. */
    feedIntervalMs: z.number().int().min(50).max(60_000).default(1000),
    /** `/healthz` fails when the event loop lagged more than this (milliseconds). */
    maxEventLoopLagMs: z.number().positive().default(2000),
    /** Where the event-loop lag comes from (tests inject one). Default: Node's sampler. */
    eventLoopLag: z
      .custom<EventLoopLag>(
        (v) =>
          typeof v === 'object' && v !== null && typeof (v as EventLoopLag).lagMs === 'function',
        { error: 'must be an EventLoopLag ({ lagMs(), stop() })' },
      )
      .optional(),
  })
  .strict();

export type HttpServerOptions = z.input<typeof httpServerOptionsSchema>;

/** A running server. */
export interface HttpServer {
  readonly port: number;
  readonly host: string;
  /** `http://host:port` (loopback when bound to all addresses). */
  readonly url: string;
  /** From now on `/readyz` answers 503: call it first when a shutdown begins. */
  setShuttingDown(): void;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** `port` and `host` from `HTTP_PORT` / `HTTP_HOST`, for entry points. */
export function httpOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<HttpServerOptions, 'port' | 'host'> {
  const out: { port?: number; host?: string } = {};
  const port = env[HTTP_PORT_ENV];
  if (port !== undefined && port !== '') {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new TelemetryError(
        'HTTP_OPTIONS_INVALID',
        formatOptionProblem('http server', {
          path: HTTP_PORT_ENV,
          value: port,
          allowed: 'an integer from 0 to 65535',
        }),
      );
    }
    out.port = n;
  }
  if (env[HTTP_HOST_ENV]) out.host = env[HTTP_HOST_ENV];
  return out;
}

function normalise(t: TopologySnapshot | readonly TopologySnapshot[]): readonly TopologySnapshot[] {
  return Array.isArray(t) ? t : [t as TopologySnapshot];
}

function healthOf(report: HealthReport | boolean): HealthReport {
  return typeof report === 'boolean' ? { ok: report } : report;
}

/**
 * Starts the observability server: `/metrics` (Prometheus text), `/healthz` (liveness:
 * event loop and stages; never broker reachability, so a broker outage does not restart
 * every pod), `/readyz` (group joined and partitions assigned; 503 while shutting down),
 * `/topology` (JSON `{ pipelines: [...] }`), `/events` (the live page's Server-Sent Events),
 * `/`, the live page, and with a `control`, `GET /control` and `POST /control/pause|resume|set`.
 *
 * Resolves once listening. Rejects with `HTTP_PORT_IN_USE` when the port is taken.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const parsed = httpServerOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw optionsError(
      'http server',
      'HTTP_OPTIONS_INVALID',
      parsed.error,
      httpServerOptionsSchema,
      options,
    );
  }
  const o = parsed.data;
  const ownLag = o.eventLoopLag ? undefined : monitorEventLoopLag();
  const lag = o.eventLoopLag ?? ownLag!;
  let shuttingDown = false;

  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req: Request, res: Response) => {
    const body = await o.registry.metrics();
    res.set('Content-Type', o.registry.contentType).send(body);
  });
  app.get('/healthz', (_req: Request, res: Response) => {
    const eventLoopLagMs = lag.lagMs();
    const loopOk = eventLoopLagMs <= o.maxEventLoopLagMs;
    let stages: HealthReport;
    try {
      stages = o.health ? healthOf(o.health()) : { ok: true };
    } catch (error) {
      stages = { ok: false, reason: `health check threw: ${String(error)}` };
    }
    const ok = loopOk && stages.ok;
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'unhealthy',
      eventLoop: { ok: loopOk, lagMs: Math.round(eventLoopLagMs), maxLagMs: o.maxEventLoopLagMs },
      stages,
    });
  });
  app.get('/readyz', (_req: Request, res: Response) => {
    if (shuttingDown) {
      res.status(503).json({ status: 'shutting_down' });
      return;
    }
    const ready = o.readiness ? o.readiness() : true;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready' });
  });
  app.get('/topology', (_req: Request, res: Response) => {
    res
      .set('Cache-Control', 'no-store')
      .json({ pipelines: o.topology ? normalise(o.topology()) : [] });
  });
  app.get('/', (_req: Request, res: Response) => {
    res.type('html').set('Cache-Control', 'no-store').send(livePage);
  });
  const topology = () => (o.topology ? normalise(o.topology()) : []);
  const feed = createLiveFeed({
    registry: o.registry,
    topology,
    eventLoopLagMs: () => lag.lagMs(),
    intervalMs: o.feedIntervalMs,
    ...(o.control ? { control: o.control } : {}),
  });
  app.get('/events', (req: Request, res: Response) => feed.handle(req, res));
  if (o.control) {
    app.use(controlRoutes(o.control));
  } else {
    app.all('/control{/*rest}', (_req: Request, res: Response) => {
      res.status(404).json({
        error: {
          code: 'not_found',
          message:
            'control is not available in this process: it serves no control (read only); an application enables it with a CONTROL_TOKEN',
        },
      });
    });
  }

  const server = createServer(app);
  await listen(server, o.port, o.host).catch((error: unknown) => {
    ownLag?.stop();
    feed.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const shownHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const urlHost = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
  return {
    port: address.port,
    host: o.host,
    url: `http://${urlHost}:${address.port}`,
    setShuttingDown() {
      shuttingDown = true;
    },
    close() {
      shuttingDown = true;
      ownLag?.stop();
      feed.close();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(
          new TelemetryError(
            'HTTP_PORT_IN_USE',
            `http server: port ${port} on ${host} is already in use; choose another with the ` +
              `'port' option or the ${HTTP_PORT_ENV} environment variable (0 picks a free port)`,
            { cause: error },
          ),
        );
        return;
      }
      reject(
        new TelemetryError(
          'HTTP_LISTEN_FAILED',
          `http server: cannot listen on ${host}:${port}: ${error.message}`,
          { cause: error },
        ),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host });
  });
}
