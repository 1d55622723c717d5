import { copyFileSync, mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners, type Producer } from 'kafkajs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { createControlCenter } from '../../../platform/control/control-center';
import { controlPipeline } from '../../../platform/control/pipeline-control';
import { type HttpServer, startHttpServer } from '../../../platform/http/http-server';
import { createPipeline } from '../../../platform/kafka/index';
import { createLogger } from '../../../platform/log/logger';
import type { Pipeline } from '../../../platform/pipeline/index';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import type { TopologySnapshot } from '../../../platform/telemetry/topology-snapshot';
import { createTopic, deleteTopics, newKafka, testBrokers, uniqueName } from '../../support/kafka';

// The live page against a running pipeline on the test broker, in headless Chromium: the
// graph renders, the numbers move, an operator pauses and resumes a partition and the whole
// pipeline from the page (seen in /topology, in /metrics and in what the pipeline delivers),
// and a wrong token is refused. Leaves coverage/live-page.png; with UPDATE_DOCS_SCREENSHOT=1
// also docs/live-page.png (the README's picture).
jest.setTimeout(180_000);

const TOKEN = 'live-page-test-token';
const PARTITIONS = 3;
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function topology(server: HttpServer): Promise<TopologySnapshot> {
  const body = (await (await fetch(`${server.url}/topology`)).json()) as {
    pipelines: TopologySnapshot[];
  };
  return body.pipelines[0]!;
}

async function pausedGauge(server: HttpServer, topic: string, partition: number): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(
        `kafka_stages_source_partition_paused{pipeline="live",topic="${topic}",partition="${partition}"}`,
      ),
    );
  return line === undefined ? Number.NaN : Number(line.split(' ').at(-1));
}

async function clickWhenThere(page: Page, selector: string): Promise<void> {
  const target = page.locator(selector).first();
  await target.waitFor({ timeout: 15_000 });
  await target.click();
}

async function actionStatus(page: Page, startsWith: string): Promise<string> {
  // The final status, not the pending one ("set …") shown while the request is out.
  await page.waitForFunction(
    `((t) => t.startsWith(${JSON.stringify(startsWith)}) && !t.endsWith('…'))(document.querySelector('#action-status')?.textContent ?? '')`,
    undefined,
    { timeout: 15_000 },
  );
  return (await page.locator('#action-status').textContent()) ?? '';
}

