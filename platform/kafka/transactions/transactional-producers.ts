import type { Kafka, Producer, Transaction } from 'kafkajs';
import type { Logger } from '../../log/logger';
import { KafkaFencedError, KafkaTransactionError } from '../errors';

/** Broker error types that mean another producer took the transactional id. */
// (INVALID_PRODUCER_ID_MAPPING is not one: the coordinator lost track of the producer id,
// after a broker restart say; a fresh producer of the same id goes on.)
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

function fenced(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && FENCED.has(type)) return true;
    if (/fenced|INVALID_PRODUCER_EPOCH/i.test(String((e as Error).message))) return true;
    if ((e as { originalError?: unknown }).originalError) {
      if (fenced((e as { originalError?: unknown }).originalError)) return true;
    }
  }
  return false;
}

/**
 * One transactional producer per input partition (Kafka Streams' exactly-once v1).
 *
 * kafkajs sends no consumer-group generation with transactional offsets (TxnOffsetCommit
 * v0–v1), so a zombie — an instance that lost a partition while frozen — is fenced by the
 * transactional id instead: the id is `<prefix>-<topic>-<partition>`, the same in every
 * instance; whoever gets the partition initialises its producer (InitProducerId), which
 * bumps the epoch, aborts the zombie's open transaction and makes its later commits fail.
 */
