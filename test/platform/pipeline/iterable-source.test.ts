import { createLogger } from '../../../platform/log/logger';
import type { Message } from '../../../platform/message/message';
import { createPipeline, iterableSource, type Pipeline } from '../../../platform/pipeline/index';

const logger = createLogger({ level: 'silent' });
// Generous: the machines running the suite are often loaded; nothing here waits on a timer long.
jest.setTimeout(30_000);

const running: Pipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

/** Resolves once `condition` holds (polled), or rejects after `ms`. */
async function until(condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('an async iterable as a pipeline source (no broker)', () => {
  it('is read only as far as the processors ask: no read-ahead while they are busy', async () => {
    let pulled = 0;
    async function* endless() {
      for (let i = 0; ; i++) {
        pulled += 1;
        yield `item-${i}`;
      }
    }
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: unknown[] = [];
    const acknowledged: Message[] = [];
    const pipeline = createPipeline(
      {
        name: 'iter-backpressure',
        source: iterableSource(endless(), { onAck: (ok) => acknowledged.push(...ok) }),
        // One processor asking for 4 at a time; its handler waits at the gate.
        processors: {
          concurrency: 1,
          maxDemand: 4,
          handleMessage: async (m) => {
            handled.push(m.data);
            await gate;
          },
        },
        drainTimeoutMs: 2_000,
      },
      { logger },
    );
    running.push(pipeline);
    await pipeline.start();
    await until(() => pulled >= 4);
    // Give a read-ahead every chance to show: the processor is stuck, nothing more is asked.
    await new Promise((r) => setTimeout(r, 200));
    expect(pulled).toBe(4);
    expect(handled).toEqual(['item-0']);
    release();
    // The gate is open: demand comes back and the iterable is read on.
    await until(() => acknowledged.length >= 20);
    expect(pulled).toBeGreaterThanOrEqual(20);
    const report = await pipeline.stop();
    // Every item read was handed out and acknowledged before the stop finished.
    expect(report.drained).toBe(true);
    expect(report.unacknowledged).toBe(0);
    expect(acknowledged.map((m) => m.offset)).toEqual(acknowledged.map((_, i) => i));
  });

  it('runs a finite iterable to the end: every item delivered in order, the pipeline completes', async () => {
    async function* items() {
      for (let i = 0; i < 25; i++) {
        await new Promise((r) => setImmediate(r));
        yield { n: i };
      }
    }
    const delivered: unknown[] = [];
    const pipeline = createPipeline(
      {
        name: 'iter-finite',
        // A plain async iterable is a source as it is.
        source: items(),
        processors: {
          handleMessage: (m) => {
            m.data = (m.data as { n: number }).n * 10;
          },
        },
        batchers: { default: { batchSize: 4, batchTimeoutMs: 10 } },
        sinks: { default: async (messages) => void delivered.push(...messages.map((m) => m.data)) },
      },
      { logger },
    );
    running.push(pipeline);
    await pipeline.start();
    await expect(pipeline.done()).resolves.toBe('normal');
    expect(delivered).toEqual(Array.from({ length: 25 }, (_, i) => i * 10));
    expect(pipeline.stats().every((s) => s.status === 'stopped')).toBe(true);
  });

  it('reports the messages still unacknowledged when a stop gives up', async () => {
    async function* items() {
      for (let i = 0; i < 100; i++) yield i;
    }
    const pipeline = createPipeline(
      {
        name: 'iter-stuck',
        source: items(),
        processors: { maxDemand: 3, handleMessage: () => new Promise(() => {}) },
        drainTimeoutMs: 100,
      },
      { logger },
    );
    running.push(pipeline);
    await pipeline.start();
    await until(() => pipeline.stats()[0]!.eventsOut >= 3);
    const report = await pipeline.stop();
    expect(report.drained).toBe(false);
    expect(report.unacknowledged).toBe(3);
  });

  it('is refused with a precise error when the options give a source only a connector can build', () => {
    expect(() =>
      createPipeline({ name: 'no-connector', source: { groupId: 'g', topics: ['t'] } }, { logger }),
    ).toThrow(
      "Pipeline 'no-connector': option 'source' is an options object, which only a connector can build, and this pipeline has none; allowed: source as a producer stage, a PipelineSource, an (async) iterable or a function ({ name, dispatcher }) => stage, or Kafka options with createPipeline from 'kafka-stages'",
    );
  });
});
