/**
 * Benchmark: the seed pipeline (counter → even filter → consumer, maxDemand 1000) on the
 * stages core against the same work as a Node.js objectMode stream pipeline
 * (Readable → Transform → Writable), in one process; then two consumers, and a five-stage
 * chain against five streams. Each figure is the median of several runs, in events/s
 * counted at the source. The last line is one JSON object.
 *
 * Each scenario runs in a child process of its own (see `isolated`); `--in-process` runs
 * them all in this one, interleaved, as before. Streams appear twice: one object per
 * callback, and arrays of up to 1000 per chunk (the batching stages get from demand).
 *
 *   node dist/bench/stages.js [--events N] [--runs N] [--in-process]
 */
import { spawnSync } from 'node:child_process';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Consumer, Producer, ProducerConsumer } from '../stages';

class Counter extends Producer<number> {
  private next = 0;
  constructor(private readonly limit: number) {
    super({ name: 'counter' });
  }
  handleDemand(demand: number): number[] {
    const count = Math.min(demand, this.limit - this.next);
    const events = new Array<number>(count);
    for (let i = 0; i < count; i++) events[i] = this.next++;
    if (this.next >= this.limit) this.finish();
    return events;
  }
}

class Step extends ProducerConsumer<number, number> {
  constructor(
    private readonly fn: (events: number[]) => number[],
    producer: Producer<number> | ProducerConsumer<number, number>,
  ) {
    super({ subscribeTo: [{ producer, maxDemand: 1000 }] });
  }
  handleEvents(events: number[]): number[] {
    return this.fn(events);
  }
}

class Sum extends Consumer<number> {
  total = 0;
  handleEvents(events: number[]): void {
    let total = this.total;
    for (let i = 0; i < events.length; i++) total += events[i]!;
    this.total = total;
  }
}

const evens = (events: number[]) => events.filter((n) => n % 2 === 0);
const plusOne = (events: number[]) => events.map((n) => n + 1);
const double = (events: number[]) => events.map((n) => n * 2);

/** counter → steps… → `consumers` sums; resolves to the grand total. */
async function stagesRun(
  events: number,
  steps: ((events: number[]) => number[])[],
  consumers: number,
): Promise<number> {
  const counter = new Counter(events).start();
  let last: Producer<number> | ProducerConsumer<number, number> = counter;
  for (const fn of steps) last = new Step(fn, last).start();
  const upstream = last;
  const sums = Array.from({ length: consumers }, () =>
    new Sum({ subscribeTo: [{ producer: upstream, maxDemand: 1000 }] }).start(),
  );
  await Promise.all(sums.map((s) => s.done()));
  return sums.reduce((total, s) => total + s.total, 0);
}

/** The same work as Node objectMode streams: one event per push/write. */
async function streamsRun(events: number, steps: ((n: number) => number | undefined)[]) {
  let next = 0;
  const source = new Readable({
    objectMode: true,
    read() {
      while (next < events) {
        if (!this.push(next++)) return;
      }
      this.push(null);
    },
  });
  const transforms = steps.map(
    (fn) =>
      new Transform({
        objectMode: true,
        transform(n: number, _encoding, callback) {
          const out = fn(n);
          callback(null, out);
        },
      }),
  );
  let total = 0;
  const sink = new Writable({
    objectMode: true,
    write(n: number, _encoding, callback) {
      total += n;
      callback();
    },
  });
  await pipeline([source, ...transforms, sink]);
  return total;
}

const streamEvens = (n: number) => (n % 2 === 0 ? n : undefined);

/**
 * The same work as Node objectMode streams carrying arrays of up to 1000 events per chunk:
 * the batching the stages get from demand, given to streams too, so the comparison is of
 * the machinery and not of batching.
 */
async function streamsBatchedRun(events: number, steps: ((events: number[]) => number[])[]) {
  let next = 0;
  const source = new Readable({
    objectMode: true,
    read() {
      while (next < events) {
        const count = Math.min(1000, events - next);
        const chunk = new Array<number>(count);
        for (let i = 0; i < count; i++) chunk[i] = next++;
        if (!this.push(chunk)) return;
      }
      this.push(null);
    },
  });
  const transforms = steps.map(
    (fn) =>
      new Transform({
        objectMode: true,
        transform(chunk: number[], _encoding, callback) {
          const out = fn(chunk);
          callback(null, out.length > 0 ? out : undefined);
        },
      }),
  );
  let total = 0;
  const sink = new Writable({
    objectMode: true,
    write(chunk: number[], _encoding, callback) {
      let t = total;
      for (let i = 0; i < chunk.length; i++) t += chunk[i]!;
      total = t;
      callback();
    },
  });
  await pipeline([source, ...transforms, sink]);
  return total;
}

/**
 * Runs every scenario once per round, round after round (so JIT warm-up and machine noise
 * fall on all of them alike), after one unmeasured warm-up round; returns the median rate
 * and the last checksum of each.
 */
async function measure(events: number, runs: number, scenarios: (() => Promise<number>)[]) {
  const rates = scenarios.map(() => [] as number[]);
  const checks = scenarios.map(() => 0);
  for (let round = -1; round < runs; round++) {
    for (const [i, body] of scenarios.entries()) {
      const started = process.hrtime.bigint();
      checks[i] = await body();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (round >= 0) rates[i]!.push(events / seconds);
    }
  }
  return rates.map((list, i) => {
    list.sort((a, b) => a - b);
    return { rate: list[Math.floor(list.length / 2)]!, check: checks[i]! };
  });
}

