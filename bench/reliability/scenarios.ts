// The faults of `make reliability`, one function each. A scenario drives instances and the
// broker through one fault while a workload's records flow, and says what it checked; the
// runner (../reliability.ts) reads the topics afterwards and fills the row.
import { type Cluster, type Follower, Instance, sleep } from './harness';
import { type BadRecords, type InstanceConfig, NO_BAD_RECORDS, type Workload } from './workloads';

export const PARTITIONS = 6;
const DRAIN_TIMEOUT_MS = 10_000;

/** One check of a scenario: fails the scenario when not ok. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What a scenario hands back to the runner. */
export interface ScenarioOutcome {
  /** Longest time from the end of a fault until the output moved again (or caught up). */
  readonly recoverMs: number;
  readonly checks: readonly Check[];
  /** Largest duplicate count the scenario allows (Infinity: counted only). */
  readonly duplicateBound: number;
}

/** A fault, its sizes (full and --quick) and whether its records include bad ones. */
export interface Scenario {
  readonly name: string;
  readonly records: { readonly full: number; readonly quick: number };
  readonly bad?: BadRecords;
  run(run: ScenarioRun): Promise<ScenarioOutcome>;
}

/** The topics, group and instances of one scenario run, with helpers to drive them. */
export class ScenarioRun {
  readonly instances: Instance[] = [];
  readonly input: string;
  readonly output: string;
  readonly deadLetter: string;
  readonly groupId: string;
  /** The read_committed reader of the output (exactly-once workloads), once started. */
  follower: Follower | undefined;

  constructor(
    readonly cluster: Cluster,
    readonly workload: Workload,
    readonly records: number,
    readonly bad: BadRecords,
    readonly quick: boolean,
    id: string,
  ) {
    this.input = `${id}-in`;
    this.output = `${id}-out`;
    this.deadLetter = `${id}-dead`;
    this.groupId = `${id}-group`;
  }

  /** Starts one more instance in the group and waits until it joined. */
  async start(extra: Partial<InstanceConfig> = {}): Promise<Instance> {
    const instance = new Instance({
      workload: this.workload.name,
      name: `${this.groupId}-${this.instances.length}`,
      brokers: [this.cluster.bootstrap],
      groupId: this.groupId,
      input: this.input,
      output: this.output,
      deadLetter: this.usesDeadLetter ? this.deadLetter : undefined,
      drainTimeoutMs: DRAIN_TIMEOUT_MS,
      ...extra,
    });
    this.instances.push(instance);
    await instance.ready;
    return instance;
  }

  running(): Instance[] {
    return this.instances.filter((i) => i.running);
  }

  /** Whether the instances get the dead-letter topic (the transformer always needs one). */
  get usesDeadLetter(): boolean {
    return this.bad !== NO_BAD_RECORDS || this.workload.exactlyOnce;
  }

  /**
   * Progress: records in the output and dead-letter topics (duplicates included), or the
   * input records the group committed, as the workload measures it.
   */
  async delivered(): Promise<number> {
    if (this.workload.progress === 'committed-input') {
      return this.cluster.committed(this.groupId, this.input);
    }
    const dead = this.bad === NO_BAD_RECORDS ? 0 : await this.cluster.count(this.deadLetter);
    return (await this.cluster.count(this.output)) + dead;
  }

  /** Waits until `fraction` of the records were delivered. */
  async waitFor(fraction: number, timeoutMs = 600_000): Promise<void> {
    const target = Math.floor(this.records * fraction);
    const deadline = Date.now() + timeoutMs;
    while ((await this.delivered().catch(() => 0)) < target) {
      if (Date.now() > deadline) {
        throw new Error(`${this.groupId}: under ${target} records delivered after ${timeoutMs} ms`);
      }
      await sleep(200);
    }
  }

  /** Milliseconds from now until the output grows (it may be unreachable for a while). */
  async recovery(timeoutMs = 300_000): Promise<number> {
    const started = Date.now();
    let base = -1;
    while (Date.now() - started < timeoutMs) {
      const now = await this.delivered().catch(() => -1);
      if (now >= 0 && base < 0) base = now;
      else if (now > base && base >= 0) return Date.now() - started;
      else if (base >= 0 && (await this.caughtUp())) return Date.now() - started;
      await sleep(100);
    }
    return Number.POSITIVE_INFINITY;
  }

  async caughtUp(): Promise<boolean> {
    return this.cluster.caughtUp(this.groupId, this.input).catch(() => false);
  }

  /**
   * Waits until the group committed the end of the input (every record was settled) and,
   * for a workload that says when its output is complete, until it is.
   */
  async waitDone(timeoutMs = 900_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const complete = () =>
      !this.workload.complete || this.workload.complete(this.records, this.follower?.records ?? []);
    while (!(await this.caughtUp()) || !complete()) {
      if (Date.now() > deadline)
        throw new Error(`${this.groupId}: not caught up in ${timeoutMs} ms`);
      await sleep(500);
    }
  }

  /** SIGTERM to every running instance; resolves when all exited. */
  async stopAll(): Promise<void> {
    await Promise.all(this.running().map((i) => i.kill('SIGTERM')));
  }

