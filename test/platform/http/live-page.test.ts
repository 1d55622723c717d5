import { type Browser, chromium } from 'playwright-core';
import { Registry } from 'prom-client';
import { type HttpServer, startHttpServer } from '../../../platform/http/http-server';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import type { PartitionSnapshot } from '../../../platform/telemetry/telemetry';

// The live page in a real headless Chromium (Debian's, installed by `make test-tools`).
let browser: Browser;
let server: HttpServer;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await browser?.close();
});

function partition(p: number, paused: boolean, committed: number): PartitionSnapshot {
  return {
    topic: 'samples<raw>', // markup in a name must show as text
    partition: p,
    highWatermark: 1000,
    committed,
    paused,
    bufferedEvents: paused ? 5000 : 10,
    bufferedBytes: 0,
    lastCommitAt: Date.now() - 2000,
  };
}

it('renders stages, paused partitions and lag from the topology, and keeps refreshing', async () => {
  const telemetry = createTelemetry({ pipeline: 'metrics', registry: new Registry() });
  let pausedOne = true;
  telemetry.observe({
    stages: () => [
      { stage: 'source', kind: 'producer', pendingDemand: 2000, bufferedEvents: 5010 },
      { stage: 'processor_0', pendingDemand: 500, bufferedEvents: 0, subscribedTo: ['source'] },
      { stage: 'sink', pendingDemand: 100, bufferedEvents: 3, subscribedTo: ['processor_0'] },
    ],
    partitions: () => [partition(0, false, 990), partition(1, pausedOne, 400)],
  });
  telemetry.setReady(true);
  telemetry.recordBatch('processor_0', { eventsIn: 100, eventsOut: 100, seconds: 0.01 });
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry: telemetry.registry,
    topology: () => telemetry.topology(),
    readiness: () => telemetry.ready,
  });

  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url);

  const stageRow = page.locator('[data-pipeline="metrics"] tr[data-stage="processor_0"]');
  await stageRow.waitFor({ timeout: 10_000 });
  expect(await page.locator('tr[data-stage]').count()).toBe(3);
  const cells = await stageRow.locator('td').allTextContents();
  expect(cells.slice(0, 4)).toEqual(['processor_0', '', '500', '0']);
  expect(await page.locator('#ready-metrics').textContent()).toBe('ready');
  expect(await page.locator('.edges').textContent()).toBe(
    'Subscriptions: source → processor_0, processor_0 → sink',
  );

  const paused = page.locator('tr[data-partition="samples<raw>/1"]');
  expect(await paused.getAttribute('data-paused')).toBe('true');
  expect(await paused.locator('td').allTextContents()).toEqual(
    expect.arrayContaining(['samples<raw>', '1', 'paused', '600']),
  );
  expect(await page.locator('tr[data-partition="samples<raw>/0"] td').nth(2).textContent()).toBe(
    'flowing',
  );
  expect(await page.locator('#process').textContent()).toMatch(/RSS \d+ MiB/);

  // The page polls: a resumed partition and more events show up without a reload, with a rate.
  pausedOne = false;
  telemetry.recordBatch('processor_0', { eventsIn: 400, eventsOut: 400, seconds: 0.01 });
  // Strings, not functions: they run in the page, where `document` exists.
  await page.waitForFunction(
    `document.querySelector('tr[data-partition="samples<raw>/1"]')?.getAttribute('data-paused') === 'false'`,
    undefined,
    { timeout: 10_000 },
  );
  await page.waitForFunction(
    `document.querySelector('tr[data-stage="processor_0"] td:nth-child(7)')?.textContent === '500'`,
    undefined,
    { timeout: 10_000 },
  );
  expect(errors).toEqual([]);
}, 60_000);
