// What `make reliability` runs through its faults: a workload is the pipeline an instance
// runs (workloadPipeline, in the child) plus how its input is made and its output checked
// (Workload, in the harness). Each scenario runs once per workload in WORKLOADS that
// lists it.
//
// Two workloads: `identity` (each record goes out as it came; the output says exactly which
// arrived) and `transformer` (the metric transformer, exactly once: metric lines in, window
// results out through a repartition hop; see ./transformer-workload.ts).
import { KafkaSink } from '../../platform/kafka/sink/kafka-sink';
import type { Message } from '../../platform/message/message';
import { DEAD_LETTER_HEADERS } from '../../platform/pipeline/dead-letter';
import type { PipelineOptions } from '../../platform/pipeline/options';
import { transformer, transformerPipeline } from './transformer-workload';

/** Settings of one instance, passed to the child as JSON. */
export interface InstanceConfig {
  readonly workload: 'identity' | 'transformer';
  readonly name: string;
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly input: string;
  readonly output: string;
  /** Dead-letter topic; with it, records are JSON and marked ones are refused. */
  readonly deadLetter?: string;
  /** Sink delay per record while slow, and for how long from start (ms). */
  readonly slowSink?: { readonly perRecordMs: number; readonly forMs: number };
  /** Source queue high-water mark per partition (events); the source's default otherwise. */
  readonly highWaterEvents?: number;
  /** pipeline drainTimeoutMs: a SIGTERM exits within it. */
  readonly drainTimeoutMs: number;
}

/** A pipeline an instance runs, with what must start before and stop after it. */
export interface WorkloadPipeline {
  readonly options: PipelineOptions;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the instance's pipeline (in the child process). */
export function workloadPipeline(config: InstanceConfig): WorkloadPipeline {
  if (config.workload === 'transformer') return transformerPipeline(config);
  const client = { brokers: [...config.brokers], logLevel: 'nothing' as const };
  let slowSink: KafkaSink | undefined;
  const started = Date.now();
  if (config.slowSink) {
    slowSink = new KafkaSink({ client, topic: config.output });
  }
  const slow = config.slowSink;
  const options: PipelineOptions = {
    name: config.name,
    source: {
      client,
      groupId: config.groupId,
      topics: [config.input],
      commitIntervalMs: 500,
      rebalanceDrainTimeoutMs: 5_000,
      ...(config.highWaterEvents
        ? {
            queue: {
              highWaterEvents: config.highWaterEvents,
              lowWaterEvents: Math.floor(config.highWaterEvents / 2),
            },
          }
        : {}),
      session: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 20_000 },
    },
    decode: config.deadLetter ? (value) => JSON.parse(String(value)) : undefined,
    processors: {
      concurrency: 2,
      maxDemand: 500,
      handleMessage: (m: Message) => {
        const data = m.data as { fail?: boolean; i?: number } | undefined;
        if (data?.fail) throw new RangeError(`record ${data.i} refused by the handler`);
      },
    },
    batchers: { default: { batchSize: 500, batchTimeoutMs: 20 } },
    sinks: {
      default:
        slowSink && slow
          ? async (messages: readonly Message[]) => {
              if (Date.now() - started < slow.forMs) {
                await new Promise((r) => setTimeout(r, slow.perRecordMs * messages.length));
              }
              await slowSink!.send(messages);
            }
          : { topic: config.output },
    },
    // A refused record is retried briefly, then dead-lettered. (A broker that is away is
    // not a refusal: the pipeline retries that for as long as it runs.)
    retry: { attempts: 3, initialMs: 10, maxMs: 100 },
    deadLetter: config.deadLetter ? { topic: config.deadLetter } : undefined,
    drainTimeoutMs: config.drainTimeoutMs,
  };
  return {
    options,
    start: async () => {
      await slowSink?.start();
    },
    stop: async () => {
      await slowSink?.stop();
    },
  };
}

/** Which records of a run are bad on purpose (dead-letter scenario only). */
export interface BadRecords {
  /** Not JSON: refused by decode. */
  readonly undecodable: (i: number) => boolean;
  /** Valid, but the handler throws on every attempt. */
  readonly throws: (i: number) => boolean;
}

export const NO_BAD_RECORDS: BadRecords = { undecodable: () => false, throws: () => false };

/** An input record: key (none: unkeyed), value and, when it matters, partition. */
export interface InputRecord {
  readonly key?: string;
  readonly value: string;
  readonly partition?: number;
}

