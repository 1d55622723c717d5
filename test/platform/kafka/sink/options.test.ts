import { DeadLetterProducer } from '../../../../platform/kafka/dead-letter';
import { KafkaOptionsError } from '../../../../platform/kafka/errors';
import { defaultSerialize, KafkaSink } from '../../../../platform/kafka/sink/kafka-sink';
import type { Message } from '../../../../platform/message/message';

const client = { brokers: ['localhost:9092'] };

function errorOf(build: () => unknown): KafkaOptionsError {
  try {
    build();
  } catch (error) {
    if (error instanceof KafkaOptionsError) return error;
    throw error;
  }
  throw new Error('expected the options to be rejected');
}

describe('KafkaSink options', () => {
  it('defaults to acks all, idempotent, no compression, the default partitioner', () => {
    const sink = new KafkaSink({ client, topic: 'out' });
    expect(sink.options).toMatchObject({
      acks: -1,
      idempotent: true,
      compression: 'none',
      partitioner: 'default',
      name: 'kafka-sink',
    });
  });

  it("takes 'all' for acks", () => {
    expect(new KafkaSink({ client, topic: 'out', acks: 'all' }).options.acks).toBe(-1);
  });

  it('rejects acks 1 on an idempotent producer, naming the fix', () => {
    const error = errorOf(() => new KafkaSink({ client, topic: 'out', acks: 1 }));
    expect(error.path).toBe('acks');
    expect(error.message).toBe(
      "KafkaSink: option 'acks' is 1; allowed: -1 (all) while idempotent is true (set idempotent: false for acks 0 or 1)",
    );
    expect(new KafkaSink({ client, topic: 'out', acks: 1, idempotent: false }).options.acks).toBe(
      1,
    );
  });

  it('rejects an unknown partitioner and compression, listing what is allowed', () => {
    expect(
      errorOf(() => new KafkaSink({ client, topic: 'out', partitioner: 'random' as never }))
        .message,
    ).toMatch(
      /^KafkaSink: option 'partitioner' is "random"; allowed: 'default' \(Java-compatible murmur2 of the key\), 'legacy'/,
    );
    expect(
      errorOf(() => new KafkaSink({ client, topic: 'out', compression: 'zstd' as never })).message,
    ).toBe('KafkaSink: option \'compression\' is "zstd"; allowed: one of "none", "gzip"');
  });

  it('rejects a missing topic and unknown keys', () => {
    expect(errorOf(() => new KafkaSink({ client } as never)).path).toBe('topic');
    expect(errorOf(() => new KafkaSink({ client, topic: 'out', retries: 3 } as never)).path).toBe(
      'retries',
    );
  });

  it('validates the dead-letter producer the same way', () => {
    const error = errorOf(
      () => new DeadLetterProducer({ client, topic: 'dlq', idempotent: true, acks: 0 }),
    );
    expect(error.component).toBe('DeadLetterProducer');
    expect(error.path).toBe('acks');
  });
});

describe('defaultSerialize', () => {
  const message = (data: unknown) => ({ data }) as Message;

  it('keeps bytes and strings, turns null into a tombstone and objects into JSON', () => {
    const bytes = Buffer.from('abc');
    expect(defaultSerialize(message(bytes))).toBe(bytes);
    expect(defaultSerialize(message('text'))).toBe('text');
    expect(defaultSerialize(message(null))).toBeNull();
    expect(defaultSerialize(message(undefined))).toBeNull();
    expect(defaultSerialize(message({ a: 1 }))).toBe('{"a":1}');
    expect(defaultSerialize(message(new Uint8Array([1, 2])))).toEqual(Buffer.from([1, 2]));
  });
});
