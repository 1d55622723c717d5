import { createLogger } from '../../../platform/log/logger';
import { type Message, markFailed } from '../../../platform/message/message';
import { DEAD_LETTER_HEADERS } from '../../../platform/pipeline/dead-letter';
import type { DeadLetterRecord, PipelineOptions } from '../../../platform/pipeline/options';
import { createPipeline, type Pipeline } from '../../../platform/pipeline/pipeline';
import {
  acknowledgerOf,
  sendTestMessages,
  TestSource,
  testBatch,
} from '../../../platform/pipeline/testing';
import { noopTelemetry, type Telemetry } from '../../../platform/telemetry/telemetry';

const logger = createLogger({ level: 'silent' });
const noWait = async () => {};

const running: Pipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

async function start(
  options: Omit<PipelineOptions, 'source'> & { source?: PipelineOptions['source'] },
) {
  const pipeline = createPipeline(
    { source: (o: { name: string }) => new TestSource(o), ...options } as PipelineOptions,
    { logger, wait: noWait },
  );
  running.push(pipeline);
  await pipeline.start();
  return pipeline;
}

const dataOf = (messages: readonly Message[]) => messages.map((m) => m.data);

describe('Pipeline with a test source', () => {
  it('passes messages through processors to the sink and acknowledges them', async () => {
    const delivered: unknown[][] = [];
    const pipeline = await start({
      name: 'upper',
      processors: {
        concurrency: 2,
        handleMessage: (m) => {
          m.data = String(m.data).toUpperCase();
        },
      },
      batchers: { default: { batchSize: 3, batchTimeoutMs: 20 } },
      sinks: { default: async (messages) => void delivered.push(dataOf(messages)) },
    });
    const { successful, failed } = await sendTestMessages(pipeline, ['a', 'b', 'c', 'd']);
    expect(failed).toEqual([]);
    expect(dataOf(successful).sort()).toEqual(['A', 'B', 'C', 'D']);
    expect(successful.every((m) => m.status.kind === 'ok')).toBe(true);
    expect(delivered.flat().sort()).toEqual(['A', 'B', 'C', 'D']);
    expect(delivered.every((b) => b.length <= 3)).toBe(true);
  });

  it('without batchers, the processors acknowledge', async () => {
    const pipeline = await start({ name: 'identity' });
    const { successful } = await sendTestMessages(pipeline, [1, 2, 3]);
    expect(dataOf(successful)).toEqual([1, 2, 3]);
  });

  it('dead-letters undecodable records, handler failures and sink failures with origin headers', async () => {
    const written: DeadLetterRecord[] = [];
    const pipeline = await start({
      name: 'failing',
      decode: (value) => JSON.parse(String(value)),
      processors: {
        handleMessage: (m) => {
          if ((m.data as { n: number }).n === 2) throw new RangeError('two is bad');
        },
      },
      batchers: { default: { batchSize: 10, batchTimeoutMs: 10 } },
      sinks: {
        default: async (messages) => {
          for (const m of messages)
            if ((m.data as { n: number }).n === 3) markFailed(m, 'rejected');
        },
      },
      retry: { attempts: 2, initialMs: 1, maxMs: 1 },
      deadLetter: { topic: 'dlq', send: async (records) => void written.push(...records) },
    });
    const { successful, failed } = await sendTestMessages(
      pipeline,
      ['{"n":1}', 'not json', '{"n":2}', '{"n":3}', '{"n":4}'],
      { topic: 'in', partition: 2, offset: 100 },
    );
    expect(dataOf(successful)).toEqual([{ n: 1 }, { n: 4 }]);
    expect(failed.map((m) => [m.offset, m.status])).toEqual(
      expect.arrayContaining([
        [101, { kind: 'dead-lettered', reason: 'decode' }],
        [102, { kind: 'dead-lettered', reason: 'handler' }],
        [103, { kind: 'dead-lettered', reason: 'rejected' }],
      ]),
    );
    const byOffset = new Map(written.map((r) => [r.headers[DEAD_LETTER_HEADERS.originOffset], r]));
    expect(byOffset.get('101')?.value).toBe('not json');
    expect(byOffset.get('101')?.headers[DEAD_LETTER_HEADERS.errorClass]).toBe('SyntaxError');
    expect(byOffset.get('102')?.value).toBe('{"n":2}');
    expect(byOffset.get('102')?.headers).toMatchObject({
      [DEAD_LETTER_HEADERS.originTopic]: 'in',
      [DEAD_LETTER_HEADERS.originPartition]: '2',
      [DEAD_LETTER_HEADERS.reason]: 'handler',
      [DEAD_LETTER_HEADERS.errorClass]: 'RangeError',
      [DEAD_LETTER_HEADERS.errorMessage]: 'two is bad',
      [DEAD_LETTER_HEADERS.attempts]: '2',
    });
    expect(written).toHaveLength(3);
  });

  it('routes messages to several batchers, each with its own sink', async () => {
    const got: Record<string, unknown[]> = { even: [], odd: [] };
    const pipeline = await start({
      name: 'routed',
      processors: { concurrency: 2 },
      batchers: {
        even: { batchSize: 2, batchTimeoutMs: 10 },
        odd: { batchSize: 5, batchTimeoutMs: 10 },
      },
      route: (m) => ((m.data as number) % 2 === 0 ? 'even' : 'odd'),
      sinks: {
        even: async (ms) => void got.even!.push(...dataOf(ms)),
        odd: async (ms, context) => {
          expect(context.batcher).toBe('odd');
          got.odd!.push(...dataOf(ms));
        },
      },
    });
    const { successful } = await sendTestMessages(pipeline, [1, 2, 3, 4, 5, 6, 7]);
    expect(successful).toHaveLength(7);
    expect(got.even).toEqual([2, 4, 6]);
    expect(got.odd).toEqual([1, 3, 5, 7]);
  });

  it('fails a message routed to a batcher that does not exist, with reason route', async () => {
    const pipeline = await start({
      name: 'misrouted',
      batchers: { a: {}, b: {} },
      route: () => 'c',
      sinks: { a: async () => {}, b: async () => {} },
    });
    const { failed } = await sendTestMessages(pipeline, [1]);
    expect(failed[0]?.status).toMatchObject({ kind: 'failed', reason: 'route' });
    expect((failed[0]!.status as { error: Error }).error.message).toBe(
      'route returned "c"; batchers: a, b',
    );
  });

  it('fails a message whose route throws, with reason route, and keeps running', async () => {
    const pipeline = await start({
      name: 'route-throws',
      batchers: { a: {}, b: {} },
      route: (m) => {
        if (m.data === 1) throw new Error('no route for 1');
        return 'a';
      },
      sinks: { a: async () => {}, b: async () => {} },
    });
    const { successful, failed } = await sendTestMessages(pipeline, [1, 2]);
    expect(dataOf(successful)).toEqual([2]);
    expect(failed[0]?.status).toMatchObject({ kind: 'failed', reason: 'route' });
  });

  it('keeps per-key order with partitioned processors, batch keys and several sink stages', async () => {
    const seen = new Map<string, number[]>();
    const pipeline = await start({
      name: 'ordered',
      processors: {
        concurrency: 3,
        maxDemand: 4,
        partitionBy: (m) => m.key?.toString(),
        handleMessage: async (m) => {
          if ((m.data as number) % 7 === 0) await new Promise((r) => setTimeout(r, 1));
        },
      },
      batchers: {
        default: {
          batchSize: 4,
          batchTimeoutMs: 5,
          concurrency: 3,
          batchKey: (m) => m.key?.toString(),
        },
      },
      sinks: {
        default: async (messages, context) => {
          const list = seen.get(String(context.batchKey)) ?? [];
          list.push(...messages.map((m) => m.data as number));
          seen.set(String(context.batchKey), list);
          if (messages.length % 2 === 0) await new Promise((r) => setTimeout(r, 1));
        },
      },
    });
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    const results = await Promise.all(
      keys.map((key, k) =>
        sendTestMessages(
          pipeline,
          Array.from({ length: 40 }, (_, i) => i * 10 + k),
          { key },
        ),
      ),
    );
    expect(results.reduce((n, r) => n + r.successful.length, 0)).toBe(200);
    for (const [k, key] of keys.entries()) {
      expect(seen.get(key)).toEqual(Array.from({ length: 40 }, (_, i) => i * 10 + k));
    }
  });

  it('reports batches to telemetry and traces handler calls', async () => {
    const stages = new Set<string>();
    const traced = new Set<string>();
    const telemetry: Telemetry = {
      ...noopTelemetry,
      recordBatch: (stage) => void stages.add(stage),
      traceBatch: (stage, _topic, _messages, fn) => {
        traced.add(stage);
        return fn();
      },
    };
    const pipeline = await start({
      name: 'observed',
      telemetry,
      batchers: { default: { batchSize: 2, batchTimeoutMs: 5 } },
      sinks: { default: async () => {} },
    });
    await sendTestMessages(pipeline, [1, 2]);
    // The sink reports its batch after acknowledging it: stop to be sure it did.
    await pipeline.stop();
    expect([...stages].sort()).toEqual([
      'observed.batcher.default',
      'observed.processor.0',
      'observed.sink.default.0',
    ]);
    expect([...traced].sort()).toEqual(['observed.processor.0', 'observed.sink.default.0']);
  });

  it('stop drains open batches before the timeout and finishes the stages', async () => {
    const delivered: unknown[] = [];
    const pipeline = await start({
      name: 'draining',
      batchers: { default: { batchSize: 1000, batchTimeoutMs: 60_000 } },
      sinks: { default: async (ms) => void delivered.push(...dataOf(ms)) },
    });
    const messages = testBatch([1, 2, 3]);
    (pipeline.source as TestSource).push(messages);
    await new Promise((r) => setTimeout(r, 20));
    expect(delivered).toEqual([]);
    const report = await pipeline.stop();
    expect(report.drained).toBe(true);
    expect(delivered).toEqual([1, 2, 3]);
    expect(await pipeline.done()).toBe('normal');
    expect(pipeline.stats().every((s) => s.status === 'stopped')).toBe(true);
  });

  it('stop delivers everything taken in, also through partition dispatchers with slow sinks', async () => {
    const delivered: unknown[] = [];
    const pipeline = await start({
      name: 'partitioned-drain',
      processors: { concurrency: 2 },
      batchers: {
        a: {
          batchSize: 5,
          batchTimeoutMs: 60_000,
          concurrency: 3,
          batchKey: (m) => (m.data as number) % 4,
          maxDemand: 1,
        },
        b: { batchSize: 5, batchTimeoutMs: 60_000 },
      },
      route: (m) => ((m.data as number) < 150 ? 'a' : 'b'),
      sinks: {
        a: async (ms) => {
          await new Promise((r) => setTimeout(r, 5));
          delivered.push(...dataOf(ms));
        },
        b: async (ms) => void delivered.push(...dataOf(ms)),
      },
    });
    const messages = testBatch(Array.from({ length: 200 }, (_, i) => i));
    (pipeline.source as TestSource).push(messages);
    await new Promise((r) => setTimeout(r, 10));
    const report = await pipeline.stop();
    const { successful } = await acknowledgerOf(messages).settled;
    expect(report.drained).toBe(true);
    expect(successful).toHaveLength(200);
    expect(delivered).toHaveLength(200);
  });

  it('stop gives up after drainTimeoutMs when a sink hangs', async () => {
    const pipeline = await start({
      name: 'stuck',
      drainTimeoutMs: 50,
      batchers: { default: { batchSize: 1, batchTimeoutMs: 5 } },
      sinks: { default: () => new Promise(() => {}) },
    });
    (pipeline.source as TestSource).push(testBatch([1]));
    await new Promise((r) => setTimeout(r, 20));
    const report = await pipeline.stop();
    expect(report.drained).toBe(false);
    // Every stage but the sink, which is still inside its hung call, has stopped.
    expect(Object.fromEntries(pipeline.stats().map((s) => [s.name, s.status]))).toEqual({
      'stuck.source': 'stopped',
      'stuck.processor.0': 'stopped',
      'stuck.batcher.default': 'stopped',
      'stuck.sink.default.0': 'running',
    });
  });

  it('stops a pipeline that never started at once', async () => {
    const pipeline = createPipeline(
      { name: 'unstarted', source: (o) => new TestSource(o) },
      { logger, wait: noWait },
    );
    expect(await pipeline.stop()).toMatchObject({ drained: true, unacknowledged: 0 });
    // Processors and batchers are built when their supervisor starts: only the source was.
    expect(pipeline.stats().map((s) => [s.name, s.status])).toEqual([
      ['unstarted.source', 'stopped'],
    ]);
  });

  it('refuses to start twice', async () => {
    const pipeline = await start({ name: 'twice' });
    await expect(pipeline.start()).rejects.toThrow(
      "Pipeline 'twice': start() called while running",
    );
  });
});
