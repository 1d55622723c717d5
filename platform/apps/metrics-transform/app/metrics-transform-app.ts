import type { ClientOptionsInput } from '../../../kafka/client/client-options';
import { clientOptionsSchema } from '../../../kafka/client/client-options';
import { createKafka } from '../../../kafka/client/create-kafka';
import { DeadLetterProducer } from '../../../kafka/dead-letter';
import { ensureTopics } from '../../../kafka/ensure-topics';
import { KafkaProducer } from '../../../kafka/sink/kafka-producer';
import { kafkaProducerOptionsSchema } from '../../../kafka/sink/options';
import { KafkaSource } from '../../../kafka/source/kafka-source';
import type { Logger } from '../../../log/logger';
import type { PipelineTelemetry } from '../../../telemetry/create-telemetry';
import type { TransformConfig } from '../config/config-schema';
import { MetricTransformer } from '../transformer';
import { TransformMetrics } from './transform-metrics';
import { TransformStage } from './transform-stage';

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
  /** Messages the transform stage asks for at a time. Default 2 000. */
  maxDemand?: number;
  /** Instrumentation: called after each batch was ingested (see TransformStage). */
  onBatch?: (messages: readonly import('../../../message/message').Message[], now: number) => void;
}

/** A snapshot for the progress line and tests. */
export interface AppProgress {
  samplesIn: number;
  recordsOut: number;
  deadLettered: number;
  late: number;
  openWindows: number;
  pendingRecords: number;
  /** Sum over assigned partitions of high watermark − committed offset. */
  lag: number;
  pausedPartitions: number;
  /** Now − event-time watermark, seconds (NaN before data). */
  watermarkDelaySeconds: number;
}

export interface MetricsTransformApp {
  readonly source: KafkaSource;
  readonly stage: TransformStage;
  readonly transformer: MetricTransformer<unknown>;
  progress(): AppProgress;
  /** Liveness for `/healthz`: both stages still running (not stopped by a failure). */
  health(): { ok: boolean; reason?: string };
  /** Graceful stop: stop fetching, commit what finished, leave the group, close producers. */
  stop(): Promise<void>;
  /** Settles when the stages stopped (by `stop` or by a failure, which it rejects with). */
  readonly done: Promise<void>;
}

