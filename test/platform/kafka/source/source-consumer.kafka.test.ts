import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { KafkaTopicNotFoundError } from '../../../../platform/kafka/errors';
import type { KafkaSourceOptionsInput } from '../../../../platform/kafka/source/options';
import { SourceConsumer } from '../../../../platform/kafka/source/source-consumer';
import type { SourceMessage } from '../../../../platform/kafka/source/source-message';
import { createLogger } from '../../../../platform/log/logger';
import { createTopic, newKafka, produceRecords, uniqueName } from '../../../support/kafka';

// jest applies no per-project testTimeout: broker tests set their own.
jest.setTimeout(120_000);

const sources: SourceConsumer[] = [];
let admin: Admin;

beforeAll(async () => {
  admin = newKafka().admin();
  await admin.connect();
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await admin.disconnect();
});

function newSource(
  options: Partial<KafkaSourceOptionsInput> & { topics: KafkaSourceOptionsInput['topics'] },
) {
  const source = new SourceConsumer(
    {
      kafka: newKafka(),
      groupId: uniqueName('source-group'),
      commitIntervalMs: 200,
      fetch: { maxWaitTimeMs: 100 },
      session: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 },
      ...options,
    },
    { logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }) },
  );
  sources.push(source);
  return source;
}

/** Takes whatever arrives, `chunk` at a time, and hands it to `onMessages`. */
function drain(
  source: SourceConsumer,
  onMessages: (messages: SourceMessage[]) => void,
  chunk = 500,
) {
  source.onAvailable = () => {
    for (let batch = source.take(chunk); batch.length > 0; batch = source.take(chunk))
      onMessages(batch);
  };
}

async function until(
  condition: () => boolean,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(entry!.partitions.map((p) => [p.partition, Number(p.offset)]));
}

