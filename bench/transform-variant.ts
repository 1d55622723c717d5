/**
 * One variant of the metric transformer for `make bench-transform`, run in a child process
 * so that its CPU time and peak RSS are its own (read from /proc by bench/transform-kafka.ts):
 *
 *   hop-eos, hop-alo        the transformer as it ships (startMetricsTransform): input part →
 *                           repartition hop by group → window part → output topic;
 *                           processing exactly_once or at_least_once
 *   direct-eos, direct-alo  the same work without the hop: the bench preloaded the pipeline's
 *                           repartition topic with input records already keyed by group
 *                           (every sample of a group in one partition), carrying what a hop
 *                           writer adds (writer, event time, sequence); the window part reads
 *                           them and parses, validates, filters and relabels each record
 *                           itself (the bench-only `rawRecordsAfterHop` of the transformer);
 *                           the first part reads an empty topic
 *
 * Prints `joined <ms>` once every consumer of the pipeline joined the group (its start
 * resolved; the source that reads the data was held by an operator pause until then),
 * `progress <samples parsed>` every 100 ms while it changes; stops on SIGTERM.
 *
 *   node dist/bench/transform-variant.js <variant> <json settings>
 */
import { Registry } from 'prom-client';
import { startMetricsTransform } from '../platform/apps/metrics-transform/app/metrics-transform-app';
import type { TransformConfig } from '../platform/apps/metrics-transform/config/config-schema';
import { createLogger } from '../platform/log/logger';
import type { OperatorControls } from '../platform/pipeline/pipeline-source';
import { createTelemetry } from '../platform/telemetry/create-telemetry';
import { type Guarantee, type PeerTopics, peerConfig } from './peers/config';

export type Variant = 'hop-eos' | 'hop-alo' | 'direct-eos' | 'direct-alo';

export interface VariantSettings {
  readonly brokers: string[];
  /** The direct variants' `input` is an empty topic; their data is on the repartition topic. */
  readonly topics: PeerTopics;
  /** Partitions of the repartition topic. */
  readonly partitions: number;
  /** The config's commit_interval, ms (default: the config's default, 100). */
  readonly commitIntervalMs?: number;
}

/** The repartition topic of the transformer named `pipeline` (its step is `by-group`). */
export const repartitionTopicOf = (pipeline: string) => `${pipeline}-by-group-repartition`;

// kafkajs 2.2.4 sets negative timeouts; Node 24 warns each time (#1751). Only those go.
const emitWarning = process.emitWarning.bind(process) as (
  w: string | Error,
  ...r: unknown[]
) => void;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type =
    typeof warning === 'string'
      ? typeof rest[0] === 'object' && rest[0] !== null
        ? (rest[0] as { type?: unknown }).type
        : rest[0]
      : warning.name;
  if (type !== 'TimeoutNegativeWarning') emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

const say = (line: string) => process.stdout.write(`${line}\n`);
const log = createLogger({ level: 'warn', format: 'json' });

function telemetryFor(config: TransformConfig) {
  return createTelemetry({
    pipeline: config.pipeline,
    registry: new Registry(),
    defaultMetrics: false,
    tracing: false,
  });
}

/** The transformer as it ships, or (`direct`) its window part on the preloaded repartition topic. */
async function start(s: VariantSettings, config: TransformConfig, direct: boolean) {
  // The source that reads the data (the input; without the hop, the window part's) is held
  // until every part has joined: each part's join rebalances the group (eager), and the
  // time is taken from there.
  let held: OperatorControls | undefined;
  const app = await startMetricsTransform({
    beforeStart: (pipeline) => {
      held = pipeline.parts[direct ? 1 : 0]?.input.operator;
      if (!held) throw new Error('transform-variant: the source has no operator pause');
      held.pause({});
    },
    config,
    client: { brokers: s.brokers, clientId: 'bench-transform' },
    telemetry: telemetryFor(config),
    log,
    startFrom: 'earliest',
    repartitionPartitions: s.partitions,
    ...(direct ? { rawRecordsAfterHop: true } : {}),
  });
  held?.resume({});
  return {
    samplesIn: () => app.counts.samplesIn,
    debug: () => JSON.stringify(app.progress()),
    stop: () => app.stop(),
  };
}

async function main(): Promise<void> {
  const variant = process.argv[2] as Variant;
  const settings = JSON.parse(process.argv[3] ?? '{}') as VariantSettings;
  if (!['hop-eos', 'hop-alo', 'direct-eos', 'direct-alo'].includes(variant))
    throw new Error(`transform-variant: unknown variant ${JSON.stringify(variant)}`);
  const guarantee: Guarantee = variant.endsWith('eos') ? 'eos' : 'alo';
  const base = peerConfig(settings.topics, guarantee);
  if (!base) throw new Error('transform-variant: the config schema refused processing');
  const config = settings.commitIntervalMs
    ? { ...base, commit_interval: settings.commitIntervalMs }
    : base;
  const running = await start(settings, config, variant.startsWith('direct'));
  say(`joined ${Date.now()}`);
  let said = -1;
  const progress = setInterval(() => {
    const n = running.samplesIn();
    if (n !== said) say(`progress ${n}`);
    if (process.env.BENCH_DEBUG && n !== said) process.stderr.write(`${running.debug()}\n`);
    said = n;
  }, 100);
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    if (process.env.BENCH_DEBUG) process.stderr.write(`at stop: ${running.debug()}\n`);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

// Only as a program: bench/transform-kafka.ts imports this module for its names.
if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `transform-variant: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
