import { performance } from 'node:perf_hooks';
import { Consumer, type ConsumerOptions, type StopReason } from '../../stages/index';
import type { Batch } from './batch-accumulator';
import { type DeliverSettings, deliverBatch } from './deliver-batch';

/**
 * The end of a batcher: delivers each batch to the sink, one batch at a time (so batches of
 * one key stay in order), then acknowledges or dead-letters its messages.
 *
 * It subscribes to its batcher with cancel `'temporary'` and stops itself when the batcher
 * finishes or shuts down; a batcher that crashed is replaced by its supervisor, and the
 * new one subscribes this stage again.
 */
export class SinkStage extends Consumer<Batch> {
  constructor(
    options: ConsumerOptions<Batch>,
    private readonly settings: DeliverSettings,
  ) {
    super(options);
  }

  override handleCancel(reason: StopReason): undefined {
    if (!(reason instanceof Error)) void this.stop('normal');
    return undefined;
  }

  override async handleEvents(batches: Batch[]): Promise<void> {
    const { telemetry } = this.settings;
    for (const batch of batches) {
      const started = performance.now();
      await telemetry.traceBatch(this.name, batch.messages[0]!.topic, batch.messages, () =>
        deliverBatch(batch, this.settings),
      );
      let failed = 0;
      for (const m of batch.messages) if (m.status.kind !== 'ok') failed++;
      telemetry.recordBatch(this.name, {
        eventsIn: batch.messages.length,
        eventsOut: batch.messages.length - failed,
        seconds: (performance.now() - started) / 1000,
        failures: failed > 0 ? countReasons(batch) : undefined,
      });
    }
  }
}

function countReasons(batch: Batch): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of batch.messages) {
    if (m.status.kind === 'ok') continue;
    const reason = 'reason' in m.status ? m.status.reason : m.status.kind;
    counts[reason] = (counts[reason] ?? 0) + 1;
  }
  return counts;
}
