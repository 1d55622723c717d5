import type { ClientOptionsInput } from '../../../kafka/client/client-options';
import { clientOptionsSchema } from '../../../kafka/client/client-options';
import { createKafka } from '../../../kafka/client/create-kafka';
import { ensureTopics } from '../../../kafka/ensure-topics';
import { createPipeline } from '../../../kafka/index';
import { KafkaSource } from '../../../kafka/source/kafka-source';
import type { Logger } from '../../../log/logger';
import type { Pipeline } from '../../../pipeline/index';
import { RemoteWriteSink } from '../../../sinks/remote-write/index';
import type { PipelineTelemetry } from '../../../telemetry/create-telemetry';
import type { TransformConfig } from '../config/config-schema';
import { outputToSamples } from '../encode/output-samples';
import { newCounts, transformPipelineOptions } from '../pipeline/transform-pipeline';
import type { WindowHandler } from '../pipeline/window-handler';
import type { TransformCounts } from '../transformer';
import { TransformMetrics } from './transform-metrics';

export interface MetricsTransformAppOptions {
  config: TransformConfig;
  /** Connection settings (brokers, SASL, TLS). */
  client: ClientOptionsInput;
  telemetry: PipelineTelemetry;
  log: Logger;
  /** Create missing topics (input, output, dead letter) with this many partitions. Default: don't. */
  createTopics?: { partitions: number };
  /** Where partitions start the first time. Default `committed`. */
  startFrom?: 'committed' | 'earliest' | 'latest';
  /** Messages the window stage asks for at a time. Default 2 000. */
  maxDemand?: number;
  /** Partitions of the repartition topic. Default 6. */
  repartitionPartitions?: number;
  /** Bench only: see `TransformPipelineSettings.rawRecordsAfterHop`. */
  rawRecordsAfterHop?: boolean;
  /**
   * Benches and tests: called with the built pipeline before it starts (make bench-transform
   * holds the source that reads its data with an operator pause until every part has joined).
   */
  beforeStart?: (pipeline: Pipeline) => void;
  /** How long a stop waits for work in flight (`DRAIN_TIMEOUT_MS`). Default: the pipeline's. */
  drainTimeoutMs?: number;
}

/** A snapshot for the progress line and tests. */
export interface AppProgress {
  samplesIn: number;
  recordsOut: number;
  /** Records and lines written to the dead-letter topic (refused and late). */
  deadLettered: number;
  late: number;
  openWindows: number;
  pendingRecords: number;
  /** Sum over assigned partitions (input and repartition topic) of high watermark − committed offset. */
  lag: number;
  pausedPartitions: number;
  /** Now − event-time watermark of the windows, seconds (NaN before data). */
  watermarkDelaySeconds: number;
}

export interface MetricsTransformApp {
  /** The pipeline: input part, repartition hop, window part. */
  readonly pipeline: Pipeline;
  /** The source of the input topics (the first part's). */
  readonly source: KafkaSource;
  /** Cumulative counts of the transformation. */
  readonly counts: TransformCounts;
  progress(): AppProgress;
  /** Liveness for `/healthz`: every stage still running (not stopped by a failure). */
  health(): { ok: boolean; reason?: string };
  /** Graceful stop: stop fetching, drain, commit what finished, leave the group. */
  stop(): Promise<void>;
  /** Settles when the pipeline stopped (by `stop` or by a failure, which it rejects with). */
  readonly done: Promise<void>;
}

/**
 * Starts the metric transformer: the pipeline of `transformPipelineOptions` (input part →
 * repartition by group → window part → output), with its metrics. Readiness, dead letters,
 * acknowledgement, traces and stage metrics are the pipeline's.
 *
 * Window state lives in memory: a restart re-reads everything not committed, so windows
 * open at the time of a crash are rebuilt from their samples and emitted once complete.
 */
