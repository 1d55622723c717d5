// The moving parts of `make reliability`: a local broker that can be stopped, restarted on
// the same data and ports, or frozen; pipeline instances as child processes that can be
// killed and restarted; and the reads and writes the scenarios measure with.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { type Admin, Kafka, logLevel, Partitioners } from 'kafkajs';
import { type LocalBroker, startLocalBroker } from '../../platform/kafka/local-broker/local-broker';
import { freePorts } from '../../platform/kafka/local-broker/ports';
import {
  type RestartedBroker,
  restartLocalBroker,
} from '../../platform/kafka/local-broker/restart';
import type { BadRecords, InputRecord, InstanceConfig, ReadRecord, Workload } from './workloads';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One broker for the whole run, on fixed ports and a kept data directory. */
export class Cluster {
  private current: LocalBroker | RestartedBroker | undefined;
  private first: LocalBroker | undefined;
  private readonly home = mkdtempSync(path.join(tmpdir(), 'kafka-stages-reliability-'));
  readonly kafka: Kafka;
  bootstrap = '';

  private constructor() {
    this.kafka = undefined as unknown as Kafka;
  }

  static async start(): Promise<Cluster> {
    const cluster = new Cluster();
    const [port, controllerPort] = await freePorts('127.0.0.1', 2);
    cluster.first = await startLocalBroker({
      home: cluster.home,
      port,
      controllerPort,
      heap: '768m',
    });
    cluster.current = cluster.first;
    cluster.bootstrap = cluster.first.bootstrap;
    (cluster as { kafka: Kafka }).kafka = new Kafka({
      clientId: 'reliability-harness',
      brokers: [cluster.bootstrap],
      logLevel: logLevel.NOTHING,
      requestTimeout: 10_000,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    return cluster;
  }

  get pid(): number {
    return this.current?.pid ?? -1;
  }

  /** A real stop: the JVM shuts down; data directory and ports stay for the restart. */
  async stopBroker(): Promise<void> {
    await this.current?.stop();
  }

  /** Starts the broker again on the same data directory and ports. */
  async restartBroker(): Promise<void> {
    if (!this.first) throw new Error('reliability: the broker was never started');
    this.current = await restartLocalBroker(this.first);
  }

  freeze(): void {
    process.kill(this.pid, 'SIGSTOP');
  }

  thaw(): void {
    process.kill(this.pid, 'SIGCONT');
  }

  async close(): Promise<void> {
    try {
      this.thaw();
    } catch {
      // Not running.
    }
    await this.current?.stop();
    if (existsSync(this.home)) rmSync(this.home, { recursive: true, force: true });
  }

  /**
   * Runs `work` with an admin client; a retriable error (a topic created a moment ago that
   * its leader does not know yet, a broker restarting) runs it again, for up to 30 s.
   */
  async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        return await work(admin);
      } catch (error) {
        if (!(error as { retriable?: boolean }).retriable || Date.now() > deadline) throw error;
        await sleep(500);
      } finally {
        await admin.disconnect().catch(() => {});
      }
    }
  }

  /** Creates the topics and waits until the broker's metadata has every partition's leader. */
  async createTopics(partitions: number, ...topics: string[]): Promise<void> {
    await this.withAdmin(async (admin) => {
      await admin.createTopics({
        topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
        timeout: 30_000,
      });
      // waitForLeaders asks the controller; a produce right after can still find the broker's
      // own metadata without the topic ("does not host this topic-partition").
      const deadline = Date.now() + 30_000;
      for (;;) {
        const metadata = await admin.fetchTopicMetadata({ topics }).catch(() => undefined);
        const ready =
          metadata?.topics.length === topics.length &&
          metadata.topics.every(
            (t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0),
          );
        // Listing offsets is what fails longest on a fresh broker ("not the leader").
        if (
          ready &&
          (await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t))).catch(() => false))
        )
          return;
        if (Date.now() > deadline)
          throw new Error(`topics ${topics.join(', ')}: no leaders in 30 s`);
        await sleep(100);
      }
    });
  }

  /** Records in `topic` (sum of its end offsets). */
  async count(topic: string): Promise<number> {
    const offsets = await this.withAdmin((admin) => admin.fetchTopicOffsets(topic));
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  }

  /** True once `groupId` committed the end of every partition of `topic`. */
  async caughtUp(groupId: string, topic: string): Promise<boolean> {
    return this.withAdmin(async (admin) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]));
      return ends.every((e) => (at.get(e.partition) ?? -1) >= Number(e.high));
    });
  }

  /** Sum of the offsets `groupId` committed on `topic` (records it settled). */
  async committed(groupId: string, topic: string): Promise<number> {
    return this.withAdmin(async (admin) => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (committed?.partitions ?? []).reduce(
        (sum, p) => sum + Math.max(0, Number(p.offset)),
        0,
      );
    });
  }

  /**
   * Produces records [from, to) of `workload`, `ratePerS` at most when given; then, when
   * `to` is the run's last record, the workload's tail.
   */
  async produce(
    topic: string,
    workload: Workload,
    bad: BadRecords,
    from: number,
    to: number,
    ratePerS?: number,
    records = to,
  ): Promise<void> {
    const producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const chunk = ratePerS ? Math.max(1, Math.round(ratePerS / 10)) : 5_000;
      const started = Date.now();
      const send = async (messages: InputRecord[]) => {
        // A topic created a moment ago can still be unknown to the partition's leader.
        for (let attempt = 1; ; attempt++) {
          try {
            await producer.send({ topic, acks: -1, messages });
            return;
          } catch (error) {
            if (attempt >= 30 || !(error as { retriable?: boolean }).retriable) throw error;
            await sleep(500);
          }
        }
      };
      for (let i = from; i < to; i += chunk) {
        const end = Math.min(to, i + chunk);
        const messages: InputRecord[] = [];
        for (let j = i; j < end; j++) messages.push(workload.record(j, bad));
        await send(messages);
        if (ratePerS) {
          const due = started + ((end - from) / ratePerS) * 1000;
          if (due > Date.now()) await sleep(due - Date.now());
        }
      }
      const tail = to === records ? workload.tail?.(records) : undefined;
      if (tail && tail.length > 0) await send(tail);
    } finally {
      await producer.disconnect();
    }
  }

  /**
   * A `read_committed` reader of `topic` that runs until stopped: what a downstream consumer
   * of a transactional output sees, record by record, while the scenario's faults happen.
   */
  async follow(topic: string): Promise<Follower> {
    const consumer = this.kafka.consumer({
      groupId: `follower-${topic}-${Date.now()}`,
      readUncommitted: false,
    });
    const records: ReadRecord[] = [];
    // The last offset each partition's fetches reached, control records (transaction
    // markers) included: kafkajs reports batches of markers only through this event.
    const reached = new Map<number, number>();
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const at = Number(payload.lastOffset);
      if (at > (reached.get(payload.partition) ?? -1)) reached.set(payload.partition, at);
    });
    // A topic created a moment ago can still be unknown to its leader: try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        break;
      } catch (error) {
        await consumer.disconnect().catch(() => {});
        if (attempt >= 20 || !(error as { retriable?: boolean }).retriable) throw error;
        await sleep(500);
      }
    }
    // A record is kept once per offset: a consumer that rejoins (the broker restarted) may be
    // handed records again, which says nothing about what the topic holds.
    const kept = new Set<string>();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const at = `${batch.partition}:${m.offset}`;
          if (kept.has(at)) continue;
          kept.add(at);
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
          records.push({ value: String(m.value), headers });
        }
      },
    });
    return {
      records,
      caughtUp: async () => {
        const ends = await this.withAdmin((admin) => admin.fetchTopicOffsets(topic));
        return ends.every(
          (e) => Number(e.high) === 0 || (reached.get(e.partition) ?? -1) >= Number(e.high) - 1,
        );
      },
      stop: () => consumer.disconnect(),
    };
  }

  /**
   * Every committed record of `topic` (read_committed), once per offset, read to the end
   * of every partition by a fresh consumer; open transactions hold it back (for up to their
   * timeout, when the broker aborts them).
   */
  async readCommitted(topic: string, timeoutMs = 180_000): Promise<ReadRecord[]> {
    const reader = await this.follow(topic);
    try {
      const deadline = Date.now() + timeoutMs;
      while (!(await reader.caughtUp().catch(() => false))) {
        if (Date.now() > deadline) {
          throw new Error(`reading ${topic} (read_committed): not at its end in ${timeoutMs} ms`);
        }
        await sleep(500);
      }
      return [...reader.records];
    } finally {
      await reader.stop();
    }
  }

  /** Every record of `topic`, read with a fresh group. */
  async readAll(topic: string): Promise<ReadRecord[]> {
    const total = await this.count(topic);
    const out: ReadRecord[] = [];
    if (total === 0) return out;
    const consumer = this.kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`reading ${topic}: ${out.length} of ${total} in 300 s`)),
          300_000,
        );
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) {
                const headers: Record<string, string> = {};
                for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
                out.push({ value: String(m.value), headers });
              }
              if (out.length >= total) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return out;
  }
}

