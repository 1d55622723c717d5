/**
 * The Kafka half of bench/transform.ts: the transformer against a real broker, each variant
 * in its own process (bench/transform-variant.ts), CPU and peak RSS read from /proc.
 *
 * Throughput, on one preloaded input (N samples from the project's generator, Influx line
 * protocol, 10 lines per record, 6 partitions), four variants alternating over several
 * rounds (odd rounds in one order, even rounds reversed):
 *   hop-eos / hop-alo        the transformer as it ships, processing exactly_once /
 *                            at_least_once: input part → repartition hop → window part
 *   direct-eos / direct-alo  the same work without the hop (see transform-variant.ts): the
 *                            same samples, regrouped into records of one partition per
 *                            group, read by the window part alone
 * A run is timed from the moment its pipeline joined the group (start-up excluded) until
 * every window of the input is readable by a read_committed consumer (the sum of their
 * counts equals the samples the filter keeps). The hop variants' input ends with one record
 * per partition of samples far ahead in event time, the direct input with a watermark
 * marker per partition: either closes every window of the input. Each run's windows are
 * compared with the first run's, window by window (count, sum exactly; p99 within 2 α).
 *
 * Latency (hop-eos): an open-loop generator offers `rate` samples/s for `seconds` to a
 * fresh input topic. Sample i is scheduled at t0 + (i + 1) · 1000 / rate and carries that
 * time as its event time (no clock skew, nothing out of order or late), and goes out with
 * the first 10 ms slice at or after it, whatever the sends before it are doing (a slow send
 * makes the next slice bigger; the schedule never waits): no coordinated omission. A window
 * result is attributed to every sample in it (weight: its count). A sample's latency is its
 * window's readable time (a read_committed reader's clock) minus its scheduled time minus
 * the window's own wait for it, (end + lateness) − scheduled time: readable − (end +
 * lateness), the same for every sample of the window: how long after the sample that
 * could close the window was due its result was readable. Only windows that start after
 * t0 and close by the last scheduled sample count. p50/p99/max over samples.
 */
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { sampleToInflux } from '../platform/apps/metrics-transform/encode/encode';
import { SampleGenerator } from '../platform/apps/metrics-transform/generator/sample-generator';
import type { Sample } from '../platform/apps/metrics-transform/model/sample';
import { getBrokers } from '../platform/kafka/brokers';
import { HOP_HEADERS } from '../platform/pipeline/repartition/hop-headers';
import { keptByFilter, LATENESS_MS, type PeerTopics, WINDOW_MS } from './peers/config';
import { compareWindows, type OutputReader, readOutput, windowLatency } from './peers/outputs';
import { procSnapshot } from './peers/proc';
import { Child } from './peers/systems';
import { repartitionTopicOf, type Variant, type VariantSettings } from './transform-variant';

export const VARIANTS: readonly Variant[] = ['hop-eos', 'hop-alo', 'direct-eos', 'direct-alo'];
const PARTITIONS = 6;
const PER_RECORD = 10;
const EVENT_RATE = 5_000; // samples per second of event time in the preloaded input

export interface KafkaBenchSettings {
  readonly samples: number;
  readonly rounds: number;
  /** The variant of the latency runs (the goal's: hop-eos). */
  readonly latencyVariant: Variant;
  /** Offered rates of the latency runs, samples/s (the first is the goal's). */
  readonly latencyRates: readonly number[];
  readonly latencySeconds: number;
  /** The variants to run (default: all four). */
  readonly variants?: readonly Variant[];
  /** The transformer's commit_interval, ms (default: its default, 100 ms). */
  readonly commitIntervalMs?: number;
  /** Directory for `node --cpu-prof` profiles of every variant's process, if set. */
  readonly cpuProfDir?: string;
  readonly say: (line: string) => void;
}

export interface VariantRun {
  readonly variant: Variant;
  readonly round: number;
  readonly samplesPerS: number;
  readonly cpuSecondsPerMillion: number;
  readonly peakRssMiB: number;
  readonly seconds: number;
  readonly windows: number;
  /** Result records read, copies included (exactly once: equal to windows). */
  readonly records: number;
}

