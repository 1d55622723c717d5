import type { Message, MessageHeaders } from '../../../platform/message/message';

/** A message as the Kafka source would build it, without a broker. */
export function testMessage(
  overrides: Partial<Message> & { headers?: MessageHeaders } = {},
): Message {
  return {
    data: Buffer.from('v'),
    key: null,
    topic: 'in',
    partition: 0,
    offset: 0,
    headers: {},
    timestamp: Date.now(),
    size: 1,
    status: { kind: 'pending' },
    attempts: 0,
    acknowledger: { ack() {} },
    ...overrides,
  };
}