/**
 * Each scenario in a child process of its own, one after the other: run together in one
 * process, whichever ran earlier leaves JIT state (call sites made megamorphic by the other
 * scenarios' step functions and stream classes) and heap that the next one pays for. Seen
 * here (300 000 events, 3 runs, load ~20): stages seed 6.3 M events/s interleaved in one
 * process against 31.9 M alone; per-object streams 1.6 against 1.5 M.
 */
async function isolated(count: number, events: number, runs: number) {
  const out: { rate: number; check: number }[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawnSync(
      process.execPath,
      [__filename, '--scenario', String(i), '--events', String(events), '--runs', String(runs)],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`scenario ${i} failed: ${child.stderr}`);
    out.push(
      JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { rate: number; check: number },
    );
  }
  return out;
}

const fmt = (rate: number) => `${(rate / 1e6).toFixed(2)} M events/s`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      runs: { type: 'string' },
      scenario: { type: 'string' },
      'in-process': { type: 'boolean' },
    },
  });
  const events = Number(values.events ?? 2_000_000);
  const runs = Number(values.runs ?? 5);
  const expectEvens = (events / 2) * (events / 2 - 1); // sum of the even numbers below `events`
  console.log(
    `stages benchmark: ${events} events per run, median of ${runs} interleaved runs after one warm-up round, Node ${process.version}`,
  );

  const chainFns = [plusOne, double, evens];
  const scenarios = [
    () => stagesRun(events, [evens], 1),
    () => streamsRun(events, [streamEvens]),
    () => stagesRun(events, [evens], 2),
    () => stagesRun(events, chainFns, 1),
    () => streamsRun(events, [(n) => n + 1, (n) => n * 2, streamEvens]),
    () => streamsBatchedRun(events, [evens]),
    () => streamsBatchedRun(events, chainFns),
  ];
  if (values.scenario !== undefined) {
    // Child mode: one scenario alone in this process; prints its JSON result.
    const [result] = await measure(events, runs, [scenarios[Number(values.scenario)]!]);
    console.log(JSON.stringify(result));
    return;
  }
  const results = values['in-process']
    ? await measure(events, runs, scenarios)
    : await isolated(scenarios.length, events, runs);
  const [seed, streams, two, chain, streamChain, batched, batchedChain] = results;
  if (!seed || !streams || !two || !chain || !streamChain || !batched || !batchedChain) {
    throw new Error('missing result');
  }
  for (const [name, result, want] of [
    ['seed', seed, expectEvens],
    ['streams', streams, expectEvens],
    ['two consumers', two, expectEvens],
    ['chain', chain, streamChain.check],
    ['batched streams', batched, expectEvens],
    ['batched streams chain', batchedChain, streamChain.check],
  ] as const) {
    if (result.check !== want)
      throw new Error(`${name}: wrong total ${result.check}, expected ${want}`);
  }

  const ratio = seed.rate / streams.rate;
  const batchedRatio = seed.rate / batched.rate;
  const batchedChainRatio = chain.rate / batchedChain.rate;
  const chainRatio = chain.rate / streamChain.rate;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`seed (counter → evens → consumer), stages:   ${fmt(seed.rate)}`);
  console.log(`same work, Node objectMode streams:          ${fmt(streams.rate)}`);
  console.log(`same work, streams with arrays of 1000:      ${fmt(batched.rate)}`);
  console.log(`ratio stages / per-object streams:           ${ratio.toFixed(1)}x (goal >= 10)`);
  console.log(
    `ratio stages / batched streams:              ${batchedRatio.toFixed(2)}x (goal >= 1.5)`,
  );
  console.log(`seed with two consumers, stages:             ${fmt(two.rate)}`);
  console.log(`five-stage chain, stages:                    ${fmt(chain.rate)}`);
  console.log(`five-stage chain, Node objectMode streams:   ${fmt(streamChain.rate)}`);
  console.log(`five-stage chain, streams with arrays:       ${fmt(batchedChain.rate)}`);
  console.log(`ratio stages / streams (five stages):        ${chainRatio.toFixed(1)}x`);
  console.log(`ratio stages / batched streams (five):       ${batchedChainRatio.toFixed(2)}x`);
  console.log(`peak RSS:                                    ${peakRssMb.toFixed(0)} MB`);
  console.log(
    JSON.stringify({
      events_per_run: events,
      runs,
      seed_events_per_s: Math.round(seed.rate),
      node_streams_events_per_s: Math.round(streams.rate),
      ratio: Number(ratio.toFixed(2)),
      node_streams_batched_events_per_s: Math.round(batched.rate),
      batched_ratio: Number(batchedRatio.toFixed(2)),
      five_stage_node_streams_batched_events_per_s: Math.round(batchedChain.rate),
      five_stage_batched_ratio: Number(batchedChainRatio.toFixed(2)),
      isolated: !values['in-process'],
      two_consumers_events_per_s: Math.round(two.rate),
      five_stage_events_per_s: Math.round(chain.rate),
      five_stage_node_streams_events_per_s: Math.round(streamChain.rate),
      five_stage_ratio: Number(chainRatio.toFixed(2)),
      peak_rss_mb: Math.round(peakRssMb),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
