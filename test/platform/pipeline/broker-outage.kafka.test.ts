import { Kafka, logLevel } from 'kafkajs';
import { type LocalBroker, startLocalBroker } from '../../../platform/kafka/local-broker/index';
import { createPipeline } from '../../../platform/pipeline/pipeline';
import { noopTelemetry } from '../../../platform/telemetry/telemetry';
import { uniqueName } from '../../support/kafka';
import { PARTITIONS, quietLogger, waitUntil } from './pipeline-kafka';

const RECORDS = 20_000;
const OUTAGE_MS = 8_000;

// A broker of its own: freezing the shared test broker would disturb the other test files.
// The outage is the broker process stopped with SIGSTOP and resumed with SIGCONT, so it
// keeps its data (a restarted local broker starts empty) while clients see it vanish.
describe('pipeline: the broker disappears for a while', () => {
  let broker: LocalBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startLocalBroker();
    kafka = new Kafka({
      clientId: uniqueName('outage'),
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
    });
  }, 120_000);
  afterAll(async () => {
    if (broker) {
      process.kill(broker.pid, 'SIGCONT');
      await broker.stop();
    }
  }, 60_000);

  it('does not crash: reports not-ready, reconnects and resumes without loss', async () => {
    const input = uniqueName('outage-in');
    const output = uniqueName('outage-out');
    const groupId = uniqueName('outage-group');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [input, output].map((topic) => ({
        topic,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
      })),
      waitForLeaders: true,
    });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < RECORDS; i += 2_000) {
      const messages = Array.from({ length: Math.min(2_000, RECORDS - i) }, (_, j) => ({
        key: `key-${(i + j) % 600}`,
        value: String(i + j),
      }));
      await producer.send({ topic: input, acks: -1, messages });
    }
    await producer.disconnect();

    const readiness: boolean[] = [];
    let processed = 0;
    const pipeline = createPipeline(
      {
        name: 'outage',
        source: {
          client: {
            brokers: [broker.bootstrap],
            logLevel: 'nothing',
            connectionTimeoutMs: 1_000,
            requestTimeoutMs: 2_000,
            retry: { retries: 3, initialRetryTimeMs: 200, maxRetryTimeMs: 1_000 },
          },
          groupId,
          topics: [input],
          session: {
            sessionTimeoutMs: 6_000,
            heartbeatIntervalMs: 500,
            rebalanceTimeoutMs: 10_000,
          },
          commitIntervalMs: 200,
        },
        processors: {
          maxDemand: 100,
          // ~0.2 ms per record: the run outlasts the start of the outage.
          handleBatch: async (messages) => {
            await new Promise((resolve) => setTimeout(resolve, 10));
            processed += messages.length;
          },
        },
        batchers: { default: { batchSize: 200, batchTimeoutMs: 20 } },
        sinks: { default: { topic: output, sendTimeoutMs: 5_000 } },
        telemetry: { ...noopTelemetry, setReady: (ready) => readiness.push(ready) },
      },
      { logger: quietLogger },
    );
    let failure: unknown;
    void pipeline.done().then((reason) => {
      if (reason instanceof Error) failure = reason;
    });
    await pipeline.start();
    await waitUntil(
      () => processed >= RECORDS / 4,
      120_000,
      () => `${processed} processed before the outage`,
    );

    process.kill(broker.pid, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    process.kill(broker.pid, 'SIGCONT');

    // Every record arrives in the output (duplicates allowed: at least once).
    const values = new Set<number>();
    let total = 0;
    const reader = kafka.consumer({ groupId: uniqueName('outage-reader') });
    await reader.connect();
    await reader.subscribe({ topics: [output], fromBeginning: true });
    await reader.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) values.add(Number(String(m.value)));
        total += batch.messages.length;
      },
    });
    await waitUntil(
      () => values.size >= RECORDS,
      180_000,
      () => `${values.size} of ${RECORDS} distinct records out`,
      500,
    );
    await reader.disconnect();
    const readyAgain = readiness.lastIndexOf(true) > readiness.indexOf(false);
    const report = await pipeline.stop();
    const committed = await admin.fetchOffsets({ groupId, topics: [input] });
    const ends = await admin.fetchTopicOffsets(input);
    await admin.disconnect();

    process.stdout.write(
      `broker outage: ${OUTAGE_MS} ms frozen; readiness ${JSON.stringify(readiness)}; ${values.size} distinct of ` +
        `${RECORDS}, ${total - values.size} duplicates\n`,
    );
    expect(failure).toBeUndefined();
    expect(values.size).toBe(RECORDS);
    expect(readiness).toContain(false);
    expect(readyAgain).toBe(true);
    expect(report.drained).toBe(true);
    expect(new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]))).toEqual(
      new Map(ends.map((o) => [o.partition, o.high])),
    );
  }, 300_000);
});