describe('live page against a running pipeline', () => {
  it('renders, moves, pauses and resumes a partition and the pipeline from the page, refuses a wrong token', async () => {
    const input = uniqueName('live-in');
    await createTopic(input, PARTITIONS);
    const delivered = [0, 0, 0];
    const batchSizes: number[] = [];
    let browser: Browser | undefined;
    let server: HttpServer | undefined;
    let pipeline: Pipeline | undefined;
    let producer: Producer | undefined;
    let producing: Promise<void> | undefined;
    let stopProducing = false;
    try {
      const telemetry = createTelemetry({
        pipeline: 'live',
        registry: new Registry(),
        defaultMetrics: false,
        tracing: false,
      });
      pipeline = createPipeline(
        {
          name: 'live',
          telemetry,
          source: {
            client: { brokers: testBrokers(), logLevel: 'nothing' },
            groupId: uniqueName('live-group'),
            topics: [input],
            fetch: { maxWaitTimeMs: 50 },
            commitIntervalMs: 200,
          },
          processors: { concurrency: 2, maxDemand: 20 },
          batchers: { default: { batchSize: 10, batchTimeoutMs: 20 } },
          sinks: {
            default: (messages) => {
              batchSizes.push(messages.length);
              for (const m of messages) delivered[m.partition]! += 1;
            },
          },
        },
        { logger },
      );
      const control = createControlCenter({
        token: TOKEN,
        registry: telemetry.registry,
        targets: [controlPipeline(pipeline)],
        logger,
      });
      server = await startHttpServer({
        port: 0,
        host: '127.0.0.1',
        registry: telemetry.registry,
        topology: () => telemetry.topology(),
        readiness: () => telemetry.ready,
        control,
        feedIntervalMs: 250,
      });
      await pipeline.start();
      producer = newKafka(uniqueName('live-producer')).producer({
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      // A steady stream into every partition, so the page has numbers to move.
      const p = producer;
      producing = (async () => {
        let n = 0;
        while (!stopProducing) {
          const messages = Array.from({ length: 30 }, (_, i) => ({
            partition: (n + i) % PARTITIONS,
            value: `v${n + i}`,
          }));
          n += messages.length;
          await p.send({ topic: input, acks: -1, messages });
          await sleep(100);
        }
      })();

      browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
      });
      const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      await page.goto(server.url);

      // The graph: the source, two processors, the batcher and its sink, wired as subscribed.
      await page.locator('[data-node="live.processor.1"]').waitFor({ timeout: 30_000 });
      const snap = await topology(server);
      expect(await page.locator('svg.graph [data-node]').count()).toBe(snap.stages.length);
      for (const edge of snap.subscriptions) {
        expect(await page.locator(`[data-edge="${edge.from}->${edge.to}"]`).count()).toBe(1);
      }
      // The numbers move: the batcher shows a non-zero rate and the partitions an owner.
      await page
        .waitForFunction(
          `/in [1-9][0-9.,]*\\/s/.test(document.querySelector('[data-rate="live.batcher.default"]')?.textContent ?? '')`,
          undefined,
          { timeout: 30_000 },
        )
        .catch(async (error: unknown) => {
          const shown = await page.locator('[data-rate="live.batcher.default"]').textContent();
          throw new Error(
            `no rate on the page (${shown}); delivered ${delivered}; topology ${JSON.stringify(await topology(server!))}`,
            { cause: error },
          );
        });
      expect(await page.locator(`tr[data-partition="${input}/1"] td.owner`).textContent()).not.toBe(
        '–',
      );

      // A wrong token is refused and changes nothing.
      await page.fill('#token', 'not-the-token');
      await clickWhenThere(
        page,
        `tr[data-partition="${input}/1"] button[data-action="pause-partition"]`,
      );
      expect(await actionStatus(page, '401')).toBe(
        '401 the bearer token is not the one this process was started with',
      );
      expect(
        (await topology(server)).partitions.find((q) => q.partition === 1)?.operatorPaused,
      ).toBe(false);

      // Pause partition 1 from the page.
      await page.fill('#token', TOKEN);
      await clickWhenThere(
        page,
        `tr[data-partition="${input}/1"] button[data-action="pause-partition"]`,
      );
      expect(await actionStatus(page, 'paused')).toBe(`paused partition ${input}/1`);
      const one = async () => (await topology(server!)).partitions.find((q) => q.partition === 1)!;
      expect((await one()).paused).toBe(true);
      expect((await one()).operatorPaused).toBe(true);
      expect(await pausedGauge(server, input, 1)).toBe(1);
      expect(await pausedGauge(server, input, 0)).toBe(0);
      // What was already taken from partition 1 may still finish; after that, nothing more
      // arrives from it while the other partitions keep flowing and its lag grows.
      await sleep(1_000);
      const heldAt = delivered[1]!;
      const othersAt = delivered[0]! + delivered[2]!;
      await sleep(2_500);
      expect(delivered[1]).toBe(heldAt);
      expect(delivered[0]! + delivered[2]!).toBeGreaterThan(othersAt + 50);
      // Records wait in the topic, and the lag shown keeps up with them although a paused
      // partition fetches nothing (its high watermark is refreshed from the broker).
      await until(
        'partition 1 lag to grow in /topology',
        async () => ((await one()).lag ?? 0) > 100,
      );
      const admin = newKafka(uniqueName('live-admin')).admin();
      await admin.connect();
      try {
        const end = (await admin.fetchTopicOffsets(input)).find((o) => o.partition === 1)!;
        expect(Number(end.high) - (await one()).committed).toBeGreaterThan(100);
      } finally {
        await admin.disconnect();
      }
      await page.waitForFunction(
        `Number((document.querySelector('tr[data-partition="${input}/1"] td:nth-child(5)')?.textContent ?? '0').replace(/,/g, '')) > 100`,
        undefined,
        { timeout: 15_000 },
      );
      expect(pipeline.source).toBeDefined();
      expect(telemetry.ready).toBe(true); // still in the group
      await page.waitForFunction(
        `document.querySelector('tr[data-partition="${input}/1"] td.state')?.textContent === 'paused by operator'`,
        undefined,
        { timeout: 15_000 },
      );
      await page.waitForFunction(
        `[...document.querySelectorAll('#actions li')].some((li) => li.textContent.includes('pause: paused partition ${input}/1'))`,
        undefined,
        { timeout: 15_000 },
      );
      mkdirSync('coverage', { recursive: true });
      await page.screenshot({ path: 'coverage/live-page.png', fullPage: true });
      if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
        copyFileSync('coverage/live-page.png', 'docs/live-page.png');
      }

      // Resume it from the page: partition 1 flows again.
      await clickWhenThere(
        page,
        `tr[data-partition="${input}/1"] button[data-action="resume-partition"]`,
      );
      expect(await actionStatus(page, 'resumed')).toBe(`resumed partition ${input}/1`);
      await until('partition 1 to deliver again', () => delivered[1]! > heldAt + 50);
      expect((await one()).paused).toBe(false);
      expect(await pausedGauge(server, input, 1)).toBe(0);

      // The whole pipeline: nothing is delivered while paused, everything flows after.
      await clickWhenThere(page, 'button[data-action="pause-pipeline"]');
      expect(await actionStatus(page, 'paused')).toBe('paused the whole pipeline');
      await sleep(1_000);
      const total = () => delivered.reduce((a, b) => a + b, 0);
      const pausedTotal = total();
      await sleep(2_000);
      expect(total()).toBe(pausedTotal);
      expect((await topology(server)).partitions.every((q) => q.operatorPaused && q.paused)).toBe(
        true,
      );
      await clickWhenThere(page, 'button[data-action="resume-pipeline"]');
      expect(await actionStatus(page, 'resumed')).toBe('resumed the whole pipeline');
      await until('the pipeline to deliver again', () => total() > pausedTotal + 100);

      // Run-time settings from the page's forms: a smaller batch size (the sink's batches
      // shrink), then three processors (a third node appears in the graph).
      const setting = async (name: string, value: number) => {
        const input = page.locator(`input[data-setting="${name}"]`).first();
        await input.waitFor({ timeout: 15_000 });
        await input.fill(String(value));
        await input.press('Enter');
      };
      await setting('default.batchSize', 3);
      expect(await actionStatus(page, 'set')).toBe(
        "set batcher 'default' batchSize 3 batchTimeoutMs 20",
      );
      const sizesFrom = batchSizes.length;
      await until('30 batches after the change', () => batchSizes.length > sizesFrom + 30);
      expect(Math.max(...batchSizes.slice(sizesFrom + 5))).toBeLessThanOrEqual(3);
      await setting('processors.concurrency', 3);
      expect(await actionStatus(page, 'set')).toBe('set processors concurrency 3');
      await page.locator('[data-node="live.processor.2"]').waitFor({ timeout: 15_000 });
      expect((await topology(server)).stages.map((st) => st.stage)).toContain('live.processor.2');
      await page.waitForFunction(
        `[...document.querySelectorAll('#actions li')].some((li) => li.textContent.includes('set: set processors concurrency 3'))`,
        undefined,
        { timeout: 15_000 },
      );

      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain(
        'kafka_stages_control_actions_total{pipeline="live",action="set"} 2',
      );
      expect(metrics).toContain(
        'kafka_stages_control_actions_total{pipeline="live",action="pause"} 2',
      );
      expect(metrics).toContain(
        'kafka_stages_control_actions_total{pipeline="live",action="resume"} 2',
      );
      expect(metrics).toContain(
        'kafka_stages_control_refused_total{action="pause",reason="unauthorized"} 1',
      );
      expect(pageErrors).toEqual([]);
    } finally {
      stopProducing = true;
      await producing?.catch(() => {});
      await producer?.disconnect();
      await browser?.close();
      await server?.close();
      await pipeline?.stop();
      await deleteTopics(input).catch(() => {});
    }
  });
});