export async function startMetricsTransform(
  options: MetricsTransformAppOptions,
): Promise<MetricsTransformApp> {
  const { config, telemetry, log } = options;
  const client = clientOptionsSchema.parse({
    clientId: `kafka-stages-${config.pipeline}`,
    ...options.client,
  });
  const kafka = createKafka(client, log);
  const inputTopics = config.input.topics.map((t) => t.name);
  if (options.createTopics) {
    const created = await ensureTopics(
      kafka,
      [...inputTopics, config.output.topic, config.dead_letter.topic]
        .filter((topic): topic is string => topic !== undefined)
        .map((topic) => ({
          topic,
          partitions: options.createTopics!.partitions,
        })),
    );
    if (created.length > 0) log.info({ topics: created }, 'created topics');
  }

  const counts = newCounts();
  let handler: WindowHandler | undefined;
  const remoteWrite = remoteWriteSink(config, telemetry);
  const pipelineOptions = transformPipelineOptions(config, {
    ...(remoteWrite ? { outputSink: remoteWrite } : {}),
    client,
    telemetry,
    counts,
    startFrom: options.startFrom ?? 'committed',
    ...(options.repartitionPartitions ? { partitions: options.repartitionPartitions } : {}),
    ...(options.rawRecordsAfterHop ? { rawRecordsAfterHop: true } : {}),
    onHandler: (h) => {
      handler = h;
    },
  });
  if (options.drainTimeoutMs) pipelineOptions.drainTimeoutMs = options.drainTimeoutMs;
  if (options.maxDemand && pipelineOptions.next?.stateful) {
    pipelineOptions.next.stateful.maxDemand = options.maxDemand;
  }
  const pipeline = createPipeline(pipelineOptions, { logger: log });
  const metrics = new TransformMetrics(telemetry.registry, config.pipeline, {
    openWindows: () => handler?.openWindows ?? 0,
    watermarkDelaySeconds: () => watermarkDelay(handler),
  });
  const sync = setInterval(() => metrics.sync(counts), 1_000);
  sync.unref();
  try {
    options.beforeStart?.(pipeline);
    await pipeline.start();
  } catch (error) {
    remoteWrite?.close();
    throw error;
  }

  const sources: KafkaSource[] = [];
  for (const part of pipeline.parts) {
    const source: unknown = part.source;
    if (source instanceof KafkaSource) sources.push(source);
  }
  let stopping: Promise<void> | undefined;
  const done = pipeline.done().then((reason) => {
    if (reason instanceof Error) throw reason;
  });
  done.catch(() => undefined);

  return {
    pipeline,
    source: sources[0]!,
    counts,
    done,
    progress() {
      const parts = sources.flatMap((s) => s.snapshot());
      return {
        samplesIn: counts.samplesIn,
        recordsOut: counts.samplesOut,
        deadLettered:
          counts.dropped.invalid + (config.dead_letter.late_samples ? counts.lateSamples : 0),
        late: counts.lateSamples,
        openWindows: handler?.openWindows ?? 0,
        pendingRecords: handler?.heldMessages ?? 0,
        lag: parts.reduce(
          (n, p) =>
            n +
            (p.highWatermark >= 0 && p.committed >= 0
              ? Math.max(0, p.highWatermark - p.committed)
              : 0),
          0,
        ),
        pausedPartitions: parts.filter((p) => p.paused).length,
        watermarkDelaySeconds: watermarkDelay(handler),
      };
    },
    health() {
      if (stopping) return { ok: true };
      for (const { name, status } of pipeline.stats()) {
        if (status === 'stopped') return { ok: false, reason: `stage '${name}' stopped` };
      }
      return { ok: true };
    },
    stop() {
      stopping ??= (async () => {
        await pipeline.stop();
        // After the drain: a send still waiting for the receiver gives up, unacknowledged.
        remoteWrite?.close();
        clearInterval(sync);
        metrics.sync(counts);
      })();
      return stopping;
    },
  };
}

/** The remote-write sink of `output.sink: prometheus_remote_write`, else undefined. */
function remoteWriteSink(
  config: TransformConfig,
  telemetry: PipelineTelemetry,
): RemoteWriteSink | undefined {
  const rw = config.output.remote_write;
  if (config.output.sink !== 'prometheus_remote_write' || !rw) return undefined;
  return new RemoteWriteSink({
    url: rw.url,
    timeoutMs: rw.timeout,
    maxSamplesPerRequest: rw.max_samples_per_request,
    headers: rw.headers,
    samplesOf: (m) => outputToSamples(m.data),
    telemetry,
  });
}

function watermarkDelay(handler: WindowHandler | undefined): number {
  const mark = handler?.watermark ?? Number.NEGATIVE_INFINITY;
  return Number.isFinite(mark) ? (Date.now() - mark) / 1000 : Number.NaN;
}
