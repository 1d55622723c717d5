/**
 * make bench-peers: the project against the systems a user would pick instead, on one
 * machine, one broker and the same preloaded input (Influx line protocol, 10 lines per
 * record, from the project's generator), each system in turn, alternating order, several
 * rounds; medians and spread; a table, then one JSON line.
 *
 *   ConsumerPerformance   Kafka's own consumer benchmark (kafka-tools): the broker's limit
 *   raw kafkajs           eachBatch, autoCommit off: without commits, and with a 1 s timer
 *                         commit (as our source commits)
 *   pipeline              the identity pipeline (KafkaSource → acknowledging processor)
 *   transform alo/eos     the metric transformer (startMetricsTransform)
 *   kafka-streams alo/eos the same work as a Kafka Streams app (bench/peers/, Java)
 *
 * Each system runs in its own process; CPU seconds and peak RSS are read from /proc, from
 * when it starts consuming to when it is done. Raw and pipeline are done when they have
 * handled every record; the transformers when every window of the input is readable by a
 * read_committed consumer (sum of their counts = samples kept by the filter). The input
 * ends with one sample per series far ahead in event time, so every window of the input
 * closes in both systems. Both systems' windows are compared window by window (count,
 * sum, p99 within the sketches' error) → outputs_equal.
 *
 * Then latency at a fixed offered rate (default 10 000 samples/s for 30 s, generator
 * schedule): per sample, its window's readable time minus the window's own wait (end +
 * lateness), i.e. scheduled send → output readable − wait, without coordinated omission.
 *
 *   node dist/bench/peers.js [--samples N] [--rounds R] [--latency-rate S] [--latency-seconds T]
 *     [--ks-threads N] [--raw-concurrency N] [--skip-latency]
 *   KAFKA_BROKERS to use running brokers, else a local one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaSender } from '../platform/apps/metrics-transform/generator/kafka-send';
import {
  runGenerator,
  toRecords,
} from '../platform/apps/metrics-transform/generator/run-generator';
import { SampleGenerator } from '../platform/apps/metrics-transform/generator/sample-generator';
import { getBrokers } from '../platform/kafka/brokers';
import { createLogger } from '../platform/log/logger';
import {
  type Guarantee,
  keptByFilter,
  LATENESS_MS,
  type PeerTopics,
  peerConfig,
  WINDOW_MS,
} from './peers/config';
import type { NodePeerSettings } from './peers/node-peer';
import { compareWindows, type OutputReader, readOutput, windowLatency } from './peers/outputs';
import { procSnapshot } from './peers/proc';
import { printReport, type RunResult, type SystemName } from './peers/report';
import {
  assertPeerBuilt,
  type Child,
  consumerPerformance,
  startNode,
  startStreams,
} from './peers/systems';

const PARTITIONS = 6;
const PER_RECORD = 10;
const EVENT_RATE = 5_000; // samples per second of event time in the preloaded input: each series once a second
const TAIL = 5_000; // one sample per series
const FETCH = {
  maxWaitTimeMs: 500,
  minBytes: 1,
  maxBytes: 10 * 2 ** 20,
  maxBytesPerPartition: 2 ** 20,
};
const log = createLogger({ level: 'warn', format: 'json' });

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

const { values: flags } = parseArgs({
  options: {
    samples: { type: 'string' },
    rounds: { type: 'string' },
    'latency-rate': { type: 'string' },
    'latency-seconds': { type: 'string' },
    'ks-threads': { type: 'string' },
    'raw-concurrency': { type: 'string' },
    'skip-latency': { type: 'boolean' },
    only: { type: 'string' },
  },
});
function int(name: string, fallback: number): number {
  const raw =
    (flags as Record<string, unknown>)[name] ??
    process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`bench/peers: --${name} must be an integer >= 1; got ${JSON.stringify(raw)}`);
  return n;
}
const SAMPLES = int('samples', 300_000);
const ROUNDS = int('rounds', 3);
const LATENCY_RATE = int('latency-rate', 10_000);
const LATENCY_SECONDS = int('latency-seconds', 30);
const KS_THREADS = int('ks-threads', 2);
const RAW_CONCURRENCY = int('raw-concurrency', 1);

const id = Date.now().toString(36);
let runNo = 0;
const topicsFor = (tag: string, input: string): PeerTopics => {
  runNo++;
  const p = `peers-${id}-${tag}-${runNo}`;
  return { pipeline: p, input, output: `${p}-out`, deadLetter: `${p}-dlq`, group: `${p}-g` };
};

interface Input {
  topic: string;
  records: number;
  samples: number;
  kept: number;
  /** Windows starting at or after this belong to the flush tail. */
  tailStart: number;
  spanMs: number;
  /** One record per series far ahead in event time, produced once a transformer read the input. */
  tail: (k: number) => { key: string; value: string }[];
}

