/** The table and the final JSON line of `make bench-peers`. */

export type SystemName =
  | 'consumer-perf'
  | 'raw-no-commit'
  | 'raw-timer'
  | 'pipeline'
  | 'transform-alo'
  | 'transform-eos'
  | 'kafka-streams-alo'
  | 'kafka-streams-eos';

export interface RunResult {
  readonly system: SystemName;
  readonly msgsPerS: number;
  readonly samplesPerS: number;
  /** CPU seconds of the system's process over the measured part (NaN when not measured). */
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
  /** What CPU is per: records (consumers) or samples (transformers). */
  readonly units: number;
  readonly windows?: number;
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  windows: number;
  samples: number;
  peakRssMiB: number;
}

export interface Report {
  results: RunResult[];
  latency: Partial<Record<SystemName, Latency>>;
  mismatches: string[];
  input: { records: number; samples: number; kept: number };
  rounds: number;
  latencyRate: number;
  latencySeconds: number;
  load: number[];
  eosSupported: boolean;
}

function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const LABELS: Record<SystemName, string> = {
  'consumer-perf': 'Kafka ConsumerPerformance',
  'raw-no-commit': 'raw kafkajs, no commits',
  'raw-timer': 'raw kafkajs, 1 s commits',
  pipeline: 'identity pipeline',
  'transform-alo': 'transformer ALO',
  'transform-eos': 'transformer EOS',
  'kafka-streams-alo': 'Kafka Streams ALO',
  'kafka-streams-eos': 'Kafka Streams EOS',
};

export function printReport(r: Report): void {
  const of = (s: SystemName) => r.results.filter((x) => x.system === s);
  const rate = (s: SystemName) => median(of(s).map((x) => x.msgsPerS));
  const samplesPerCpu = (s: SystemName) =>
    median(
      of(s).map((x) =>
        s.includes('-') && (s.startsWith('transform') || s.startsWith('kafka-streams'))
          ? x.units / x.cpuSeconds
          : Number.NaN,
      ),
    );
  const cpuPerMillion = (s: SystemName) => median(of(s).map((x) => (x.cpuSeconds / x.units) * 1e6));
  const spread = (s: SystemName) => {
    const xs = of(s).map((x) => x.msgsPerS);
    const m = median(xs);
    return xs.length > 1 ? ((Math.max(...xs) - Math.min(...xs)) / m) * 100 : 0;
  };
  const fmt = (n: number, digits = 0) =>
    Number.isNaN(n)
      ? '-'
      : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log('');
  console.log(
    `| system | runs | msgs/s (median) | spread | samples/s | CPU s per M (records or samples) | samples per CPU s | peak RSS MiB | p99 ms at ${r.latencyRate} samples/s |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const s of Object.keys(LABELS) as SystemName[]) {
    if (of(s).length === 0) continue;
    const transformer = s.startsWith('transform') || s.startsWith('kafka-streams');
    console.log(
      `| ${LABELS[s]} | ${of(s).length} | ${fmt(rate(s))} | ±${fmt(spread(s) / 2, 0)} % | ${transformer ? fmt(median(of(s).map((x) => x.samplesPerS))) : '-'} | ` +
        `${fmt(cpuPerMillion(s), 2)}${transformer ? ' /M samples' : ' /M records'} | ${transformer ? fmt(samplesPerCpu(s)) : '-'} | ${fmt(Math.max(...of(s).map((x) => x.peakRssMiB)))} | ` +
        `${r.latency[s] ? fmt(r.latency[s]!.p99) : '-'} |`,
    );
  }
  const ratio = (a: number, b: number) =>
    Number.isFinite(a / b) ? Number((a / b).toFixed(3)) : null;
  const num = (n: number) => (Number.isFinite(n) ? Math.round(n) : null);
  const summary = {
    benchmark: 'peers',
    records: r.input.records,
    samples: r.input.samples,
    rounds: r.rounds,
    load_average: r.load,
    broker_limit_msgs_per_s: num(rate('consumer-perf')),
    raw_kafkajs_no_commit_msgs_per_s: num(rate('raw-no-commit')),
    raw_kafkajs_timer_commit_msgs_per_s: num(rate('raw-timer')),
    pipeline_msgs_per_s: num(rate('pipeline')),
    pipeline_vs_raw_no_commit: ratio(rate('pipeline'), rate('raw-no-commit')),
    pipeline_vs_raw_timer_commit: ratio(rate('pipeline'), rate('raw-timer')),
    transform_alo_samples_per_s: num(median(of('transform-alo').map((x) => x.samplesPerS))),
    transform_alo_samples_per_cpu_s: num(samplesPerCpu('transform-alo')),
    transform_eos_samples_per_cpu_s: num(samplesPerCpu('transform-eos')),
    kafka_streams_alo_samples_per_s: num(median(of('kafka-streams-alo').map((x) => x.samplesPerS))),
    kafka_streams_alo_samples_per_cpu_s: num(samplesPerCpu('kafka-streams-alo')),
    kafka_streams_eos_samples_per_cpu_s: num(samplesPerCpu('kafka-streams-eos')),
    transform_vs_kafka_streams_alo: ratio(
      samplesPerCpu('transform-alo'),
      samplesPerCpu('kafka-streams-alo'),
    ),
    transform_vs_kafka_streams_eos: r.eosSupported
      ? ratio(samplesPerCpu('transform-eos'), samplesPerCpu('kafka-streams-eos'))
      : null,
    outputs_equal:
      r.mismatches.length === 0 &&
      of('kafka-streams-alo').length + of('kafka-streams-eos').length > 0,
    transform_alo_p99_ms: r.latency['transform-alo']
      ? Math.round(r.latency['transform-alo'].p99)
      : null,
    transform_eos_p99_ms: r.latency['transform-eos']
      ? Math.round(r.latency['transform-eos'].p99)
      : null,
    kafka_streams_alo_p99_ms: r.latency['kafka-streams-alo']
      ? Math.round(r.latency['kafka-streams-alo'].p99)
      : null,
    kafka_streams_eos_p99_ms: r.latency['kafka-streams-eos']
      ? Math.round(r.latency['kafka-streams-eos'].p99)
      : null,
    latency_offered_samples_per_s: r.latencyRate,
  };
  console.log('');
  for (const m of r.mismatches) console.log(`outputs differ: ${m}`);
  console.log(
    `goals: pipeline / raw without commits ${summary.pipeline_vs_raw_no_commit} (>= 0.95); transformer / Kafka Streams per CPU s ` +
      `ALO ${summary.transform_vs_kafka_streams_alo}, EOS ${summary.transform_vs_kafka_streams_eos} (>= 1.0); ` +
      `transformer ALO p99 ${summary.transform_alo_p99_ms} ms (<= 100); outputs equal ${summary.outputs_equal}`,
  );
  console.log(JSON.stringify(summary));
}
