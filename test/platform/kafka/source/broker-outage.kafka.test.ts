import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { type LocalBroker, startLocalBroker } from '../../../../platform/kafka/local-broker';
import { SourceConsumer } from '../../../../platform/kafka/source/source-consumer';
import { createLogger } from '../../../../platform/log/logger';
import { uniqueName } from '../../../support/kafka';

// jest applies no per-project testTimeout: broker tests set their own.
jest.setTimeout(180_000);

// A broker of its own: this test freezes it, which must not disturb the other tests.
let broker: LocalBroker;
beforeAll(async () => {
  broker = await startLocalBroker();
});
afterAll(async () => {
  process.kill(broker.pid, 'SIGCONT');
  await broker.stop();
});

async function until(condition: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('SourceConsumer when the broker disappears', () => {
  it('does not crash, reports not-ready, and resumes without loss', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const topic = uniqueName('outage');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const total = 3_000;
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: total }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    await producer.disconnect();

    const source = new SourceConsumer(
      {
        client: {
          brokers: [broker.bootstrap],
          connectionTimeoutMs: 1_000,
          requestTimeoutMs: 4_000,
          retry: { retries: 30, initialRetryTimeMs: 200, maxRetryTimeMs: 2_000 },
          logLevel: 'nothing',
        },
        groupId: uniqueName('outage-group'),
        topics: [topic],
        commitIntervalMs: 200,
        fetch: { maxWaitTimeMs: 100 },
        session: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 },
      },
      { logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }) },
    );
    const events: string[] = [];
    source.on('ready', () => events.push('ready'));
    source.on('not-ready', (reason) => events.push(`not-ready: ${reason}`));
    source.on('failed', (error) => events.push(`failed: ${error.message}`));
    const seen = new Set<string>();
    let delivered = 0;
    let pulling = true;
    try {
      const pull = (async () => {
        while (pulling) {
          const batch = source.take(50);
          for (const m of batch) seen.add(`${m.partition}:${m.offset}`);
          delivered += batch.length;
          source.acknowledger.ack(batch, []);
          await sleep(10);
        }
      })();
      await source.start();
      await until(() => seen.size >= total / 3, 60_000, 'a third');

      process.kill(broker.pid, 'SIGSTOP');
      const frozenAt = seen.size;
      await sleep(10_000);
      process.kill(broker.pid, 'SIGCONT');

      await until(() => seen.size >= total, 120_000, 'every record after the outage');
      await until(() => source.ready, 60_000, 'ready again');
      pulling = false;
      await pull;
      const report = await source.stop();
      process.stderr.write(
        `outage: ${seen.size} distinct, ${delivered - seen.size} duplicates, ${frozenAt} before the freeze; events ${JSON.stringify(events)}\n`,
      );
      expect(seen.size).toBe(total);
      // Not ready while frozen, ready again after, never failed.
      const lost = events.findIndex((e) => e.startsWith('not-ready') && !e.endsWith('stopping'));
      expect(lost).toBeGreaterThan(0);
      expect(events.slice(lost).includes('ready')).toBe(true);
      expect(events.filter((e) => e.startsWith('failed'))).toEqual([]);
      expect(report.unacknowledged).toBe(0);
    } finally {
      // A failed run must not leave the pull loop, the consumer or a frozen broker behind.
      pulling = false;
      process.kill(broker.pid, 'SIGCONT');
      await source.stop();
    }
  });
});
