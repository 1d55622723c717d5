/**
 * Benchmark of the metric transformer (make bench-transform; `--quick` for a smoke run).
 *
 * Part 1, throughput in process: N preloaded samples (Influx line protocol, 10 lines per
 * record, as Telegraf batches them) through the transformer with a realistic config: one
 * filter, two relabel rules, a 10 s tumbling window with count/sum/p99. Prints samples/s,
 * CPU seconds per million samples and peak RSS. No Kafka.
 *
 * Part 2, latency in process at a fixed offered rate: records are offered on a schedule
 * (default 50 000 samples/s for 5 s); each record's latency is from its scheduled arrival
 * to the end of its processing, so a stall delays the records behind it (no coordinated
 * omission). Window emission (tick) time is included for the records that wait behind a tick.
 *
 * Part 3, through Kafka (bench/transform-kafka.ts, which says exactly what is measured;
 * skipped with BENCH_KAFKA=0), the same config as a running pipeline against a broker
 * (KAFKA_BROKERS, else a local one), each variant in its own process:
 *   - samples/s and CPU seconds per million for processing exactly_once and at_least_once,
 *     with the repartition hop (as it ships) and without it (the window part alone on input
 *     already keyed by group), on one preloaded input, alternating over several rounds,
 *     timed from the pipeline's join until every window of the input is readable by a
 *     read_committed consumer; medians and spread (min–max);
 *   - end-to-end p99 latency of exactly_once at 10 000 samples/s offered, open loop: per
 *     sample, its window result's readable time minus its scheduled send time minus the
 *     window's own wait ((end + lateness) − scheduled), i.e. readable − (end + lateness);
 *     a window result stands for each sample in it (weight: its count).
 * Goals (issue #10): exactly_once ≥ 0.7 × at_least_once throughput; p99 ≤ 500 ms.
 *
 * Flags and environment: --quick (smaller, one round, short latency run); --rounds N
 * (BENCH_ROUNDS, default 3); --cpu-prof DIR (node --cpu-prof of every variant's process);
 * BENCH_SAMPLES (in process, 1 000 000), BENCH_RATE (50 000), BENCH_SECONDS (5),
 * BENCH_KAFKA (1), BENCH_KAFKA_SAMPLES (300 000), BENCH_KAFKA_RATE (10 000),
 * BENCH_KAFKA_SECONDS (60), BENCH_KAFKA_RATE2 (2 000: a second latency run below saturation;
 * 0 skips it), BENCH_LATENCY_VARIANT (hop-eos; hop-alo to compare), BENCH_VARIANTS (a
 * comma-separated subset of hop-eos,hop-alo,direct-eos,direct-alo), BENCH_COMMIT_INTERVAL_MS
 * (the transformer's commit_interval; default its own, 100 ms). The last line is JSON; `samples_per_s`, `cpu_s_per_million`
 * and `p99_latency_ms` are the Kafka exactly_once (with hop) figures when part 3 ran, else
 * the in-process ones (`path` says which).
 */
import { parseArgs } from 'node:util';
import { toRecords } from '../platform/apps/metrics-transform/generator/run-generator';
import { SampleGenerator } from '../platform/apps/metrics-transform/generator/sample-generator';
import { MetricTransformer } from '../platform/apps/metrics-transform/transformer';
import { peerConfig } from './peers/config';
import { type KafkaBenchResult, kafkaBench, VARIANTS, type VariantRun } from './transform-kafka';
import type { Variant } from './transform-variant';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    rounds: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const QUICK = flags.quick === true;
const num = (name: string, normal: number, quick: number) => {
  const raw = process.env[name];
  if (raw === undefined) return QUICK ? quick : normal;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`bench/transform: ${name} must be a number >= 0; got ${JSON.stringify(raw)}`);
  return n;
};

const SAMPLES = num('BENCH_SAMPLES', 1_000_000, 200_000);
const RATE = num('BENCH_RATE', 50_000, 50_000);
const SECONDS = num('BENCH_SECONDS', 5, 2);
const PER_RECORD = 10;
const TICK_EVERY = 100; // records between watermark ticks

const KAFKA = process.env.BENCH_KAFKA !== '0';
const KAFKA_SAMPLES = num('BENCH_KAFKA_SAMPLES', 300_000, 60_000);
const KAFKA_RATE = num('BENCH_KAFKA_RATE', 10_000, 10_000);
const KAFKA_SECONDS = num('BENCH_KAFKA_SECONDS', 60, 25);
/** A second, lower offered rate: latency apart from saturation (0: skip). */
const KAFKA_RATE2 = num('BENCH_KAFKA_RATE2', 2_000, 2_000);
const ROUNDS = Number(flags.rounds ?? process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));
if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`bench/transform: --rounds must be an integer >= 1; got ${flags.rounds}`);

