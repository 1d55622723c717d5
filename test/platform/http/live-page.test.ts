import { type Browser, chromium, type Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { createControlCenter } from '../../../platform/control/control-center';
import type { Controllable, PauseScope } from '../../../platform/control/controllable';
import { type HttpServer, startHttpServer } from '../../../platform/http/http-server';
import { createLogger } from '../../../platform/log/logger';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import type { PartitionSnapshot } from '../../../platform/telemetry/telemetry';

// The live page in a real headless Chromium (Debian's, installed by `make test-tools`), fed
// by an injected topology. The same page against a running Kafka pipeline is in
// live-page.kafka.test.ts.
let browser: Browser;
const servers: HttpServer[] = [];
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  await browser?.close();
});

function partition(p: number, paused: boolean, committed: number): PartitionSnapshot {
  return {
    topic: 'samples<raw>', // markup in a name must show as text
    partition: p,
    highWatermark: 1000,
    committed,
    paused,
    operatorPaused: false,
    owner: 'member-1',
    bufferedEvents: paused ? 5000 : 10,
    bufferedBytes: 0,
    lastCommitAt: Date.now() - 2000,
  };
}

/** A repartitioned pipeline's topology: source → processor → repartition ⇢ source.1 → sink. */
function fixture() {
  const telemetry = createTelemetry({ pipeline: 'metrics', registry: new Registry() });
  const state = { paused: true, sourceOut: 1000 };
  const stage = (
    name: string,
    kind: string,
    role: string,
    part: number,
    from: string[],
    demand: number,
    buffered: number,
  ) => ({
    stage: name,
    kind,
    role,
    part,
    subscribedTo: from,
    pendingDemand: demand,
    bufferedEvents: buffered,
    eventsIn: kind === 'producer' ? 0 : state.sourceOut,
    eventsOut: kind === 'consumer' ? 0 : state.sourceOut,
  });
  telemetry.observe({
    stages: () => [
      stage('metrics.source', 'producer', 'source', 0, [], 2000, 5010),
      stage('metrics.processor.0', 'producer_consumer', 'processor', 0, ['metrics.source'], 500, 0),
      stage('metrics.repartition', 'consumer', 'repartition', 0, ['metrics.processor.0'], 10, 0),
      stage('metrics.source.1', 'producer', 'source', 1, [], 7, 0),
      stage('metrics.sink', 'consumer', 'sink', 1, ['metrics.source.1'], 100, 3),
    ],
    partitions: () => [partition(0, false, 990), partition(1, state.paused, 400)],
    // What the pipeline's repartition step reports through telemetry.
    hops: () => [
      { from: 'metrics.repartition', to: 'metrics.source.1', topic: 'metrics-by-key-repartition' },
    ],
  });
  const topology = () => telemetry.topology();
  return { telemetry, state, topology };
}

async function open(server: HttpServer): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url);
  return { page, errors };
}

it('draws the stages as a graph with the repartition hop, partitions with owner, and moving numbers; read only without a token', async () => {
  const { telemetry, state, topology } = fixture();
  telemetry.setReady(true);
  const server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry: telemetry.registry,
    topology,
    feedIntervalMs: 200,
  });
  servers.push(server);
  const { page, errors } = await open(server);

  await page.locator('[data-node="metrics.processor.0"]').waitFor({ timeout: 20_000 });
  expect(await page.locator('svg.graph [data-node]').count()).toBe(5);
  expect(await page.locator('[data-edge="metrics.source->metrics.processor.0"]').count()).toBe(1);
  const hop = page.locator('[data-edge="metrics.repartition->metrics.source.1"]');
  expect(await hop.getAttribute('class')).toBe('edge hop');
  expect(await page.locator('.hop-label').textContent()).toBe('via metrics-by-key-repartition');
  expect(await page.locator('[data-node="metrics.source.1"] .node-role').textContent()).toBe(
    'source · part 1',
  );
  expect(await page.locator('[data-node="metrics.repartition"]').getAttribute('class')).toBe(
    'node role-repartition',
  );
  expect(await page.locator('[data-node="metrics.processor.0"] .node-buf').textContent()).toBe(
    'demand 500 · buffered 0',
  );
  expect(await page.locator('#ready-metrics').textContent()).toBe('ready');
  expect(await page.locator('#read-only').textContent()).toBe(
    'read only: started without CONTROL_TOKEN',
  );
  expect(await page.locator('button[data-action]').count()).toBe(0);

  const paused = page.locator('tr[data-partition="samples<raw>/1"]');
  expect(await paused.getAttribute('data-paused')).toBe('true');
  expect(await paused.locator('td.state').textContent()).toBe('paused (back-pressure)');
  expect(await paused.locator('td.owner').textContent()).toBe('member-1');

  // Pushed, not polled by the page: more events give a rate, the partition resumes.
  state.paused = false;
  const timer = setInterval(() => {
    state.sourceOut += 100;
  }, 100);
  try {
    await page.waitForFunction(
      `/in [1-9][0-9.]*\\/s/.test(document.querySelector('[data-rate="metrics.processor.0"]')?.textContent ?? '')`,
      undefined,
      { timeout: 20_000 },
    );
    await page.waitForFunction(
      `document.querySelector('tr[data-partition="samples<raw>/1"]')?.getAttribute('data-paused') === 'false'`,
      undefined,
      { timeout: 20_000 },
    );
    await page.waitForFunction(
      `document.querySelectorAll('[data-plot="throughput"] polyline').length === 2`,
      undefined,
      { timeout: 20_000 },
    );
  } finally {
    clearInterval(timer);
  }
  // Failures and dead-letters appear in the recent errors and the dead-letter plot.
  telemetry.recordDeadLettered('metrics-dlq', 'unparseable', 7);
  telemetry.recordBatch('metrics.processor.0', {
    eventsIn: 10,
    eventsOut: 9,
    seconds: 0.01,
    failures: { handler: 1 },
  });
  await page.waitForFunction(
    `[...document.querySelectorAll('#errors li')].some((li) => li.textContent.endsWith('7 dead-lettered to metrics-dlq (unparseable)'))`,
    undefined,
    { timeout: 20_000 },
  );
  await page.waitForFunction(
    `[...document.querySelectorAll('#errors li')].some((li) => li.textContent.endsWith('1 failed in metrics.processor.0 (handler)'))`,
    undefined,
    { timeout: 20_000 },
  );
  await page.waitForFunction(
    // The plot's maximum, not its latest point: the rate is up for one interval only.
    `parseFloat((document.querySelector('[data-plot="dead-letters"] .plot-max')?.textContent ?? 'max 0').slice(4)) > 1`,
    undefined,
    { timeout: 20_000 },
  );
  // A run artifact (coverage/ is not committed): what the page looked like.
  await page.screenshot({ path: 'coverage/live-page-fixture.png', fullPage: true });
  expect(errors).toEqual([]);
  await page.close();
}, 60_000);