/**
 * Starts the metric transformer as a running pipeline: KafkaSource (the input topics) →
 * TransformStage (parse, validate, filter, relabel, units, rates, windows) → the output
 * and dead-letter producers. Offsets move only past messages whose every window was
 * emitted and confirmed by the broker.
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
      [...inputTopics, config.output.topic, config.dead_letter.topic].map((topic) => ({
        topic,
        partitions: options.createTopics!.partitions,
      })),
    );
    if (created.length > 0) log.info({ topics: created }, 'created topics');
  }

  const transformer = new MetricTransformer<
    import('../../../message/message').Message<Buffer | string | null>
  >(config);
  const output = new KafkaProducer(
    kafkaProducerOptionsSchema.parse({ name: `${config.pipeline}-output`, kafka }),
    log.child({ component: 'output' }),
  );
  const deadLetter = new DeadLetterProducer(
    { name: `${config.pipeline}-dead-letter`, kafka, topic: config.dead_letter.topic },
    { telemetry, logger: log },
  );
  await Promise.all([output.start([config.output.topic]), deadLetter.start()]);

  const source = new KafkaSource(
    {
      name: 'kafka-source',
      kafka,
      groupId: config.input.group_id,
      topics: inputTopics,
      startFrom: options.startFrom ?? 'committed',
      // Held messages wait for their windows, not for the shutdown: do not wait long.
      shutdownTimeoutMs: 2_000,
    },
    { telemetry, logger: log },
  );
  const metrics = new TransformMetrics(telemetry.registry, config.pipeline, {
    openWindows: () => transformer.openWindows,
    watermarkDelaySeconds: () => (Date.now() - transformer.watermark(Date.now())) / 1000,
  });
  const stage = new TransformStage({
    transformer,
    pipeline: config.pipeline,
    outputTopic: config.output.topic,
    deadLetterTopic: config.dead_letter.topic,
    // The output producer takes plain records: trace the send here as KafkaSink does. An
    // aggregate comes from many samples (many upstream traces), so each record carries the
    // `send <topic>` span's context: that span is a child of the batch's `process <topic>`
    // span, which links every input message's upstream context. Windows emitted by the idle
    // timer (no batch running) start a trace of their own.
    send: (records) =>
      telemetry.traceSend(config.output.topic, records.length, (context) =>
        output.send(
          records.map((r) => {
            const headers: Record<string, string | Buffer> = { ...r.headers };
            telemetry.injectContext(headers, context);
            return { topic: r.topic, key: r.key, value: r.value, headers };
          }),
        ),
      ),
    sendDeadLetters: (records) =>
      deadLetter.send(
        records.map((r) => ({
          topic: r.topic,
          key: r.key as Buffer | null,
          value: r.value,
          headers: r.headers ?? {},
        })),
      ),
    telemetry,
    metrics,
    subscribeTo: [{ producer: source, maxDemand: options.maxDemand ?? 2_000 }],
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
  });
  const unobserve = telemetry.observe({
    stages: () =>
      [source, stage].map((s) => {
        const st = s.stats();
        return {
          stage: st.name,
          kind: st.kind,
          pendingDemand: st.producers.reduce((n, p) => n + p.pendingDemand, 0),
          bufferedEvents:
            st.buffered + (s === source ? source.bufferedEvents : transformer.pendingRecords),
          subscribedTo: st.producers.map((p) => p.producer),
          eventsIn: st.eventsIn,
          eventsOut: st.eventsOut,
        };
      }),
  });

  // Assigned partitions hold the watermark back (until idle) even before they deliver;
  // revoked ones stop counting.
  let assigned = new Set<string>();
  source.events.on('assigned', (assignment) => {
    const now = Date.now();
    const next = new Set<string>();
    for (const { topic, partitions } of assignment) {
      for (const p of partitions) {
        next.add(`${topic}\u0000${p}`);
        transformer.assign(topic, p, now);
      }
    }
    for (const key of assigned) {
      if (next.has(key)) continue;
      const [topic, p] = key.split('\u0000') as [string, string];
      transformer.revoke(topic, Number(p));
    }
    assigned = next;
  });

  // /readyz: ready while the group is joined with partitions; not ready from the start of
  // a stop (see `stop`), so a load balancer or Kubernetes stops counting on this instance.
  let stopping: Promise<void> | undefined;
  source.events.on('ready', () => {
    if (!stopping) telemetry.setReady(true);
  });
  source.events.on('not-ready', () => telemetry.setReady(false));

  source.start();
  stage.start();
  await source.whenStarted();
  if (source.ready && !stopping) telemetry.setReady(true);

  const done = stage.done().then((reason) => {
    if (reason !== 'normal' && reason !== 'shutdown')
      throw new Error(`metrics-transform stage stopped: ${String(reason)}`);
  });
  done.catch(() => undefined);

  return {
    source,
    stage,
    transformer: transformer as MetricTransformer<unknown>,
    done,
    progress() {
      const parts = source.snapshot();
      const c = transformer.counts;
      return {
        samplesIn: c.samplesIn,
        recordsOut: c.samplesOut,
        deadLettered: c.dropped.invalid,
        late: c.lateSamples,
        openWindows: transformer.openWindows,
        pendingRecords: transformer.pendingRecords,
        lag: parts.reduce(
          (n, p) =>
            n +
            (p.highWatermark >= 0 && p.committed >= 0
              ? Math.max(0, p.highWatermark - p.committed)
              : 0),
          0,
        ),
        pausedPartitions: parts.filter((p) => p.paused).length,
        watermarkDelaySeconds: (Date.now() - transformer.watermark(Date.now())) / 1000,
      };
    },
    health() {
      for (const s of [source, stage]) {
        const { name, status } = s.stats();
        if (status === 'stopped' && !stopping)
          return { ok: false, reason: `stage '${name}' stopped` };
      }
      return { ok: true };
    },
    stop() {
      stopping ??= (async () => {
        telemetry.setReady(false);
        await source.shutdown();
        await stage.done().catch(() => undefined);
        unobserve();
        await Promise.allSettled([output.stop(), deadLetter.stop()]);
      })();
      return stopping;
    },
  };
}
