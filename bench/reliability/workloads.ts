// What `make reliability` runs through its faults: a workload is the pipeline an instance
// runs (workloadPipeline, in the child) plus how its input is made and its output checked
// (Workload, in the harness). Each scenario runs once per workload in WORKLOADS.
//
// HOOK for the metric transformer: add a second Workload to WORKLOADS (its records are
// metric lines, its verify reads the output windows and compares them with what the input
// implies), give InstanceConfig.workload a second value, and build its pipeline in
// workloadPipeline. The scenarios need nothing else.
import { KafkaSink } from '../../platform/kafka/sink/kafka-sink';
import type { Message } from '../../platform/message/message';
import { DEAD_LETTER_HEADERS } from '../../platform/pipeline/dead-letter';
import type { PipelineOptions } from '../../platform/pipeline/options';

/** Settings of one instance, passed to the child as JSON. */
export interface InstanceConfig {
  readonly workload: 'identity';
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
  readonly name: string;
  /** Key and value of input record `i`. */
  record(i: number, bad: BadRecords): { key: string; value: string };
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

/** The workloads every scenario runs with (see the HOOK above). */
export const WORKLOADS: readonly Workload[] = [identity];
