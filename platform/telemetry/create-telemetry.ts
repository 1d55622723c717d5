import { type Context, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { z } from 'zod';
import type { Message, MessageHeaders } from '../message/message';
import { MessageTracing } from './message-tracing';
import { catalogueFor, type ObservedProvider } from './metric-catalogue';
import type { BatchRecord, PartitionSnapshot, StageSnapshot, Telemetry } from './telemetry';
import { optionsError } from './telemetry-errors';
import type { TopologyHop, TopologySnapshot, TopologyStage } from './topology-snapshot';

const TRACER_NAME = 'kafka-stages';
const LINT_FAILING_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const isTracer = (v: unknown): v is Tracer =>
  typeof v === 'object' && v !== null && typeof (v as Tracer).startSpan === 'function';
const isTracerProvider = (v: unknown): v is TracerProvider =>
  typeof v === 'object' && v !== null && typeof (v as TracerProvider).getTracer === 'function';

/** The options of {@link createTelemetry}, validated once. */
export const telemetryOptionsSchema = z
  .object({
    /** Value of the `pipeline` label and span attribute. Bounded: it is a label. */
    pipeline: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -'),
    /** Where the metrics go. Default: a new registry (see `telemetry.registry`). */
    registry: z
      .custom<Registry>((v) => v instanceof Registry, { error: 'must be a prom-client Registry' })
      .optional(),
    /** prom-client's process and Node.js metrics on the same registry (once per registry). */
    defaultMetrics: z.boolean().default(true),
    /** `false` turns spans and header parsing off entirely (metrics stay). */
    tracing: z.boolean().default(true),
    /** The tracer to use; else `tracerProvider.getTracer`, else the global API's tracer. */
    tracer: z.custom<Tracer>(isTracer, { error: 'must be an OpenTelemetry Tracer' }).optional(),
    tracerProvider: z
      .custom<TracerProvider>(isTracerProvider, {
        error: 'must be an OpenTelemetry TracerProvider',
      })
      .optional(),
    /** `messaging.consumer.group.name` on spans. */
    consumerGroup: z.string().min(1).optional(),
    /** Cap on per-message spans per batch (only sampled messages get one). 0 turns them off. */
    maxMessageSpansPerBatch: z.number().int().min(0).default(256),
  })
  .strict();

export type TelemetryOptions = z.input<typeof telemetryOptionsSchema>;

/** The Prometheus/OpenTelemetry {@link Telemetry}, plus what the HTTP server reads. */
export interface PipelineTelemetry extends Telemetry {
  readonly pipeline: string;
  /** The registry the metrics are on (serve it at `/metrics`). */
  readonly registry: Registry;
  /** Last value given to `setReady`. */
  readonly ready: boolean;
  /** Stages, subscriptions and partitions from the registered providers, for `/topology`. */
  topology(): TopologySnapshot;
}

interface StageTotals {
  eventsIn: number;
  eventsOut: number;
  failures: number;
}

interface StageSeries {
  readonly eventsIn: { inc(n: number): void };
  readonly eventsOut: { inc(n: number): void };
  readonly duration: { observe(v: number): void };
  readonly batch: { observe(v: number): void };
  readonly totals: StageTotals;
}

/**
 * Creates the telemetry of one pipeline: prom-client metrics on an injectable registry (the
 * catalogue in `metric-catalogue.ts`) and OpenTelemetry spans through `@opentelemetry/api`.
 *
 * Counters and histograms move per batch; per-series label lookups are cached, so a
 * `recordBatch` is a few additions. Gauges are computed at scrape time from the providers
 * given to `observe`. Label values are bounded: `stage` and `topic` come from the pipeline's
 * configuration, `partition` from the assignment, `reason` is sanitised and capped (see
 * `reason-label.ts`); keys, offsets and ids never become labels.
 *
 * @example
 * const telemetry = createTelemetry({ pipeline: 'metrics', consumerGroup: 'metrics' });
 * const server = await startHttpServer({ registry: telemetry.registry, ... });
 */
export function createTelemetry(options: TelemetryOptions): PipelineTelemetry {
  const parsed = telemetryOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw optionsError(
      'telemetry',
      'TELEMETRY_OPTIONS_INVALID',
      parsed.error,
      telemetryOptionsSchema,
      options,
    );
  }
  const o = parsed.data;
  const registry = o.registry ?? new Registry();
  const metrics = catalogueFor(registry);
  if (o.defaultMetrics && !metrics.defaultMetricsCollected) {
    collectDefaultMetrics({ register: registry });
    // Gauges named `_total` break `promtool check metrics`; each is the sum of the
    // per-type gauge of the same name without the suffix, which stays.
    for (const name of LINT_FAILING_DEFAULT_METRICS) registry.removeSingleMetric(name);
    metrics.defaultMetricsCollected = true;
  }
  const pipeline = o.pipeline;
  const labels = { pipeline };
  const stages = new Map<string, StageSeries>();
  const providers = new Set<ObservedProvider>();
  let ready = false;
  metrics.pipelineReady.set(labels, 0);
  // Counters that may stay at zero for a long time still get their series from the start.
  metrics.sourceRebalances.inc(labels, 0);
  const invalidContexts = metrics.traceContextInvalid.labels(labels);
  // Exported from the start (a counter child appears only once incremented): the dashboard
  // panel of invalid trace contexts otherwise has no data on a healthy pipeline.
  invalidContexts.inc(0);
  const endToEnd = metrics.endToEndLatency.labels(labels);

  const tracing = o.tracing
    ? new MessageTracing(o.tracer ?? (o.tracerProvider ?? trace).getTracer(TRACER_NAME), {
        pipeline,
        consumerGroup: o.consumerGroup,
        maxMessageSpansPerBatch: o.maxMessageSpansPerBatch,
        onInvalidContext: () => invalidContexts.inc(),
      })
    : undefined;

  function series(stage: string): StageSeries {
    let s = stages.get(stage);
    if (!s) {
      const l = { pipeline, stage };
      s = {
        eventsIn: metrics.stageEventsIn.labels(l),
        eventsOut: metrics.stageEventsOut.labels(l),
        duration: metrics.stageHandlerDuration.labels(l),
        batch: metrics.stageBatchEvents.labels(l),
        totals: { eventsIn: 0, eventsOut: 0, failures: 0 },
      };
      stages.set(stage, s);
    }
    return s;
  }

  function stageSnapshots(): StageSnapshot[] {
    const out: StageSnapshot[] = [];
    for (const p of providers) out.push(...(p.stages?.() ?? []));
    return out;
  }

  function partitionSnapshots(): PartitionSnapshot[] {
    const out: PartitionSnapshot[] = [];
    for (const p of providers) out.push(...(p.partitions?.() ?? []));
    return out;
  }

  return {
    pipeline,
    registry,
    get ready() {
      return ready;
    },

    recordBatch(stage: string, record: BatchRecord): void {
      const s = series(stage);
      if (record.eventsIn > 0) s.eventsIn.inc(record.eventsIn);
      if (record.eventsOut > 0) s.eventsOut.inc(record.eventsOut);
      s.duration.observe(Math.max(0, record.seconds));
      s.batch.observe(record.eventsIn);
      s.totals.eventsIn += record.eventsIn;
      s.totals.eventsOut += record.eventsOut;
      if (record.failures) {
        for (const [reason, count] of Object.entries(record.failures)) {
          if (!(count > 0)) continue;
          s.totals.failures += count;
          metrics.stageFailures.inc({ pipeline, stage, reason: metrics.reasons.of(reason) }, count);
        }
      }
    },

    recordPause(topic: string, partition: number): void {
      metrics.sourcePauses.inc({ pipeline, topic, partition: String(partition) });
    },

    recordCommit(topic: string, seconds: number): void {
      metrics.sourceCommitDuration.observe({ pipeline, topic }, Math.max(0, seconds));
    },

    recordRebalance(): void {
      metrics.sourceRebalances.inc(labels);
    },

    recordDeadLettered(topic: string, reason: string, count: number): void {
      if (!(count > 0)) return;
      metrics.deadLettered.inc({ pipeline, topic, reason: metrics.reasons.of(reason) }, count);
    },

    recordDelivered(topic: string, messages: readonly Message[], now: number): void {
      if (messages.length === 0) return;
      metrics.sinkRecords.inc({ pipeline, topic }, messages.length);
      for (const message of messages) {
        if (message.timestamp > 0) endToEnd.observe(Math.max(0, now - message.timestamp) / 1000);
      }
    },

    setReady(next: boolean): void {
      ready = next;
      metrics.pipelineReady.set(labels, next ? 1 : 0);
    },

    observe(provider): () => void {
      const entry: ObservedProvider = { pipeline, ...provider };
      providers.add(entry);
      metrics.providers.add(entry);
      return () => {
        providers.delete(entry);
        metrics.providers.delete(entry);
      };
    },

    extractContext(headers: MessageHeaders): Context | undefined {
      return tracing?.extractContext(headers);
    },

    injectContext(headers: Record<string, string | Buffer>, ctx?: Context): void {
      tracing?.injectContext(headers, ctx);
    },

    traceBatch<T>(stage: string, topic: string, messages: readonly Message[], fn: () => T): T {
      return tracing ? tracing.traceBatch(stage, topic, messages, fn) : fn();
    },

    traceSend<T>(topic: string, count: number, fn: (ctx: Context | undefined) => T): T {
      return tracing ? tracing.traceSend(topic, count, fn) : fn(undefined);
    },

    traceCommit<T>(topic: string, fn: () => T): T {
      return tracing ? tracing.traceCommit(topic, fn) : fn();
    },

    topology(): TopologySnapshot {
      const now = Date.now();
      const reported = stageSnapshots();
      // The stages the providers report are the running ones (a processor retired at run
      // time is gone); recorded totals alone name stages only when nothing reports any.
      const names = new Set(
        reported.length > 0 ? reported.map((s) => s.stage) : [...stages.keys()],
      );
      const byName = new Map(reported.map((s) => [s.stage, s]));
      const stageRows: TopologyStage[] = [...names].map((name) => {
        const snap = byName.get(name);
        const totals = stages.get(name)?.totals;
        return {
          stage: name,
          ...(snap?.kind ? { kind: snap.kind } : {}),
          pendingDemand: snap?.pendingDemand ?? 0,
          bufferedEvents: snap?.bufferedEvents ?? 0,
          eventsIn: snap?.eventsIn ?? totals?.eventsIn ?? 0,
          eventsOut: snap?.eventsOut ?? totals?.eventsOut ?? 0,
          failures: totals?.failures ?? 0,
          ...(snap?.role !== undefined ? { role: snap.role } : {}),
          ...(snap?.part !== undefined ? { part: snap.part } : {}),
          ...(snap?.restarts !== undefined ? { restarts: snap.restarts } : {}),
        };
      });
      const subscriptions = reported.flatMap((s) =>
        (s.subscribedTo ?? []).map((from) => ({ from, to: s.stage })),
      );
      const partitions = partitionSnapshots().map((p) => ({
        topic: p.topic,
        partition: p.partition,
        paused: p.paused,
        ...(p.operatorPaused !== undefined ? { operatorPaused: p.operatorPaused } : {}),
        ...(p.owner !== undefined ? { owner: p.owner } : {}),
        lag:
          p.highWatermark >= 0 && p.committed >= 0
            ? Math.max(0, p.highWatermark - p.committed)
            : null,
        highWatermark: p.highWatermark,
        committed: p.committed,
        bufferedEvents: p.bufferedEvents,
        bufferedBytes: p.bufferedBytes,
        lastCommitAgeSeconds: p.lastCommitAt > 0 ? Math.max(0, now - p.lastCommitAt) / 1000 : null,
      }));
      const hops: TopologyHop[] = [];
      for (const p of providers) hops.push(...(p.hops?.() ?? []));
      return {
        pipeline,
        ready,
        at: now,
        stages: stageRows,
        subscriptions,
        partitions,
        ...(hops.length > 0 ? { hops } : {}),
      };
    },
  };
}