/** Goals of issue #10. */
const GOAL_EOS_VS_ALO = 0.7;
const GOAL_P99_MS = 500;

/**
 * The realistic config (bench/peers/config.ts, shared with make bench-peers): a filter, two
 * relabel rules, a 10 s tumbling window with 2 s lateness and count/sum/p99.
 */
const config = peerConfig(
  { pipeline: 'bench', input: 'metrics', output: 'out', deadLetter: 'dlq', group: 'bench' },
  'alo',
)!;

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};

function records(n: number, start: number, rate: number) {
  const gen = new SampleGenerator({ seed: 42, series: 5_000, rate, start });
  return toRecords(gen.batch(n), 'influx', PER_RECORD);
}

function throughput() {
  const start = Date.now() - 3_600_000;
  const input = records(SAMPLES, start, 20_000);
  sampleRss();
  const t = new MetricTransformer<number>(config);
  let outputs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < input.length; i++) {
    const r = input[i] as { value: string };
    outputs += t.ingest(
      { topic: 'metrics', partition: i % 6, value: r.value, timestamp: start },
      i,
      start + 3_600_000,
    ).outputs.length;
    if (i % TICK_EVERY === 0) {
      outputs += t.tick(start).outputs.length;
      if (i % (TICK_EVERY * 100) === 0) sampleRss();
    }
  }
  outputs += t.flush(start).outputs.length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  sampleRss();
  return {
    samples: SAMPLES,
    seconds,
    samplesPerS: SAMPLES / seconds,
    cpuSecondsPerMillion: ((cpu.user + cpu.system) / 1e6 / SAMPLES) * 1e6,
    outputs,
    counts: t.counts,
  };
}

