import { createLogger } from '../../../platform/log/logger';
import type { DeadLetterRecord, PipelineOptions } from '../../../platform/pipeline/options';
import { createPipeline, type Pipeline } from '../../../platform/pipeline/pipeline';
import { sendTestMessages, TestSource } from '../../../platform/pipeline/testing';

// Regression: a key function that threw (batchKey, a batcher's partitionBy,
// processors.partitionBy) ran inside a batch accumulator or a dispatcher and stopped the
// stage, so the whole pipeline failed on one bad message.

const logger = createLogger({ level: 'silent' });
const running: Pipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

const keyOrThrow = (m: { data: unknown }) => {
  if (m.data === 'bad') throw new TypeError('no key for bad');
  return String(m.data);
};

async function run(overrides: Partial<PipelineOptions>) {
  const written: DeadLetterRecord[] = [];
  const delivered: unknown[] = [];
  const pipeline = createPipeline(
    {
      name: 'keys',
      source: (o: { name: string }) => new TestSource(o),
      batchers: { default: { batchSize: 2, batchTimeoutMs: 5 } },
      sinks: { default: async (messages) => void delivered.push(...messages.map((m) => m.data)) },
      retry: { attempts: 1, initialMs: 1, maxMs: 1 },
      deadLetter: { topic: 'dlq', send: async (records) => void written.push(...records) },
      ...overrides,
    } as PipelineOptions,
    { logger, wait: async () => {} },
  );
  running.push(pipeline);
  await pipeline.start();
  const result = await sendTestMessages(pipeline, ['a', 'bad', 'b', 'c']);
  return { ...result, written, delivered };
}

describe('a key function that throws fails its message, not the stage', () => {
  it('batchKey', async () => {
    const { successful, failed, written, delivered } = await run({
      batchers: { default: { batchSize: 2, batchTimeoutMs: 5, batchKey: keyOrThrow } },
    });
    expect(successful.map((m) => m.data).sort()).toEqual(['a', 'b', 'c']);
    expect(delivered.sort()).toEqual(['a', 'b', 'c']);
    expect(failed.map((m) => [m.data, m.status])).toEqual([
      ['bad', { kind: 'dead-lettered', reason: 'batch-key' }],
    ]);
    expect(written.map((r) => r.value)).toEqual(['bad']);
  });

  it("a batcher's partitionBy over several sink stages", async () => {
    const { successful, failed } = await run({
      batchers: {
        default: { batchSize: 1, batchTimeoutMs: 5, concurrency: 2, partitionBy: keyOrThrow },
      },
    });
    expect(successful.map((m) => m.data).sort()).toEqual(['a', 'b', 'c']);
    expect(failed.map((m) => [m.data, m.status.kind])).toEqual([['bad', 'dead-lettered']]);
  });
});
