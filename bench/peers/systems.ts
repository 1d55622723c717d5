/**
 * Starting and measuring each system of `make bench-peers` in its own process: Kafka's
 * ConsumerPerformance and the Kafka Streams peer (JVMs from bench/peers/target), and the
 * Node systems (bench/peers/node-peer.ts). CPU seconds and peak RSS come from /proc for
 * every one of them, between the moment it starts consuming and the moment it is done.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { NodeKind, NodePeerSettings } from './node-peer';
import { procSnapshot } from './proc';

export const ROOT = join(__dirname, '..', '..', '..');
const PEER_DIR = join(ROOT, 'bench', 'peers', 'target');
export const JAVA_CLASSPATH = `${join(PEER_DIR, 'classes')}:${join(PEER_DIR, 'libs')}/*`;

export function assertPeerBuilt(): void {
  if (!existsSync(join(PEER_DIR, 'classes', 'kafkastages', 'peers', 'StreamsPeer.class'))) {
    throw new Error(
      'bench/peers: the Kafka Streams peer is not built; run `make bench-peers` (it runs bench/peers/build.sh)',
    );
  }
}

/** A started child: its lines, its pid, a snapshot at a named line, and stopping it. */
export class Child {
  readonly proc: ChildProcess;
  private readonly waiters = new Map<string, (line: string) => void>();
  private readonly seen = new Map<string, string>();
  readonly exited: Promise<number | null>;
  private stderr = '';
  /** The latest `progress <n>`, and who waits for it to reach a count. */
  private progressed = 0;
  private readonly progressWaiters: { n: number; resolve: (at: number) => void }[] = [];

  constructor(
    command: string,
    args: string[],
    readonly label: string,
  ) {
    this.proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const word = line.split(' ', 1)[0]!;
      if (word === 'progress') {
        this.progressed = Number(line.slice(9));
        for (const w of this.progressWaiters.filter((x) => this.progressed >= x.n)) {
          this.progressWaiters.splice(this.progressWaiters.indexOf(w), 1);
          w.resolve(Date.now());
        }
        return;
      }
      this.seen.set(word, line);
      this.waiters.get(word)?.(line);
      this.waiters.delete(word);
      if (word === 'error' || process.env.BENCH_DEBUG) process.stderr.write(`${label}: ${line}\n`);
    });
    this.proc.stderr!.on('data', (chunk: Buffer) => {
      if (process.env.BENCH_DEBUG) process.stderr.write(chunk);
      this.stderr = (this.stderr + chunk.toString()).slice(-4_000);
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Resolves with the first line starting with `word` (or the one already seen). */
  line(word: string, timeoutMs: number): Promise<string> {
    const already = this.seen.get(word);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(word);
        reject(
          new Error(
            `${this.label}: no '${word}' line within ${timeoutMs} ms; stderr: ${this.stderr.slice(-1_500)}`,
          ),
        );
      }, timeoutMs);
      this.exited.then((code) => {
        clearTimeout(timer);
        if (this.waiters.has(word)) {
          this.waiters.delete(word);
          reject(
            new Error(
              `${this.label} exited (${code}) before '${word}'; stderr: ${this.stderr.slice(-1_500)}`,
            ),
          );
        }
      });
      this.waiters.set(word, (line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  /** Resolves with Date.now() once the child said `progress` ≥ `n`. */
  progress(n: number, timeoutMs: number): Promise<number> {
    if (this.progressed >= n) return Promise.resolve(Date.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.label}: parsed ${this.progressed} of ${n} samples after ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      this.progressWaiters.push({
        n,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function startNode(kind: NodeKind, settings: NodePeerSettings): Child {
  return new Child(
    process.execPath,
    [join(__dirname, 'node-peer.js'), kind, JSON.stringify(settings)],
    kind,
  );
}

export interface StreamsArgs {
  readonly bootstrap: string;
  readonly input: string;
  readonly output: string;
  readonly appId: string;
  readonly guarantee: 'alo' | 'eos';
  readonly threads: number;
  readonly graceMs: number;
  readonly stateDir: string;
}

/** The JVM's settings: a fixed heap, so RSS does not depend on the machine's memory. */
export const JVM_HEAP = '-Xmx1g';

export function startStreams(a: StreamsArgs): Child {
  return new Child(
    'java',
    [
      JVM_HEAP,
      '-cp',
      JAVA_CLASSPATH,
      'kafkastages.peers.StreamsPeer',
      '--bootstrap',
      a.bootstrap,
      '--input',
      a.input,
      '--output',
      a.output,
      '--app-id',
      a.appId,
      '--guarantee',
      a.guarantee,
      '--threads',
      String(a.threads),
      '--grace-ms',
      String(a.graceMs),
      '--state-dir',
      a.stateDir,
    ],
    `kafka-streams-${a.guarantee}`,
  );
}

/** Kafka's ConsumerPerformance over `records` records: fetch msgs/s (group join excluded) and its CPU. */
export async function consumerPerformance(
  bootstrap: string,
  topic: string,
  records: number,
  group: string,
): Promise<{ msgsPerS: number; cpuSeconds: number; peakRssMiB: number }> {
  const child = new Child(
    'java',
    [
      '-Xmx512m',
      '-cp',
      JAVA_CLASSPATH,
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      topic,
      '--messages',
      String(records),
      '--group',
      group,
      '--timeout',
      '60000',
    ],
    'ConsumerPerformance',
  );
  let last = { cpuSeconds: 0, peakRssMiB: 0 };
  const sampler = setInterval(() => {
    last = procSnapshot(child.pid) ?? last;
  }, 100);
  const lines: string[] = [];
  createInterface({ input: child.proc.stdout! }).on('line', (l) => lines.push(l));
  const code = await child.exited;
  clearInterval(sampler);
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const row = lines
    .at(-1)
    ?.split(',')
    .map((f) => f.trim());
  const msgs = Number(row?.[4]);
  if (code !== 0 || !row || msgs < records) {
    throw new Error(`ConsumerPerformance failed (exit ${code}): ${lines.join(' | ').slice(-500)}`);
  }
  return { msgsPerS: Number(row[9]), ...last };
}