it('sends an operator action with the typed token, shows the refusal of a wrong one', async () => {
  const { telemetry, topology } = fixture();
  const calls: string[] = [];
  const paused: PauseScope[] = [];
  const target: Controllable = {
    name: 'metrics',
    topics: () => ['samples<raw>'],
    pause(scope) {
      calls.push(`pause ${JSON.stringify(scope)}`);
      paused.push(scope);
      return { changed: true, paused: [...paused] };
    },
    resume(scope) {
      calls.push(`resume ${JSON.stringify(scope)}`);
      paused.length = 0;
      return { changed: true, paused: [] };
    },
    paused: () => [...paused],
    settings: () => ({
      batchers: { default: { batchSize: 100, batchTimeoutMs: 50 } },
      processors: { concurrency: 2 },
    }),
    setBatcher: (name, s) => {
      calls.push(`setBatcher ${name} ${JSON.stringify(s)}`);
    },
    setProcessors: (s) => {
      calls.push(`setProcessors ${JSON.stringify(s)}`);
    },
  };
  const control = createControlCenter({
    token: 'right-token',
    targets: [target],
    registry: telemetry.registry,
    logger,
  });
  const server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry: telemetry.registry,
    topology,
    control,
    feedIntervalMs: 200,
  });
  servers.push(server);
  const { page, errors } = await open(server);
  const pauseOne = page.locator(
    'tr[data-partition="samples<raw>/0"] button[data-action="pause-partition"]',
  );
  await pauseOne.waitFor({ timeout: 20_000 });

  await page.fill('#token', 'wrong-token');
  await pauseOne.click();
  await page.waitForFunction(
    `document.querySelector('#action-status')?.textContent?.startsWith('401')`,
    undefined,
    { timeout: 20_000 },
  );
  expect(await page.locator('#action-status').textContent()).toBe(
    '401 the bearer token is not the one this process was started with',
  );
  expect(calls).toEqual([]);

  await page.fill('#token', 'right-token');
  await page
    .locator('tr[data-partition="samples<raw>/0"] button[data-action="pause-partition"]')
    .click();
  await page.waitForFunction(
    `document.querySelector('#action-status')?.textContent === 'paused partition samples<raw>/0'`,
    undefined,
    { timeout: 20_000 },
  );
  expect(calls).toEqual(['pause {"topic":"samples<raw>","partition":0}']);
  await page.waitForFunction(
    `[...document.querySelectorAll('#actions li')].some((li) => li.textContent.includes('pause: paused partition samples<raw>/0'))`,
    undefined,
    { timeout: 20_000 },
  );
  expect(await page.locator('#actions li[data-outcome="refused"]').count()).toBe(1);

  await page.locator('[data-setting="default.batchSize"]').fill('250');
  await page.locator('button[data-action="set-batcher"]').click();
  await page.waitForFunction(
    `document.querySelector('#action-status')?.textContent?.startsWith("set batcher 'default'")`,
    undefined,
    { timeout: 20_000 },
  );
  expect(calls.at(-1)).toBe('setBatcher default {"batchSize":250,"batchTimeoutMs":50}');
  expect(
    await telemetry.registry.getSingleMetricAsString('kafka_stages_control_actions_total'),
  ).toContain('kafka_stages_control_actions_total{pipeline="metrics",action="pause"} 1');
  expect(errors).toEqual([]);
  await page.close();
}, 60_000);