  /** What the instances' lost assignments and stops exposed to re-delivery (SIGTERM only). */
  exposed(): number {
    return this.instances.reduce((sum, i) => sum + i.exposed, 0);
  }

  produceAll(ratePerS?: number): Promise<void> {
    return this.cluster.produce(this.input, this.workload, this.bad, 0, this.records, ratePerS);
  }
}

const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail });

/** SIGKILL the only instance five times during the run, restarting it each time. */
const kill5: Scenario = {
  name: 'sigkill-x5',
  records: { full: 1_000_000, quick: 60_000 },
  async run(run) {
    await run.produceAll();
    await run.start();
    let recoverMs = 0;
    for (let k = 1; k <= 5; k++) {
      await run.waitFor(k / 7);
      await run.running()[0]!.kill('SIGKILL');
      const restarted = run.start();
      recoverMs = Math.max(recoverMs, await run.recovery());
      await restarted;
    }
    await run.waitDone();
    await run.stopAll();
    return { recoverMs, checks: [], duplicateBound: Number.POSITIVE_INFINITY };
  },
};

/** Three instances; one of them SIGKILLed five times during the run, each time replaced. */
const kill1of3: Scenario = {
  name: 'sigkill-1-of-3-x5',
  records: { full: 300_000, quick: 40_000 },
  async run(run) {
    await run.produceAll();
    await Promise.all([run.start(), run.start(), run.start()]);
    let recoverMs = 0;
    for (let k = 1; k <= 5; k++) {
      await run.waitFor(k / 7);
      const running = run.running();
      await running[k % running.length]!.kill('SIGKILL');
      const restarted = run.start();
      recoverMs = Math.max(recoverMs, await run.recovery());
      await restarted;
    }
    await run.waitDone();
    await run.stopAll();
    return { recoverMs, checks: [], duplicateBound: Number.POSITIVE_INFINITY };
  },
};

/** One instance, then three in the same group, then one again. */
const scale: Scenario = {
  name: 'scale-1-3-1',
  records: { full: 300_000, quick: 40_000 },
  async run(run) {
    await run.produceAll();
    await run.start();
    await run.waitFor(0.2);
    await Promise.all([run.start(), run.start()]);
    let recoverMs = await run.recovery();
    await run.waitFor(0.55);
    const [, ...extra] = run.running();
    await Promise.all(extra.map((i) => i.kill('SIGTERM')));
    recoverMs = Math.max(recoverMs, await run.recovery());
    await run.waitDone();
    await run.stopAll();
    return {
      recoverMs,
      checks: [],
      duplicateBound: run.exposed(),
    };
  },
};

/** The broker really stops (JVM shut down) and starts again on the same data and ports. */
function brokerStop(seconds: { full: number; quick: number }): Scenario {
  return {
    name: 'broker-stop',
    records: { full: 300_000, quick: 40_000 },
    async run(run) {
      await run.produceAll();
      await run.start();
      await run.waitFor(0.25);
      await run.cluster.stopBroker();
      await sleep((run.quick ? seconds.quick : seconds.full) * 1000);
      await run.cluster.restartBroker();
      const recoverMs = await run.recovery();
      await run.waitDone();
      await run.stopAll();
      const exits = run.instances.filter((i) => !i.running).length;
      return {
        recoverMs,
        checks: [check('instance survived', exits === 1, `${run.instances.length} instances`)],
        duplicateBound: Number.POSITIVE_INFINITY,
      };
    },
  };
}

/** The broker process is frozen (SIGSTOP), then resumed: every session expires at once. */
function brokerFreeze(seconds: { full: number; quick: number }): Scenario {
  return {
    name: 'broker-freeze',
    records: { full: 300_000, quick: 40_000 },
    async run(run) {
      await run.produceAll();
      await run.start();
      await run.waitFor(0.25);
      run.cluster.freeze();
      await sleep((run.quick ? seconds.quick : seconds.full) * 1000);
      run.cluster.thaw();
      const recoverMs = await run.recovery();
      await run.waitDone();
      await run.stopAll();
      return { recoverMs, checks: [], duplicateBound: Number.POSITIVE_INFINITY };
    },
  };
}

/**
 * A zombie: one of two instances frozen (SIGSTOP) well past its session timeout, so that
 * the other takes its partitions over, then resumed. Whatever the zombie had in flight
 * must be refused (its transactions fenced) and the output stay exactly once.
 */
const zombie: Scenario = {
  name: 'zombie-sigstop',
  records: { full: 200_000, quick: 40_000 },
  async run(run) {
    const freezeMs = 20_000; // twice the instances' 10 s session timeout
    const [first] = await Promise.all([run.start(), run.start()]);
    // Produced at a rate, so that the zombie is busy (mid-transaction) when it freezes.
    const producing = run.produceAll(Math.round(run.records / (run.quick ? 20 : 60)));
    await run.waitFor(0.3);
    first!.freeze();
    await sleep(freezeMs);
    const recoverMs = await run.recovery();
    first!.thaw();
    await producing;
    await run.waitDone();
    await run.stopAll();
    return {
      recoverMs,
      checks: [
        check(
          'the zombie was fenced',
          first!.fenced > 0,
          `${first!.fenced} refused transactions logged by the resumed instance`,
        ),
      ],
      duplicateBound: 0,
    };
  },
};

