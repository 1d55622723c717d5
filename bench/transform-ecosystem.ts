/**
 * Benchmark of the metric transformer's ecosystem edges (issue 16): the OTLP input path and
 * the Prometheus remote-write output path, in process, without Kafka or HTTP.
 *
 * Part 1, OTLP decode: N samples' worth of ExportMetricsServiceRequests, as the
 * OpenTelemetry Collector's Kafka exporter writes them (one request per record: one
 * resource, one scope, counters, gauges and a histogram with 8 bounds, 10 series each),
 * decoded and mapped to samples: `otlp_proto` and `otlp_json`. Samples/s and CPU seconds per
 * million samples out of the decoder.
 *
 * Part 2, remote-write encode: the samples from part 1 grouped into requests of
 * `maxSamplesPerRequest` (2 000, the sink's default), each encoded as a WriteRequest and
 * snappy-compressed, as the sink does before each POST. Samples/s, CPU s per million and
 * compressed bytes per sample.
 *
 * Environment: BENCH_SAMPLES (default 1 000 000), BENCH_ROUNDS (3; the best round is
 * reported, after one warm-up round). The last line is JSON.
 */
import { DEFAULT_LIMITS } from '../platform/apps/metrics-transform/model/limits';
import type { Sample } from '../platform/apps/metrics-transform/model/sample';
import { parseOtlpJson, parseOtlpProto } from '../platform/apps/metrics-transform/parse/otlp-parse';
import { ExportMetricsServiceRequestType } from '../platform/apps/metrics-transform/parse/otlp-schema';
import { writeRequestBody } from '../platform/sinks/remote-write/write-request';

