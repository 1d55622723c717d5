import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type AppProgress,
  startMetricsTransform,
} from '../../apps/metrics-transform/app/metrics-transform-app';
import { loadConfig } from '../../apps/metrics-transform/config/load-config';
import { kafkaSender } from '../../apps/metrics-transform/generator/kafka-send';
import { runGenerator } from '../../apps/metrics-transform/generator/run-generator';
import { CONTROL_TOKEN_ENV, createControlCenter } from '../../control/control-center';
import { controlPipeline } from '../../control/pipeline-control';
import { httpOptionsFromEnv, startHttpServer } from '../../http/http-server';
import { type Brokers, getBrokers } from '../../kafka/brokers';
import { clientOptionsFromEnv } from '../../kafka/client/client-options';
import { logger } from '../../log/logger';
import { createTelemetry } from '../../telemetry/create-telemetry';
import { startTracingSdk } from '../../telemetry/otel-sdk';
import { type Command, flagError, UsageError } from '../command';

const HELP = `Usage: kafka-stages run metrics-transform --config <file> [options]

Runs the metric transformer: reads samples (Influx line protocol or JSON) from the input
topics, validates, filters, relabels, converts units, turns counters into rates, aggregates
in event-time windows and writes the results to the output topic; refused samples go to the
dead-letter topic. Offsets are committed only past samples whose windows were emitted.
Serves /metrics, /healthz, /readyz, /topology and a live page (HTTP_PORT, default 9464),
prints a progress line every few seconds, and stops cleanly on Ctrl-C (SIGINT/SIGTERM).
With CONTROL_TOKEN set, the live page and \`kafka-stages ctl\` can pause, resume and resize
the pipeline (POST /control/*, Authorization: Bearer <token>); without it they are read only.

Options:
  --config FILE         the YAML configuration (see examples/metrics-transform.yaml)
  --with-broker         when KAFKA_BROKERS is not set, start a local broker for this run
                        (stopped on exit) and create the topics
  --generate            also run the load generator, producing to the first input topic
  --rate R              generator samples per second (default 2000)
  --series S            generator series (default 500)
  --partitions N        partitions of topics created here (default 3)
  --from WHERE          committed (default), earliest or latest: where partitions start
  --progress-every S    progress line interval, seconds (default 5)
  --max-demand N        messages the transform stage takes per batch, at most (default 2000)

Environment:
  KAFKA_BROKERS         an existing cluster (topics must exist unless --with-broker)
  HTTP_PORT, HTTP_HOST  the observability server (default 0.0.0.0:9464)
  DRAIN_TIMEOUT_MS      how long a stop (SIGTERM) waits for work in flight (default 30000;
                        the chart sets it from app.drainTimeoutMs)
  LOG_LEVEL, LOG_FORMAT logging
  OTEL_EXPORTER_OTLP_ENDPOINT  export traces (the OpenTelemetry SDK starts only when set)

Example:
  kafka-stages run metrics-transform --config examples/metrics-transform.yaml --with-broker --generate
`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw flagError('run', { path: `--${name}`, value: raw, allowed: 'a positive number' });
  return n;
}

/** `DRAIN_TIMEOUT_MS`: milliseconds, a positive integer; the pipeline's default when unset. */
function drainTimeoutFromEnv(): number | undefined {
  const raw = process.env.DRAIN_TIMEOUT_MS?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw flagError('run', {
      path: 'DRAIN_TIMEOUT_MS',
      value: raw,
      allowed: 'a whole number of milliseconds, at least 1',
    });
  }
  return n;
}

function formatProgress(p: AppProgress, prev: AppProgress, seconds: number): string {
  const rate = (a: number, b: number) => Math.round((a - b) / seconds);
  const delay = Number.isFinite(p.watermarkDelaySeconds)
    ? `${p.watermarkDelaySeconds.toFixed(1)}s`
    : '-';
  return (
    `in ${rate(p.samplesIn, prev.samplesIn)}/s, out ${rate(p.recordsOut, prev.recordsOut)}/s, ` +
    `lag ${p.lag}, paused ${p.pausedPartitions}, dead-lettered ${p.deadLettered}, late ${p.late}, ` +
    `open windows ${p.openWindows}, held records ${p.pendingRecords}, watermark delay ${delay}`
  );
}

