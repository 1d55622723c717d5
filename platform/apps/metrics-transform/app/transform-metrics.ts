import { Counter, Gauge, type Registry } from 'prom-client';
import type { TransformCounts } from '../transformer';

/**
 * The `kafka_stages_transform_*` metrics of the catalogue, on the pipeline's registry.
 * Counters follow the transformer's cumulative counts (`sync` adds the difference since
 * the last call); gauges are read at scrape time.
 */
export class TransformMetrics {
  private readonly samplesIn: Counter;
  private readonly samplesOut: Counter;
  private readonly dropped: Counter<'pipeline' | 'reason'>;
  private readonly late: Counter;
  private readonly windows: Counter;
  private last: TransformCounts = {
    samplesIn: 0,
    samplesOut: 0,
    dropped: { filter: 0, relabel: 0, invalid: 0, late: 0 },
    lateSamples: 0,
    windowsEmitted: 0,
  };

  constructor(
    registry: Registry,
    private readonly pipeline: string,
    read: { openWindows: () => number; watermarkDelaySeconds: () => number },
  ) {
    const labelNames = ['pipeline'] as const;
    const registers = [registry];
    this.samplesIn = new Counter({
      name: 'kafka_stages_transform_samples_in_total',
      help: 'Samples parsed from input records.',
      labelNames,
      registers,
    });
    this.samplesOut = new Counter({
      name: 'kafka_stages_transform_samples_out_total',
      help: 'Records sent to the output topic (samples passed through, and window results).',
      labelNames,
      registers,
    });
    this.dropped = new Counter({
      name: 'kafka_stages_transform_samples_dropped_total',
      help: 'Samples not passed on, by reason: filter, relabel, invalid, late.',
      labelNames: ['pipeline', 'reason'],
      registers,
    });
    this.late = new Counter({
      name: 'kafka_stages_transform_late_samples_total',
      help: 'Samples that arrived after every window they belong to was emitted.',
      labelNames,
      registers,
    });
    this.windows = new Counter({
      name: 'kafka_stages_transform_windows_emitted_total',
      help: 'Windows emitted (each with one result per group).',
      labelNames,
      registers,
    });
    new Gauge({
      name: 'kafka_stages_transform_open_windows',
      help: 'Windows holding state.',
      labelNames,
      registers,
      collect() {
        this.set({ pipeline }, read.openWindows());
      },
    });
    new Gauge({
      name: 'kafka_stages_transform_watermark_delay_seconds',
      help: 'Now minus the event-time watermark.',
      labelNames,
      registers,
      collect() {
        const d = read.watermarkDelaySeconds();
        if (Number.isFinite(d)) this.set({ pipeline }, d);
      },
    });
    for (const reason of ['filter', 'relabel', 'invalid', 'late'])
      this.dropped.inc({ pipeline, reason }, 0);
  }

  /** Adds what `counts` gained since the last call. */
  sync(counts: TransformCounts): void {
    const p = { pipeline: this.pipeline };
    const l = this.last;
    this.samplesIn.inc(p, counts.samplesIn - l.samplesIn);
    this.samplesOut.inc(p, counts.samplesOut - l.samplesOut);
    this.late.inc(p, counts.lateSamples - l.lateSamples);
    this.windows.inc(p, counts.windowsEmitted - l.windowsEmitted);
    for (const reason of ['filter', 'relabel', 'invalid', 'late'] as const) {
      this.dropped.inc(
        { pipeline: this.pipeline, reason },
        counts.dropped[reason] - l.dropped[reason],
      );
    }
    this.last = structuredClone(counts);
  }
}
