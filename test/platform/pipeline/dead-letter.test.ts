import { markFailed } from '../../../platform/message/message';
import {
  createDeadLetterer,
  DEAD_LETTER_HEADERS,
  deadLetterRecord,
} from '../../../platform/pipeline/dead-letter';
import { PipelineDeadLetterError } from '../../../platform/pipeline/errors';
import type { DeadLetterRecord, RetryOptions } from '../../../platform/pipeline/options';
import { acknowledgerOf, testBatch, testMessage } from '../../../platform/pipeline/test-message';
import { noopTelemetry, type Telemetry } from '../../../platform/telemetry/telemetry';

const retry: RetryOptions = {
  attempts: 2,
  backoff: 'constant',
  jitter: 'none',
  initialMs: 0,
  maxMs: 0,
};

class ParseError extends Error {
  override name = 'ParseError';
}

describe('deadLetterRecord', () => {
  it('keeps key, raw value and headers, and adds the origin and the error', () => {
    const message = testMessage(
      { parsed: true },
      {
        key: 'k1',
        topic: 'in',
        partition: 4,
        offset: 17,
        timestamp: 1234,
        headers: { trace: 'abc' },
      },
    );
    message.attempts = 3;
    markFailed(message, 'handler', new ParseError('bad field'));
    const record = deadLetterRecord(message, 'in.dlq', 'orders', Buffer.from('raw bytes'));
    expect(record.topic).toBe('in.dlq');
    expect(record.key?.toString()).toBe('k1');
    expect(record.value?.toString()).toBe('raw bytes');
    expect(record.headers).toEqual({
      trace: 'abc',
      [DEAD_LETTER_HEADERS.originTopic]: 'in',
      [DEAD_LETTER_HEADERS.originPartition]: '4',
      [DEAD_LETTER_HEADERS.originOffset]: '17',
      [DEAD_LETTER_HEADERS.originTimestamp]: '1234',
      [DEAD_LETTER_HEADERS.pipeline]: 'orders',
      [DEAD_LETTER_HEADERS.reason]: 'handler',
      [DEAD_LETTER_HEADERS.errorClass]: 'ParseError',
      [DEAD_LETTER_HEADERS.errorMessage]: 'bad field',
      [DEAD_LETTER_HEADERS.attempts]: '3',
    });
  });

  it('serializes a decoded value as JSON', () => {
    const message = markFailed(testMessage({ a: 1 }), 'invalid');
    expect(deadLetterRecord(message, 'd', 'p', message.data).value).toBe('{"a":1}');
    expect(
      deadLetterRecord(message, 'd', 'p', message.data).headers[DEAD_LETTER_HEADERS.errorClass],
    ).toBe('none');
  });
});

describe('createDeadLetterer', () => {
  const recorded: [string, string, number][] = [];
  const telemetry: Telemetry = {
    ...noopTelemetry,
    recordDeadLettered: (topic, reason, count) => recorded.push([topic, reason, count]),
  };
  beforeEach(() => {
    recorded.length = 0;
  });

  it('acknowledges as failed only after the write resolved', async () => {
    const messages = testBatch(['a', 'b', 'c']);
    for (const m of messages) markFailed(m, m.data === 'a' ? 'decode' : 'handler');
    let release!: () => void;
    const sent: DeadLetterRecord[][] = [];
    const deadLetterer = createDeadLetterer({
      pipeline: 'p',
      topic: 'dlq',
      send: (records) => {
        sent.push(records);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      retry,
      telemetry,
      rawValue: (m) => m.data,
    });
    const done = deadLetterer.deadLetter(messages);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    expect(acknowledgerOf(messages).failed).toHaveLength(0);
    release();
    await done;
    const { successful, failed } = await acknowledgerOf(messages).settled;
    expect(successful).toHaveLength(0);
    expect(failed.map((m) => m.status)).toEqual([
      { kind: 'dead-lettered', reason: 'decode' },
      { kind: 'dead-lettered', reason: 'handler' },
      { kind: 'dead-lettered', reason: 'handler' },
    ]);
    expect(recorded).toEqual([
      ['dlq', 'decode', 1],
      ['dlq', 'handler', 2],
    ]);
  });

  it('leaves messages unacknowledged and throws a typed error when the write keeps failing', async () => {
    const messages = testBatch(['a']).map((m) => markFailed(m, 'handler'));
    let calls = 0;
    const deadLetterer = createDeadLetterer({
      pipeline: 'p',
      topic: 'dlq',
      send: async () => {
        calls++;
        throw new Error('broker gone');
      },
      retry,
      telemetry,
      rawValue: (m) => m.data,
      wait: async () => {},
    });
    const error = await deadLetterer.deadLetter(messages).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineDeadLetterError);
    expect((error as PipelineDeadLetterError).message).toBe(
      "Pipeline 'p': writing 1 record(s) to dead-letter topic 'dlq' failed: broker gone",
    );
    expect(calls).toBe(3);
    expect(acknowledgerOf(messages).failed).toHaveLength(0);
  });

  it('keeps writing in rounds while the pipeline runs, until the write succeeds', async () => {
    const messages = testBatch(['a']).map((m) => markFailed(m, 'handler'));
    let calls = 0;
    const rounds: string[] = [];
    await createDeadLetterer({
      pipeline: 'p',
      topic: 'dlq',
      send: async () => {
        if (++calls < 7) throw new Error(`down ${calls}`);
      },
      retry,
      telemetry,
      rawValue: (m) => m.data,
      wait: async () => {},
      stopping: () => false,
      onRetry: (error) => rounds.push(error.message),
    }).deadLetter(messages);
    expect(calls).toBe(7);
    expect(rounds).toEqual(['down 3', 'down 6']);
    expect((await acknowledgerOf(messages).settled).failed).toHaveLength(1);
  });

  it('without a dead-letter topic, acknowledges as failed at once', async () => {
    const messages = testBatch(['a']).map((m) => markFailed(m, 'handler'));
    await createDeadLetterer({
      pipeline: 'p',
      retry,
      telemetry,
      rawValue: (m) => m.data,
    }).deadLetter(messages);
    expect((await acknowledgerOf(messages).settled).failed[0]?.status.kind).toBe('failed');
    expect(recorded).toEqual([]);
  });
});