/** A reader that follows a topic (see Cluster.follow). */
export interface Follower {
  /** What it read so far, in the order read. */
  readonly records: readonly ReadRecord[];
  /** True once it read up to the end of every partition (open transactions hold it back). */
  caughtUp(): Promise<boolean>;
  stop(): Promise<void>;
}

/** A pipeline instance in a child process. */
export class Instance {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  peakRss = 0;
  /** [ms since start, RSS bytes], one per status line. */
  readonly rss: [number, number][] = [];
  private readonly startedAt = Date.now();
  assignments = 0;
  revocations = 0;
  exposed = 0;
  pauses = 0;
  unacknowledgedAtStop = 0;
  /** Log lines saying a transaction of this instance was refused: another one owns it. */
  fenced = 0;
  private stderr = '';

  constructor(readonly config: InstanceConfig) {
    const script = path.join(__dirname, `instance${path.extname(__filename)}`);
    // Compiled (make reliability) runs instance.js; from sources, a transpiling loader.
    const args =
      path.extname(__filename) === '.ts'
        ? [path.join(__dirname, '..', '..', 'test/platform/pipeline/fixtures/run-ts.js'), script]
        : [script];
    this.child = spawn(process.execPath, args, {
      env: { ...process.env, RELIABILITY_INSTANCE: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The instance's log (JSON lines on stderr): its tail explains an early exit; with
    // RELIABILITY_LOGS=<dir>, all of it goes to <dir>/<instance>.log.
    const logDir = process.env.RELIABILITY_LOGS;
    const logFile = logDir
      ? createWriteStream(path.join(logDir, `${config.name}.log`), { flags: 'a' })
      : undefined;
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderr = `${this.stderr}${line}\n`.slice(-4_000);
      logFile?.write(`${line}\n`);
      if (line.includes('"msg":"fenced')) this.fenced++;
    });
    this.child.once('close', () => logFile?.end());
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.ready = new Promise((resolve, reject) => {
      const lines = createInterface({ input: this.child.stdout! });
      lines.on('line', (line) => {
        let event: Record<string, number | string | boolean>;
        try {
          event = JSON.parse(line);
        } catch {
          return;
        }
        if (event.t === 'ready') resolve();
        if (event.t === 'status') {
          this.peakRss = Math.max(this.peakRss, Number(event.rss));
          this.rss.push([Date.now() - this.startedAt, Number(event.rss)]);
          this.assignments = Number(event.assignments);
          this.revocations = Number(event.revocations);
          this.exposed = Number(event.exposed);
          this.pauses = Number(event.pauses);
        }
        if (event.t === 'stopped') {
          this.unacknowledgedAtStop = Number(event.unacknowledged);
          this.exposed = Number(event.exposed);
        }
      });
      void this.exited.then(({ code, signal }) =>
        reject(
          new Error(
            `instance ${config.name} exited (${code ?? signal}) before ready:\n${this.stderr}`,
          ),
        ),
      );
    });
    this.ready.catch(() => {});
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal`; resolves with how long the process took to exit. */
  async kill(signal: NodeJS.Signals): Promise<number> {
    const at = Date.now();
    if (this.running) this.child.kill(signal);
    await this.exited;
    return Date.now() - at;
  }

  /** SIGSTOP: the process stops where it is (a zombie-to-be: its session will expire). */
  freeze(): void {
    if (this.running) this.child.kill('SIGSTOP');
  }

  thaw(): void {
    if (this.running) this.child.kill('SIGCONT');
  }

  get log(): string {
    return this.stderr;
  }
}
