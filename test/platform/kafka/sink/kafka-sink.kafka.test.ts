import { DeadLetterProducer } from '../../../../platform/kafka/dead-letter';
import { KafkaTopicNotFoundError } from '../../../../platform/kafka/errors';
import { KafkaSink } from '../../../../platform/kafka/sink/kafka-sink';
import { createLogger } from '../../../../platform/log/logger';
import type { Acknowledger, Message } from '../../../../platform/message/message';
import { noopTelemetry, type Telemetry } from '../../../../platform/telemetry/telemetry';
import { stopAfterEach } from '../../../support/cleanup';
import { consumeAll, createTopic, newKafka, uniqueName } from '../../../support/kafka';

// jest applies no per-project testTimeout: broker tests set their own.
jest.setTimeout(120_000);

const logger = createLogger({ level: 'silent' });
const noAck: Acknowledger = { ack() {} };

function message(i: number, partition: number, headers: Message['headers'] = {}): Message {
  return {
    data: Buffer.from(`value-${i}`),
    key: Buffer.from(`key-${i}`),
    topic: 'in',
    partition,
    offset: i,
    headers,
    timestamp: Date.now(),
    size: 0,
    status: { kind: 'pending' },
    attempts: 0,
    acknowledger: noAck,
  };
}

/** Telemetry that writes a recognisable traceparent and counts sends. */
function tracingTelemetry(): Telemetry & { sends: { topic: string; count: number }[] } {
  const sends: { topic: string; count: number }[] = [];
  return {
    ...noopTelemetry,
    sends,
    traceSend: (topic, count, fn) => {
      sends.push({ topic, count });
      return fn(undefined);
    },
    injectContext: (headers) => {
      headers.traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    },
  };
}

describe('KafkaSink against a broker', () => {
  const defer = stopAfterEach();
  it('produces keys, headers and values, keeps the source partition, injects the trace', async () => {
    const topic = uniqueName('sink-out');
    await createTopic(topic, 3);
    const telemetry = tracingTelemetry();
    const sink = new KafkaSink(
      { kafka: newKafka(), topic, partitioner: 'source', compression: 'gzip' },
      { telemetry, logger },
    );
    defer(() => sink.stop());
    await sink.start();
    const messages = Array.from({ length: 300 }, (_, i) =>
      message(i, i % 3, { origin: 'test', traceparent: 'upstream', multi: ['a', 'b'] }),
    );
    const metadata = await sink.send(messages);
    expect(new Set(metadata.map((m) => m.partition))).toEqual(new Set([0, 1, 2]));
    await sink.stop();
    expect(telemetry.sends).toEqual([{ topic, count: 300 }]);

    const received = await consumeAll(topic, 300);
    expect(received).toHaveLength(300);
    for (const r of received) {
      const i = Number(r.value!.toString().slice('value-'.length));
      expect(r.key!.toString()).toBe(`key-${i}`);
      expect(r.partition).toBe(i % 3);
      expect(r.headers!.origin!.toString()).toBe('test');
      expect((r.headers!.multi as Buffer[]).map(String)).toEqual(['a', 'b']);
      expect(r.headers!.traceparent!.toString()).toBe(
        '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      );
    }
    // Per-partition order is the order given.
    for (let p = 0; p < 3; p++) {
      const values = received
        .filter((r) => r.partition === p)
        .map((r) => Number(r.value!.toString().slice(6)));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  it('rejects an output topic that does not exist, at start', async () => {
    const topic = uniqueName('sink-missing');
    const sink = new KafkaSink({ kafka: newKafka(), topic }, { logger });
    defer(() => sink.stop());
    await expect(sink.start()).rejects.toThrow(KafkaTopicNotFoundError);
    await expect(sink.start()).rejects.toThrow(
      `kafka-sink: topic '${topic}' does not exist; create it before starting (topics are never auto-created)`,
    );
    await sink.stop();
  });

  it('writes dead-letter records with their origin headers and resolves after the broker confirmed', async () => {
    const topic = uniqueName('dlq');
    await createTopic(topic, 1);
    const dlq = new DeadLetterProducer({ kafka: newKafka(), topic }, { logger });
    defer(() => dlq.stop());
    await dlq.start();
    await dlq.send([
      {
        topic,
        key: Buffer.from('k'),
        value: 'not json',
        headers: { 'dlq.origin.topic': 'in', 'dlq.origin.offset': '41', 'dlq.attempts': '3' },
      },
    ]);
    await dlq.stop();
    const [record] = await consumeAll(topic, 1);
    expect(record!.value!.toString()).toBe('not json');
    expect(record!.headers!['dlq.origin.offset']!.toString()).toBe('41');
    expect(record!.headers!['dlq.attempts']!.toString()).toBe('3');
  });
});
