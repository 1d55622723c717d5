import {
  CompressionTypes,
  type ICustomPartitioner,
  type Kafka,
  type Message as KafkaRecord,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { type Logger, logger as rootLogger } from '../../log/logger';
import { createKafka } from '../client/create-kafka';
import {
  authenticationError,
  KafkaProduceError,
  KafkaSourceStateError,
  KafkaStageError,
  KafkaTopicNotFoundError,
} from '../errors';
import type { KafkaProducerOptions } from './options';

/** A record to produce. Header values may repeat (arrays), as kafkajs allows. */
export interface ProducedRecord {
  readonly topic: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
  /** Explicit partition; otherwise the partitioner picks one. */
  readonly partition?: number;
}

/**
 * The thin kafkajs producer under the sink and the dead-letter writer: validated options,
 * topics checked at start, every send confirmed by the broker (per `acks`) or failed with a
 * {@link KafkaProduceError} within `sendTimeoutMs`.
 *
 * Idempotence and failed sends: kafkajs numbers an idempotent producer's record batches per
 * partition and, when a request fails or times out, takes the numbers back for the next
 * batch. A broker that was only slow (or frozen) may still write the failed request; the
 * next batch, other records under the same numbers, then looks to the broker like a retry
 * of it and is acknowledged without being written: records reported as sent are lost. So
 * a kafkajs producer whose send did not succeed is never used again: the next send goes
 * through a new one (a new producer id, numbers from 0), and a send still in flight on the
 * old one is reported failed (retriable) even if kafkajs resolves it, since its numbers may
 * be the ones taken back. The old producer is disconnected once its sends settled. At
 * worst a record is written twice, never acknowledged unwritten.
 */
export class KafkaProducer {
  private readonly kafka: Kafka;
  /** The kafkajs producer new sends go through; replaced after a failed idempotent send. */
  private producer: Producer;
  /** Resolves once {@link producer} is connected (and, at first start, topics checked). */
  private connecting: Promise<void> | undefined;
  /** Producers replaced after a failed send: their sends are not trusted any more. */
  private readonly retired = new WeakSet<Producer>();
  /** Sends in flight per producer, to disconnect a retired one once they settled. */
  private readonly inFlight = new Map<Producer, Set<Promise<unknown>>>();
  /** Disconnections of retired producers still running (awaited by stop()). */
  private readonly closing = new Set<Promise<void>>();
  private replaced = 0;
  private stopped = false;

  constructor(
    readonly options: KafkaProducerOptions,
    private readonly log: Logger = rootLogger(),
  ) {
    this.kafka = options.kafka ?? createKafka(options.client!, log);
    this.producer = this.createProducer();
  }

  /** Replacements made after failed sends (each one a new kafkajs producer and producer id). */
  get replacements(): number {
    return this.replaced;
  }

  /** Connects, after checking that every topic in `topics` exists. Idempotent. */
  start(topics: readonly string[] = []): Promise<void> {
    if (this.stopped) {
      return Promise.reject(
        new KafkaSourceStateError(`${this.options.name}: start() after stop()`),
      );
    }
    if (this.connecting) return this.connecting;
    const producer = this.producer;
    const connecting: Promise<void> = this.connect(topics).catch((error: unknown) => {
      // Only this attempt's own record: a replacement may have started one of its own.
      if (this.connecting === connecting) this.connecting = undefined;
      // kafkajs does not recover a producer whose connect failed half-way (a broker away
      // while it asked for its producer id): every later connect fails at once with 'Broker
      // not connected'. The next attempt gets a fresh one.
      if (this.producer === producer && !this.stopped) {
        this.producer = this.createProducer();
        this.close(producer);
      }
      throw error;
    });
    this.connecting = connecting;
    return connecting;
  }

  /**
   * Produces `records` (grouped per topic into one request per broker) and resolves once
   * the broker confirmed all of them. Order is kept per partition. Rejects with a
   * {@link KafkaProduceError}; then none of the records may be assumed written or lost.
   */
  async send(records: readonly ProducedRecord[]): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    const byTopic = new Map<string, KafkaRecord[]>();
    for (const r of records) {
      let list = byTopic.get(r.topic);
      if (!list) {
        list = [];
        byTopic.set(r.topic, list);
      }
      const record: KafkaRecord = { key: r.key, value: r.value };
      if (r.headers) record.headers = r.headers as KafkaRecord['headers'];
      if (r.partition !== undefined) record.partition = r.partition;
      list.push(record);
    }
    const topics = [...byTopic.keys()].join(', ');
    const producer = await this.connected().catch((error: unknown) => {
      // Refused credentials, a missing topic, a stopped producer: as they are. Anything else
      // is the broker not answering (a replacement connects while it is away): try again.
      if (error instanceof KafkaStageError) throw error;
      throw new KafkaProduceError(
        `${this.options.name}: connecting to send ${records.length} record(s) to ${topics} failed: ${(error as Error).message}`,
        topics,
        { cause: error, retriable: true },
      );
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new KafkaProduceError(
              `${this.options.name}: the broker did not confirm ${records.length} record(s) to ${topics} within ${this.options.sendTimeoutMs} ms`,
              topics,
              { retriable: true },
            ),
          ),
        this.options.sendTimeoutMs,
      );
    });
    const sending = producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      acks: this.options.acks,
      timeout: this.options.ackTimeoutMs,
      compression:
        this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    });
    // A send abandoned by the timeout may still fail later: keep that from being unhandled.
    sending.catch(() => {});
    this.track(producer, sending);
    try {
      const metadata = await Promise.race([sending, timeout]);
      if (this.retired.has(producer)) {
        // Another send on this producer failed while this one was in flight: its sequence
        // numbers may be the ones kafkajs took back, so the broker may have dropped it.
        throw new KafkaProduceError(
          `${this.options.name}: ${records.length} record(s) to ${topics} were in flight on a producer replaced after a failed send; they are sent again`,
          topics,
          { retriable: true },
        );
      }
      return metadata;
    } catch (error) {
      this.retire(producer);
      if (error instanceof KafkaProduceError) throw error;
      const retriable = isRetriable(error);
      throw new KafkaProduceError(
        `${this.options.name}: producing ${records.length} record(s) to ${topics} failed: ${(error as Error).message}`,
        topics,
        { cause: error, retriable },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Disconnects (after in-flight sends settle, as kafkajs does); producers replaced after a
   * failed send are disconnected at once (their sends are not trusted any more).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const connecting = this.connecting;
    this.connecting = undefined;
    const retiring = [...this.inFlight.keys()].filter((p) => this.retired.has(p));
    await Promise.all([
      ...retiring.map((p) => p.disconnect().catch(() => {})),
      ...this.closing,
      connecting
        ?.catch(() => {})
        .then(() => this.producer.disconnect())
        .catch(() => {}),
    ]);
  }

  /** The current kafkajs producer, connected (a replacement connects on first use). */
  private async connected(): Promise<Producer> {
    for (;;) {
      const producer = this.producer;
      await this.start();
      // Replaced while connecting (a send on the old one failed): connect the new one.
      if (producer === this.producer) return producer;
    }
  }

  private createProducer(): Producer {
    const options = this.options;
    const custom = typeof options.partitioner === 'function' ? options.partitioner : undefined;
    const create: ICustomPartitioner = custom
      ? () => custom
      : options.partitioner === 'legacy'
        ? Partitioners.LegacyPartitioner
        : Partitioners.DefaultPartitioner;
    return this.kafka.producer({
      idempotent: options.idempotent,
      maxInFlightRequests: options.maxInFlightRequests ?? (options.idempotent ? 1 : 5),
      allowAutoTopicCreation: false,
      createPartitioner: () => samePartitionOnRetry(create()),
    });
  }

  private track(producer: Producer, sending: Promise<unknown>): void {
    let sends = this.inFlight.get(producer);
    if (!sends) {
      sends = new Set();
      this.inFlight.set(producer, sends);
    }
    sends.add(sending);
    const settled = (): void => {
      sends.delete(sending);
      if (sends.size > 0) return;
      this.inFlight.delete(producer);
      if (this.retired.has(producer) && !this.stopped) this.close(producer);
    };
    sending.then(settled, settled);
  }

  /**
   * After a send on `producer` failed or timed out (idempotent only: without sequence
   * numbers nothing is taken back): new sends go through a new producer; this one is
   * disconnected once the sends still in flight on it settled.
   */
  private retire(producer: Producer): void {
    if (!this.options.idempotent || this.retired.has(producer)) return;
    this.retired.add(producer);
    if (producer === this.producer && !this.stopped) {
      this.producer = this.createProducer();
      this.connecting = undefined;
      this.replaced++;
      this.log.warn(
        { producer: this.options.name, replacements: this.replaced },
        'a send failed: later sends go through a new idempotent producer (new producer id)',
      );
    }
    if (!this.inFlight.has(producer)) this.close(producer);
  }

  private close(producer: Producer): void {
    const closing = producer.disconnect().catch(() => {});
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
  }

  private async connect(topics: readonly string[]): Promise<void> {
    try {
      await this.connectOnce(topics);
    } catch (error) {
      // Refused credentials: one clear error naming the user, not kafkajs's SASL wording.
      const client = this.options.client;
      throw (client && authenticationError(error, client)) ?? error;
    }
  }

  private async connectOnce(topics: readonly string[]): Promise<void> {
    if (topics.length > 0) {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t));
        if (missing.length > 0) {
          throw new KafkaTopicNotFoundError(
            `${this.options.name}: topic ${missing.map((t) => `'${t}'`).join(', ')} does not exist; create it before starting (topics are never auto-created)`,
            missing,
          );
        }
      } finally {
        await admin.disconnect();
      }
    }
    await this.producer.connect();
    this.log.debug({ producer: this.options.name }, 'producer connected');
  }
}

/**
 * The partition `pick` chose for a record the first time, on every retry of the same send:
 * kafkajs calls the partitioner again on each attempt, and a round-robin choice (records
 * without a key) would otherwise put other records under the sequence numbers the broker
 * may already have written.
 */
export function samePartitionOnRetry(
  pick: ReturnType<ICustomPartitioner>,
): ReturnType<ICustomPartitioner> {
  const chosen = new WeakMap<object, number>();
  return (args) => {
    const known = chosen.get(args.message);
    if (known !== undefined && known < args.partitionMetadata.length) return known;
    const partition = pick(args);
    chosen.set(args.message, partition);
    return partition;
  };
}

/**
 * Whether trying a failed kafkajs send again may succeed. kafkajs marks the error it throws
 * once its own retries are spent (`KafkaJSNumberOfRetriesExceeded`) as not retriable,
 * although it only retried because the cause was: a broker away for longer than kafkajs's
 * retry budget must delay the records, not fail them for good (dead-lettered, committed).
 */
function isRetriable(error: unknown): boolean {
  const e = error as { name?: unknown; retriable?: unknown } | null;
  if (e?.name === 'KafkaJSNumberOfRetriesExceeded') return true;
  return e?.retriable !== false;
}