async function endOffsets(topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

function records(count: number, prefix = 'r') {
  return Array.from({ length: count }, (_, i) => ({ key: `k${i % 97}`, value: `${prefix}-${i}` }));
}

describe('SourceConsumer against a broker', () => {
  it('reads a 6-partition topic, in order per partition, and commits the end offsets', async () => {
    const topic = uniqueName('src-all');
    await createTopic(topic, 6);
    await produceRecords(topic, records(6_000));
    const source = newSource({ topics: [topic] });
    const seen = new Map<number, number[]>();
    drain(source, (batch) => {
      for (const m of batch) {
        const list = seen.get(m.partition) ?? [];
        list.push(m.offset);
        seen.set(m.partition, list);
        expect(m.status).toEqual({ kind: 'pending' });
        expect(m.size).toBe(m.key!.length + m.data!.length);
      }
      source.acknowledger.ack(batch, []);
    });
    await source.start();
    await until(() => [...seen.values()].reduce((n, l) => n + l.length, 0) >= 6_000);
    await source.commit();
    const ends = await endOffsets(topic);
    expect(await committedOffsets(source.options.groupId, topic)).toEqual(ends);
    for (const [partition, offsets] of seen) {
      expect(offsets).toEqual(Array.from({ length: ends.get(partition)! }, (_, i) => i));
    }
    const snapshot = source.snapshot();
    expect(snapshot).toHaveLength(6);
    for (const s of snapshot) {
      expect(s.committed).toBe(ends.get(s.partition));
      expect(s.highWatermark).toBe(ends.get(s.partition));
    }
    const report = await source.stop();
    expect(report).toEqual({ drained: true, unacknowledged: 0, droppedBuffered: 0 });
  });

  it('holds the commit at an unacknowledged message and moves on once it is acked', async () => {
    const topic = uniqueName('src-gap');
    await createTopic(topic, 1);
    await produceRecords(topic, records(100));
    const source = newSource({ topics: [topic] });
    const held: SourceMessage[] = [];
    let received = 0;
    drain(source, (batch) => {
      received += batch.length;
      const done = batch.filter((m) => m.offset !== 40 && m.offset !== 70);
      held.push(...batch.filter((m) => m.offset === 40 || m.offset === 70));
      source.acknowledger.ack(done.slice(0, 20), done.slice(20)); // failed counts as done
    });
    await source.start();
    await until(() => received >= 100);
    await source.commit();
    expect((await committedOffsets(source.options.groupId, topic)).get(0)).toBe(40);
    source.acknowledger.ack([held[0]!], []);
    await source.commit();
    expect((await committedOffsets(source.options.groupId, topic)).get(0)).toBe(70);
    expect(source.inFlight()).toBe(1);
    source.acknowledger.ack([held[1]!], []);
    await source.commit();
    expect((await committedOffsets(source.options.groupId, topic)).get(0)).toBe(100);
  });

  it('pauses partitions under a slow consumer, keeps the buffer bounded, loses nothing', async () => {
    const topic = uniqueName('src-slow');
    await createTopic(topic, 6);
    // Small produce requests, so no record batch is larger than a fetch: the broker always
    // returns a whole record batch, even one larger than maxBytesPerPartition.
    const producer = newKafka().producer();
    await producer.connect();
    try {
      const all = records(6_000, 'x'.repeat(90));
      for (let i = 0; i < all.length; i += 60) {
        await producer.send({ topic, acks: -1, messages: all.slice(i, i + 60) });
      }
    } finally {
      await producer.disconnect();
    }
    const highWaterEvents = 200;
    const maxBytesPerPartition = 8 * 1024; // ≤ ~80 records of ~100 bytes per fetch
    const source = newSource({
      topics: [topic],
      queue: { highWaterEvents, lowWaterEvents: 50 },
      fetch: { maxWaitTimeMs: 50, maxBytesPerPartition },
    });
    const offsets = new Map<number, number[]>();
    let maxPerPartition = 0;
    let maxTotal = 0;
    // On a starved machine the member can miss its session and rejoin: an eager rebalance
    // re-delivers what was not committed. That is at-least-once, so the loop waits for every
    // distinct record and duplicates are allowed only when a rejoin happened.
    let assignments = 0;
    source.on('assigned', () => {
      assignments += 1;
    });
    await source.start();
    let received = 0;
    const distinct = new Set<string>();
    // What the topic holds (a retried produce can have written a record twice): wait for all.
    const ends = await endOffsets(topic);
    let total = 0;
    for (const end of ends.values()) total += end;
    const deadline = Date.now() + 150_000;
    while (distinct.size < total && Date.now() < deadline) {
      for (const s of source.snapshot())
        maxPerPartition = Math.max(maxPerPartition, s.bufferedEvents);
      maxTotal = Math.max(maxTotal, source.bufferedEvents);
      const batch = source.take(60);
      for (const m of batch) {
        const list = offsets.get(m.partition) ?? [];
        list.push(m.offset);
        offsets.set(m.partition, list);
        distinct.add(`${m.partition}:${m.offset}`);
      }
      received += batch.length;
      source.acknowledger.ack(batch, []);
      await sleep(10);
    }
    const history = source.pauseHistory();
    expect(history.filter((e) => e.action === 'pause').length).toBeGreaterThan(0);
    expect(history.filter((e) => e.action === 'resume').length).toBeGreaterThan(0);
    for (const e of history.filter((x) => x.action === 'pause')) {
      expect(e.bufferedEvents).toBeGreaterThanOrEqual(highWaterEvents);
    }
    // The high mark plus at most one fetch: maxBytesPerPartition (a record is > 90 bytes),
    // rounded up to whole record batches (≤ 60 records each).
    const bound = highWaterEvents + maxBytesPerPartition / 90 + 60;
    expect(maxPerPartition).toBeLessThan(bound);
    expect(maxTotal).toBeLessThan(6 * bound);
    process.stderr.write(
      `slow consumer: max buffered per partition ${maxPerPartition} (bound ${Math.floor(bound)}), total ${maxTotal}, ${history.length} pause/resume events\n`,
    );
    const duplicates = received - distinct.size;
    process.stderr.write(`slow consumer: ${assignments} assignment(s), ${duplicates} duplicates\n`);
    for (const [partition, list] of offsets) {
      const expected = Array.from({ length: ends.get(partition)! }, (_, i) => i);
      if (assignments === 1) expect(list).toEqual(expected);
      else expect([...new Set(list)].sort((a, b) => a - b)).toEqual(expected);
    }
    if (assignments === 1) expect(duplicates).toBe(0);
    await source.commit();
    expect(await committedOffsets(source.options.groupId, topic)).toEqual(ends);
  });

  it('starts from earliest, latest, a timestamp, or the committed offsets', async () => {
    const topic = uniqueName('src-start');
    await createTopic(topic, 2);
    await produceRecords(topic, records(20, 'before'));
    await sleep(50);
    const between = Date.now();
    await sleep(50);
    await produceRecords(topic, records(10, 'after'));

    const collect = async (options: Partial<KafkaSourceOptionsInput>, expected: number) => {
      const source = newSource({ topics: [topic], ...options });
      const values: string[] = [];
      drain(source, (batch) => {
        values.push(...batch.map((m) => m.data!.toString()));
        source.acknowledger.ack(batch, []);
      });
      await source.start();
      await source.whenReady();
      if (options.startFrom === 'latest') await produceRecords(topic, records(5, 'late'));
      await until(() => values.length >= expected, 30_000, `${expected} records`);
      await sleep(300); // nothing more arrives
      await source.stop();
      return { values, groupId: source.options.groupId };
    };

    const earliest = await collect({ startFrom: 'earliest' }, 30);
    // Every record once at least: a starved member may rejoin and be handed records again.
    expect(new Set(earliest.values).size).toBe(30);
    const byTime = await collect({ startFrom: { timestamp: between } }, 10);
    expect(byTime.values.sort()).toEqual(
      records(10, 'after')
        .map((r) => r.value)
        .sort(),
    );
    const latest = await collect({ startFrom: 'latest' }, 5);
    expect(latest.values.sort()).toEqual(
      records(5, 'late')
        .map((r) => r.value)
        .sort(),
    );
    // The same group again, from its committed offsets: only what came since.
    await produceRecords(topic, records(3, 'resume'));
    const resumed = await collect({ groupId: earliest.groupId, startFrom: 'committed' }, 8);
    expect(resumed.values.sort()).toEqual(
      [...records(5, 'late'), ...records(3, 'resume')].map((r) => r.value).sort(),
    );
  });

  it('stops within its timeout when messages stay unacknowledged, committing only what finished', async () => {
    const topic = uniqueName('src-stop');
    await createTopic(topic, 1);
    await produceRecords(topic, records(50));
    const source = newSource({ topics: [topic], shutdownTimeoutMs: 300 });
    let taken: SourceMessage[] = [];
    await source.start();
    await until(() => source.bufferedEvents >= 50);
    taken = source.take(20);
    source.acknowledger.ack(
      taken.filter((m) => m.offset < 5 || m.offset > 7),
      [],
    );
    const started = Date.now();
    const report = await source.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report).toEqual({ drained: false, unacknowledged: 3, droppedBuffered: 30 });
    expect((await committedOffsets(source.options.groupId, topic)).get(0)).toBe(5);
    // Late acknowledgements after stop change nothing and do not throw.
    source.acknowledger.ack(taken, []);
    expect(source.take(10)).toEqual([]);
  });

  it('rejects a missing topic and a pattern that matches nothing, at start', async () => {
    const missing = uniqueName('src-missing');
    const source = newSource({ topics: [missing, /^no-such-topic-\d+$/] });
    const error = await source.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaTopicNotFoundError);
    expect((error as Error).message).toBe(
      `KafkaSource 'kafka-source': topic '${missing}', /^no-such-topic-\\d+$/ (matches no topic) does not exist; create them before starting the source (topics are never auto-created)`,
    );
  });

  it('hands partitions over when a member leaves: nothing lost, duplicates counted', async () => {
    const topic = uniqueName('src-rebalance');
    await createTopic(topic, 6);
    const total = 12_000;
    await produceRecords(topic, records(total));
    const groupId = uniqueName('rebalance-group');
    const counts = new Map<string, number>();
    const consume = (source: SourceConsumer) =>
      drain(
        source,
        (batch) => {
          for (const m of batch) {
            const id = `${m.partition}:${m.offset}`;
            counts.set(id, (counts.get(id) ?? 0) + 1);
          }
          source.acknowledger.ack(batch, []);
        },
        100,
      );
    const a = newSource({ topics: [topic], groupId, queue: { highWaterEvents: 500 } });
    const b = newSource({ topics: [topic], groupId, queue: { highWaterEvents: 500 } });
    consume(a);
    consume(b);
    await a.start();
    await b.start();
    await until(
      () => a.assignment()[0]?.partitions.length === 3 && b.ready,
      60_000,
      'both assigned',
    );
    await until(() => counts.size >= total / 3, 60_000, 'a third');
    await b.stop();
    await until(() => a.ready && a.assignment()[0]?.partitions.length === 6, 60_000, 'a owns all');
    await until(() => counts.size >= total, 60_000, 'every record');
    await a.commit();
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    process.stderr.write(`rebalance: ${counts.size} distinct records, ${duplicates} duplicates\n`);
    expect(counts.size).toBe(total);
    expect(await committedOffsets(groupId, topic)).toEqual(await endOffsets(topic));
  });

  it('survives a member joining and one leaving abruptly while acks are in flight', async () => {
    const topic = uniqueName('src-churn');
    await createTopic(topic, 6);
    const total = 12_000;
    await produceRecords(topic, records(total));
    const groupId = uniqueName('churn-group');
    const counts = new Map<string, number>();
    const stopped = new Set<SourceConsumer>();
    // Pulls 20 every few ms and acknowledges 20 ms later, so acks are always in flight.
    const run = async (source: SourceConsumer) => {
      while (!stopped.has(source)) {
        const batch = source.take(20);
        for (const m of batch) {
          const id = `${m.partition}:${m.offset}`;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        if (batch.length > 0) setTimeout(() => source.acknowledger.ack(batch, []), 20);
        await sleep(2);
      }
    };
    const options = { topics: [topic], groupId, queue: { highWaterEvents: 300 } };
    const a = newSource(options);
    const b = newSource({ ...options, shutdownTimeoutMs: 0 });
    await a.start();
    await b.start();
    const loops = [run(a), run(b)];
    await until(() => counts.size >= total / 4, 60_000, 'a quarter');
    const c = newSource(options);
    await c.start();
    loops.push(run(c));
    await until(() => c.ready && counts.size >= total / 2, 60_000, 'c joined, half');
    // b leaves without waiting for its in-flight acks: they are redelivered to a or c.
    await until(() => b.inFlight() > 0, 30_000, 'b has acks in flight');
    stopped.add(b);
    const inFlightAtLeave = b.inFlight();
    const report = await b.stop();
    await until(() => counts.size >= total, 90_000, 'every record');
    await sleep(100);
    await Promise.all([a.commit(), c.commit()]);
    stopped.add(a).add(c);
    await Promise.all(loops);
    const duplicates = [...counts.values()].reduce((n, x) => n + x - 1, 0);
    process.stderr.write(
      `churn: ${counts.size} distinct records, ${duplicates} duplicates, b left with ${report.unacknowledged} of ${inFlightAtLeave} in flight unacknowledged (${JSON.stringify(b.assignment())})\n`,
    );
    expect(counts.size).toBe(total);
    expect(await committedOffsets(groupId, topic)).toEqual(await endOffsets(topic));
  });
});
