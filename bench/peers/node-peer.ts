/**
 * One Node system of `make bench-peers`, run in a child process so that its CPU time and
 * peak RSS are its own (read from /proc by the parent, as for the JVM):
 *
 *   raw-no-commit   kafkajs eachBatch, autoCommit false, no commits: the client's limit
 *   raw-timer       kafkajs eachBatch, autoCommit false, offsets committed every second
 *                   (what our source does; kafkajs's autoCommit would commit every batch)
 *   pipeline        the identity pipeline: KafkaSource → processor that acknowledges
 *   transform-alo   the metric transformer (startMetricsTransform), at-least-once
 *   transform-eos   the same with processing: exactly_once
 *
 * Both kafkajs sides use the same fetch settings. Prints `first <ms>` at the first record
 * and `done <ms>` after `--records` records (raw, pipeline), or `ready <ms>` once the
 * transformer runs and `progress <samples parsed>` every 100 ms while it changes; stops on
 * SIGTERM.
 *
 *   node dist/bench/peers/node-peer.js <kind> <json settings>
 */
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { startMetricsTransform } from '../../platform/apps/metrics-transform/app/metrics-transform-app';
import { createPipeline } from '../../platform/kafka/index';
import { createLogger } from '../../platform/log/logger';
import type { Message } from '../../platform/message/message';
import { createTelemetry } from '../../platform/telemetry/create-telemetry';
import { noopTelemetry } from '../../platform/telemetry/telemetry';
import { type PeerTopics, peerConfig } from './config';

export type NodeKind =
  | 'raw-no-commit'
  | 'raw-timer'
  | 'pipeline'
  | 'transform-alo'
  | 'transform-eos';

/** What the parent passes: where to read, how many records, and the fetch settings. */
export interface NodePeerSettings {
  readonly brokers: string[];
  readonly topics: PeerTopics;
  readonly records: number;
  readonly fetch: {
    readonly maxWaitTimeMs: number;
    readonly minBytes: number;
    readonly maxBytes: number;
    readonly maxBytesPerPartition: number;
  };
  /** kafkajs eachBatch concurrency of the raw consumer (our source uses 1). */
  readonly partitionsConsumedConcurrently: number;
}

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

/** Counts records; says `first` and `done`. */
function counter(records: number): (n: number) => void {
  let seen = 0;
  return (n) => {
    if (seen === 0 && n > 0) say(`first ${Date.now()}`);
    const before = seen;
    seen += n;
    if (before < records && seen >= records) say(`done ${Date.now()}`);
  };
}

async function raw(s: NodePeerSettings, commit: boolean): Promise<() => Promise<void>> {
  const kafka = new Kafka({
    clientId: 'bench-peers-raw',
    brokers: s.brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: s.topics.group,
    maxWaitTimeInMs: s.fetch.maxWaitTimeMs,
    minBytes: s.fetch.minBytes,
    maxBytes: s.fetch.maxBytes,
    maxBytesPerPartition: s.fetch.maxBytesPerPartition,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [s.topics.input], fromBeginning: true });
  const count = counter(s.records);
  // Next offsets to commit, per partition (offset + 1 of the last record handled).
  const pending = new Map<number, string>();
  let timer: NodeJS.Timeout | undefined;
  if (commit) {
    timer = setInterval(() => {
      if (pending.size === 0) return;
      const offsets = [...pending].map(([partition, offset]) => ({
        topic: s.topics.input,
        partition,
        offset,
      }));
      pending.clear();
      consumer.commitOffsets(offsets).catch(() => undefined);
    }, 1_000);
  }
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: s.partitionsConsumedConcurrently,
    eachBatch: async ({ batch }) => {
      count(batch.messages.length);
      if (commit) pending.set(batch.partition, (BigInt(batch.lastOffset()) + 1n).toString());
    },
  });
  return async () => {
    clearInterval(timer);
    await consumer.disconnect();
  };
}

async function identity(s: NodePeerSettings): Promise<() => Promise<void>> {
  const count = counter(s.records);
  const pipeline = createPipeline(
    {
      name: 'bench-peers',
      source: {
        client: { brokers: s.brokers, logLevel: 'nothing' },
        groupId: s.topics.group,
        topics: [s.topics.input],
        startFrom: 'earliest',
        fetch: s.fetch,
      },
      telemetry: {
        ...noopTelemetry,
        recordDelivered: (_topic: string, messages: readonly Message[]) => count(messages.length),
      },
    },
    { logger: createLogger({ level: 'warn', name: 'bench-peers' }) },
  );
  await pipeline.start();
  return async () => {
    await pipeline.stop();
  };
}

async function transform(s: NodePeerSettings, eos: boolean): Promise<() => Promise<void>> {
  const config = peerConfig(s.topics, eos ? 'eos' : 'alo');
  if (!config) throw new Error('the transformer has no processing: exactly_once setting yet');
  const app = await startMetricsTransform({
    config,
    client: { brokers: s.brokers, clientId: 'bench-peers' },
    telemetry: createTelemetry({
      pipeline: config.pipeline,
      registry: new Registry(),
      defaultMetrics: false,
      tracing: false,
    }),
    log: createLogger({ level: 'warn', format: 'json' }),
    startFrom: 'earliest',
  });
  say(`ready ${Date.now()}`);
  let said = -1;
  const progress = setInterval(() => {
    const n = app.progress().samplesIn;
    if (n !== said) say(`progress ${n}`);
    if (process.env.BENCH_DEBUG && n !== said)
      process.stderr.write(`${JSON.stringify(app.progress())}\n`);
    said = n;
  }, 100);
  return async () => {
    clearInterval(progress);
    await app.stop();
  };
}

async function main(): Promise<void> {
  const kind = process.argv[2] as NodeKind;
  const settings = JSON.parse(process.argv[3] ?? '{}') as NodePeerSettings;
  const start: Record<NodeKind, () => Promise<() => Promise<void>>> = {
    'raw-no-commit': () => raw(settings, false),
    'raw-timer': () => raw(settings, true),
    pipeline: () => identity(settings),
    'transform-alo': () => transform(settings, false),
    'transform-eos': () => transform(settings, true),
  };
  if (!start[kind]) throw new Error(`node-peer: unknown kind ${JSON.stringify(kind)}`);
  const stop = await start[kind]();
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `node-peer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
