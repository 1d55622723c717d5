// The launcher against real JVMs: a clean start and stop, no orphan when the parent dies
// (SIGKILL, Ctrl-C), and failures that leave nothing running. These start brokers of their
// own next to the run's shared one, each on free ports.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import type { BrokerError } from '../../../../platform/kafka/local-broker/errors';
import { startLocalBroker } from '../../../../platform/kafka/local-broker/local-broker';
import { projectRoot } from '../../../../platform/kafka/local-broker/options';
import { freePorts } from '../../../../platform/kafka/local-broker/ports';
import { isAlive } from '../../../../platform/kafka/local-broker/processes';
import { stopAfterEach } from '../../../support/cleanup';

// Each test starts a JVM or two; on a busy two-core machine that takes tens of seconds.
jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(100);
  }
  return check();
}

/** Pids of processes whose command line mentions `marker` (a broker's folder). */
function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

describe('local broker (real JVM)', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'local-broker-test-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));
  const defer = stopAfterEach();

  it('starts, answers a client, and stops leaving no process and no folder', async () => {
    const broker = await startLocalBroker();
    try {
      expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
      expect(isAlive(broker.pid)).toBe(true);
      const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      expect(cluster.clusterId).toBe(broker.clusterId);
      expect(readFileSync(path.join(broker.home, 'server.properties'), 'utf8')).toContain(
        `listeners=PLAINTEXT://127.0.0.1:${broker.port},CONTROLLER://127.0.0.1:${broker.controllerPort}`,
      );
    } finally {
      await broker.stop();
    }
    expect(isAlive(broker.pid)).toBe(false);
    expect(isAlive(broker.watchdogPid)).toBe(false);
    expect(existsSync(broker.home)).toBe(false);
    await broker.stop(); // idempotent
  });

  // The parent is a separate Node process (a SIGKILLed jest worker would take the test with
  // it) that runs the launcher's current sources: .ts files are transpiled as they load.
  const source = path.join(projectRoot(), 'platform', 'kafka', 'local-broker', 'index.ts');

  async function parentWithBroker(): Promise<{
    child: ReturnType<typeof spawn>;
    broker: { pid: number; watchdogPid: number; home: string };
  }> {
    const script = `const fs = require('node:fs');
      const ts = require('typescript');
      require.extensions['.ts'] = (module, file) => module._compile(ts.transpileModule(
        fs.readFileSync(file, 'utf8'),
        { fileName: file, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2023, esModuleInterop: true } },
      ).outputText, file);
      require(${JSON.stringify(source)}).startLocalBroker().then(
        (b) => { console.log(JSON.stringify({ pid: b.pid, watchdogPid: b.watchdogPid, home: b.home })); setInterval(() => {}, 1000); },
        (e) => { console.error(e.message); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', script], {
      cwd: projectRoot(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) =>
        reject(new Error(`the parent exited with ${code} before the broker was ready`)),
      );
    });
    return { child, broker: JSON.parse(line) };
  }

  it.each([
    ['SIGKILL', 'killed outright'],
    ['SIGINT', 'interrupted (Ctrl-C) without a handler'],
  ] as const)('stops the JVM when the parent is %s (%s)', async (signal, _how) => {
    const { child, broker } = await parentWithBroker();
    defer(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    expect(isAlive(broker.pid)).toBe(true);
    child.kill(signal);
    // The watchdog polls every 0.5 s, then the JVM shuts down in order.
    expect(
      await eventually(() => !isAlive(broker.pid) && !isAlive(broker.watchdogPid), 30_000),
    ).toBe(true);
    expect(await eventually(() => !existsSync(broker.home), 5_000)).toBe(true);
  });

  it('a broker whose configuration is refused: BROKER_START_FAILED with its log, nothing left', async () => {
    const home = path.join(scratch, 'broker');
    const error = (await startLocalBroker({ home, properties: { 'node.id': 'one' } }).catch(
      (e: unknown) => e,
    )) as BrokerError;
    expect(error.code).toBe('BROKER_START_FAILED');
    expect(error.message).toMatch(
      /^local broker: formatting .+ failed \(StorageTool exit code 1\); first error: .*Invalid value one for configuration.*; last lines of /,
    );
    expect(await eventually(() => processesMentioning(home).length === 0, 5_000)).toBe(true);
  });

  it('a broker that dies while starting (its port was taken meanwhile): BROKER_START_FAILED', async () => {
    const home = path.join(scratch, 'broker');
    const taken: Server = await new Promise((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
    const port = (taken.address() as { port: number }).port;
    try {
      // Formatting does not bind the listener; the broker does, and fails.
      const [controllerPort] = await freePorts('127.0.0.1', 1);
      const error = (await startLocalBroker({
        home,
        controllerPort,
        properties: {
          listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
          'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
        },
      }).catch((e: unknown) => e)) as BrokerError;
      expect(error.code).toBe('BROKER_START_FAILED');
      expect(error.message).toMatch(
        /^local broker: the broker exited \(code \d+, signal null\) before it was ready; first error: .*Address already in use.*; last lines of /,
      );
      expect(await eventually(() => processesMentioning(home).length === 0, 5_000)).toBe(true);
    } finally {
      taken.close();
    }
  });

  it('a broker not ready in time: BROKER_START_TIMEOUT with its log, nothing left', async () => {
    const home = path.join(scratch, 'broker');
    const error = (await startLocalBroker({ home, readyTimeoutMs: 300, stopGraceMs: 2_000 }).catch(
      (e: unknown) => e,
    )) as BrokerError;
    expect(error.code).toBe('BROKER_START_TIMEOUT');
    expect(error.message).toMatch(
      /^local broker: not ready on 127\.0\.0\.1:\d+ after 300 ms \(last probe: .+\); raise readyTimeoutMs/,
    );
    expect(processesMentioning(home)).toEqual([]);
  });
});
