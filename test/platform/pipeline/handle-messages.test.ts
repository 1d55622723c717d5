import { type Message, markFailed } from '../../../platform/message/message';
import { type HandleSettings, handleMessages } from '../../../platform/pipeline/handle-messages';
import type { RetryOptions } from '../../../platform/pipeline/options';
import { testBatch } from '../../../platform/pipeline/test-message';

const retry: RetryOptions = {
  attempts: 3,
  backoff: 'exponential',
  jitter: 'none',
  initialMs: 10,
  maxMs: 100,
};

function settings(
  overrides: Partial<HandleSettings> = {},
): HandleSettings & { waits: number[]; raw: Map<Message, unknown> } {
  const waits: number[] = [];
  const raw = new Map<Message, unknown>();
  return {
    retry,
    wait: async (ms) => {
      waits.push(ms);
    },
    keepRaw: (m, value) => raw.set(m, value),
    waits,
    raw,
    ...overrides,
  };
}

const statuses = (messages: Message[]) =>
  messages.map((m) =>
    m.status.kind === 'failed'
      ? `${m.status.reason}:${m.status.error?.message ?? ''}`
      : m.status.kind,
  );

describe('handleMessages', () => {
  it('passes messages through untouched without decode or handler, synchronously', () => {
    const messages = testBatch([1, 2]);
    expect(handleMessages(messages, settings())).toBeUndefined();
    expect(statuses(messages)).toEqual(['pending', 'pending']);
  });

  it('decodes, failing the undecodable ones with reason decode and keeping their raw value', async () => {
    const s = settings({ decode: (v) => JSON.parse(String(v)), handleMessage: () => {} });
    const messages = testBatch(['{"a":1}', 'not json']);
    await handleMessages(messages, s);
    expect(messages[0]!.data).toEqual({ a: 1 });
    expect(statuses(messages)).toEqual([
      'pending',
      expect.stringMatching(/^decode:Unexpected token/) as unknown as string,
    ]);
    expect(s.raw.get(messages[1]!)).toBe('not json');
    // A decode failure is not retried, and the handler never sees it.
    expect(messages[1]!.attempts).toBe(0);
  });

  it('retries a throwing handler with backoff, with data as it was before the attempt', async () => {
    const seen: unknown[] = [];
    const s = settings({
      handleMessage: (m) => {
        seen.push(m.data);
        m.data = `${m.data}!`;
        if (seen.length < 3) throw new Error('flaky');
      },
    });
    const messages = testBatch(['x']);
    await handleMessages(messages, s);
    expect(seen).toEqual(['x', 'x', 'x']);
    expect(messages[0]!.data).toBe('x!');
    expect(messages[0]!.attempts).toBe(3);
    expect(s.waits).toEqual([10, 20]);
    expect(statuses(messages)).toEqual(['pending']);
  });

  it('fails a message with reason handler after the last attempt, others go on', async () => {
    const s = settings({
      handleMessage: async (m) => {
        if (m.data === 'bad') throw new TypeError('no good');
        m.data = 'done';
      },
    });
    const messages = testBatch(['ok', 'bad', 'ok']);
    await handleMessages(messages, s);
    expect(statuses(messages)).toEqual(['pending', 'handler:no good', 'pending']);
    expect(messages[1]!.data).toBe('bad');
    expect(messages[1]!.attempts).toBe(3);
    expect(messages.map((m) => m.data)).toEqual(['done', 'bad', 'done']);
  });

  it('does not retry a message the handler marked failed', async () => {
    let calls = 0;
    const messages = testBatch(['x']);
    await handleMessages(
      messages,
      settings({
        handleMessage: (m) => {
          calls++;
          markFailed(m, 'invalid');
        },
      }),
    );
    expect(calls).toBe(1);
    expect(statuses(messages)).toEqual(['invalid:']);
  });

  it('retries a throwing batch handler with the messages still pending', async () => {
    const calls: unknown[][] = [];
    const s = settings({
      handleBatch: (batch) => {
        calls.push(batch.map((m) => m.data));
        if (calls.length === 1) {
          markFailed(batch[0]!, 'invalid');
          throw new Error('db down');
        }
      },
    });
    const messages = testBatch(['a', 'b', 'c']);
    await handleMessages(messages, s);
    expect(calls).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c'],
    ]);
    expect(statuses(messages)).toEqual(['invalid:', 'pending', 'pending']);
  });

  it('fails the whole batch with reason handler when every attempt throws', async () => {
    const messages = testBatch(['a', 'b']);
    await handleMessages(
      messages,
      settings({
        handleBatch: () => {
          throw new Error('always');
        },
      }),
    );
    expect(statuses(messages)).toEqual(['handler:always', 'handler:always']);
    expect(messages.map((m) => m.attempts)).toEqual([3, 3]);
  });
});
