import { createLogger } from '../../../platform/log/logger';
import type { Message } from '../../../platform/message/message';
import {
  createPipeline,
  type Pipeline,
  type PipelineSource,
  type SourceDrainReport,
  type SourceListener,
  TestAcknowledger,
  testBatch,
} from '../../../platform/pipeline/index';
import { noopTelemetry } from '../../../platform/telemetry/telemetry';
import { fromIterable, type Producer } from '../../../stages/index';

const logger = createLogger({ level: 'silent' });
jest.setTimeout(30_000);

const running: Pipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

/**
 * A source of our own through the contract: ready only when told, able to fail, and a drain
 * that reports what it was asked. What the pipeline does with each is what a Kafka source
 * gets too.
 */
function ownSource(stage: Producer<Message>) {
  let listener: SourceListener = {};
  const drains: number[] = [];
  const source: PipelineSource & { drains: number[]; listener: () => SourceListener } = {
    stage,
    ready: false,
    watch(l) {
      listener = l;
      return () => {
        listener = {};
      };
    },
    started: () => Promise.resolve(),
    drain(timeoutMs): Promise<SourceDrainReport> {
      drains.push(timeoutMs);
      // As the contract says: stop taking input in and finish the stage.
      if (stage.status === 'running') stage.finish();
      return Promise.resolve({ drained: true, unacknowledged: 7 });
    },
    drains,
    listener: () => listener,
  };
  return source;
}

describe('a source of its own, through the source contract', () => {
  it('drives readiness and drains with its own report', async () => {
    const readiness: boolean[] = [];
    const acknowledger = new TestAcknowledger(3);
    const source = ownSource(
      fromIterable<Message>(testBatch(['a', 'b', 'c'], { acknowledger }), { name: 'own.source' }),
    );
    const pipeline = createPipeline(
      {
        name: 'own',
        source,
        drainTimeoutMs: 4_000,
        telemetry: { ...noopTelemetry, setReady: (ready) => readiness.push(ready) },
      },
      { logger },
    );
    running.push(pipeline);
    await pipeline.start();
    // Not ready until the source says so, then as it says.
    expect(readiness).toEqual([]);
    source.listener().ready?.();
    source.listener().notReady?.('rebalancing');
    source.listener().ready?.();
    expect(readiness).toEqual([true, false, true]);
    const { successful } = await acknowledger.settled;
    expect(successful.map((m) => m.data)).toEqual(['a', 'b', 'c']);
    const report = await pipeline.stop();
    // The report is the source's, and the drain got what was left of drainTimeoutMs.
    expect(report.unacknowledged).toBe(7);
    expect(report.drained).toBe(true);
    expect(source.drains).toHaveLength(1);
    expect(source.drains[0]).toBeGreaterThan(3_000);
    expect(source.drains[0]).toBeLessThanOrEqual(4_000);
    // The listener was removed on stop.
    expect(source.listener()).toEqual({});
  });

  it('stops the pipeline with the error a source fails with', async () => {
    // A source whose stage never ends on its own: only the failure stops the pipeline.
    const source = ownSource(
      fromIterable<Message>(
        (async function* () {
          await new Promise(() => {});
        })(),
        { name: 'own.source' },
      ),
    );
    const pipeline = createPipeline({ name: 'own-fails', source }, { logger });
    running.push(pipeline);
    await pipeline.start();
    const failure = new Error('source gave up');
    source.listener().failed?.(failure);
    await expect(pipeline.done()).resolves.toBe(failure);
  });
});