async function preload(kafka: Kafka, topic: string): Promise<Input> {
  const start = Date.now() - 3_600_000;
  const gen = new SampleGenerator({ seed: 42, series: 5_000, rate: EVENT_RATE, start, late: 0 });
  const samples = gen.batch(SAMPLES);
  const kept = samples.filter(keptByFilter).length;
  const maxTs = Math.max(...samples.map((s) => s.timestamp));
  const spanMs = maxTs - start;
  // One sample per series far ahead, sent only once the system has parsed the whole input
  // (else Kafka Streams' per-task stream time would jump past windows still being filled):
  // closes every window of the input in both systems, Kafka Streams' longer grace included.
  const tailTs = Math.ceil((maxTs + spanMs + 3 * WINDOW_MS) / WINDOW_MS) * WINDOW_MS;
  const tailSeries = gen.batch(TAIL);
  // Later tails only need to reach every group (so every repartition partition), not every
  // series: a few hundred samples instead of 5 000, so they do not load the system.
  const groups = new Map<string, (typeof tailSeries)[number]>();
  for (const s of tailSeries) {
    const l = s.labels;
    groups.set(`${s.name}|${l.service}|${l.method}|${l.region}`, s);
  }
  const perGroup = [...groups.values()];
  const records = toRecords(samples, 'influx', PER_RECORD);
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < records.length; i += 1_000) {
    await producer.send({ topic, acks: -1, messages: records.slice(i, i + 1_000) });
  }
  await producer.disconnect();
  return {
    topic,
    records: records.length,
    samples: SAMPLES,
    kept,
    tailStart: tailTs - WINDOW_MS,
    spanMs,
    tail: (k) =>
      toRecords(
        (k === 0 ? tailSeries : perGroup).map((s) => ({ ...s, timestamp: tailTs + k * WINDOW_MS })),
        'influx',
        PER_RECORD,
      ),
  };
}

/** On a replay, Kafka Streams' stream time is per task: its grace must cover how far one
 * input partition runs ahead of another, at most the input's span. */
const ksGrace = (input: Input) => input.spanMs + WINDOW_MS;

