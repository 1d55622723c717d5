import { Registry } from 'prom-client';
import { createLogger } from '../../../platform/log/logger';
import type { Message } from '../../../platform/message/message';
import type { DeadLetterRecord, PipelineOptions } from '../../../platform/pipeline/options';
import { createPipeline, type Pipeline } from '../../../platform/pipeline/pipeline';
import { sendTestMessages, TestSource } from '../../../platform/pipeline/testing';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import type { Telemetry } from '../../../platform/telemetry/telemetry';
import { RestartLimitError } from '../../../stages/index';

// Processors and batchers run under a supervisor: a crash outside the per-message retries
// (here: a bug in the telemetry the stage calls after handling a batch) fails what the stage
// held, the stage restarts and the pipeline goes on; past the budget the pipeline stops.
jest.setTimeout(30_000);

const logger = createLogger({ level: 'silent' });
const noWait = async () => {};

const running: Pipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

/** A real telemetry whose `recordBatch` throws for `stage` while `crash()` says so. */
function crashingTelemetry(stage: string, crash: () => boolean) {
  const telemetry = createTelemetry({
    pipeline: 'sup',
    registry: new Registry(),
    defaultMetrics: false,
    tracing: false,
  });
  const crashing: Telemetry = {
    ...telemetry,
    recordBatch(name, record) {
      if (name === stage && crash()) throw new Error(`telemetry bug in ${name}`);
      telemetry.recordBatch(name, record);
    },
  };
  return { telemetry, crashing };
}