/** 1% undecodable and 1% refused by the handler: all dead-lettered, the rest delivered. */
const deadLetters: Scenario = {
  name: 'dead-letter-2pct',
  records: { full: 200_000, quick: 20_000 },
  bad: { undecodable: (i) => i % 100 === 7, throws: (i) => i % 100 === 42 },
  async run(run) {
    const started = Date.now();
    await run.produceAll();
    await run.start();
    await run.waitDone();
    await run.stopAll();
    return { recoverMs: Date.now() - started, checks: [], duplicateBound: 0 };
  },
};

/**
 * The source produces at a fixed rate while the sink handles a twentieth of it, for two
 * minutes (20 s with --quick); then the sink is fast again and must catch up. Memory must
 * plateau under a stated bound, partitions pause, the member is never evicted.
 */
const slowSink: Scenario = {
  name: 'slow-sink-20x',
  records: { full: 240_000, quick: 30_000 },
  async run(run) {
    const slowMs = run.quick ? 20_000 : 120_000;
    const rate = Math.round(run.records / (slowMs / 1000)); // the source's records per second
    const perRecordMs = (20 * 1000) / rate; // the sink: a twentieth of that
    const rssBound = 400 * 2 ** 20;
    // Small queues and demand, so that the backlog stays in Kafka and partitions pause.
    const instance = await run.start({
      slowSink: { perRecordMs, forMs: slowMs },
      highWaterEvents: 200,
    });
    const started = Date.now();
    const readyAt = instance.rss.at(-1)?.[0] ?? 0;
    await run.produceAll(rate);
    const slowLeft = slowMs - (Date.now() - started);
    if (slowLeft > 0) await sleep(slowLeft);
    const t0 = Date.now();
    await run.waitDone();
    const recoverMs = Date.now() - t0;
    await run.stopAll();
    // Plateau: the second half of the slow period holds no more than the first half + 25%.
    // Samples of the slow period (from the instance's join; its start-up is not a plateau).
    const slowSamples = instance.rss
      .map(([t, r]): [number, number] => [t - readyAt, r])
      .filter(([t]) => t >= 0 && t < slowMs);
    const half = (a: number, b: number) =>
      Math.max(0, ...slowSamples.filter(([t]) => t >= a && t < b).map(([, r]) => r));
    const first = half(0, slowMs / 2);
    const second = half(slowMs / 2, slowMs);
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    return {
      recoverMs,
      checks: [
        check(
          'rss under bound',
          instance.peakRss <= rssBound,
          `${mib(instance.peakRss)} <= ${mib(rssBound)}`,
        ),
        check('rss plateaus', second <= first * 1.25, `${mib(first)} then ${mib(second)}`),
        check('partitions paused', instance.pauses > 0, `${instance.pauses} pauses`),
        check(
          'never evicted',
          instance.assignments === 1 && instance.revocations === 0,
          `${instance.assignments} assignments, ${instance.revocations} revocations`,
        ),
      ],
      duplicateBound: 0,
    };
  },
};

/** SIGTERM under full load: exits within the drain timeout; after a restart, no duplicate. */
const sigterm: Scenario = {
  name: 'sigterm-restart',
  records: { full: 300_000, quick: 40_000 },
  async run(run) {
    await run.produceAll();
    const first = await run.start();
    await run.waitFor(0.3);
    const exitMs = await first.kill('SIGTERM');
    const { code } = await first.exited;
    const restarted = run.start();
    const recoverMs = await run.recovery();
    await restarted;
    await run.waitDone();
    await run.stopAll();
    return {
      recoverMs,
      checks: [
        check('exit 0', code === 0, `exit code ${code}`),
        check('exits within the drain timeout', exitMs <= DRAIN_TIMEOUT_MS, `${exitMs} ms`),
      ],
      duplicateBound: 0,
    };
  },
};

/** Three instances replaced one at a time, as `kubectl rollout restart` does. */
const rolling: Scenario = {
  name: 'rolling-restart-3',
  records: { full: 400_000, quick: 50_000 },
  async run(run) {
    await run.produceAll();
    await Promise.all([run.start(), run.start(), run.start()]);
    await run.waitFor(0.15);
    let recoverMs = 0;
    for (let k = 0; k < 3; k++) {
      const old = run.instances[k]!;
      await old.kill('SIGTERM');
      await run.start();
      recoverMs = Math.max(recoverMs, await run.recovery());
      await run.waitFor(0.15 + (k + 1) * 0.2);
    }
    await run.waitDone();
    await run.stopAll();
    return { recoverMs, checks: [], duplicateBound: run.exposed() };
  },
};

/** Every scenario, in the order they run. */
export const SCENARIOS: readonly Scenario[] = [
  kill5,
  kill1of3,
  scale,
  brokerStop({ full: 20, quick: 8 }),
  brokerFreeze({ full: 20, quick: 8 }),
  zombie,
  deadLetters,
  slowSink,
  sigterm,
  rolling,
];