export interface LatencyResult {
  readonly variant: Variant;
  readonly offeredSamplesPerS: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly windows: number;
  readonly samples: number;
  /** Samples the generator sent, and how late its slowest slice went out, ms. */
  readonly sent: number;
  readonly maxSendLagMs: number;
  /** What the variant last logged at error level ('' when nothing). */
  readonly lastError: string;
}

export interface KafkaBenchResult {
  readonly brokers: string;
  readonly samples: number;
  readonly kept: number;
  readonly hopRecords: number;
  readonly directRecords: number;
  readonly runs: VariantRun[];
  /** Why runs' windows differed from the first run's (empty: all equal). */
  readonly mismatches: string[];
  /** Runs that did not finish, and why. */
  readonly failures: string[];
  /** One per offered rate, in the order given. */
  readonly latency: LatencyResult[];
}

interface Input {
  readonly samples: number;
  readonly kept: number;
  readonly hopTopic: string;
  readonly hopRecords: number;
  readonly directRecords: number;
  /** Windows starting at or after this hold the tail (excluded from the counts). */
  readonly tailStart: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The group a sample's window result belongs to, before relabelling (job := service). */
function groupOf(s: Sample): string {
  const l = s.labels;
  return `${s.name}|${l.service ?? ''}|${l.method ?? ''}|${l.region ?? ''}`;
}

/**
 * Records of `per` consecutive samples (Influx lines), keyed by the first one's host: what
 * an agent flushing everything it gathered at one moment writes. (The generator's
 * `toRecords` gathers one series per record, whose 10 samples span 10 s of event time here,
 * far beyond the 2 s lateness: samples would be late depending on how batches fall.)
 */
function chunks(samples: readonly Sample[], per: number): Outgoing[] {
  const out: Outgoing[] = [];
  for (let i = 0; i < samples.length; i += per) {
    const chunk = samples.slice(i, i + per);
    out.push({
      key: chunk[0]!.labels.instance ?? null,
      value: chunk.map(sampleToInflux).join('\n'),
    });
  }
  return out;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

async function createTopics(kafka: Kafka, topics: { topic: string; partitions: number }[]) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions })),
      waitForLeaders: false,
    });
    // kafkajs's waitForLeaders fails when metadata lags a creation: poll for leaders.
    const names = topics.map((t) => t.topic);
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
        if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
          return;
      } catch (error) {
        if (attempt >= 60) throw error;
      }
      await sleep(250);
    }
  } finally {
    await admin.disconnect();
  }
}

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

type Outgoing = {
  key: string | null;
  value: string | null;
  partition?: number;
  headers?: Record<string, string>;
};

async function produce(kafka: Kafka, topic: string, records: Outgoing[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    // Slices well under the broker's 1 MiB batch limit (records are ~1 KiB).
    for (let i = 0; i < records.length; i += 200) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + 200) });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * The preloaded input, twice: keyed by host as agents write it (hop variants), and
 * regrouped so that every sample of a window group is in one partition (direct variants).
 */
