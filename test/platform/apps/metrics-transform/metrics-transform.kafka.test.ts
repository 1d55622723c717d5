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
import { refKey } from './reference';

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
  it('emits exactly the reference windows (out-of-order samples included), dead-letters bad records and late samples as received', async () => {
    const t = topics('mt-e2e');
    await createAll(t);
    // Out of order by up to ~1.2 s, within the 3 s lateness: none is late, however the
    // work is split, so the reference holds exactly. Late samples are tested below.
    const { records, expected, brokenRecords } = fixtureInput(11, 4_000, Date.now(), { late: 0 });
    await produceRecords(
      t.input,
      records.map((r) => ({ ...r, partition: 0 })),
    );

    const telemetry = createTelemetry({
      pipeline: t.group,
      registry: new Registry(),
      defaultMetrics: false,
      tracing: false,
    });
    const config = { ...fixtureTransformConfig(t) };
    config.dead_letter = { ...config.dead_letter, late_samples: true };
    const app = await startMetricsTransform({
      config,
      client: { brokers: testBrokers() },
      telemetry,
      log: createLogger({ level: 'warn', format: 'json' }),
      startFrom: 'earliest',
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
      // A refused record goes to the dead-letter topic exactly as it arrived, with its origin.
      const broken = deadLetters[0]!;
      expect(String(broken.headers?.[DEAD_LETTER_HEADERS.reason])).toBe('unparseable');
      expect(String(broken.value)).toMatch(/^broken line \d+$/);
      expect(String(broken.headers?.[DEAD_LETTER_HEADERS.originTopic])).toBe(t.input);

      // A sample for a window emitted long ago is late: dead-lettered (late_samples: true)
      // with its record as received, and counted.
      const old = Math.min(...[...expected.values()].map((w) => w.start));
      const lateLine = `late_one,service=api value=1 ${old}000000`;
      await produceRecords(t.input, [{ key: 'late', value: lateLine, partition: 0 }]);
      const withLate = await consumeAll(t.deadLetter, brokenRecords + 1, { timeoutMs: 60_000 });
      const late = withLate.find((m) => String(m.headers?.[DEAD_LETTER_HEADERS.reason]) === 'late');
      expect(late).toBeDefined();
      // It crossed the repartition hop: the origin is still the input record.
      expect(String(late?.headers?.[DEAD_LETTER_HEADERS.originTopic])).toBe(t.input);
      await new Promise((r) => setTimeout(r, 1_500)); // the counts sync every second
      expect(app.progress().late).toBe(1);
      // The progress line's count agrees with the topic.
      expect(app.progress().deadLettered).toBe(withLate.length);
      const metrics = await telemetry.registry.metrics();
      expect(metrics).toMatch(
        new RegExp(`kafka_stages_transform_windows_emitted_total\\{pipeline="${t.group}"\\} [1-9]`),
      );
    } finally {
      await app.stop();
    }
  }, 240_000);

  // exactly_once: a read_committed reader sees every window once. at_least_once: windows
  // open at the kill may come out again, but only whole (the window stage's checkpoint is
  // committed beside the source's offsets), never a partial copy.
  it.each([
    ['exactly_once', 0],
    ['at_least_once', Number.POSITIVE_INFINITY],
  ] as const)(
    'after SIGKILL mid-run and a restart (%s), every reference window comes out, none partial',
    async (processing, wholeCopies) => {
      const t = topics(processing === 'exactly_once' ? 'mt-kill' : 'mt-kill-alo');
      await createAll(t);
      // No late samples: which sample is late depends on when the watermark crosses the
      // repartition hop; the reference holds exactly without them (late ones: the test above).
      const { records, expected } = fixtureInput(12, 6_000, Date.now(), { late: 0 });
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
      writeFileSync(configFile, JSON.stringify({ ...fixtureConfig(t), processing }));
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
          `SIGKILL test (${processing}): ${expected.size} reference windows, ${values.length} emitted ` +
            `(at least ${beforeRestart} before the kill), ` +
            `${result.wholeDuplicates} whole duplicates, ${result.partialDuplicates} partial copies ${JSON.stringify(result.partialExamples ?? [])}\n`,
        );
        if (result.missing.length > 0) {
          // What a missing window looked like: the reference count against each emitted copy.
          for (const key of result.missing.slice(0, 3)) {
            const want = expected.get(key)!;
            const got = values
              .map(
                (v) =>
                  JSON.parse(v) as { name: string; start: number; labels: object; count: number },
              )
              .filter((o) => refKey(o.name, o.start, o.labels as Record<string, string>) === key)
              .map((o) => o.count);
            process.stderr.write(
              `missing ${key}: reference count ${want.points.length}, emitted counts ${JSON.stringify(got)}\n`,
            );
          }
        }
        expect(result.missing).toEqual([]);
        expect(result.unexpected).toEqual([]);
        // Exactly once (the transformer's default): no window twice, whole or in part. At
        // least once: whole copies are allowed, partial ones never.
        expect(result.wholeDuplicates).toBeLessThanOrEqual(wholeCopies);
        expect({
          partial: result.partialDuplicates,
          examples: result.partialExamples ?? [],
        }).toEqual({ partial: 0, examples: [] });
      } catch (error) {
        process.stderr.write(`child stderr:\n${stderr.slice(-4000)}\n`);
        throw error;
      } finally {
        second.kill('SIGTERM');
        await new Promise((r) => second.once('exit', r));
      }
    },
    360_000,
  );
});