async function start(options: Omit<PipelineOptions, 'source'>) {
  const pipeline = createPipeline(
    { source: (o: { name: string }) => new TestSource(o), ...options } as PipelineOptions,
    { logger, wait: noWait },
  );
  running.push(pipeline);
  await pipeline.start();
  return pipeline;
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const sorted = (values: readonly unknown[]) => [...values].sort((a, b) => Number(a) - Number(b));

async function eventually(what: string, check: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('supervised processors and batchers', () => {
  it('a processor that crashes once: its batch is dead-lettered as crashed, it restarts, nothing else is lost', async () => {
    let crashes = 1;
    const { telemetry, crashing } = crashingTelemetry('sup.processor.0', () => crashes-- > 0);
    const delivered: unknown[] = [];
    const deadLettered: DeadLetterRecord[] = [];
    const pipeline = await start({
      name: 'sup',
      telemetry: crashing,
      processors: { concurrency: 1, maxDemand: 10 },
      batchers: { default: { batchSize: 5, batchTimeoutMs: 5 } },
      sinks: { default: async (ms: Message[]) => void delivered.push(...ms.map((m) => m.data)) },
      deadLetter: { topic: 'sup-dlq', send: async (records) => void deadLettered.push(...records) },
    });
    const first = await sendTestMessages(pipeline, range(0, 40));
    // Every message acknowledged exactly once (the test acknowledger rejects a second ack).
    expect(first.successful.length + first.failed.length).toBe(40);
    expect(first.failed.length).toBeGreaterThan(0);
    for (const m of first.failed) {
      expect(m.status).toMatchObject({ kind: 'dead-lettered', reason: 'crashed' });
    }
    expect(deadLettered).toHaveLength(first.failed.length);
    expect(sorted([...delivered, ...first.failed.map((m) => m.data)])).toEqual(range(0, 40));
    // The restarted processor handles what comes next.
    const second = await sendTestMessages(pipeline, range(100, 20));
    expect(second.failed).toEqual([]);
    expect(sorted(second.successful.map((m) => m.data))).toEqual(range(100, 20));
    const row = telemetry.topology().stages.find((s) => s.stage === 'sup.processor.0');
    expect(row?.restarts).toBe(1);
    expect(telemetry.topology().stages.find((s) => s.stage === 'sup.source')?.restarts).toBe(
      undefined,
    );
    const metric = await telemetry.registry.getSingleMetricAsString(
      'kafka_stages_stage_restarts_total',
    );
    expect(metric).toContain(
      'kafka_stages_stage_restarts_total{pipeline="sup",stage="sup.processor.0"} 1',
    );
    expect(metric).toContain(
      'kafka_stages_stage_restarts_total{pipeline="sup",stage="sup.batcher.default"} 0',
    );
  });

  it('a partitioned processor that crashes takes its partition back when it restarts', async () => {
    let crashes = 1;
    const { telemetry, crashing } = crashingTelemetry('sup.processor.1', () => crashes-- > 0);
    const seen = new Map<number, number[]>();
    const pipeline = await start({
      name: 'sup',
      telemetry: crashing,
      processors: { concurrency: 2, maxDemand: 6, partitionBy: (m) => (m.data as number) % 4 },
      batchers: {
        default: { batchSize: 3, batchTimeoutMs: 5, batchKey: (m) => (m.data as number) % 4 },
      },
      sinks: {
        default: async (ms: Message[]) => {
          for (const m of ms) {
            const key = (m.data as number) % 4;
            seen.set(key, [...(seen.get(key) ?? []), m.data as number]);
          }
        },
      },
      deadLetter: { topic: 'sup-dlq', send: async () => {} },
    });
    const first = await sendTestMessages(pipeline, range(0, 200));
    expect(first.failed.length).toBeGreaterThan(0);
    const failed = new Set(first.failed.map((m) => m.data as number));
    // What was not dead-lettered arrived, each key in order.
    for (const [key, values] of seen) {
      expect(values).toEqual(range(0, 200).filter((n) => n % 4 === key && !failed.has(n)));
    }
    const source = pipeline.stats().find((s) => s.name === 'sup.source')!;
    expect(source.consumers.map((c) => c.consumer).sort()).toEqual([
      'sup.processor.0',
      'sup.processor.1',
    ]);
    const second = await sendTestMessages(pipeline, range(1000, 40));
    expect(second.failed).toEqual([]);
    // One restart, at once: the old instance's partition was free for the new one.
    expect(telemetry.topology().stages.find((st) => st.stage === 'sup.processor.1')?.restarts).toBe(
      1,
    );
  }, 10_000);

  it('a batcher that crashes once: its open batches are dead-lettered, its sink is subscribed to the new one', async () => {
    let crashes = 1;
    const { crashing } = crashingTelemetry('sup.batcher.default', () => crashes-- > 0);
    const delivered: unknown[] = [];
    const pipeline = await start({
      name: 'sup',
      telemetry: crashing,
      batchers: { default: { batchSize: 4, batchTimeoutMs: 5, concurrency: 2 } },
      sinks: { default: async (ms: Message[]) => void delivered.push(...ms.map((m) => m.data)) },
      deadLetter: { topic: 'sup-dlq', send: async () => {} },
    });
    const first = await sendTestMessages(pipeline, range(0, 30));
    expect(first.failed.length).toBeGreaterThan(0);
    expect(first.failed.every((m) => m.status.kind === 'dead-lettered')).toBe(true);
    expect(sorted([...delivered, ...first.failed.map((m) => m.data)])).toEqual(range(0, 30));
    delivered.length = 0;
    const second = await sendTestMessages(pipeline, range(50, 30));
    expect(second.failed).toEqual([]);
    expect(sorted(delivered)).toEqual(range(50, 30));
    // Both sink stages are back on the new batcher.
    const batcher = pipeline.stats().find((s) => s.name === 'sup.batcher.default')!;
    expect(batcher.status).toBe('running');
    expect(batcher.consumers.map((c) => c.consumer).sort()).toEqual([
      'sup.sink.default.0',
      'sup.sink.default.1',
    ]);
  });

  it('a processor that crashes on every batch stops the pipeline with an error naming it', async () => {
    const { crashing } = crashingTelemetry('sup.processor.0', () => true);
    const pipeline = await start({
      name: 'sup',
      telemetry: crashing,
      processors: { maxDemand: 4 },
      batchers: { default: { batchSize: 4, batchTimeoutMs: 5 } },
      sinks: { default: async () => {} },
      supervision: { maxRestarts: 2, withinMs: 60_000 },
      drainTimeoutMs: 200,
    });
    void sendTestMessages(pipeline, range(0, 100));
    const reason = await pipeline.done();
    expect(reason).toBeInstanceOf(RestartLimitError);
    expect((reason as Error).message).toBe(
      "supervisor 'sup.supervisor': child 'sup.processor.0' failed after 2 restarts within 60000 ms; giving up",
    );
    expect(((reason as Error).cause as Error).message).toContain(
      'telemetry bug in sup.processor.0',
    );
  });

  it('a source that fails takes its processors down with it: no restart, nothing failed as crashed', async () => {
    const deadLettered: DeadLetterRecord[] = [];
    const pipeline = await start({
      name: 'sup',
      processors: {
        concurrency: 2,
        // Holds its messages a while, so the processors have some in hand when the source fails.
        handleMessage: () => new Promise((r) => setTimeout(r, 20)),
      },
      batchers: { default: { batchSize: 5, batchTimeoutMs: 5 } },
      sinks: { default: async () => {} },
      deadLetter: { topic: 'sup-dlq', send: async (records) => void deadLettered.push(...records) },
      drainTimeoutMs: 200,
    });
    void sendTestMessages(pipeline, range(0, 50));
    await eventually('messages in the processors', () =>
      pipeline.stats().some((s) => s.name === 'sup.processor.0' && s.eventsIn > 0),
    );
    await pipeline.source.stop(new Error('source broke'));
    const reason = await pipeline.done();
    expect((reason as Error).message).toBe('source broke');
    expect(deadLettered).toEqual([]);
    expect(
      pipeline
        .stats()
        .filter((s) => s.name.includes('.processor.'))
        .map((s) => s.status),
    ).toEqual(['stopped', 'stopped']);
  });

  it('a processor that crashes while the pipeline drains: its batch is dead-lettered, the stop completes', async () => {
    let crash = false;
    const { crashing } = crashingTelemetry('sup.processor.0', () => crash);
    const deadLettered: DeadLetterRecord[] = [];
    const pipeline = await start({
      name: 'sup',
      telemetry: crashing,
      processors: {
        maxDemand: 10,
        handleMessage: () => new Promise((r) => setTimeout(r, 30)),
      },
      batchers: { default: { batchSize: 5, batchTimeoutMs: 5 } },
      sinks: { default: async () => {} },
      deadLetter: { topic: 'sup-dlq', send: async (records) => void deadLettered.push(...records) },
      drainTimeoutMs: 3000,
    });
    const sent = sendTestMessages(pipeline, range(0, 5));
    await eventually('the batch in the processor', () =>
      pipeline.stats().some((s) => s.name === 'sup.processor.0' && s.eventsIn === 5),
    );
    // The source finishes while the processor is still in its call, which then crashes.
    crash = true;
    const report = await pipeline.stop();
    expect(report.drained).toBe(true);
    expect(await pipeline.done()).toBe('normal');
    const { failed } = await sent;
    expect(failed.map((m) => m.data)).toEqual(range(0, 5));
    expect(deadLettered).toHaveLength(5);
  });

  it('refuses supervision options out of range, naming the key', () => {
    expect(() =>
      createPipeline(
        {
          name: 'sup',
          source: (o: { name: string }) => new TestSource(o),
          supervision: { maxRestarts: -1, withinMs: 5000 },
        } as PipelineOptions,
        { logger },
      ),
    ).toThrow(/supervision\.maxRestarts.*-1/);
    expect(() =>
      createPipeline(
        {
          name: 'sup',
          source: (o: { name: string }) => new TestSource(o),
          supervision: { maxRestart: 3 },
        } as unknown as PipelineOptions,
        { logger },
      ),
    ).toThrow(/maxRestart\b/);
  });
});

describe('run-time settings', () => {
  it('changes the processors’ concurrency up and down with no message lost or duplicated', async () => {
    const delivered: unknown[] = [];
    const handled = new Set<string>();
    const { crashing } = crashingTelemetry('none', () => false);
    const seen: Telemetry = {
      ...crashing,
      recordBatch(stage, record) {
        handled.add(stage);
        crashing.recordBatch(stage, record);
      },
    };
    const pipeline = await start({
      name: 'sup',
      telemetry: seen,
      processors: {
        concurrency: 1,
        maxDemand: 8,
        // Asynchronous now and then, so processors hold messages while the pool changes.
        handleMessage: async (m) => {
          if ((m.data as number) % 5 === 0) await new Promise((r) => setTimeout(r, 1));
        },
      },
      batchers: { default: { batchSize: 10, batchTimeoutMs: 5 } },
      sinks: { default: async (ms: Message[]) => void delivered.push(...ms.map((m) => m.data)) },
    });
    expect(pipeline.runtimeSettings()).toEqual({
      batchers: { default: { batchSize: 10, batchTimeoutMs: 5 } },
      processors: { concurrency: 1 },
    });
    const a = sendTestMessages(pipeline, range(0, 600));
    await pipeline.setProcessorConcurrency(4);
    expect(pipeline.runtimeSettings().processors).toEqual({ concurrency: 4 });
    const names = () => pipeline.stats().map((s) => s.name);
    expect(names().filter((n) => n.includes('.processor.'))).toEqual([
      'sup.processor.0',
      'sup.processor.1',
      'sup.processor.2',
      'sup.processor.3',
    ]);
    const b = sendTestMessages(pipeline, range(1000, 600));
    await eventually('the new processors to handle messages', () => handled.has('sup.processor.3'));
    await pipeline.setProcessorConcurrency(2);
    expect(names().filter((n) => n.includes('.processor.'))).toEqual([
      'sup.processor.0',
      'sup.processor.1',
    ]);
    const c = sendTestMessages(pipeline, range(2000, 600));
    const results = await Promise.all([a, b, c]);
    for (const r of results) expect(r.failed).toEqual([]);
    expect(sorted(delivered)).toEqual([...range(0, 600), ...range(1000, 600), ...range(2000, 600)]);
    // The batcher kept exactly the processors that run.
    const batcher = pipeline.stats().find((s) => s.name === 'sup.batcher.default')!;
    expect(batcher.producers.map((p) => p.producer).sort()).toEqual([
      'sup.processor.0',
      'sup.processor.1',
    ]);
  });

  it('a processor added at run time is supervised like the others; retired, it is gone for good', async () => {
    let crashes = 1;
    const { telemetry, crashing } = crashingTelemetry('sup.processor.2', () => crashes-- > 0);
    const delivered: unknown[] = [];
    const pipeline = await start({
      name: 'sup',
      telemetry: crashing,
      processors: { concurrency: 1, maxDemand: 5 },
      batchers: { default: { batchSize: 10, batchTimeoutMs: 5 } },
      sinks: { default: async (ms: Message[]) => void delivered.push(...ms.map((m) => m.data)) },
      deadLetter: { topic: 'sup-dlq', send: async () => {} },
    });
    await pipeline.setProcessorConcurrency(3);
    const first = await sendTestMessages(pipeline, range(0, 300));
    expect(crashes).toBeLessThan(1);
    expect(first.failed.length).toBeGreaterThan(0);
    expect(first.failed.every((m) => m.status.kind === 'dead-lettered')).toBe(true);
    expect(sorted([...delivered, ...first.failed.map((m) => m.data)])).toEqual(range(0, 300));
    const restarts = () =>
      Object.fromEntries(
        telemetry
          .topology()
          .stages.filter((s) => s.restarts !== undefined)
          .map((s) => [s.stage, s.restarts]),
      );
    expect(restarts()).toEqual({
      'sup.processor.0': 0,
      'sup.processor.1': 0,
      'sup.processor.2': 1,
      'sup.batcher.default': 0,
    });
    // Down to one: the restarted processor leaves like any other; up again, a new one.
    await pipeline.setProcessorConcurrency(1);
    await pipeline.setProcessorConcurrency(3);
    expect(restarts()).toEqual({
      'sup.processor.0': 0,
      'sup.processor.1': 0,
      'sup.processor.2': 0,
      'sup.batcher.default': 0,
    });
    delivered.length = 0;
    const second = await sendTestMessages(pipeline, range(1000, 300));
    expect(second.failed).toEqual([]);
    expect(sorted(delivered)).toEqual(range(1000, 300));
  });

  it('applies a new batch size and timeout from the next batch on', async () => {
    const batches: number[][] = [];
    const pipeline = await start({
      name: 'sup',
      batchers: { default: { batchSize: 10, batchTimeoutMs: 60_000 } },
      sinks: {
        default: async (ms: Message[]) => void batches.push(ms.map((m) => m.data as number)),
      },
    });
    await sendTestMessages(pipeline, range(0, 30));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 10]);
    // An open batch already past the new size closes at once.
    batches.length = 0;
    const open = sendTestMessages(pipeline, range(100, 7));
    await eventually('7 messages in the open batch', () =>
      pipeline.stats().some((s) => s.name === 'sup.batcher.default' && s.eventsIn === 37),
    );
    expect(batches).toEqual([]);
    pipeline.setBatcher('default', { batchSize: 4 });
    await open;
    expect(batches).toEqual([range(100, 7)]);
    batches.length = 0;
    await sendTestMessages(pipeline, range(200, 12));
    expect(batches.map((b) => b.length)).toEqual([4, 4, 4]);
    // A shorter timeout: a lone message no longer waits a minute.
    pipeline.setBatcher('default', { batchTimeoutMs: 20 });
    expect(pipeline.runtimeSettings().batchers).toEqual({
      default: { batchSize: 4, batchTimeoutMs: 20 },
    });
    batches.length = 0;
    await sendTestMessages(pipeline, [300]);
    expect(batches).toEqual([[300]]);
  });

  it('refuses what it cannot do with a message naming the key, the value and what is allowed', async () => {
    const pipeline = await start({
      name: 'sup',
      processors: { concurrency: 2, partitionBy: (m) => m.offset % 3 },
      batchers: { default: {} },
      sinks: { default: async () => {} },
    });
    expect(() => pipeline.setBatcher('other', { batchSize: 5 })).toThrow(
      "Pipeline 'sup': option 'batcher' is \"other\"; allowed: one of its batchers: 'default'",
    );
    expect(() => pipeline.setBatcher('default', { batchSize: 0 })).toThrow(
      "Pipeline 'sup': option 'batchers.default.batchSize' is 0; allowed: an integer from 1 to 1000000",
    );
    expect(() => pipeline.setBatcher('default', { batchTimeoutMs: 1.5 })).toThrow(
      "Pipeline 'sup': option 'batchers.default.batchTimeoutMs' is 1.5; allowed: an integer from 1 to 3600000",
    );
    expect(() => pipeline.setProcessorConcurrency(0)).toThrow(
      "Pipeline 'sup': option 'processors.concurrency' is 0; allowed: an integer from 1 to 1024",
    );
    expect(pipeline.runtimeSettings().processors).toBeNull();
    expect(() => pipeline.setProcessorConcurrency(3)).toThrow(
      "Pipeline 'sup': processors.partitionBy gives each processor a fixed share of the keys (so that one key stays in order): their number cannot change at run time",
    );
  });
});