export class TransactionalProducers {
  private readonly producers = new Map<string, Promise<Producer>>();
  /**
   * Ids fenced since their last {@link prepare}: no producer is made for them until the
   * next one, since initialising a new one would in turn fence the instance that owns the
   * partition now.
   */
  private readonly fencedIds = new Set<string>();
  /** Per id, the transaction under way: kafkajs runs one at a time per producer. */
  private readonly turns = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly prefix: string,
    private readonly log: Logger,
    /** The broker aborts a transaction left open this long (a crashed owner). */
    private readonly transactionTimeoutMs = 60_000,
    /**
     * Told once when a partition's id is fenced: this instance's assignment may be out of
     * date (another owns the partition, or the broker expired its transaction), and only a
     * new assignment (a rejoin, then {@link prepare}) lets it write for the partition again.
     */
    private readonly onFenced: (topic: string, partition: number) => void = () => {},
  ) {}

  /** The transactional id of a partition's producer. */
  idOf(topic: string, partition: number): string {
    return `${this.prefix}-${topic}-${partition}`;
  }

  /**
   * A new assignment: initialises a fresh producer for each of its partitions now, so that
   * whoever owned them before (another instance, or this one in the assignment that just
   * ended) is fenced before this one writes. A producer kept from an earlier assignment is
   * replaced, not reused: another instance may have owned the partition in between and
   * fenced it, and a fenced producer of a partition this instance owns again would refuse
   * every transaction while the work went on.
   */
  async prepare(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    if (this.closed) return;
    await Promise.all(
      partitions.map(async (p) => {
        const id = this.idOf(p.topic, p.partition);
        this.fencedIds.delete(id);
        await this.drop(id);
        await this.producer(id);
      }),
    );
  }

  /**
   * Runs `work` in one transaction of the partition's producer and commits it, one
   * transaction at a time per partition. A throw aborts it; a fenced producer is dropped and
   * reported as {@link KafkaFencedError}, and so is every later call for the partition until
   * its next {@link prepare}.
   *
   * A commit that fails without an answer (a timeout, a broker going away) may have taken
   * effect. With `committed`, the outcome is settled before anything is retried: a fresh
   * producer of the id is initialised (the coordinator completes a commit it had received,
   * aborts anything else), then `committed()` says whether the transaction's effect is there
   * (its offsets, typically); if so, this run succeeded. Without it, or when it says no, the
   * call fails retriably: the caller runs the work again.
   */
  run(
    topic: string,
    partition: number,
    work: (transaction: Transaction) => Promise<void>,
    committed?: () => Promise<boolean>,
  ): Promise<void> {
    const id = this.idOf(topic, partition);
    const previous = this.turns.get(id) ?? Promise.resolve();
    const now = () => this.runNow(id, { topic, partition }, work, committed);
    const turn = previous.then(now, now);
    this.turns.set(id, turn);
    const forget = () => {
      if (this.turns.get(id) === turn) this.turns.delete(id);
    };
    turn.then(forget, forget);
    return turn;
  }

  private async runNow(
    id: string,
    at: { topic: string; partition: number },
    work: (transaction: Transaction) => Promise<void>,
    committed: (() => Promise<boolean>) | undefined,
  ): Promise<void> {
    if (this.fencedIds.has(id)) {
      throw new KafkaFencedError(
        `transactional id '${id}' was fenced by a newer owner; nothing is written for it until this instance is assigned the partition again`,
        id,
      );
    }
    const used = this.producer(id);
    const producer = await used.catch((error: unknown) => this.refused(id, at, error));
    let transaction: Transaction | undefined;
    let committing = false;
    try {
      transaction = await producer.transaction();
      await work(transaction);
      committing = true;
      await transaction.commit();
    } catch (error) {
      if (fenced(error)) return this.refused(id, at, error, used);
      if (!committing && transaction?.isActive()) {
        await transaction.abort().catch(() => undefined);
      }
      // The producer's state after a failed transaction is unclear: start a fresh one.
      await this.drop(id, used);
      if (committing && committed) {
        const fresh = this.producer(id);
        await fresh.catch((e: unknown) => this.refused(id, at, e));
        if (await committed().catch(() => false)) {
          this.log.info(
            { transactionalId: id },
            'a commit that failed without an answer had taken effect: not written again',
          );
          return;
        }
      }
      // An aborted transaction left nothing visible, so trying again is safe (the broker
      // may still be completing the previous one: CONCURRENT_TRANSACTIONS); only a refusal
      // of the id itself will not change by waiting.
      const type = String((error as { type?: unknown }).type ?? '');
      throw new KafkaTransactionError(
        `transaction of '${id}' aborted: ${(error as Error).message}`,
        { cause: error, retriable: !/AUTHORIZATION/.test(type) },
      );
    }
  }

  /** A fenced id: dropped, remembered until the next prepare, reported; else `error` as is. */
  private async refused(
    id: string,
    at: { topic: string; partition: number },
    error: unknown,
    used?: Promise<Producer>,
  ): Promise<never> {
    if (!fenced(error)) throw error;
    if (!this.fencedIds.has(id)) {
      this.fencedIds.add(id);
      this.onFenced(at.topic, at.partition);
    }
    await this.drop(id, used);
    this.log.warn(
      { transactionalId: id },
      'producer fenced: another instance owns the partition now',
    );
    throw new KafkaFencedError(`transactional id '${id}' was fenced by a newer owner`, id, {
      cause: error,
    });
  }

  /**
   * Checks, before anything is read, that the brokers can run transactions: one producer
   * of its own id is initialised, within `timeoutMs`. A cluster whose transaction log
   * cannot be written (its replication factor above the number of brokers, say) answers
   * every transactional request with "coordinator not available" for as long as it lasts;
   * this turns that into one error at start instead of a pipeline that reads and retries.
   */
  async check(timeoutMs = 30_000): Promise<void> {
    const id = `${this.prefix}-check`;
    const producer = this.kafka.producer({
      transactionalId: id,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.transactionTimeoutMs,
      allowAutoTopicCreation: false,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no transaction could be started in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([producer.connect().then(() => initialise(producer)), timeout]);
    } catch (error) {
      throw new KafkaTransactionError(
        `exactly_once: the brokers cannot run transactions (${(error as Error).message}). ` +
          'Their transaction log (__transaction_state) may be unwritable: its replication ' +
          'factor (transaction.state.log.replication.factor, 3 by default) must not exceed ' +
          'the number of brokers, and the producer needs the IdempotentWrite and ' +
          'transactional-id Write ACLs. Or set processing: at_least_once',
        { cause: error, retriable: false },
      );
    } finally {
      clearTimeout(timer);
      await producer.disconnect().catch(() => undefined);
    }
  }

  /** Disconnects every producer; none is created after this. */
  async stop(): Promise<void> {
    this.closed = true;
    const all = [...this.producers.keys()];
    await Promise.all(all.map((id) => this.drop(id)));
  }

  private producer(id: string): Promise<Producer> {
    if (this.closed) {
      return Promise.reject(
        new KafkaTransactionError(`producers of '${this.prefix}' are stopped`, {
          retriable: false,
        }),
      );
    }
    let p = this.producers.get(id);
    if (!p) {
      const producer = this.kafka.producer({
        transactionalId: id,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: this.transactionTimeoutMs,
        allowAutoTopicCreation: false,
      });
      p = producer.connect().then(async () => {
        if (this.closed) {
          await producer.disconnect().catch(() => undefined);
          throw new KafkaTransactionError(`producers of '${this.prefix}' are stopped`, {
            retriable: false,
          });
        }
        await initialise(producer).catch(async (error: unknown) => {
          await producer.disconnect().catch(() => undefined);
          throw error;
        });
        return producer;
      });
      p.catch(() => this.producers.delete(id));
      this.producers.set(id, p);
    }
    return p;
  }

  /** Disconnects the producer of `id` (only if it is still `only`, when given). */
  private async drop(id: string, only?: Promise<Producer>): Promise<void> {
    const p = this.producers.get(id);
    if (only && p !== only) return;
    this.producers.delete(id);
    const producer = await p?.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
}

/**
 * Initialises the producer's transactional id now (InitProducerId: the epoch goes up, a
 * previous owner's open transaction is aborted and its later ones refused). kafkajs does
 * this only on the first `transaction()`, not on `connect()`; an empty transaction is
 * begun for it and ended locally (no EndTxn is sent for a transaction with nothing in it).
 */
async function initialise(producer: Producer): Promise<void> {
  const transaction = await producer.transaction();
  await transaction.abort();
}
