// A real Prometheus server (Debian's /usr/bin/prometheus, installed by
// tools/install-test-tools.sh) for tests: its own config and data in a temporary folder, a
// free loopback port, and stop() that leaves no process behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface PrometheusServer {
  readonly url: string;
  /** `/api/v1/query` at now; rejects on an HTTP or PromQL error with Prometheus' message. */
  query(expr: string): Promise<QueryResult[]>;
  /** `/api/v1/alerts`. */
  alerts(): Promise<ActiveAlert[]>;
  /** `/api/v1/rules` (alerting rules with their health and last error). */
  rules(): Promise<RuleState[]>;
  /** The server's output so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export interface QueryResult {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface ActiveAlert {
  readonly labels: Record<string, string>;
  readonly state: 'pending' | 'firing';
  readonly activeAt: string;
}

export interface RuleState {
  readonly name: string;
  readonly query: string;
  readonly health: string;
  readonly lastError?: string;
  readonly state?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function api<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? response.status}`);
  return body.data;
}

/**
 * Starts Prometheus scraping `target` (`host:port`, path `/metrics`) every
 * `scrapeIntervalSeconds`, evaluating `ruleFiles` as often, with `labels` added to every
 * scraped series (what a ServiceMonitor adds: namespace, pod). Resolves once it is ready.
 */
export async function startPrometheus(options: {
  target: string;
  ruleFiles?: readonly string[];
  labels?: Readonly<Record<string, string>>;
  scrapeIntervalSeconds?: number;
}): Promise<PrometheusServer> {
  const home = mkdtempSync(path.join(tmpdir(), 'kafka-stages-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [
      {
        job_name: 'kafka-stages',
        static_configs: [{ targets: [options.target], labels: options.labels ?? {} }],
      },
    ],
  };
  // JSON is YAML: no dependency needed to write the config.
  const configFile = path.join(home, 'prometheus.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(home, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(home, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode} at start:\n${output}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after 30 s:\n${output}`);
    }
    await sleep(200);
  }

  return {
    url,
    async query(expr: string) {
      const data = await api<{ resultType: string; result: QueryResult[] }>(
        `${url}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      return data.result;
    },
    async alerts() {
      return (await api<{ alerts: ActiveAlert[] }>(`${url}/api/v1/alerts`)).alerts;
    },
    async rules() {
      const data = await api<{ groups: { rules: RuleState[] }[] }>(`${url}/api/v1/rules`);
      return data.groups.flatMap((g) => g.rules);
    },
    log: () => output,
    stop,
  };
}
