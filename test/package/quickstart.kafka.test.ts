import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { consumeAll, createTopic, produceRecords, testBrokers, uniqueName } from '../support/kafka';
import { childEnv, type PackedApp, packAndInstall, ROOT, run } from './packed-app';

/**
 * The package as a user gets it (issue 11): `npm pack`, the tarball installed into an empty
 * project, the README's quickstart (examples/quickstart.ts) and a file using the subpath
 * entries compiled with that project's tsc, then run against the test broker.
 */

// What the user's second file checks: every entry resolves, with types, from ESM and CJS;
// deep imports are refused (the exports map is the whole public surface).
const ENTRY_POINTS = `import { createRequire } from 'node:module';
import * as root from 'kafka-stages';
import { Producer } from 'kafka-stages/stages';
import { sendTestMessages, TestSource, testMessage } from 'kafka-stages/testing';

class Numbers extends Producer<number> {
  handleDemand(demand: number): number[] {
    return Array.from({ length: demand }, (_, i) => i);
  }
}
const require = createRequire(import.meta.url);
let deep = 'importable';
try {
  require.resolve('kafka-stages/dist/platform/index.js');
} catch (error) {
  deep = (error as { code: string }).code;
}
console.log(JSON.stringify({
  root: Object.keys(root).sort(),
  stagesNamespace: typeof root.stages.Producer,
  producer: new Numbers({ name: 'numbers' }).kind,
  testing: [typeof sendTestMessages, typeof TestSource, testMessage('x').data],
  cjs: typeof require('kafka-stages').createPipeline,
  deep,
}));
`;

let app: PackedApp | undefined;

beforeAll(async () => {
  app = await packAndInstall();
  await app.compile({
    'quickstart.ts': await readFile(join(ROOT, 'examples/quickstart.ts'), 'utf8'),
    'entry-points.ts': ENTRY_POINTS,
  });
}, 900_000);

afterAll(async () => {
  await app?.remove();
});

function installed(): PackedApp {
  if (app === undefined) throw new Error('the package was not installed (see beforeAll)');
  return app;
}

it('the tarball ships dist (JavaScript and types), bin and README; no sources, tests or benchmarks', () => {
  const files = installed().files;
  expect(files).toEqual(
    expect.arrayContaining([
      'package.json',
      'README.md',
      'bin/kafka-stages',
      'dist/platform/index.js',
      'dist/platform/index.d.ts',
      'dist/stages/index.js',
      'dist/stages/index.d.ts',
      'dist/platform/pipeline/testing.js',
      'dist/platform/pipeline/testing.d.ts',
    ]),
  );
  const unexpected = files.filter(
    (f) =>
      !/^(package\.json|README\.md|bin\/kafka-stages)$/.test(f) &&
      !/^dist\/(platform|stages)\/.+\.(js|d\.ts|js\.map|d\.ts\.map)$/.test(f),
  );
  expect(unexpected).toEqual([]);
});

it('kafka-stages, kafka-stages/stages and kafka-stages/testing resolve with their types; deep imports are refused', async () => {
  const { stdout } = await run(process.execPath, ['dist/entry-points.js'], installed().dir);
  const seen = JSON.parse(stdout) as {
    root: string[];
    stagesNamespace: string;
    producer: string;
    testing: string[];
    cjs: string;
    deep: string;
  };
  expect(seen.root).toEqual(
    expect.arrayContaining([
      'clientOptionsFromEnv',
      'createPipeline',
      'createTelemetry',
      'exitOnSignals',
      'KafkaSink',
      'KafkaSource',
      'markFailed',
      'Pipeline',
      'stages',
      'startHttpServer',
      'startTracingSdk',
    ]),
  );
  expect(seen).toMatchObject({
    stagesNamespace: 'function',
    producer: 'producer',
    testing: ['function', 'function', 'x'],
    cjs: 'function',
    deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
  });
});

it('the installed bin runs the CLI with the node on PATH', async () => {
  const { stdout } = await run(
    join(installed().dir, 'node_modules/.bin/kafka-stages'),
    ['example', 'seed', '--limit', '6', '--json'],
    installed().dir,
  );
  const events = stdout
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { event: number }).event);
  expect(events.sort()).toEqual([0, 2, 4]);
});

/** A TCP port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('the README quickstart, compiled from the installed package: Kafka in, priced records out, bad ones dead-lettered, /metrics answers, spans exported', async () => {
  const topics = {
    ORDERS_TOPIC: uniqueName('quickstart-orders'),
    PRICED_TOPIC: uniqueName('quickstart-priced'),
    DLQ_TOPIC: uniqueName('quickstart-dlq'),
  };
  for (const topic of Object.values(topics)) await createTopic(topic, 2);
  const port = await freePort();
  let output = '';
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, ['dist/quickstart.js'], {
      cwd: installed().dir,
      env: childEnv({
        ...topics,
        KAFKA_BROKERS: testBrokers().join(','),
        HTTP_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        OTEL_TRACES_EXPORTER: 'console',
        LOG_LEVEL: 'warn',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    const url = `http://127.0.0.1:${port}`;
    // Ready once it joined the group and has its partitions.
    await until('GET /readyz answers 200', async () =>
      (await fetch(`${url}/readyz`)).status === 200 ? true : undefined,
    );

    await produceRecords(topics.ORDERS_TOPIC, [
      { key: 'a', value: JSON.stringify({ id: 'a', qty: 2, price: 1.5 }) },
      { key: 'b', value: JSON.stringify({ id: 'b', qty: 0, price: 3 }) },
      { key: 'c', value: 'not json' },
      { key: 'd', value: JSON.stringify({ id: 'd', qty: 1, price: 10 }) },
    ]);
    const priced = await consumeAll(topics.PRICED_TOPIC, 2);
    const totals = Object.fromEntries(
      priced.map((r) => {
        const order = JSON.parse(String(r.value)) as { id: string; total: number };
        return [order.id, order.total];
      }),
    );
    expect(totals).toEqual({ a: 3, d: 10 });
    const dead = await consumeAll(topics.DLQ_TOPIC, 2);
    const reasons = Object.fromEntries(
      dead.map((r) => [String(r.key), String(r.headers?.['dlq.reason'])]),
    );
    expect(reasons).toEqual({ b: 'invalid', c: 'decode' });

    const metrics = await (await fetch(`${url}/metrics`)).text();
    const promtool = spawnSync('promtool', ['check', 'metrics'], {
      input: metrics,
      encoding: 'utf8',
    });
    expect({ status: promtool.status, out: `${promtool.stdout}${promtool.stderr}` }).toEqual({
      status: 0,
      out: '',
    });
    expect(metrics).toMatch(/^kafka_stages_stage_events_in_total\{[^}]*pipeline="orders"/m);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The console exporter printed the spans of the run, sends to the output topic included.
    expect(output).toContain(`send ${topics.PRICED_TOPIC}`);
    expect(output).toContain(`process ${topics.ORDERS_TOPIC}`);
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n--- quickstart output ---\n${output.slice(-4000)}`,
      {
        cause: error,
      },
    );
  } finally {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
  }
});