/** A record as read back by the harness. */
export interface ReadRecord {
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** What a run delivered, as the workload judges it. */
export interface Verdict {
  /** Distinct records delivered to the output. */
  readonly out: number;
  /** Expected somewhere (output or dead-letter topic) and found nowhere. */
  readonly lost: number;
  /** Deliveries beyond the first, output and dead-letter topic together. */
  readonly duplicated: number;
  readonly deadLettered: number;
  /** Anything else wrong (a bad record delivered, a dead letter without its origin). */
  readonly problems: readonly string[];
}

/** The harness side of a workload. */
export interface Workload {
  readonly name: InstanceConfig['workload'];
  /** The scenarios this workload runs through (by name). */
  readonly scenarios: readonly string[];
  /**
   * How a run's progress is measured: by records in the output (`output`), or by the
   * group's committed input offsets (`committed-input`), for a workload whose output is
   * not one record per input record.
   */
  readonly progress: 'output' | 'committed-input';
  /**
   * Exactly once: the output is read by a `read_committed` reader that runs through the
   * whole scenario, and any record it sees twice fails the scenario.
   */
  readonly exactlyOnce: boolean;
  /** Key (none: unkeyed), value and, when it matters, partition of input record `i`. */
  record(i: number, bad: BadRecords): InputRecord;
  /** Records produced after the run's `records` ones (not counted in them), if any. */
  tail?(records: number): InputRecord[];
  /**
   * With `committed-input` progress: true once `output` (read so far) holds everything
   * the run's `records` input records must produce. The run is done when this holds and
   * the input is committed to its end.
   */
  complete?(records: number, output: readonly ReadRecord[]): boolean;
  /** Judges the output and dead-letter records of a run of `records` input records. */
  verify(
    records: number,
    bad: BadRecords,
    output: readonly ReadRecord[],
    deadLetters: readonly ReadRecord[],
    inputTopic: string,
  ): Verdict;
}

/** Input record i is `i` (or JSON holding it): the output says exactly which arrived. */
export const identity: Workload = {
  name: 'identity',
  scenarios: [
    'sigkill-x5',
    'scale-1-3-1',
    'broker-stop',
    'broker-freeze',
    'dead-letter-2pct',
    'slow-sink-20x',
    'sigterm-restart',
    'rolling-restart-3',
  ],
  progress: 'output',
  exactlyOnce: false,
  record(i, bad) {
    const key = `key-${i % 1_000}`;
    if (bad === NO_BAD_RECORDS) return { key, value: String(i) };
    if (bad.undecodable(i)) return { key, value: `{broken ${i}` };
    return { key, value: JSON.stringify(bad.throws(i) ? { i, fail: true } : { i }) };
  },
  verify(records, bad, output, deadLetters, inputTopic) {
    const problems: string[] = [];
    const seen = new Uint16Array(records);
    const isBad = (i: number) => bad.undecodable(i) || bad.throws(i);
    const indexOf = (value: string) => Number(/\d+/.exec(value)?.[0] ?? Number.NaN);
    let duplicated = 0;
    let out = 0;
    for (const r of output) {
      const i = indexOf(r.value);
      if (!(i >= 0 && i < records)) problems.push(`unexpected output value ${r.value}`);
      else if (isBad(i)) problems.push(`bad record ${i} was delivered`);
      else if (seen[i]!++ > 0) duplicated++;
      else out++;
    }
    let deadLettered = 0;
    for (const r of deadLetters) {
      const i = indexOf(r.value);
      if (!(i >= 0 && i < records) || !isBad(i)) {
        problems.push(`good record ${r.value} was dead-lettered`);
        continue;
      }
      if (
        r.headers[DEAD_LETTER_HEADERS.originTopic] !== inputTopic ||
        r.headers[DEAD_LETTER_HEADERS.originPartition] === undefined ||
        r.headers[DEAD_LETTER_HEADERS.originOffset] === undefined
      ) {
        problems.push(`dead letter of record ${i} lacks its origin headers`);
      }
      if (seen[i]!++ > 0) duplicated++;
      else deadLettered++;
    }
    let lost = 0;
    for (let i = 0; i < records; i++) if (seen[i] === 0) lost++;
    if (problems.length > 5)
      problems.splice(5, problems.length - 5, `(${problems.length} problems)`);
    return { out, lost, duplicated, deadLettered, problems };
  },
};

/** The workloads, in the order they run. */
export const WORKLOADS: readonly Workload[] = [identity, transformer];