async function deleteTopicsLike(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

async function createTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })),
      waitForLeaders: false,
    });
    // kafkajs's waitForLeaders fails on UNKNOWN_TOPIC_OR_PARTITION when metadata lags (it
    // only retries LEADER_NOT_AVAILABLE): poll until every partition has a leader.
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        if (
          meta.every(
            (t) => t.partitions.length === PARTITIONS && t.partitions.every((p) => p.leader >= 0),
          )
        )
          return;
      } catch (error) {
        if (attempt >= 60) throw error;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Raw or pipeline: first record → all records, in a child process. */
async function consumeRun(
  brokers: string[],
  system: 'raw-no-commit' | 'raw-timer' | 'pipeline',
  input: Input,
): Promise<RunResult> {
  const topics = topicsFor(system, input.topic);
  const settings: NodePeerSettings = {
    brokers,
    topics,
    records: input.records,
    fetch: FETCH,
    partitionsConsumedConcurrently: system === 'pipeline' ? 1 : RAW_CONCURRENCY,
  };
  const child = startNode(system, settings);
  try {
    const first = Number((await child.line('first', 120_000)).split(' ')[1]);
    const cpu0 = procSnapshot(child.pid)!;
    const done = Number((await child.line('done', 600_000)).split(' ')[1]);
    const cpu1 = procSnapshot(child.pid)!;
    const seconds = (done - first) / 1000;
    return {
      system,
      msgsPerS: input.records / seconds,
      samplesPerS: input.samples / seconds,
      cpuSeconds: cpu1.cpuSeconds - cpu0.cpuSeconds,
      peakRssMiB: cpu1.peakRssMiB,
      units: input.records,
    };
  } finally {
    await child.stop();
  }
}

/** Waits up to `waitMs` until the reader holds every kept sample's window. */
async function awaitWindows(
  reader: OutputReader,
  input: Input,
  child: Child,
  waitMs: number,
): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (reader.countedSamples(input.tailStart) >= input.kept) return true;
    if (child.proc.exitCode !== null)
      throw new Error(`${child.label} exited (${child.proc.exitCode})`);
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Windows = OutputReader['windows'];
const reference: { windows?: Windows } = {};
const mismatches: string[] = [];

async function transformRun(
  kafka: Kafka,
  brokers: string[],
  system: SystemName,
  input: Input,
  stateDir: string,
): Promise<RunResult> {
  const guarantee: Guarantee = system.endsWith('eos') ? 'eos' : 'alo';
  const ks = system.startsWith('kafka-streams');
  const topics: PeerTopics = { ...topicsFor(system, input.topic) };
  topics.tail = `${topics.pipeline}-tail`;
  await createTopics(kafka, [topics.output, topics.deadLetter, topics.tail]);
  const reader = await readOutput(brokers, topics.output, `${topics.pipeline}-reader`);
  const child = ks
    ? startStreams({
        bootstrap: brokers.join(','),
        input: `${input.topic},${topics.tail}`,
        output: topics.output,
        appId: topics.pipeline,
        guarantee,
        threads: KS_THREADS,
        graceMs: ksGrace(input),
        stateDir,
      })
    : startNode(system as 'transform-alo' | 'transform-eos', {
        brokers,
        topics,
        records: input.records,
        fetch: FETCH,
        partitionsConsumedConcurrently: 1,
      });
  try {
    const ready = Number((await child.line('ready', 180_000)).split(' ')[1]);
    const cpu0 = procSnapshot(child.pid)!;
    const parsed = await child.progress(input.samples, 600_000);
    await new Promise((r) => setTimeout(r, 1_000));
    // Kafka Streams emits closed windows when a record arrives at least 1 s
    // (emit.interval.ms.kstreams.windowed.aggregation) after its last check: the tail goes
    // again (one sample per group) every 2 s, 10 s later in event time each time, until
    // every window is out.
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (let k = 0; ; k++) {
        await producer.send({ topic: topics.tail!, acks: -1, messages: input.tail(k) });
        if (await awaitWindows(reader, input, child, 2_000)) break;
        if (k >= 60) {
          throw new Error(
            `${child.label}: windows hold ${reader.countedSamples(input.tailStart)} of ${input.kept} samples after ${k + 1} tails`,
          );
        }
      }
    } finally {
      await producer.disconnect();
    }
    const cpu1 = procSnapshot(child.pid)!;
    // Rate: until the whole input was parsed; CPU: until every window was readable.
    const seconds = (parsed - ready) / 1000;
    if (!reference.windows && system === 'transform-alo')
      reference.windows = new Map(reader.windows);
    else if (reference.windows) {
      const problems = compareWindows(reference.windows, reader.windows, input.tailStart);
      if (problems.length > 0) mismatches.push(`${system}: ${problems.join('; ')}`);
    }
    return {
      system,
      msgsPerS: input.records / seconds,
      samplesPerS: input.samples / seconds,
      cpuSeconds: cpu1.cpuSeconds - cpu0.cpuSeconds,
      peakRssMiB: cpu1.peakRssMiB,
      units: input.samples + TAIL,
      windows: reader.windows.size,
    };
  } finally {
    await child.stop();
    await reader.stop();
    await deleteTopicsLike(kafka, topics.pipeline);
  }
}

