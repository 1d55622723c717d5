import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { KafkaTopicNotFoundError } from '../../../../platform/kafka/errors';
import { KafkaSource } from '../../../../platform/kafka/source/kafka-source';
import type { SourceMessage } from '../../../../platform/kafka/source/source-message';
import { createLogger } from '../../../../platform/log/logger';
import type { PartitionSnapshot, Telemetry } from '../../../../platform/telemetry/telemetry';
import { noopTelemetry } from '../../../../platform/telemetry/telemetry';
import { Consumer, type ConsumerOptions } from '../../../../stages';
import { stopAfterEach } from '../../../support/cleanup';
import { createTopic, newKafka, produceRecords, uniqueName } from '../../../support/kafka';

// jest applies no per-project testTimeout: broker tests set their own.
jest.setTimeout(120_000);

const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });

/** Acknowledges everything it receives, after `delayMs` per batch. */
class Acker extends Consumer<SourceMessage> {
  readonly offsets = new Map<number, number[]>();
  received = 0;

  constructor(
    options: ConsumerOptions<SourceMessage>,
    private readonly delayMs = 0,
  ) {
    super(options);
  }

  async handleEvents(events: SourceMessage[]): Promise<void> {
    if (this.delayMs > 0) await sleep(this.delayMs);
    for (const m of events) {
      const list = this.offsets.get(m.partition) ?? [];
      list.push(m.offset);
      this.offsets.set(m.partition, list);
    }
    this.received += events.length;
    events[0]!.acknowledger.ack(events, []);
  }
}

let admin: Admin;
beforeAll(async () => {
  admin = newKafka().admin();
  await admin.connect();
});
afterAll(() => admin.disconnect());

async function until(condition: () => boolean, timeoutMs = 60_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function endOffsets(topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
}

async function committed(groupId: string, topic: string): Promise<Map<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(entry!.partitions.map((p) => [p.partition, Number(p.offset)]));
}

describe('KafkaSource stage against a broker', () => {
  const defer = stopAfterEach();
  it('emits every record on demand, in order per partition, and commits the end on shutdown', async () => {
    const topic = uniqueName('stage-all');
    await createTopic(topic, 6);
    await produceRecords(
      topic,
      Array.from({ length: 20_000 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    );
    let observed: (() => readonly PartitionSnapshot[]) | undefined;
    const telemetry: Telemetry = {
      ...noopTelemetry,
      observe: (provider) => {
        observed = provider.partitions;
        return () => {
          observed = undefined;
        };
      },
    };
    const groupId = uniqueName('stage-group');
    const source = new KafkaSource(
      {
        kafka: newKafka(),
        groupId,
        topics: [new RegExp(`^${topic}$`)],
        fetch: { maxWaitTimeMs: 100 },
      },
      { logger, telemetry },
    );
    const acker = new Acker({ subscribeTo: [{ producer: source, maxDemand: 1000 }] });
    defer(() => source.shutdown());
    source.start();
    acker.start();
    await source.whenStarted();
    expect(source.topics).toEqual([topic]);
    await source.whenReady();
    expect(source.ready).toBe(true);
    expect(observed?.()).toHaveLength(6);
    await until(() => acker.received >= 20_000);
    const report = await source.shutdown();
    expect(report).toEqual({ drained: true, unacknowledged: 0, droppedBuffered: 0 });
    expect(await acker.done()).toBe('normal');
    expect(observed).toBeUndefined();
    const ends = await endOffsets(topic);
    expect(await committed(groupId, topic)).toEqual(ends);
    for (const [partition, list] of acker.offsets) {
      expect(list).toEqual(Array.from({ length: ends.get(partition)! }, (_, i) => i));
    }
  });

  it('pauses partitions behind a slow consumer and stays within its bounds', async () => {
    const topic = uniqueName('stage-slow');
    await createTopic(topic, 3);
    await produceRecords(
      topic,
      Array.from({ length: 3_000 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(100) })),
    );
    const source = new KafkaSource(
      {
        kafka: newKafka(),
        groupId: uniqueName('stage-slow-group'),
        topics: [topic],
        queue: { highWaterEvents: 300, lowWaterEvents: 100 },
        fetch: { maxWaitTimeMs: 50, maxBytesPerPartition: 16 * 1024 },
      },
      { logger },
    );
    const acker = new Acker({ subscribeTo: [{ producer: source, maxDemand: 50 }] }, 5);
    defer(() => source.shutdown());
    source.start();
    acker.start();
    let maxBuffered = 0;
    // Bounded: a loop left running after a failed test would keep jest alive.
    const deadline = Date.now() + 90_000;
    while (acker.received < 3_000 && Date.now() < deadline) {
      maxBuffered = Math.max(maxBuffered, source.bufferedEvents);
      await sleep(5);
    }
    const counts = source.pauseCounts();
    expect(counts.pauses).toBeGreaterThan(0);
    expect(counts.resumes).toBeGreaterThan(0);
    // Three queues, each at most its high mark plus one fetch (producer batches ≤ 667 records).
    expect(maxBuffered).toBeLessThanOrEqual(3 * (300 + 667));
    process.stderr.write(
      `stage slow consumer: ${counts.pauses} pauses, ${counts.resumes} resumes, max buffered ${maxBuffered}\n`,
    );
    expect(acker.received).toBe(3_000);
    await source.shutdown();
  });

  it('fails to start on a missing topic with a clear error', async () => {
    const topic = uniqueName('stage-missing');
    const source = new KafkaSource(
      { kafka: newKafka(), groupId: uniqueName('g'), topics: [topic] },
      { logger },
    );
    defer(() => source.stop());
    await expect(source.whenStarted()).rejects.toThrow(KafkaTopicNotFoundError);
    await source.stop();
  });
});
