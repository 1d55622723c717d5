/**
 * The Kafka half of bench/transform.ts: the same transformer as a running pipeline (input
 * part → repartition hop → window stage → output topic) against a real broker.
 *
 * Throughput: from start until every preloaded sample was parsed and every record of the
 * repartition topic reached the window stage. Latency: at a fixed offered rate, per window
 * result, the time from the scheduled send of its last sample (the generator stamps each
 * sample with its scheduled time, and a window's last sample is due at its end) to the
 * result being readable in the output topic, minus the window's own wait (end + lateness).
 */
import { Registry } from 'prom-client';
import { startMetricsTransform } from '../platform/apps/metrics-transform/app/metrics-transform-app';
import type { TransformConfig } from '../platform/apps/metrics-transform/config/config-schema';
import { kafkaSender } from '../platform/apps/metrics-transform/generator/kafka-send';
import {
  runGenerator,
  toRecords,
} from '../platform/apps/metrics-transform/generator/run-generator';
import { SampleGenerator } from '../platform/apps/metrics-transform/generator/sample-generator';
import { getBrokers } from '../platform/kafka/brokers';
import { clientOptionsSchema } from '../platform/kafka/client/client-options';
import { createKafka } from '../platform/kafka/client/create-kafka';
import { ensureTopics } from '../platform/kafka/ensure-topics';
import { KafkaProducer } from '../platform/kafka/sink/kafka-producer';
import { kafkaProducerOptionsSchema } from '../platform/kafka/sink/options';
import { createLogger } from '../platform/log/logger';
import { createTelemetry } from '../platform/telemetry/create-telemetry';

export interface KafkaBenchResult {
  /** Samples ingested from the preloaded records (all of them, copies included). */
  samples: number;
  /** Records the input topic held after the preload. */
  records: number;
  seconds: number;
  samplesPerS: number;
  cpuSecondsPerMillion: number;
  offeredSamplesPerS: number;
  latencySeconds: number;
  p50: number;
  p99: number;
  brokers: string;
}

const PER_RECORD = 10;

export async function kafkaBench(
  config: (topics: {
    input: string;
    output: string;
    deadLetter: string;
    group: string;
  }) => TransformConfig,
  samples: number,
  rate: number,
  seconds: number,
): Promise<KafkaBenchResult> {
  const log = createLogger({ level: 'warn', format: 'json' });
  const brokers = await getBrokers();
  try {
    const id = Date.now().toString(36);
    const topics = {
      input: `bench-in-${id}`,
      output: `bench-out-${id}`,
      deadLetter: `bench-dlq-${id}`,
      group: `bench-${id}`,
    };
    const kafka = createKafka(
      clientOptionsSchema.parse({ brokers: brokers.brokers, clientId: 'bench' }),
      log,
    );
    await ensureTopics(kafka, [
      { topic: topics.input, partitions: 6 },
      { topic: topics.output, partitions: 6 },
      { topic: topics.deadLetter, partitions: 1 },
    ]);

    // Preload: N samples, 10 lines per record, event time ending now.
    const start = Date.now() - samples / 20; // 20 000 samples per second of event time
    const records = toRecords(
      new SampleGenerator({ seed: 42, series: 5_000, rate: 20_000, start }).batch(samples),
      'influx',
      PER_RECORD,
    );
    const producer = new KafkaProducer(
      kafkaProducerOptionsSchema.parse({ name: 'bench-preload', kafka }),
      log,
    );
    await producer.start([topics.input]);
    for (let i = 0; i < records.length; i += 500) {
      await producer.send(
        records.slice(i, i + 500).map((r) => ({ topic: topics.input, key: r.key, value: r.value })),
      );
    }
    await producer.stop();
    // What the topic holds: the number of records to wait for.
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topics.input);
    await admin.disconnect();
    const preloaded = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);

    const telemetry = createTelemetry({
      pipeline: 'bench',
      registry: new Registry(),
      defaultMetrics: false,
      tracing: false,
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // A pipeline name of its own: the internal topic is named after it.
    const transformConfig = { ...config(topics), pipeline: `bench-${id}` };
    const app = await startMetricsTransform({
      config: transformConfig,
      client: { brokers: brokers.brokers, clientId: 'bench' },
      telemetry,
      log,
      startFrom: 'earliest',
    });
    const pause = () => new Promise((r) => setTimeout(r, 10));
    while (app.counts.samplesIn < samples) await pause();
    // Every record of the hop read by the window stage: what the internal topic holds.
    const hopTopic = app.pipeline.hop!.topic;
    const hopAdmin = kafka.admin();
    await hopAdmin.connect();
    while ((await app.pipeline.parts[0]!.source.stats()).status === 'running') {
      const pending = app.source.inFlight();
      if (pending === 0) break;
      await pause();
    }
    const hopRecords = (await hopAdmin.fetchTopicOffsets(hopTopic)).reduce(
      (n, o) => n + Number(o.high),
      0,
    );
    await hopAdmin.disconnect();
    const windowStage = () => app.pipeline.parts[1]!.topology.stateful!.stats().eventsIn;
    while (windowStage() < hopRecords) await pause();
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const ingested = app.counts.samplesIn;

    // Latency: the generator offers `rate` samples/s for `seconds`; a reader of the output
    // topic notes when each window result became readable.
    const wait = transformConfig.aggregations[0]!.lateness;
    const latencies: number[] = [];
    const reader = kafka.consumer({ groupId: `${topics.group}-reader`, maxWaitTimeInMs: 20 });
    await reader.connect();
    await reader.subscribe({ topics: [topics.output], fromBeginning: false });
    const latencyFrom = Date.now();
    await reader.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          const end = (JSON.parse(String(m.value)) as { end?: number }).end;
          if (typeof end === 'number' && end >= latencyFrom) latencies.push(now - (end + wait));
        }
      },
    });
    const sender = await kafkaSender(brokers.brokers, topics.input, log);
    await runGenerator({
      rate,
      series: 5_000,
      durationMs: seconds * 1000,
      format: 'influx',
      seed: 7,
      samplesPerRecord: PER_RECORD,
      send: sender.send,
    });
    await sender.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    await reader.disconnect();
    await app.stop();
    latencies.sort((a, b) => a - b);
    const q = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
    return {
      samples: ingested,
      records: preloaded,
      seconds: elapsed,
      samplesPerS: ingested / elapsed,
      cpuSecondsPerMillion: ((cpu.user + cpu.system) / 1e6 / ingested) * 1e6,
      offeredSamplesPerS: rate,
      latencySeconds: seconds,
      p50: q(0.5),
      p99: q(0.99),
      brokers: brokers.provider,
    };
  } finally {
    await brokers.stop();
  }
}