async function preload(
  kafka: Kafka,
  n: number,
  hopTopic: string,
  direct: { topic: string; writer: string },
): Promise<Input> {
  const start = Date.now() - 3_600_000;
  const gen = new SampleGenerator({ seed: 42, series: 5_000, rate: EVENT_RATE, start, late: 0 });
  const samples = gen.batch(n);
  const kept = samples.filter(keptByFilter).length;
  let maxTs = start;
  for (const s of samples) if (s.timestamp > maxTs) maxTs = s.timestamp;
  const tailTs = Math.ceil((maxTs + 3 * WINDOW_MS) / WINDOW_MS) * WINDOW_MS;

  const hopRecords = chunks(samples, PER_RECORD);
  // Tail: one sample per group, far ahead, in every partition after its data.
  const groups = new Map<string, Sample>();
  for (const s of gen.batch(5_000)) groups.set(groupOf(s), { ...s, timestamp: tailTs });
  const perGroup = [...groups.values()];
  for (let p = 0; p < PARTITIONS; p++) {
    const lines = perGroup.filter((_, i) => i % PARTITIONS === p);
    for (const r of chunks(lines, lines.length)) hopRecords.push({ ...r, partition: p });
  }

  // Direct: per partition (by group), records of 10 lines in generation order, with what a
  // hop writer adds (event time, sequence; the writer is the empty input's one partition,
  // which the window part expects to hear from), then a marker far ahead.
  const byPartition: Sample[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const s of samples) byPartition[hash(groupOf(s)) % PARTITIONS]!.push(s);
  const directRecords: Outgoing[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const writer = direct.writer;
    const list = byPartition[p]!;
    let seq = 0;
    for (let i = 0; i < list.length; i += PER_RECORD) {
      const chunk = list.slice(i, i + PER_RECORD);
      let time = Number.NEGATIVE_INFINITY;
      for (const s of chunk) if (s.timestamp > time) time = s.timestamp;
      const [record] = chunks(chunk, chunk.length);
      directRecords.push({
        key: groupOf(chunk[0]!),
        value: record!.value,
        partition: p,
        headers: {
          [HOP_HEADERS.writer]: writer,
          [HOP_HEADERS.eventTime]: String(time),
          [HOP_HEADERS.sequence]: `${seq++}:0`,
        },
      });
    }
    directRecords.push({
      key: null,
      value: null,
      partition: p,
      headers: {
        [HOP_HEADERS.marker]: 'watermark',
        [HOP_HEADERS.progress]: JSON.stringify({ [writer]: tailTs }),
      },
    });
  }
  await produce(kafka, hopTopic, hopRecords);
  await produce(kafka, direct.topic, directRecords);
  return {
    samples: n,
    kept,
    hopTopic,
    hopRecords: hopRecords.length,
    directRecords: directRecords.length,
    tailStart: tailTs - WINDOW_MS,
  };
}

/** The last error each variant's process logged (kafkajs's `error`, or the log message). */
const lastErrors = new WeakMap<Child, string>();

/** What a variant's process last logged at error level, for a run that failed. */
function lastError(child: Child): string {
  const e = lastErrors.get(child);
  return e ? `; last error the variant logged: ${e}` : '';
}

