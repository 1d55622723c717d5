/**
 * Benchmark of the metric transformer (make bench-transform).
 *
 * Part 1, throughput: N preloaded samples (Influx line protocol, 10 lines per record, as
 * Telegraf batches them) through the transformer with a realistic config: one filter, two
 * relabel rules, a 10 s tumbling window with count/sum/p99. Prints samples/s, CPU seconds
 * per million samples and peak RSS.
 *
 * Part 2, latency at a fixed offered rate: records are offered on a schedule (default
 * 50 000 samples/s for 5 s); each record's latency is from its scheduled arrival to the end
 * of its processing, so a stall delays the records behind it (no coordinated omission).
 * Window emission (tick) time is included for the records that wait behind a tick.
 *
 * Parts 1 and 2 measure the in-process transform path: parse, validate, filter, relabel,
 * aggregate, encode, without Kafka.
 *
 * Part 3, through Kafka (bench/transform-kafka.ts; skipped with BENCH_KAFKA=0): the same
 * config as a running pipeline against a broker (KAFKA_BROKERS, else a local one): N
 * preloaded samples from 6 partitions until all were ingested (samples/s, CPU of this
 * process, which also runs the kafkajs consumer and producers); then the generator offers a
 * fixed rate and each record's latency is from its Kafka timestamp (set when produced) to
 * the end of its transformation. The window wait itself (10 s + lateness) is by design and
 * not part of that figure.
 *
 * Environment: BENCH_SAMPLES (default 1 000 000), BENCH_RATE (50 000), BENCH_SECONDS (5),
 * BENCH_KAFKA (1), BENCH_KAFKA_SAMPLES (300 000), BENCH_KAFKA_RATE (20 000),
 * BENCH_KAFKA_SECONDS (10). The last line is JSON; `samples_per_s` and `p99_latency_ms`
 * are the Kafka figures when part 3 ran, else the in-process ones (`path` says which).
 */
import { validateConfig } from '../platform/apps/metrics-transform/config/load-config';
import { toRecords } from '../platform/apps/metrics-transform/generator/run-generator';
import { SampleGenerator } from '../platform/apps/metrics-transform/generator/sample-generator';
import { MetricTransformer } from '../platform/apps/metrics-transform/transformer';
import { type KafkaBenchResult, kafkaBench } from './transform-kafka';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 50_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PER_RECORD = 10;
const TICK_EVERY = 100; // records between watermark ticks

const KAFKA = process.env.BENCH_KAFKA !== '0';
const KAFKA_SAMPLES = Number(process.env.BENCH_KAFKA_SAMPLES ?? 300_000);
const KAFKA_RATE = Number(process.env.BENCH_KAFKA_RATE ?? 20_000);
const KAFKA_SECONDS = Number(process.env.BENCH_KAFKA_SECONDS ?? 10);

/** The realistic config: a filter, two relabel rules, a 10 s tumbling window with count/sum/p99. */
const benchConfig = (topics: {
  input: string;
  output: string;
  deadLetter: string;
  group: string;
}) =>
  validateConfig({
    input: { topics: [{ name: topics.input, format: 'influx' }], group_id: topics.group },
    filters: [{ action: 'drop', match: ['region="ap-south-1"', 'code=~"5.."'] }],
    relabel: [
      { source_labels: ['service'], target_label: 'job' },
      { action: 'labeldrop', regex: 'instance' },
    ],
    aggregations: [
      {
        window: '10s',
        lateness: '2s',
        group_by: ['job', 'method', 'region'],
        stats: ['count', 'sum', 'p99'],
      },
    ],
    watermark: { idle_timeout: '1d' },
    output: { topic: topics.output, format: 'json' },
    dead_letter: { topic: topics.deadLetter },
  });
const config = benchConfig({ input: 'metrics', output: 'out', deadLetter: 'dlq', group: 'bench' });

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

async function main() {
  const tp = throughput();
  console.log(
    `throughput: ${tp.samples} samples in ${tp.seconds.toFixed(2)} s = ${Math.round(tp.samplesPerS)} samples/s; ` +
      `CPU ${tp.cpuSecondsPerMillion.toFixed(2)} s per million samples; ${tp.outputs} output records; ` +
      `dropped ${JSON.stringify(tp.counts.dropped)}`,
  );
  const lat = await latency();
  console.log(
    `latency at ${lat.offeredSamplesPerS} samples/s offered for ${lat.seconds} s: ` +
      `p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms, max ${lat.max.toFixed(3)} ms (arrival → processed, in-process)`,
  );
  let kafka: KafkaBenchResult | undefined;
  if (KAFKA) {
    kafka = await kafkaBench(benchConfig, KAFKA_SAMPLES, KAFKA_RATE, KAFKA_SECONDS);
    console.log(
      `through Kafka (${kafka.brokers} broker): ${kafka.samples} preloaded samples (${kafka.records} records) in ${kafka.seconds.toFixed(2)} s = ` +
        `${Math.round(kafka.samplesPerS)} samples/s; CPU ${kafka.cpuSecondsPerMillion.toFixed(2)} s per million samples`,
    );
    console.log(
      `through Kafka at ${kafka.offeredSamplesPerS} samples/s offered for ${kafka.latencySeconds} s: ` +
        `p50 ${kafka.p50.toFixed(1)} ms, p99 ${kafka.p99.toFixed(1)} ms (window's last scheduled sample → result readable, minus end + lateness)`,
    );
  }
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const rssMiB = Math.round(Math.max(peakRss, maxRss) / 1048576);
  console.log(`peak RSS ${rssMiB} MiB (the whole run)`);
  const r3 = (n: number) => Number(n.toFixed(3));
  console.log(
    JSON.stringify({
      bench: 'transform',
      path: kafka ? 'kafka' : 'in-process',
      samples_per_s: Math.round(kafka ? kafka.samplesPerS : tp.samplesPerS),
      p99_latency_ms: r3(kafka ? kafka.p99 : lat.p99),
      cpu_s_per_million: r3(kafka ? kafka.cpuSecondsPerMillion : tp.cpuSecondsPerMillion),
      peak_rss_mib: rssMiB,
      offered_samples_per_s: kafka ? kafka.offeredSamplesPerS : lat.offeredSamplesPerS,
      inprocess_samples: tp.samples,
      inprocess_samples_per_s: Math.round(tp.samplesPerS),
      inprocess_cpu_s_per_million: r3(tp.cpuSecondsPerMillion),
      inprocess_offered_samples_per_s: lat.offeredSamplesPerS,
      inprocess_p50_latency_ms: r3(lat.p50),
      inprocess_p99_latency_ms: r3(lat.p99),
      ...(kafka
        ? {
            kafka_samples: kafka.samples,
            kafka_p50_latency_ms: r3(kafka.p50),
            kafka_p99_latency_ms: r3(kafka.p99),
          }
        : {}),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