async function latency() {
  const total = Math.floor(RATE * SECONDS);
  const wallStart = Date.now();
  const input = records(total, wallStart, RATE);
  const t = new MetricTransformer<number>(config);
  const latencies: number[] = [];
  const recordsPerMs = RATE / PER_RECORD / 1000;
  const t0 = performance.now();
  let i = 0;
  while (i < input.length) {
    const now = performance.now() - t0;
    const due = Math.min(input.length, Math.floor(now * recordsPerMs) + 1);
    if (i >= due) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    for (; i < due; i++) {
      const scheduled = i / recordsPerMs;
      t.ingest(
        {
          topic: 'metrics',
          partition: i % 6,
          value: (input[i] as { value: string }).value,
          timestamp: wallStart,
        },
        i,
        Date.now(),
      );
      if (i % TICK_EVERY === 0) t.tick(Date.now());
      latencies.push(performance.now() - t0 - scheduled);
    }
  }
  sampleRss();
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] as number;
  return {
    offeredSamplesPerS: RATE,
    seconds: SECONDS,
    p50: q(0.5),
    p99: q(0.99),
    max: latencies[latencies.length - 1] as number,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface VariantSummary {
  samplesPerS: number;
  min: number;
  max: number;
  cpuSecondsPerMillion: number;
  peakRssMiB: number;
  n: number;
}

function summarize(runs: readonly VariantRun[]): Map<string, VariantSummary> {
  const out = new Map<string, VariantSummary>();
  for (const v of VARIANTS) {
    const mine = runs.filter((r) => r.variant === v);
    if (mine.length === 0) continue;
    const rates = mine.map((r) => r.samplesPerS);
    out.set(v, {
      samplesPerS: median(rates),
      min: Math.min(...rates),
      max: Math.max(...rates),
      cpuSecondsPerMillion: median(mine.map((r) => r.cpuSecondsPerMillion)),
      peakRssMiB: Math.max(...mine.map((r) => r.peakRssMiB)),
      n: mine.length,
    });
  }
  return out;
}

/** Per round, a / b (both ran in that round), then the median and range of those ratios. */
function pairedRatio(runs: readonly VariantRun[], a: string, b: string) {
  const ratios: number[] = [];
  for (const round of new Set(runs.map((r) => r.round))) {
    const x = runs.find((r) => r.round === round && r.variant === a);
    const y = runs.find((r) => r.round === round && r.variant === b);
    if (x && y) ratios.push(x.samplesPerS / y.samplesPerS);
  }
  if (ratios.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

const load = async () =>
  (await import('node:os'))
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

async function main() {
  console.log(`bench-transform${QUICK ? ' --quick' : ''}: load average at start ${await load()}`);
  const tp = throughput();
  console.log(
    `in process: ${tp.samples} samples in ${tp.seconds.toFixed(2)} s = ${Math.round(tp.samplesPerS)} samples/s; ` +
      `CPU ${tp.cpuSecondsPerMillion.toFixed(2)} s per million samples; ${tp.outputs} output records; ` +
      `dropped ${JSON.stringify(tp.counts.dropped)}`,
  );
  const lat = await latency();
  console.log(
    `in process at ${lat.offeredSamplesPerS} samples/s offered for ${lat.seconds} s: ` +
      `p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms, max ${lat.max.toFixed(3)} ms (scheduled arrival → processed)`,
  );
  let kafka: KafkaBenchResult | undefined;
  let summary = new Map<string, VariantSummary>();
  const r3 = (n: number) => Number(n.toFixed(3));
  let extra: Record<string, unknown> = {};
  if (KAFKA) {
    kafka = await kafkaBench({
      samples: KAFKA_SAMPLES,
      rounds: ROUNDS,
      latencyVariant: (process.env.BENCH_LATENCY_VARIANT ?? 'hop-eos') as Variant,
      ...(process.env.BENCH_VARIANTS
        ? { variants: process.env.BENCH_VARIANTS.split(',') as Variant[] }
        : {}),
      ...(process.env.BENCH_COMMIT_INTERVAL_MS
        ? { commitIntervalMs: Number(process.env.BENCH_COMMIT_INTERVAL_MS) }
        : {}),
      latencyRates: [KAFKA_RATE, ...(KAFKA_RATE2 > 0 ? [KAFKA_RATE2] : [])],
      latencySeconds: KAFKA_SECONDS,
      ...(flags['cpu-prof'] ? { cpuProfDir: flags['cpu-prof'] } : {}),
      say: (line) => console.log(line),
    });
    summary = summarize(kafka.runs);
    const loadNow = await load();
    console.log('');
    console.log(
      `through Kafka, ${kafka.samples} preloaded samples, medians of ${ROUNDS} round(s) (min–max); load average ${loadNow}`,
    );
    console.log('variant      processing     hop   samples/s (min–max)        CPU s/M  peak RSS');
    for (const [v, x] of summary) {
      const processing = v.endsWith('eos') ? 'exactly_once ' : 'at_least_once';
      const hop = v.startsWith('hop') ? 'yes' : 'no ';
      console.log(
        `${v.padEnd(12)} ${processing}  ${hop}   ${Math.round(x.samplesPerS).toString().padStart(7)} (${Math.round(x.min)}–${Math.round(x.max)})`.padEnd(
          62,
        ) +
          `${x.cpuSecondsPerMillion.toFixed(2).padStart(6)}  ${x.peakRssMiB.toFixed(0).padStart(4)} MiB`,
      );
    }
    const eos = summary.get('hop-eos');
    const alo = summary.get('hop-alo');
    const eosVsAlo = pairedRatio(kafka.runs, 'hop-eos', 'hop-alo');
    const hopEos = pairedRatio(kafka.runs, 'hop-eos', 'direct-eos');
    const hopAlo = pairedRatio(kafka.runs, 'hop-alo', 'direct-alo');
    const ratioLine = (what: string, r: { median: number; min: number; max: number }) =>
      `${what}: ${r.median.toFixed(3)} (per-round ${r.min.toFixed(3)}–${r.max.toFixed(3)})`;
    console.log(
      ratioLine('exactly_once / at_least_once (with hop), median of per-round ratios', eosVsAlo),
    );
    console.log(ratioLine('repartition cost, with hop / without, exactly_once', hopEos));
    console.log(ratioLine('repartition cost, with hop / without, at_least_once', hopAlo));
    const hopCpu =
      (eos?.cpuSecondsPerMillion ?? Number.NaN) /
      (summary.get('direct-eos')?.cpuSecondsPerMillion ?? Number.NaN);
    console.log(
      `repartition cost in CPU of the transformer's process, with hop / without, exactly_once: ${hopCpu.toFixed(2)} x (the broker's CPU not counted)`,
    );
    console.log(
      kafka.mismatches.length === 0
        ? 'every run wrote the same windows as the first (count, sum; p99 within 2 α); exactly_once runs wrote each once'
        : `WINDOWS DIFFER: ${kafka.mismatches.join(' | ')}`,
    );
    for (const f of kafka.failures) console.log(`FAILED: ${f}`);
    for (const r of kafka.runs) {
      if (r.variant.endsWith('eos') && r.records !== r.windows)
        console.log(
          `DUPLICATES: ${r.variant} round ${r.round} read ${r.records} records for ${r.windows} windows`,
        );
    }
    for (const x of kafka.latency) {
      console.log(
        `${x.variant} latency at ${x.offeredSamplesPerS} samples/s offered for ${x.seconds} s (open loop, ${x.sent} samples sent, slowest slice out ${Math.round(x.maxSendLagMs)} ms after its schedule): ` +
          `p50 ${x.p50.toFixed(0)} ms, p99 ${x.p99.toFixed(0)} ms, max ${x.max.toFixed(0)} ms over ${x.windows} windows (${x.samples} samples); scheduled send → readable (read_committed) − (end + lateness − scheduled)` +
          (x.windows === 0 ? `: no window of the live input became readable${x.lastError}` : ''),
      );
    }
    const l = kafka.latency[0];
    const goal = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    console.log(
      `goal exactly_once >= ${GOAL_EOS_VS_ALO} x at_least_once: ${eosVsAlo.median.toFixed(3)} ${goal(eosVsAlo.median >= GOAL_EOS_VS_ALO)}`,
    );
    console.log(
      `goal p99 <= ${GOAL_P99_MS} ms at ${KAFKA_RATE} samples/s: ${l ? `${l.p99.toFixed(0)} ms ${goal(l.p99 <= GOAL_P99_MS)}` : 'not measured'}`,
    );
    extra = {
      kafka_samples: kafka.samples,
      kafka_p50_latency_ms: l ? r3(l.p50) : null,
      kafka_p99_latency_ms: l ? r3(l.p99) : null,
      rounds: ROUNDS,
      eos_samples_per_s: eos ? Math.round(eos.samplesPerS) : null,
      alo_samples_per_s: alo ? Math.round(alo.samplesPerS) : null,
      eos_cpu_s_per_million: eos ? r3(eos.cpuSecondsPerMillion) : null,
      alo_cpu_s_per_million: alo ? r3(alo.cpuSecondsPerMillion) : null,
      direct_eos_samples_per_s: Math.round(summary.get('direct-eos')?.samplesPerS ?? Number.NaN),
      direct_alo_samples_per_s: Math.round(summary.get('direct-alo')?.samplesPerS ?? Number.NaN),
      eos_vs_alo_ratio: r3(eosVsAlo.median),
      repartition_cost_ratio: r3(hopEos.median),
      repartition_cost_ratio_alo: r3(hopAlo.median),
      eos_p99_latency_ms: l ? r3(l.p99) : null,
      ...(kafka.latency[1]
        ? {
            eos_low_rate_offered_samples_per_s: kafka.latency[1].offeredSamplesPerS,
            eos_low_rate_p99_latency_ms: r3(kafka.latency[1].p99),
          }
        : {}),
      repartition_cpu_ratio: r3(hopCpu),
      windows_equal: kafka.mismatches.length === 0,
      failed_runs: kafka.failures.length,
      goal_eos_vs_alo_pass: eosVsAlo.median >= GOAL_EOS_VS_ALO,
      goal_p99_pass: l ? l.p99 <= GOAL_P99_MS : null,
      load_average: loadNow,
    };
  }
  const eos = summary.get('hop-eos');
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const rssMiB = Math.round(eos ? eos.peakRssMiB : Math.max(peakRss, maxRss) / 1048576);
  console.log(
    `peak RSS ${rssMiB} MiB (${eos ? 'exactly_once with hop, its process' : 'the whole run'})`,
  );
  // Through Kafka, the headline keys are exactly_once's (null when its runs failed).
  const viaKafka = Boolean(kafka);
  const kafkaP99 = kafka?.latency[0]?.p99;
  console.log(
    JSON.stringify({
      bench: 'transform',
      path: viaKafka ? 'kafka' : 'in-process',
      samples_per_s: viaKafka
        ? eos
          ? Math.round(eos.samplesPerS)
          : null
        : Math.round(tp.samplesPerS),
      p99_latency_ms: viaKafka ? (kafkaP99 === undefined ? null : r3(kafkaP99)) : r3(lat.p99),
      cpu_s_per_million: viaKafka
        ? eos
          ? r3(eos.cpuSecondsPerMillion)
          : null
        : r3(tp.cpuSecondsPerMillion),
      peak_rss_mib: rssMiB,
      offered_samples_per_s: viaKafka ? KAFKA_RATE : lat.offeredSamplesPerS,
      inprocess_samples: tp.samples,
      inprocess_samples_per_s: Math.round(tp.samplesPerS),
      inprocess_cpu_s_per_million: r3(tp.cpuSecondsPerMillion),
      inprocess_offered_samples_per_s: lat.offeredSamplesPerS,
      inprocess_p50_latency_ms: r3(lat.p50),
      inprocess_p99_latency_ms: r3(lat.p99),
      ...extra,
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
