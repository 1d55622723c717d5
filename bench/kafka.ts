// make bench-kafka: raw kafkajs `eachBatch` with a no-op handler (autoCommit off; offsets
// committed on a 1 s timer as our source does, and without commits) against the platform's
// identity pipeline (KafkaSource → processor that acknowledges), consuming the same
// preloaded topic, alternating several times in one run. Prints msgs/s of each run, the
// medians, the ratios (headline: pipeline / raw without commits; `ratio` in the JSON is
// pipeline / raw with timer commits), CPU seconds and peak RSS; the last line is JSON.
//
//   node dist/bench/kafka.js [--records N] [--rounds R] [--value-bytes B]
//   (or BENCH_RECORDS, BENCH_ROUNDS; KAFKA_BROKERS to use running brokers, else a local one)
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { getBrokers } from '../platform/kafka/brokers';
import { createPipeline } from '../platform/kafka/index';
import { createLogger } from '../platform/log/logger';
import type { Message } from '../platform/message/message';
import { noopTelemetry } from '../platform/telemetry/telemetry';

const PARTITIONS = 6;
/** The pipeline source's default fetch settings, given to both sides. */
const FETCH = {
  maxWaitTimeMs: 500,
  minBytes: 1,
  maxBytes: 10 * 2 ** 20,
  maxBytesPerPartition: 2 ** 20,
};

// kafkajs 2.2.4 sets timers with negative delays; Node 24 warns each time (#1751). The
// warnings say nothing about this benchmark, so only they are dropped.
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

