import { type Message, markFailed } from '../../../platform/message/message';
import type { Batch } from '../../../platform/pipeline/batch-accumulator';
import {
  type DeliverSettings,
  deliverBatch,
  type Sink,
} from '../../../platform/pipeline/deliver-batch';
import type { RetryOptions } from '../../../platform/pipeline/options';
import { acknowledgerOf, testBatch } from '../../../platform/pipeline/test-message';
import { noopTelemetry } from '../../../platform/telemetry/telemetry';

const retry: RetryOptions = {
  attempts: 2,
  backoff: 'constant',
  jitter: 'none',
  initialMs: 5,
  maxMs: 5,
};

function setup(send: Sink['send'], stopping = false) {
  const deadLettered: Message[][] = [];
  const delivered: string[] = [];
  const settings: DeliverSettings = {
    pipeline: 'p',
    sink: { send, destination: 'out' },
    retry,
    deadLetterer: {
      deadLetter: async (messages) => {
        deadLettered.push([...messages]);
      },
      deadLetterParts: async () => {},
    },
    telemetry: {
      ...noopTelemetry,
      recordDelivered: (topic, messages) => delivered.push(`${topic}:${messages.length}`),
    },
    wait: async () => {},
    stopping: () => stopping,
  };
  return { settings, deadLettered, delivered };
}

const batchOf = (messages: Message[]): Batch => ({ batcher: 'b', key: 'k', messages, bytes: 0 });

describe('deliverBatch', () => {
  it('acknowledges delivered messages and dead-letters the ones failed upstream', async () => {
    const messages = testBatch(['a', 'b', 'c']);
    markFailed(messages[1]!, 'handler');
    const sent: unknown[][] = [];
    const { settings, deadLettered, delivered } = setup((batch, context) => {
      expect(context).toEqual({ pipeline: 'p', batcher: 'b', batchKey: 'k' });
      sent.push(batch.map((m) => m.data));
    });
    await deliverBatch(batchOf(messages), settings);
    expect(sent).toEqual([['a', 'c']]);
    expect(acknowledgerOf(messages).successful.map((m) => m.data)).toEqual(['a', 'c']);
    expect(deadLettered.map((b) => b.map((m) => m.data))).toEqual([['b']]);
    expect(delivered).toEqual(['out:2']);
    expect(messages[0]!.status).toEqual({ kind: 'ok' });
  });

  it('retries a failing sink, then fails the batch with reason sink', async () => {
    let calls = 0;
    const messages = testBatch(['a', 'b']);
    const { settings, deadLettered } = setup(async () => {
      calls++;
      throw new Error('rejected');
    });
    await deliverBatch(batchOf(messages), settings);
    expect(calls).toBe(2);
    expect(deadLettered[0]!.map((m) => m.status)).toEqual([
      { kind: 'failed', reason: 'sink', error: new Error('rejected') },
      { kind: 'failed', reason: 'sink', error: new Error('rejected') },
    ]);
    expect(acknowledgerOf(messages).successful).toHaveLength(0);
  });

  it('keeps retrying a transient error while running, without counting attempts', async () => {
    let calls = 0;
    const messages = testBatch(['a']);
    const { settings, deadLettered } = setup(async () => {
      calls++;
      if (calls < 10) throw Object.assign(new Error('broker away'), { retriable: true });
    });
    await deliverBatch(batchOf(messages), settings);
    expect(calls).toBe(10);
    expect(deadLettered).toEqual([]);
    expect(messages[0]!.attempts).toBe(1);
    expect(acknowledgerOf(messages).successful).toHaveLength(1);
  });

  it('gives up on a transient error once the pipeline stops', async () => {
    let calls = 0;
    const messages = testBatch(['a']);
    const { settings, deadLettered } = setup(async () => {
      calls++;
      throw Object.assign(new Error('broker away'), { retriable: true });
    }, true);
    await deliverBatch(batchOf(messages), settings);
    expect(calls).toBe(2);
    expect(deadLettered).toHaveLength(1);
  });
});