const SAMPLES = positive('BENCH_SAMPLES', 1_000_000);
const ROUNDS = positive('BENCH_ROUNDS', 3);
const PER_REQUEST = 2_000;
const SERIES_PER_METRIC = 10;
const BOUNDS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(
      `bench/transform-ecosystem: ${name} must be an integer >= 1; got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** One request in OTLP/JSON shape; `i` varies values and the host. */
function requestObject(i: number, time: number): object {
  const points = (value: (s: number) => object) =>
    Array.from({ length: SERIES_PER_METRIC }, (_, s) => ({
      attributes: [attr('http.route', `/r${s}`), attr('http.method', s % 2 ? 'GET' : 'POST')],
      startTimeUnixNano: nanos(time - 60_000),
      timeUnixNano: nanos(time),
      ...value(s),
    }));
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            attr('service.name', 'checkout'),
            attr('service.namespace', 'shop'),
            attr('service.instance.id', `pod-${i % 50}`),
            attr('host.name', `node-${i % 7}`),
          ],
        },
        scopeMetrics: [
          {
            scope: { name: 'io.opentelemetry.http', version: '1.0.0' },
            metrics: [
              {
                name: 'http.server.requests',
                unit: '{request}',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: points((s) => ({ asInt: String(i * 10 + s) })),
                },
              },
              {
                name: 'http.server.active_requests',
                gauge: { dataPoints: points((s) => ({ asDouble: (i + s) % 17 })) },
              },
              {
                name: 'http.server.duration',
                unit: 's',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: points((s) => {
                    const counts = BOUNDS.map((_, b) => (i + s + b) % 5).concat([1]);
                    const count = counts.reduce((a, b) => a + b, 0);
                    return {
                      count: String(count),
                      sum: count * 0.3,
                      explicitBounds: BOUNDS,
                      bucketCounts: counts.map(String),
                    };
                  }),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

function measure<T>(work: () => T): { result: T; seconds: number; cpuSeconds: number } {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = work();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { result, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

interface Figures {
  samples: number;
  samplesPerS: number;
  cpuSPerMillion: number;
}

/** Runs `round` once to warm up, then ROUNDS times; the fastest round counts. */
function best(round: () => { samples: number; seconds: number; cpuSeconds: number }): Figures {
  round();
  let out: Figures | undefined;
  for (let r = 0; r < ROUNDS; r++) {
    const { samples, seconds, cpuSeconds } = round();
    const figures = {
      samples,
      samplesPerS: samples / seconds,
      cpuSPerMillion: (cpuSeconds / samples) * 1e6,
    };
    if (!out || figures.samplesPerS > out.samplesPerS) out = figures;
  }
  return out!;
}

function main(): void {
  const time = Date.now();
  const options = { limits: DEFAULT_LIMITS, defaultTimestamp: time };
  // Samples per request: counters and gauges one each per series, histograms 8 + 1 buckets,
  // _sum and _count per series, plus one target_info.
  const perRequest = SERIES_PER_METRIC * (1 + 1 + BOUNDS.length + 3) + 1;
  const requests = Math.ceil(SAMPLES / perRequest);
  const objects = Array.from({ length: Math.min(requests, 500) }, (_, i) => requestObject(i, time));
  const protos = objects.map((o) =>
    Buffer.from(
      ExportMetricsServiceRequestType.encode(
        ExportMetricsServiceRequestType.fromObject(o),
      ).finish(),
    ),
  );
  const jsons = objects.map((o) => JSON.stringify(o));
  const bytesPerRequest = protos.reduce((a, b) => a + b.length, 0) / protos.length;
  console.log(
    `input: ${requests} OTLP requests of ${perRequest} samples (${Math.round(bytesPerRequest)} bytes as protobuf), ${(requests * perRequest).toLocaleString('en')} samples per round`,
  );

  let decoded: Sample[] = [];
  const decodeRound = (parse: typeof parseOtlpProto, inputs: (Buffer | string)[]) => () => {
    const out: Sample[] = [];
    const m = measure(() => {
      for (let i = 0; i < requests; i++) {
        const r = parse(inputs[i % inputs.length]!, options);
        if (r.rejects.length > 0) throw new Error(`unexpected reject: ${r.rejects[0]!.detail}`);
        for (const s of r.samples) out.push(s);
      }
    });
    decoded = out;
    return { samples: out.length, seconds: m.seconds, cpuSeconds: m.cpuSeconds };
  };
  const proto = best(decodeRound(parseOtlpProto, protos));
  report('otlp_proto decode + map', proto);
  const json = best(decodeRound(parseOtlpJson, jsons));
  report('otlp_json decode + map', json);

  let bytes = 0;
  const encode = best(() => {
    bytes = 0;
    const m = measure(() => {
      for (let i = 0; i < decoded.length; i += PER_REQUEST) {
        bytes += writeRequestBody(decoded.slice(i, i + PER_REQUEST)).length;
      }
    });
    return { samples: decoded.length, seconds: m.seconds, cpuSeconds: m.cpuSeconds };
  });
  report(`remote-write encode (WriteRequest + snappy, ${PER_REQUEST} per request)`, encode);
  const bytesPerSample = bytes / decoded.length;
  console.log(
    `remote-write body: ${bytesPerSample.toFixed(2)} bytes per sample (snappy-compressed)`,
  );

  const r3 = (n: number) => Number(n.toFixed(3));
  console.log(
    JSON.stringify({
      bench: 'transform-ecosystem',
      samples: proto.samples,
      otlp_proto_samples_per_s: Math.round(proto.samplesPerS),
      otlp_proto_cpu_s_per_million: r3(proto.cpuSPerMillion),
      otlp_json_samples_per_s: Math.round(json.samplesPerS),
      otlp_json_cpu_s_per_million: r3(json.cpuSPerMillion),
      remote_write_samples_per_s: Math.round(encode.samplesPerS),
      remote_write_cpu_s_per_million: r3(encode.cpuSPerMillion),
      remote_write_bytes_per_sample: r3(bytesPerSample),
    }),
  );
}

function report(what: string, f: Figures): void {
  console.log(
    `${what}: ${Math.round(f.samplesPerS).toLocaleString('en')} samples/s, ${f.cpuSPerMillion.toFixed(3)} CPU s per million samples (best of ${ROUNDS})`,
  );
}

main();
