import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { startMetricsTransform } from '../../../../platform/apps/metrics-transform/app/metrics-transform-app';
import { createLogger } from '../../../../platform/log/logger';
import { DEAD_LETTER_HEADERS } from '../../../../platform/pipeline/dead-letter';
import { createTelemetry } from '../../../../platform/telemetry/create-telemetry';
import {
  consumeAll,
  createTopic,
  produceRecords,
  testBrokers,
  uniqueName,
} from '../../../support/kafka';
import { coverage, fixtureConfig, fixtureInput, fixtureTransformConfig } from './kafka-fixture';

const ROOT = join(__dirname, '../../../..');

function topics(prefix: string) {
  return {
    input: uniqueName(`${prefix}-in`),
    output: uniqueName(`${prefix}-out`),
    deadLetter: uniqueName(`${prefix}-dlq`),
    group: uniqueName(`${prefix}-group`),
  };
}

async function createAll(t: ReturnType<typeof topics>) {
  await createTopic(t.input, 1);
  await createTopic(t.output, 3);
  await createTopic(t.deadLetter, 1);
}

describe('metrics-transform through real topics', () => {
  it('emits exactly the reference windows (out-of-order and late samples included) and dead-letters bad records', async () => {
    const t = topics('mt-e2e');
    await createAll(t);
    const { records, expected, brokenRecords, lateSamples } = fixtureInput(11, 4_000, Date.now());
    expect(lateSamples).toBeGreaterThan(0);
    await produceRecords(
      t.input,
      records.map((r) => ({ ...r, partition: 0 })),
    );

    const telemetry = createTelemetry({
      pipeline: 'mt-e2e',
      registry: new Registry(),
      defaultMetrics: false,
      tracing: false,
    });
    const app = await startMetricsTransform({
      config: fixtureTransformConfig(t),
      client: { brokers: testBrokers() },
      telemetry,
      log: createLogger({ level: 'warn', format: 'json' }),
      startFrom: 'earliest',
      // One record per batch: the transformer ticks after each, as the reference does.
      maxDemand: 2,
    });
    try {
      const outputs = await consumeAll(t.output, expected.size, { timeoutMs: 120_000 });
      const deadLetters = await consumeAll(t.deadLetter, brokenRecords, { timeoutMs: 60_000 });
      // Give a wrong extra window time to show up before judging.
      await new Promise((r) => setTimeout(r, 1_000));
      const all = await consumeAll(t.output, outputs.length, { timeoutMs: 30_000 });
      const result = coverage(
        all.map((m) => String(m.value)),
        expected,
      );
      expect(result).toEqual({
        missing: [],
        unexpected: [],
        wholeDuplicates: 0,
        partialDuplicates: 0,
      });
      expect(all).toHaveLength(expected.size);
      expect(deadLetters).toHaveLength(brokenRecords);
      expect(String(deadLetters[0]?.headers?.[DEAD_LETTER_HEADERS.reason])).toBe('unparseable');
      expect(app.progress().late).toBe(lateSamples);
      const metrics = await telemetry.registry.metrics();
      expect(metrics).toMatch(
        /kafka_stages_transform_windows_emitted_total\{pipeline="mt-test"\} [1-9]/,
      );
    } finally {
      await app.stop();
    }
  }, 240_000);

  it('after SIGKILL mid-run and a restart, the output still covers the reference (duplicates counted)', async () => {
    const t = topics('mt-kill');
    await createAll(t);
    const { records, expected } = fixtureInput(12, 6_000, Date.now());
    // The first run gets 40% of the input, so it is surely killed with windows still open;
    // the rest is produced before the restart.
    const split = Math.floor(records.length * 0.4);
    await produceRecords(
      t.input,
      records.slice(0, split).map((r) => ({ ...r, partition: 0 })),
    );
    const dir = mkdtempSync(join(tmpdir(), 'mt-kill-'));
    const configFile = join(dir, 'config.json');
    // YAML is a superset of JSON.
    writeFileSync(configFile, JSON.stringify(fixtureConfig(t)));
    const run = (): ChildProcess =>
      spawn(
        process.execPath,
        [
          join(ROOT, 'dist/platform/cli/main.js'),
          'run',
          'metrics-transform',
          '--config',
          configFile,
          '--from',
          'earliest',
          '--max-demand',
          '2',
        ],
        {
          env: { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );

    const first = run();
    let stderr = '';
    first.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    // Let it emit part of the windows (and commit some offsets), then kill it hard.
    const exitedEarly = new Promise<never>((_, reject) =>
      first.once('exit', (code) =>
        reject(new Error(`the first run exited by itself (code ${code})`)),
      ),
    );
    exitedEarly.catch(() => undefined);
    await Promise.race([
      consumeAll(t.output, Math.floor(expected.size / 4), { timeoutMs: 120_000 }),
      exitedEarly,
    ]).catch((error: unknown) => {
      first.kill('SIGKILL');
      process.stderr.write(`first run's stderr:\n${stderr.slice(-4000)}\n`);
      throw error;
    });
    await new Promise((r) => setTimeout(r, 2_000)); // a commit or two (every second)
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const beforeRestart = (await consumeAll(t.output, 1, { timeoutMs: 30_000 })).length;
    expect(beforeRestart).toBeLessThan(expected.size);
    await produceRecords(
      t.input,
      records.slice(split).map((r) => ({ ...r, partition: 0 })),
    );

    const second = run();
    second.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    try {
      let values: string[] = [];
      let result = coverage([], expected);
      const deadline = Date.now() + 150_000;
      while (Date.now() < deadline) {
        const got = await consumeAll(t.output, values.length + 1, { timeoutMs: 30_000 }).catch(
          () => undefined,
        );
        if (got) values = got.map((m) => String(m.value));
        result = coverage(values, expected);
        if (result.missing.length === 0) break;
      }
      process.stderr.write(
        `SIGKILL test: ${expected.size} reference windows, ${values.length} emitted ` +
          `(at least ${beforeRestart} before the kill), ` +
          `${result.wholeDuplicates} whole duplicates, ${result.partialDuplicates} partial copies\n`,
      );
      expect(result.missing).toEqual([]);
      expect(result.unexpected).toEqual([]);
    } catch (error) {
      process.stderr.write(`child stderr:\n${stderr.slice(-4000)}\n`);
      throw error;
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
  }, 360_000);
});