/** Latency at a fixed offered rate: a fresh input topic, the system waiting on it, the generator. */
async function latencyRun(kafka: Kafka, brokers: string[], system: SystemName, stateDir: string) {
  const guarantee: Guarantee = system.endsWith('eos') ? 'eos' : 'alo';
  const ks = system.startsWith('kafka-streams');
  const topics = topicsFor(`lat-${system}`, '');
  const t: PeerTopics = { ...topics, input: `${topics.pipeline}-in` };
  await createTopics(kafka, [t.input, t.output, t.deadLetter]);
  const reader = await readOutput(brokers, t.output, `${t.pipeline}-reader`);
  const child = ks
    ? startStreams({
        bootstrap: brokers.join(','),
        input: t.input,
        output: t.output,
        appId: t.pipeline,
        guarantee,
        threads: KS_THREADS,
        graceMs: LATENCY_MS_GRACE,
        stateDir,
      })
    : startNode(system as 'transform-alo' | 'transform-eos', {
        brokers,
        topics: t,
        records: 0,
        fetch: FETCH,
        partitionsConsumedConcurrently: 1,
      });
  try {
    await child.line('ready', 180_000);
    const sender = await kafkaSender(brokers, t.input, log);
    const from = Date.now();
    await runGenerator({
      rate: LATENCY_RATE,
      series: 5_000,
      durationMs: LATENCY_SECONDS * 1000,
      format: 'influx',
      seed: 7,
      samplesPerRecord: PER_RECORD,
      send: sender.send,
    });
    const until = Date.now();
    await sender.stop();
    await new Promise((r) => setTimeout(r, 5_000));
    const cpu = procSnapshot(child.pid);
    // Windows the live input closed: their end + lateness is before the last scheduled
    // sample, less the generator's clock skew (±200 ms per series).
    return {
      ...windowLatency(reader.windows, from, until - 500),
      peakRssMiB: cpu?.peakRssMiB ?? Number.NaN,
    };
  } finally {
    await child.stop();
    await reader.stop();
    await deleteTopicsLike(kafka, t.pipeline);
  }
}
const LATENCY_MS_GRACE = LATENESS_MS;

