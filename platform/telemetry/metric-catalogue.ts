import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { BatchHistogram } from './batch-histogram';
import { ReasonLabel } from './reason-label';
import { RemoteWriteMetrics } from './remote-write-metrics';
import type { PartitionSnapshot, StageSnapshot } from './telemetry';
import type { TopologyHop } from './topology-snapshot';

/** A registered snapshot provider, read at scrape time. */
export interface ObservedProvider {
  readonly pipeline: string;
  readonly partitions?: () => readonly PartitionSnapshot[];
  readonly stages?: () => readonly StageSnapshot[];
  readonly hops?: () => readonly TopologyHop[];
}

const SECONDS_FAST = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const SECONDS_END_TO_END = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const BATCH_EVENTS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/**
 * Every `kafka_stages_*` series of the platform (the binding catalogue, /tmp/metrics.md and
 * design.md), created once per registry and shared by every pipeline that reports into it:
 * prom-client refuses a second metric of the same name, and one metric with a `pipeline`
 * label is what Prometheus wants anyway.
 *
 * Counters and histograms are updated per batch by {@link createTelemetry}; the gauges that
 * describe state (demand, buffers, lag, paused, commit age) are computed in `collect()` at
 * scrape time from the registered providers, so nothing is pushed per event.
 */
export class MetricCatalogue {
  readonly providers = new Set<ObservedProvider>();
  /** Shared by every pipeline of the registry, so the bound holds per registry. */
  readonly reasons = new ReasonLabel();
  defaultMetricsCollected = false;

