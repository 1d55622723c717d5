import { InvalidArgumentError } from '../../stages/index';
import type { Acknowledger, Message, MessageHeaders } from '../message/message';
import { TestAcknowledger } from './test-acknowledger';

/** Where a test message pretends to come from; everything is optional. */
export interface TestMessageOptions {
  key?: string | Buffer | null;
  topic?: string;
  partition?: number;
  /** Offset of the (first) message; later messages of a batch count up from it. */
  offset?: number;
  headers?: MessageHeaders;
  timestamp?: number;
  /** Default: a new {@link TestAcknowledger} expecting the messages made. */
  acknowledger?: Acknowledger;
}

/**
 * A message as the Kafka source would make it, for tests without a broker (Broadway's
 * `test_message`). Its acknowledger is a {@link TestAcknowledger} unless one is given, so
 * `(message.acknowledger as TestAcknowledger).settled` tells how it ended.
 */
export function testMessage<T>(data: T, options: TestMessageOptions = {}): Message<T> {
  const acknowledger = options.acknowledger ?? new TestAcknowledger(1);
  return makeMessage(data, options, options.offset ?? 0, acknowledger);
}

/**
 * Messages that share one acknowledger (Broadway's `test_batch`): consecutive offsets of one
 * partition. Await `acknowledgerOf(messages).settled` for the outcome of all of them.
 */
export function testBatch<T>(data: readonly T[], options: TestMessageOptions = {}): Message<T>[] {
  const acknowledger = options.acknowledger ?? new TestAcknowledger(data.length);
  const first = options.offset ?? 0;
  return data.map((d, i) => makeMessage(d, options, first + i, acknowledger));
}

/** The {@link TestAcknowledger} of test messages (throws when they have another one). */
export function acknowledgerOf(messages: Message | readonly Message[]): TestAcknowledger {
  const first = Array.isArray(messages) ? messages[0] : messages;
  const acknowledger = (first as Message | undefined)?.acknowledger;
  if (!(acknowledger instanceof TestAcknowledger)) {
    throw new InvalidArgumentError(
      'acknowledgerOf: these messages were not made by testMessage/testBatch',
    );
  }
  return acknowledger;
}

function makeMessage<T>(
  data: T,
  options: TestMessageOptions,
  offset: number,
  acknowledger: Acknowledger,
): Message<T> {
  const key = typeof options.key === 'string' ? Buffer.from(options.key) : (options.key ?? null);
  return {
    data,
    key,
    topic: options.topic ?? 'test',
    partition: options.partition ?? 0,
    offset,
    headers: options.headers ?? {},
    timestamp: options.timestamp ?? Date.now(),
    size: (key?.length ?? 0) + sizeOf(data),
    status: { kind: 'pending' },
    attempts: 0,
    acknowledger,
  };
}

function sizeOf(data: unknown): number {
  if (Buffer.isBuffer(data)) return data.length;
  if (typeof data === 'string') return Buffer.byteLength(data);
  return 0;
}
