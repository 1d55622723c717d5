// TransactionalProducers' handling of a commit that failed without an answer, on a fake
// kafkajs client (pure logic: what a real broker does with such a commit is Kafka's
// InitProducerId contract, and the Kafka tests beside this file cover fencing for real).
import type { Kafka, Producer, Transaction } from 'kafkajs';
import { KafkaTransactionError } from '../../../../platform/kafka/errors';
import { TransactionalProducers } from '../../../../platform/kafka/transactions/transactional-producers';
import { createLogger } from '../../../../platform/log/logger';

const log = createLogger({ level: 'silent' });

/** A client whose producers' first commit fails like a timed-out request. */
function fakeKafka(events: string[]) {
  let made = 0;
  const kafka = {
    producer: () => {
      const n = ++made;
      let commits = 0;
      const producer = {
        connect: async () => {
          events.push(`connect ${n}`);
        },
        disconnect: async () => {
          events.push(`disconnect ${n}`);
        },
        transaction: async () => {
          events.push(`begin ${n}`);
          let active = true;
          return {
            send: async () => undefined,
            sendBatch: async () => undefined,
            sendOffsets: async () => undefined,
            isActive: () => active,
            abort: async () => {
              active = false;
              events.push(`abort ${n}`);
            },
            commit: async () => {
              active = false;
              if (n === 1 && commits++ === 0) {
                events.push(`commit ${n} timed out`);
                throw Object.assign(new Error('Request Produce timed out'), { retriable: true });
              }
              events.push(`commit ${n}`);
            },
          } as unknown as Transaction;
        },
      } as unknown as Producer;
      return producer;
    },
  } as unknown as Kafka;
  return kafka;
}

describe('TransactionalProducers: a commit without an answer', () => {
  it('settles the outcome with a fresh producer, then believes the offsets: taken effect, not written again', async () => {
    const events: string[] = [];
    const producers = new TransactionalProducers(fakeKafka(events), 'app', log);
    const checked: string[] = [];
    await producers.run(
      't',
      0,
      async () => {},
      async () => {
        checked.push(events.at(-1)!);
        return true;
      },
    );
    // The check ran only after a fresh producer was initialised (its begin/abort: the
    // InitProducerId that completes or aborts the first producer's transaction).
    expect(checked).toEqual(['abort 2']);
    expect(events).toEqual([
      'connect 1',
      'begin 1',
      'abort 1',
      'begin 1',
      'commit 1 timed out',
      'disconnect 1',
      'connect 2',
      'begin 2',
      'abort 2',
    ]);
    await producers.stop();
  });

  it('fails retriably when the effect is not there (the caller writes again)', async () => {
    const events: string[] = [];
    const producers = new TransactionalProducers(fakeKafka(events), 'app', log);
    const error = await producers
      .run(
        't',
        0,
        async () => {},
        async () => false,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaTransactionError);
    expect((error as KafkaTransactionError).retriable).toBe(true);
    await producers.stop();
  });

  it('runs one transaction at a time per partition', async () => {
    const events: string[] = [];
    const producers = new TransactionalProducers(fakeKafka(events), 'app', log);
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((r) => setTimeout(r, 5));
      inside--;
    };
    // (The fake's first commit times out: that run fails; the others still wait their turn.)
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => producers.run('t', 1, work)));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(most).toBe(1);
    await producers.stop();
  });
});
