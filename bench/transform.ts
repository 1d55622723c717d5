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
 * This measures the in-process transform path: parse, validate, filter, relabel,
 * aggregate, encode. It does not include Kafka (fetch, produce, commit).
 *
 * Environment: BENCH_SAMPLES (default 1 000 000), BENCH_RATE (50 000), BENCH_SECONDS (5).
 * The last line is JSON.
 */
import { validateConfig } from '../platform/apps/metrics-transform/config/load-config';
import { toRecords } from '../platform/apps/metrics-transform/generator/run-generator';
import { SampleGenerator } from '../platform/apps/metrics-transform/generator/sample-generator';
import { MetricTransformer } from '../platform/apps/metrics-transform/transformer';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 50_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PER_RECORD = 10;
const TICK_EVERY = 100; // records between watermark ticks

const config = validateConfig({
  input: { topics: [{ name: 'metrics', format: 'influx' }] },
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
  output: { topic: 'out', format: 'json' },
  dead_letter: { topic: 'dlq' },
});

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
  const maxRss = process.resourceUsage().maxRSS * 1024;
  console.log(`peak RSS ${(Math.max(peakRss, maxRss) / 1048576).toFixed(0)} MiB`);
  console.log(
    JSON.stringify({
      bench: 'transform',
      path: 'in-process',
      samples: tp.samples,
      samples_per_s: Math.round(tp.samplesPerS),
      cpu_s_per_million: Number(tp.cpuSecondsPerMillion.toFixed(3)),
      peak_rss_mib: Math.round(Math.max(peakRss, maxRss) / 1048576),
      offered_samples_per_s: lat.offeredSamplesPerS,
      p50_latency_ms: Number(lat.p50.toFixed(3)),
      p99_latency_ms: Number(lat.p99.toFixed(3)),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