function flag(name: string, env: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const raw = index >= 0 ? process.argv[index + 1] : process.env[env];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `bench/kafka: --${name} (${env}) must be an integer >= 1; got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

interface Run {
  readonly kind: 'raw' | 'raw-no-commit' | 'pipeline';
  readonly msgsPerS: number;
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
  readonly joinMs: number;
}

/** Measures one consumption of the whole topic; `consume` resolves after `records` records. */
async function measure(
  kind: Run['kind'],
  consume: (onRecords: (n: number) => void) => Promise<() => Promise<void>>,
  records: number,
): Promise<Run> {
  const cpuBefore = process.cpuUsage();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  let first = 0;
  let last = 0;
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const stop = await consume((n) => {
    const now = performance.now();
    if (seen === 0) first = now;
    seen += n;
    if (seen >= records && last === 0) {
      last = now;
      done();
    }
  });
  await finished;
  await stop();
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuBefore);
  // From the first record to the last: group join and shutdown are not consumption.
  return {
    kind,
    msgsPerS: records / ((last - first) / 1000),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: peakRss / 2 ** 20,
    joinMs: first - started,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const records = flag('records', 'BENCH_RECORDS', 500_000);
  const rounds = flag('rounds', 'BENCH_ROUNDS', 5);
  const valueBytes = flag('value-bytes', 'BENCH_VALUE_BYTES', 200);
  const logger = createLogger({ level: 'warn', name: 'bench-kafka' });
  const provided = await getBrokers();
  const brokers = provided.brokers;
  const kafka = new Kafka({ clientId: 'bench-kafka', brokers, logLevel: logLevel.NOTHING });
  const topic = `bench-kafka-${Date.now().toString(36)}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });

    // Preload: keys spread the records over the partitions; values are `valueBytes` long.
    const loadStarted = performance.now();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const payload = 'x'.repeat(valueBytes);
    const CHUNK = 5_000;
    for (let i = 0; i < records; i += CHUNK) {
      const messages = [];
      for (let j = i; j < Math.min(records, i + CHUNK); j++) {
        messages.push({ key: `key-${j}`, value: payload });
      }
      await producer.send({ topic, acks: 1, messages });
    }
    await producer.disconnect();
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    process.stdout.write(
      `bench-kafka: ${records} records of ${valueBytes} B over ${PARTITIONS} partitions of ${topic} ` +
        `(${provided.provider} broker ${brokers.join(',')}), preloaded in ${loadSeconds.toFixed(1)} s\n`,
    );

    // Raw kafkajs: eachBatch with a no-op handler and autoCommit off. kafkajs 2.2.4 with
    // autoCommit on commits after every batch on this path (consumer/runner.js calls
    // autoCommitOffsets() after each batch; autoCommitInterval does not space them), so the
    // fair baselines are: offsets committed on a 1 s timer, as the pipeline's source commits
    // (commitIntervalMs 1000), and no commits at all (the client's limit). Both use the
    // pipeline source's fetch settings.
    const raw = (groupId: string, commit: boolean) => async (onRecords: (n: number) => void) => {
      const consumer = kafka.consumer({
        groupId,
        maxWaitTimeInMs: FETCH.maxWaitTimeMs,
        minBytes: FETCH.minBytes,
        maxBytes: FETCH.maxBytes,
        maxBytesPerPartition: FETCH.maxBytesPerPartition,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const pending = new Map<number, string>();
      const timer = commit
        ? setInterval(() => {
            if (pending.size === 0) return;
            const offsets = [...pending].map(([partition, offset]) => ({
              topic,
              partition,
              offset,
            }));
            pending.clear();
            consumer.commitOffsets(offsets).catch(() => undefined);
          }, 1_000)
        : undefined;
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          onRecords(batch.messages.length);
          if (commit) pending.set(batch.partition, (BigInt(batch.lastOffset()) + 1n).toString());
        },
      });
      return async () => {
        clearInterval(timer);
        await consumer.disconnect();
      };
    };

    // The identity pipeline: KafkaSource → one processor without handler, which
    // acknowledges; the count comes from the delivered-messages telemetry call.
    const pipelineRun = (groupId: string) => async (onRecords: (n: number) => void) => {
      const pipeline = createPipeline(
        {
          name: 'bench',
          source: {
            client: { brokers, logLevel: 'nothing' },
            groupId,
            topics: [topic],
            fetch: FETCH,
          },
          telemetry: {
            ...noopTelemetry,
            recordDelivered: (_topic: string, messages: readonly Message[]) =>
              onRecords(messages.length),
          },
        },
        { logger },
      );
      await pipeline.start();
      return async () => {
        await pipeline.stop();
      };
    };

    const runs: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      // Alternate which goes first, so neither always runs on a warmer broker cache.
      const order =
        round % 2 === 1
          ? (['raw', 'pipeline', 'raw-no-commit'] as const)
          : (['pipeline', 'raw', 'raw-no-commit'] as const);
      for (const kind of order) {
        const groupId = `bench-${kind}-${round}-${Date.now().toString(36)}`;
        const consume = kind === 'pipeline' ? pipelineRun(groupId) : raw(groupId, kind === 'raw');
        const run = await measure(kind, consume, records);
        runs.push(run);
        process.stdout.write(
          `round ${round} ${kind.padEnd(13)} ${Math.round(run.msgsPerS).toString().padStart(8)} msgs/s  ` +
            `cpu ${run.cpuSeconds.toFixed(2)} s  peak rss ${run.peakRssMiB.toFixed(0)} MiB  join ${run.joinMs.toFixed(0)} ms\n`,
        );
      }
    }
    const of = (kind: Run['kind']) => runs.filter((r) => r.kind === kind);
    const rawRate = median(of('raw').map((r) => r.msgsPerS));
    const pipelineRate = median(of('pipeline').map((r) => r.msgsPerS));
    const noCommitRate = median(of('raw-no-commit').map((r) => r.msgsPerS));
    const rawCpu = median(of('raw').map((r) => r.cpuSeconds));
    const pipelineCpu = median(of('pipeline').map((r) => r.cpuSeconds));
    const peakRss = Math.max(...runs.map((r) => r.peakRssMiB));
    const ratio = pipelineRate / rawRate;
    const noCommitRatio = pipelineRate / noCommitRate;
    process.stdout.write(
      `median: pipeline ${Math.round(pipelineRate)} msgs/s / raw kafkajs without commits ${Math.round(noCommitRate)} msgs/s = ` +
        `${noCommitRatio.toFixed(3)} (goal >= 0.95); / raw kafkajs with 1 s timer commits ${Math.round(rawRate)} msgs/s = ${ratio.toFixed(3)}; ` +
        `cpu per run raw (timer) ${rawCpu.toFixed(2)} s, ` +
        `pipeline ${pipelineCpu.toFixed(2)} s; peak rss ${peakRss.toFixed(0)} MiB\n`,
    );
    process.stdout.write(
      `${JSON.stringify({
        records,
        value_bytes: valueBytes,
        partitions: PARTITIONS,
        rounds,
        raw_kafkajs_msgs_per_s: Math.round(rawRate),
        pipeline_msgs_per_s: Math.round(pipelineRate),
        raw_kafkajs_no_commit_msgs_per_s: Math.round(noCommitRate),
        ratio: Number(ratio.toFixed(3)),
        pipeline_vs_raw_no_commit: Number(noCommitRatio.toFixed(3)),
        raw_cpu_seconds: Number(rawCpu.toFixed(2)),
        pipeline_cpu_seconds: Number(pipelineCpu.toFixed(2)),
        peak_rss_mib: Math.round(peakRss),
      })}\n`,
    );
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    await provided.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench-kafka: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
