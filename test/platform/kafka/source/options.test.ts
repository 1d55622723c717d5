import { KafkaOptionsError } from '../../../../platform/kafka/errors';
import { parseOptions } from '../../../../platform/kafka/parse-options';
import {
  type KafkaSourceOptionsInput,
  kafkaSourceOptionsSchema,
} from '../../../../platform/kafka/source/options';

const base: KafkaSourceOptionsInput = {
  client: { brokers: ['localhost:9092'] },
  groupId: 'g',
  topics: ['t'],
};

function parse(input: unknown) {
  return parseOptions('KafkaSource', kafkaSourceOptionsSchema, input);
}

function errorOf(input: unknown): KafkaOptionsError {
  try {
    parse(input);
  } catch (error) {
    if (error instanceof KafkaOptionsError) return error;
    throw error;
  }
  throw new Error('expected the options to be rejected');
}

describe('KafkaSource options', () => {
  it('fills defaults, low marks at half the high ones', () => {
    const options = parse({ ...base, queue: { highWaterEvents: 100 } });
    expect(options.queue).toEqual({
      highWaterEvents: 100,
      lowWaterEvents: 50,
      highWaterBytes: 16 * 1024 * 1024,
      lowWaterBytes: 8 * 1024 * 1024,
    });
    expect(options.startFrom).toBe('committed');
    expect(options.commitIntervalMs).toBe(1_000);
    expect(options.client?.clientId).toBe('kafka-stages');
  });

  it('accepts patterns and a timestamp start', () => {
    const options = parse({
      ...base,
      topics: [/^metrics\./, 'other'],
      startFrom: { timestamp: 5 },
    });
    expect(options.topics[0]).toBeInstanceOf(RegExp);
    expect(options.startFrom).toEqual({ timestamp: 5 });
  });

  it('rejects a low-water mark above the high one, naming the path and value', () => {
    const error = errorOf({ ...base, queue: { highWaterEvents: 1_000, lowWaterEvents: 5_000 } });
    expect(error.code).toBe('KAFKA_OPTIONS_INVALID');
    expect(error.path).toBe('queue.lowWaterEvents');
    expect(error.message).toBe(
      "KafkaSource: option 'queue.lowWaterEvents' is 5000; allowed: below queue.highWaterEvents (1000)",
    );
  });

  it('rejects a byte low-water mark equal to the high one', () => {
    const error = errorOf({ ...base, queue: { highWaterBytes: 10, lowWaterBytes: 10 } });
    expect(error.message).toBe(
      "KafkaSource: option 'queue.lowWaterBytes' is 10; allowed: below queue.highWaterBytes (10)",
    );
  });

  it('rejects unknown keys and lists the allowed ones', () => {
    const error = errorOf({ ...base, queue: { highWater: 5 } });
    expect(error.path).toBe('queue.highWater');
    expect(error.message).toBe(
      "KafkaSource: option 'queue.highWater' is unknown; allowed: one of the keys highWaterEvents, lowWaterEvents, highWaterBytes, lowWaterBytes",
    );
    expect(errorOf({ ...base, topic: 'x' }).message).toMatch(
      /^KafkaSource: option 'topic' is unknown; allowed: one of the keys name, client, kafka, groupId, topics, startFrom,/,
    );
  });

  it('rejects a bad start position with what is allowed', () => {
    expect(errorOf({ ...base, startFrom: 'beginning' }).message).toBe(
      "KafkaSource: option 'startFrom' is \"beginning\"; allowed: 'committed', 'earliest', 'latest' or { timestamp: <ms since epoch> }",
    );
  });

  it('rejects an empty topic list and a topic that is neither name nor pattern', () => {
    expect(errorOf({ ...base, topics: [] }).message).toBe(
      "KafkaSource: option 'topics' is []; allowed: at least one topic",
    );
    expect(errorOf({ ...base, topics: [42] }).message).toBe(
      "KafkaSource: option 'topics[0]' is 42; allowed: a topic name or a RegExp",
    );
  });

  it('needs exactly one of client and kafka', () => {
    const { client: _client, ...withoutClient } = base;
    expect(errorOf(withoutClient).message).toBe(
      'KafkaSource: options are {"groupId":"g","topics":["t"]}; allowed: exactly one of `client` (connection settings) or `kafka` (a kafkajs client)',
    );
  });

  it('rejects a malformed broker address', () => {
    const error = errorOf({ ...base, client: { brokers: ['localhost'] } });
    expect(error.path).toBe('client.brokers[0]');
    expect(error.message).toBe(
      'KafkaSource: option \'client.brokers[0]\' is "localhost"; allowed: host:port (e.g. localhost:9092)',
    );
  });

  it('rejects a heartbeat interval not below the session timeout', () => {
    expect(
      errorOf({ ...base, session: { sessionTimeoutMs: 1_000, heartbeatIntervalMs: 1_000 } }).path,
    ).toBe('session.heartbeatIntervalMs');
  });
});