async function main(): Promise<void> {
  assertPeerBuilt();
  const provided = await getBrokers();
  const brokers = provided.brokers;
  const kafka = new Kafka({ clientId: 'bench-peers', brokers, logLevel: logLevel.NOTHING });
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-peers-ks-'));
  const eosSupported = peerConfig(topicsFor('probe', 'x'), 'eos') !== undefined;
  const inputTopic = `peers-${id}-input`;
  try {
    await createTopics(kafka, [inputTopic]);
    const loadStart = Date.now();
    const input = await preload(kafka, inputTopic);
    console.log(
      `bench-peers: ${input.samples} samples (+5000 flush) in ${input.records} records over ${PARTITIONS} partitions ` +
        `(${provided.provider} broker ${brokers.join(',')}), preloaded in ${((Date.now() - loadStart) / 1000).toFixed(1)} s; ` +
        `${input.kept} kept by the filter; event time spans ${(input.spanMs / 1000).toFixed(0)} s; ${ROUNDS} rounds; ` +
        `Kafka Streams: ${KS_THREADS} threads, grace ${ksGrace(input)} ms on the replay; load average ${(await loadAverage()).join(' ')}`,
    );
    if (!eosSupported)
      console.log('the transformer has no processing: exactly_once yet: transform-eos is skipped');
    const all: SystemName[] = [
      'consumer-perf',
      'raw-no-commit',
      'raw-timer',
      'pipeline',
      'transform-alo',
      'kafka-streams-alo',
      'transform-eos',
      'kafka-streams-eos',
    ];
    const systems = all.filter(
      (s) =>
        (eosSupported || s !== 'transform-eos') &&
        (!flags.only || flags.only.split(',').includes(s)),
    );
    const results: RunResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? systems : [...systems].reverse();
      // The reference windows come from the first at-least-once transformer run.
      if (round === 1 && order.includes('transform-alo')) {
        order.splice(order.indexOf('transform-alo'), 1);
        order.unshift('transform-alo');
      }
      for (const system of order) {
        const r = await withRetry(`round ${round} ${system}`, () => {
          if (system === 'consumer-perf') {
            return consumerPerformance(
              brokers.join(','),
              input.topic,
              input.records,
              `peers-${id}-cp-${round}`,
            ).then(
              (cp): RunResult => ({
                system,
                msgsPerS: cp.msgsPerS,
                samplesPerS: cp.msgsPerS * PER_RECORD,
                cpuSeconds: Number.NaN,
                peakRssMiB: cp.peakRssMiB,
                units: input.records,
              }),
            );
          }
          if (system === 'raw-no-commit' || system === 'raw-timer' || system === 'pipeline')
            return consumeRun(brokers, system, input);
          return transformRun(kafka, brokers, system, input, stateDir);
        });
        if (!r) continue;
        results.push(r);
        console.log(
          `round ${round} ${system.padEnd(18)} ${Math.round(r.msgsPerS).toString().padStart(7)} msgs/s ${Math.round(r.samplesPerS).toString().padStart(8)} samples/s ` +
            `cpu ${Number.isNaN(r.cpuSeconds) ? '   -' : r.cpuSeconds.toFixed(2)} s  peak rss ${r.peakRssMiB.toFixed(0)} MiB${r.windows ? `  windows ${r.windows}` : ''}`,
        );
      }
    }
    const latency: Partial<Record<SystemName, Awaited<ReturnType<typeof latencyRun>>>> = {};
    if (!flags['skip-latency']) {
      for (const system of systems.filter(
        (s) => s.startsWith('transform') || s.startsWith('kafka-streams'),
      )) {
        const l = await withRetry(`latency ${system}`, () =>
          latencyRun(kafka, brokers, system, stateDir),
        );
        if (!l) continue;
        latency[system] = l;
        console.log(
          `latency ${system}: p50 ${l.p50.toFixed(0)} ms, p99 ${l.p99.toFixed(0)} ms, max ${l.max.toFixed(0)} ms over ${l.windows} windows (${l.samples} samples)`,
        );
      }
    }
    printReport({
      results,
      latency,
      mismatches,
      input,
      rounds: ROUNDS,
      latencyRate: LATENCY_RATE,
      latencySeconds: LATENCY_SECONDS,
      load: await loadAverage(),
      eosSupported,
    });
  } finally {
    await deleteTopicsLike(kafka, `peers-${id}`).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
    await provided.stop();
  }
}

/**
 * Runs `body` once more after a failure: under load the broker's metadata sometimes lags a
 * topic creation, which kafkajs (the bench's and the transformer's ensureTopics alike)
 * reports as an error. Undefined after the second failure (printed).
 */
async function withRetry<T>(label: string, body: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      return await body();
    } catch (error) {
      const message = (error as Error).message.slice(0, 600);
      console.log(`${label}: ${attempt === 1 ? 'retrying after' : 'FAILED'} ${message}`);
      if (process.env.BENCH_DEBUG) console.log((error as Error).stack);
    }
  }
  return undefined;
}

async function loadAverage(): Promise<number[]> {
  const { loadavg } = await import('node:os');
  return loadavg().map((n) => Number(n.toFixed(2)));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench-peers: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