export const runCommand: Command = {
  name: 'run',
  summary: 'Run an application: metrics-transform (the metric transformer)',
  help: HELP,
  async run(argv) {
    const [app, ...rest] = argv;
    if (app !== 'metrics-transform') {
      throw new UsageError(
        app === undefined
          ? 'missing application: metrics-transform'
          : `unknown application '${app}': metrics-transform`,
      );
    }
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args: rest,
        strict: true,
        options: {
          config: { type: 'string' },
          'with-broker': { type: 'boolean' },
          generate: { type: 'boolean' },
          rate: { type: 'string' },
          series: { type: 'string' },
          partitions: { type: 'string' },
          from: { type: 'string' },
          'progress-every': { type: 'string' },
          'max-demand': { type: 'string' },
        },
      }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (typeof values.config !== 'string') {
      throw flagError('run', {
        path: '--config',
        is: 'missing',
        allowed: 'the path of the configuration file',
      });
    }
    const from = (values.from as string | undefined) ?? 'committed';
    if (from !== 'committed' && from !== 'earliest' && from !== 'latest') {
      throw flagError('run', {
        path: '--from',
        value: from,
        allowed: 'committed, earliest or latest',
      });
    }
    const rate = positive('rate', values.rate as string | undefined, 2000);
    const series = Math.floor(positive('series', values.series as string | undefined, 500));
    const partitions = Math.floor(
      positive('partitions', values.partitions as string | undefined, 3),
    );
    const progressSeconds = positive(
      'progress-every',
      values['progress-every'] === undefined
        ? undefined
        : String(parseFloat(values['progress-every'] as string)),
      5,
    );
    const config = loadConfig(readFileSync(values.config, 'utf8'));
    const generated = config.input.topics[0]!.format;
    if (values.generate && generated !== 'influx' && generated !== 'json') {
      throw new UsageError(
        `--generate writes influx or json samples, but the first input topic's format is ${generated}`,
      );
    }
    const drainTimeoutMs = drainTimeoutFromEnv();
    const log = logger().child({ app: 'metrics-transform' });

    const fromEnv = (process.env.KAFKA_BROKERS ?? '').trim() !== '';
    if (!fromEnv && !values['with-broker']) {
      throw flagError('run', {
        path: 'KAFKA_BROKERS',
        is: 'missing',
        allowed: 'the brokers (host:port,…), or --with-broker to start a local broker',
      });
    }
    const tracing =
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_TRACES_EXPORTER
        ? startTracingSdk({ serviceName: 'kafka-stages', handleSignals: false })
        : undefined;

    let brokers: Brokers | undefined;
    const cleanups: (() => Promise<unknown>)[] = [];
    const stopSignal = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (!stopSignal.signal.aborted) log.info({ signal }, 'stopping (again to force)');
      else process.exit(130);
      stopSignal.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      brokers = await getBrokers();
      cleanups.push(() => brokers!.stop());
      log.info({ brokers: brokers.brokers, provider: brokers.provider }, 'brokers');
      const telemetry = createTelemetry({
        pipeline: config.pipeline,
        consumerGroup: config.input.group_id,
      });
      const client = { ...clientOptionsFromEnv(), brokers: brokers.brokers };
      const app = await startMetricsTransform({
        config,
        client,
        telemetry,
        log,
        startFrom: from,
        ...(drainTimeoutMs ? { drainTimeoutMs } : {}),
        maxDemand: Math.max(
          2,
          Math.floor(positive('max-demand', values['max-demand'] as string | undefined, 2000)),
        ),
        ...(values['with-broker'] ? { createTopics: { partitions } } : {}),
      });
      cleanups.unshift(() => app.stop());
      // Operator actions from the live page and `kafka-stages ctl`; read only without a token.
      const control = createControlCenter({
        token: process.env[CONTROL_TOKEN_ENV],
        registry: telemetry.registry,
        targets: [controlPipeline(app.pipeline)],
        logger: log,
      });
      const http = await startHttpServer({
        registry: telemetry.registry,
        control,
        readiness: () => telemetry.ready,
        health: () => app.health(),
        topology: () => telemetry.topology(),
        ...httpOptionsFromEnv(),
      });
      cleanups.unshift(() => http.close());
      cleanups.unshift(async () => http.setShuttingDown());
      log.info({ url: http.url, config: values.config }, 'metrics-transform running; Ctrl-C stops');

      let generating: Promise<number> | undefined;
      if (values.generate) {
        const input = config.input.topics[0]!;
        const sender = await kafkaSender(brokers.brokers, input.name, log);
        generating = runGenerator({
          rate,
          series,
          durationMs: 0,
          format: input.format === 'influx' ? 'influx' : 'json', // checked above
          seed: Date.now() % 2 ** 31,
          samplesPerRecord: input.format === 'influx' ? 10 : 1,
          send: sender.send,
          signal: stopSignal.signal,
        }).finally(() => sender.stop());
        log.info({ topic: input.name, rate, series }, 'generator running');
      }

      let prev = app.progress();
      const timer = setInterval(() => {
        const now = app.progress();
        log.info(formatProgress(now, prev, progressSeconds));
        prev = now;
      }, progressSeconds * 1000);
      await Promise.race([
        new Promise<void>((resolve) =>
          stopSignal.signal.addEventListener('abort', () => resolve()),
        ),
        app.done,
      ]);
      clearInterval(timer);
      stopSignal.abort();
      await generating?.catch((error: unknown) => log.warn({ err: error }, 'generator failed'));
      return 0;
    } finally {
      for (const cleanup of cleanups) {
        await cleanup().catch((error: unknown) => log.warn({ err: error }, 'cleanup failed'));
      }
      await tracing?.shutdown();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log.info('stopped');
    }
  },
};
