import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's Prometheus server (package `prometheus`, installed by tools/install-test-tools.sh). */
export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** A free loopback port (bound, read and released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One instant-vector element of /api/v1/query. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

/**
 * A real Prometheus server for a test: its own temp directory for config and TSDB, a free
 * loopback port, the remote-write receiver on, no scraping. {@link stop} kills it and
 * removes the directory; call it in a finally/afterAll.
 */
export class PrometheusServer {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'kafka-stages-prometheus-'));
  private output = '';
  port = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get remoteWriteUrl(): string {
    return `${this.baseUrl}/api/v1/write`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    const config = path.join(this.dir, 'prometheus.yml');
    writeFileSync(config, 'global:\n  evaluation_interval: 1m\n');
    this.child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--web.enable-remote-write-receiver',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.child.exitCode !== null) {
        throw new Error(`prometheus exited with ${this.child.exitCode}: ${this.output}`);
      }
      try {
        const response = await fetch(`${this.baseUrl}/-/ready`);
        if (response.ok) return this;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`prometheus not ready in 30 s: ${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Instant query at `timeMs`; throws on an error answer. */
  async query(promql: string, timeMs: number): Promise<VectorSample[]> {
    const url = `${this.baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}&time=${timeMs / 1000}`;
    const body = (await (await fetch(url)).json()) as {
      status: string;
      error?: string;
      data: {
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      };
    };
    if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** Raw samples of `selector[rangeMs]` at `timeMs`, per series (a range-vector query). */
  async samples(
    selector: string,
    rangeMs: number,
    timeMs: number,
  ): Promise<{ metric: Record<string, string>; values: { t: number; v: number }[] }[]> {
    const promql = `${selector}[${Math.ceil(rangeMs / 1000)}s]`;
    const url = `${this.baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}&time=${timeMs / 1000}`;
    const body = (await (await fetch(url)).json()) as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
    };
    if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`);
    return body.data.result.map((r) => ({
      metric: r.metric,
      values: r.values.map(([t, v]) => ({ t: Math.round(t * 1000), v: Number(v) })),
    }));
  }

  /** Kills the server (TERM, then KILL after 5 s) and removes its directory. Idempotent. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