function startVariant(variant: Variant, settings: VariantSettings, cpuProfDir?: string): Child {
  const prof = cpuProfDir
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${cpuProfDir}`,
        `--cpu-prof-name=${variant}-${Date.now()}.cpuprofile`,
      ]
    : [];
  const child = new Child(
    process.execPath,
    [...prof, join(__dirname, 'transform-variant.js'), variant, JSON.stringify(settings)],
    variant,
  );
  child.proc.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.includes('"level":50')) continue;
      try {
        const o = JSON.parse(line) as { error?: unknown; msg?: unknown };
        lastErrors.set(child, String(o.error ?? o.msg));
      } catch {
        // a line cut between two chunks
      }
    }
  });
  return child;
}

/** A run in which no new window became readable for this long is stuck. */
const STALL_MS = 90_000;

/**
 * Waits until the reader holds every kept sample's window; throws when the variant exited,
 * or when no window came for {@link STALL_MS}, or after `waitMs`.
 */
async function awaitWindows(reader: OutputReader, input: Input, child: Child, waitMs: number) {
  const deadline = Date.now() + waitMs;
  let told = Date.now();
  let counted = -1;
  let changed = Date.now();
  const where = () =>
    `windows hold ${reader.countedSamples(input.tailStart)} of ${input.kept} samples`;
  for (;;) {
    const now = reader.countedSamples(input.tailStart);
    if (now !== counted) {
      counted = now;
      changed = Date.now();
    }
    if (Date.now() - changed > STALL_MS)
      throw new Error(
        `stuck: no new window for ${STALL_MS / 1000} s, ${where()}${lastError(child)}`,
      );
    if (process.env.BENCH_DEBUG && Date.now() - told > 5_000) {
      told = Date.now();
      process.stderr.write(
        `${child.label}: windows hold ${reader.countedSamples(input.tailStart)} of ${input.kept} samples (${reader.windows.size} windows)\n`,
      );
    }
    if (counted >= input.kept) return;
    if (child.proc.exitCode !== null)
      throw new Error(`exited (${child.proc.exitCode}), ${where()}${lastError(child)}`);
    if (Date.now() > deadline)
      throw new Error(`${where()} after ${waitMs / 1000} s${lastError(child)}`);
    await sleep(10);
  }
}

export async function kafkaBench(s: KafkaBenchSettings): Promise<KafkaBenchResult> {
  const provided = await getBrokers();
  const brokers = provided.brokers;
  const kafka = new Kafka({ clientId: 'bench-transform', brokers, logLevel: logLevel.NOTHING });
  const id = `bt-${Date.now().toString(36)}`;
  const directPipeline = `${id}-direct`;
  let runNo = 0;
  const topicsFor = (variant: Variant, input: string): PeerTopics => {
    const p = `${id}-${variant}-${++runNo}`;
    return {
      pipeline: variant.startsWith('direct') ? directPipeline : p,
      input,
      output: `${p}-out`,
      deadLetter: `${p}-dlq`,
      group: `${p}-g`,
    };
  };
  try {
    const hopTopic = `${id}-input`;
    const emptyInput = `${directPipeline}-empty`;
    const direct = { topic: repartitionTopicOf(directPipeline), writer: `${emptyInput}/0` };
    await createTopics(kafka, [
      { topic: hopTopic, partitions: PARTITIONS },
      { topic: emptyInput, partitions: 1 },
      { topic: direct.topic, partitions: PARTITIONS },
    ]);
    const loadStart = Date.now();
    const input = await preload(kafka, s.samples, hopTopic, direct);
    s.say(
      `through Kafka (${provided.provider} broker): ${input.samples} samples preloaded in ${((Date.now() - loadStart) / 1000).toFixed(1)} s ` +
        `(${input.hopRecords} records keyed by host for the hop variants, ${input.directRecords} keyed by group for the direct ones, ` +
        `${PARTITIONS} partitions); ${input.kept} kept by the filter; ${s.rounds} round(s)`,
    );
    const runs: VariantRun[] = [];
    const mismatches: string[] = [];
    const failures: string[] = [];
    let reference: OutputReader['windows'] | undefined;
    for (let round = 1; round <= s.rounds; round++) {
      const chosen = s.variants ?? VARIANTS;
      const order = round % 2 === 1 ? chosen : [...chosen].reverse();
      for (const variant of order) {
        const topics = topicsFor(variant, variant.startsWith('direct') ? emptyInput : hopTopic);
        await createTopics(kafka, [
          { topic: topics.output, partitions: PARTITIONS },
          { topic: topics.deadLetter, partitions: 1 },
        ]);
        const reader = await readOutput(brokers, topics.output, `${topics.group}-reader`);
        const child = startVariant(
          variant,
          {
            brokers,
            topics,
            partitions: PARTITIONS,
            ...(s.commitIntervalMs ? { commitIntervalMs: s.commitIntervalMs } : {}),
          },
          s.cpuProfDir,
        );
        try {
          const joined = Number((await child.line('joined', 180_000)).split(' ')[1]);
          const cpu0 = procSnapshot(child.pid)!;
          await awaitWindows(reader, input, child, 600_000);
          const done = Date.now();
          const cpu1 = procSnapshot(child.pid)!;
          const seconds = (done - joined) / 1000;
          const run: VariantRun = {
            variant,
            round,
            seconds,
            samplesPerS: input.samples / seconds,
            cpuSecondsPerMillion: ((cpu1.cpuSeconds - cpu0.cpuSeconds) / input.samples) * 1e6,
            peakRssMiB: cpu1.peakRssMiB,
            windows: reader.windows.size,
            records: reader.records(),
          };
          runs.push(run);
          if (!reference) reference = new Map(reader.windows);
          else {
            const problems = compareWindows(reference, reader.windows, input.tailStart);
            if (problems.length > 0)
              mismatches.push(`${variant} round ${round}: ${problems.join('; ')}`);
          }
          s.say(
            `  round ${round} ${variant.padEnd(10)} ${Math.round(run.samplesPerS).toString().padStart(7)} samples/s  ` +
              `cpu ${run.cpuSecondsPerMillion.toFixed(2)} s/M  ${seconds.toFixed(2)} s  peak rss ${run.peakRssMiB.toFixed(0)} MiB  ` +
              `windows ${run.windows} (records read ${run.records})`,
          );
        } catch (error) {
          const why = `round ${round} ${variant}: FAILED: ${(error as Error).message}`;
          failures.push(why);
          s.say(`  ${why}`);
        } finally {
          await child.stop();
          await reader.stop();
          // This run's output, dead letters and internal topic (not the shared inputs).
          await deleteTopicsLike(kafka, topics.output.replace(/out$/, ''));
        }
      }
    }
    const latency: LatencyResult[] = [];
    for (const rate of s.latencySeconds > 0 ? s.latencyRates : []) {
      try {
        latency.push(await latencyRun(kafka, brokers, topicsFor(s.latencyVariant, ''), s, rate));
      } catch (error) {
        const why = `latency at ${rate} samples/s: FAILED: ${(error as Error).message}`;
        failures.push(why);
        s.say(why);
      }
    }
    return {
      brokers: provided.provider,
      samples: input.samples,
      kept: input.kept,
      hopRecords: input.hopRecords,
      directRecords: input.directRecords,
      runs,
      mismatches,
      failures,
      latency,
    };
  } finally {
    await deleteTopicsLike(kafka, id).catch(() => undefined);
    await provided.stop();
  }
}

/** hop-eos at a fixed offered rate, open loop (see the header). */
async function latencyRun(
  kafka: Kafka,
  brokers: string[],
  base: PeerTopics,
  s: KafkaBenchSettings,
  rate: number,
): Promise<LatencyResult> {
  const topics: PeerTopics = { ...base, input: `${base.pipeline}-in` };
  await createTopics(kafka, [
    { topic: topics.input, partitions: PARTITIONS },
    { topic: topics.output, partitions: PARTITIONS },
    { topic: topics.deadLetter, partitions: 1 },
  ]);
  const reader = await readOutput(brokers, topics.output, `${topics.group}-reader`);
  const child = startVariant(
    s.latencyVariant,
    {
      brokers,
      topics,
      partitions: PARTITIONS,
      ...(s.commitIntervalMs ? { commitIntervalMs: s.commitIntervalMs } : {}),
    },
    s.cpuProfDir,
  );
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await child.line('joined', 180_000);
    await producer.connect();
    const total = Math.floor(rate * s.latencySeconds);
    const t0 = Date.now();
    const gen = new SampleGenerator({
      seed: 7,
      series: 5_000,
      rate,
      start: t0,
      jitterMs: 0,
      outOfOrder: 0,
      late: 0,
    });
    const scheduled = (i: number) => t0 + ((i + 1) * 1000) / rate;
    let sent = 0;
    let maxSendLagMs = 0;
    let queue: Promise<unknown> = Promise.resolve();
    while (sent < total) {
      const now = Date.now();
      const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000));
      if (due > sent) {
        // The slice goes out after every earlier slice (order per series), but its samples
        // are stamped with their schedule: a slow send delays their results, it does not
        // move their clock.
        const samples = gen.batch(due - sent);
        const firstDue = scheduled(sent);
        sent = due;
        const records = chunks(samples, PER_RECORD);
        queue = queue.then(() => {
          maxSendLagMs = Math.max(maxSendLagMs, Date.now() - firstDue);
          return producer.send({ topic: topics.input, acks: -1, messages: records });
        });
      }
      await sleep(10);
    }
    await queue;
    const last = scheduled(total - 1);
    // Until the pipeline has parsed every sample sent (it may have fallen behind), then until
    // no new window became readable for 3 s: the windows the live input closed are out.
    // A pipeline that stopped parsing (stuck) is given two minutes, then judged on what came.
    await child.progress(sent, 120_000).catch(() => undefined);
    await sleep(LATENESS_MS);
    for (let seen = -1, stable = 0; stable < 3 && Date.now() - last < 300_000; ) {
      const now = reader.windows.size;
      stable = now === seen ? stable + 1 : 0;
      seen = now;
      await sleep(1_000);
    }
    const l = windowLatency(reader.windows, t0, last, LATENESS_MS);
    return {
      variant: s.latencyVariant,
      offeredSamplesPerS: rate,
      seconds: s.latencySeconds,
      ...l,
      sent,
      maxSendLagMs,
      lastError: lastError(child),
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await child.stop();
    await reader.stop();
  }
}