  readonly stageEventsIn: Counter<'pipeline' | 'stage'>;
  readonly stageEventsOut: Counter<'pipeline' | 'stage'>;
  readonly stageHandlerDuration: Histogram<'pipeline' | 'stage'>;
  readonly stageBatchEvents: Histogram<'pipeline' | 'stage'>;
  readonly stagePendingDemand: Gauge<'pipeline' | 'stage'>;
  readonly stageBufferedEvents: Gauge<'pipeline' | 'stage'>;
  readonly stageFailures: Counter<'pipeline' | 'stage' | 'reason'>;
  readonly stageRestarts: Counter<'pipeline' | 'stage'>;
  readonly sourceLag: Gauge<'pipeline' | 'topic' | 'partition'>;
  readonly sourcePaused: Gauge<'pipeline' | 'topic' | 'partition'>;
  readonly sourcePauses: Counter<'pipeline' | 'topic' | 'partition'>;
  readonly sourceCommitDuration: Histogram<'pipeline' | 'topic'>;
  readonly sourceLastCommitAge: Gauge<'pipeline' | 'topic' | 'partition'>;
  readonly sourceRebalances: Counter<'pipeline'>;
  readonly deadLettered: Counter<'pipeline' | 'topic' | 'reason'>;
  readonly endToEndLatency: BatchHistogram;
  readonly traceContextInvalid: Counter<'pipeline'>;
  readonly pipelineReady: Gauge<'pipeline'>;
  readonly sinkRecords: Counter<'pipeline' | 'topic'>;
  /** The `kafka_stages_remote_write_*` families, reported by the remote-write sink. */
  readonly remoteWrite: RemoteWriteMetrics;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    const providers = this.providers;
    /** A gauge per stage, read from the registered snapshots at scrape time. */
    const stageGauge = (name: string, help: string, value: (s: StageSnapshot) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['pipeline', 'stage'] as const,
        registers,
        collect() {
          this.reset();
          for (const p of providers) {
            for (const s of p.stages?.() ?? []) {
              this.set({ pipeline: p.pipeline, stage: s.stage }, value(s));
            }
          }
        },
      });
    /** A gauge per source partition at scrape time; `undefined` leaves the series out. */
    const partitionGauge = (
      name: string,
      help: string,
      value: (s: PartitionSnapshot, now: number) => number | undefined,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['pipeline', 'topic', 'partition'] as const,
        registers,
        collect() {
          this.reset();
          const now = Date.now();
          for (const p of providers) {
            for (const s of p.partitions?.() ?? []) {
              const v = value(s, now);
              if (v !== undefined) this.set(partitionLabels(p.pipeline, s), v);
            }
          }
        },
      });
    this.stageEventsIn = new Counter({
      name: 'kafka_stages_stage_events_in_total',
      help: 'Events a stage received (handled by its handler).',
      labelNames: ['pipeline', 'stage'],
      registers,
    });
    this.stageEventsOut = new Counter({
      name: 'kafka_stages_stage_events_out_total',
      help: 'Events a stage emitted downstream (or delivered, for a sink).',
      labelNames: ['pipeline', 'stage'],
      registers,
    });
    this.stageHandlerDuration = new Histogram({
      name: 'kafka_stages_stage_handler_duration_seconds',
      help: 'Time of one handler call (one batch) of a stage.',
      labelNames: ['pipeline', 'stage'],
      buckets: SECONDS_FAST,
      registers,
    });
    this.stageBatchEvents = new Histogram({
      name: 'kafka_stages_stage_batch_events',
      help: 'Events per handler call (batch size) of a stage.',
      labelNames: ['pipeline', 'stage'],
      buckets: BATCH_EVENTS,
      registers,
    });
    this.stagePendingDemand = stageGauge(
      'kafka_stages_stage_pending_demand',
      'Demand a stage has asked for and not yet received.',
      (stage) => stage.pendingDemand,
    );
    this.stageBufferedEvents = stageGauge(
      'kafka_stages_stage_buffered_events',
      'Events buffered in a stage, waiting for demand.',
      (stage) => stage.bufferedEvents,
    );
    this.stageFailures = new Counter({
      name: 'kafka_stages_stage_failures_total',
      help: 'Messages a stage marked failed, by bounded reason.',
      labelNames: ['pipeline', 'stage', 'reason'],
      registers,
    });
    this.stageRestarts = new Counter({
      name: 'kafka_stages_stage_restarts_total',
      help: 'Restarts of a supervised stage (processor, batcher) after it crashed.',
      labelNames: ['pipeline', 'stage'],
      registers,
      // Read from the supervisors' counts at scrape time; every supervised stage has a
      // series from its start (0 until its first crash).
      collect() {
        this.reset();
        for (const p of providers) {
          for (const s of p.stages?.() ?? []) {
            if (s.restarts !== undefined) {
              this.inc({ pipeline: p.pipeline, stage: s.stage }, s.restarts);
            }
          }
        }
      },
    });
    this.sourceLag = partitionGauge(
      'kafka_stages_source_lag_records',
      'Records between the committed offset and the high watermark of a source partition.',
      // Unknown until both offsets are known: no series rather than a made-up value.
      (p) =>
        p.highWatermark < 0 || p.committed < 0
          ? undefined
          : Math.max(0, p.highWatermark - p.committed),
    );
    this.sourcePaused = partitionGauge(
      'kafka_stages_source_partition_paused',
      '1 while a source partition is paused for back-pressure, else 0.',
      (p) => (p.paused ? 1 : 0),
    );
    this.sourcePauses = new Counter({
      name: 'kafka_stages_source_pauses_total',
      help: 'Times a source partition was paused for back-pressure.',
      labelNames: ['pipeline', 'topic', 'partition'],
      registers,
      // Every assigned partition shows a series from the start (0 until its first pause),
      // so rate() and alerts see it before anything happened.
      collect() {
        for (const p of providers) {
          for (const s of p.partitions?.() ?? []) {
            this.inc(partitionLabels(p.pipeline, s), 0);
          }
        }
      },
    });
    this.sourceCommitDuration = new Histogram({
      name: 'kafka_stages_source_commit_duration_seconds',
      help: 'Time of one offset commit of a source topic.',
      labelNames: ['pipeline', 'topic'],
      buckets: SECONDS_FAST,
      registers,
    });
    this.sourceLastCommitAge = partitionGauge(
      'kafka_stages_source_last_commit_age_seconds',
      'Seconds since the last successful commit of a source partition.',
      // Never committed: no age to report.
      (p, now) => (p.lastCommitAt <= 0 ? undefined : Math.max(0, now - p.lastCommitAt) / 1000),
    );
    this.sourceRebalances = new Counter({
      name: 'kafka_stages_source_rebalances_total',
      help: 'Consumer group rebalances seen by the source.',
      labelNames: ['pipeline'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'kafka_stages_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic, by bounded reason.',
      labelNames: ['pipeline', 'topic', 'reason'],
      registers,
    });
    // Observed once per delivered record: a histogram made for that (see batch-histogram.ts).
    this.endToEndLatency = new BatchHistogram(
      'kafka_stages_end_to_end_latency_seconds',
      "From a record's timestamp to the sink's acknowledgement by the broker.",
      ['pipeline'],
      SECONDS_END_TO_END,
      registry,
    );
    this.traceContextInvalid = new Counter({
      name: 'kafka_stages_trace_context_invalid_total',
      help: 'Records whose traceparent header was malformed (a new trace was started).',
      labelNames: ['pipeline'],
      registers,
    });
    this.pipelineReady = new Gauge({
      name: 'kafka_stages_pipeline_ready',
      help: '1 when the pipeline joined its group and has partitions assigned, else 0.',
      labelNames: ['pipeline'],
      registers,
    });
    this.sinkRecords = new Counter({
      name: 'kafka_stages_sink_records_total',
      help: 'Records the sink produced and the broker confirmed.',
      labelNames: ['pipeline', 'topic'],
      registers,
    });
    this.remoteWrite = new RemoteWriteMetrics(registry);
  }
}

function partitionLabels(pipeline: string, s: PartitionSnapshot) {
  return { pipeline, topic: s.topic, partition: String(s.partition) };
}

const catalogues = new WeakMap<Registry, MetricCatalogue>();

/**
 * The catalogue of `registry`, created on first use. Throws (prom-client's error) when the
 * registry already holds a metric of one of these names that this module did not create.
 */
export function catalogueFor(registry: Registry): MetricCatalogue {
  let catalogue = catalogues.get(registry);
  if (!catalogue) {
    catalogue = new MetricCatalogue(registry);
    catalogues.set(registry, catalogue);
  }
  return catalogue;
}
