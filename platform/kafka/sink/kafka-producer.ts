import {
  CompressionTypes,
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
 */
export class KafkaProducer {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private connecting: Promise<void> | undefined;
  private stopped = false;

  constructor(
    readonly options: KafkaProducerOptions,
    private readonly log: Logger = rootLogger(),
  ) {
    this.kafka = options.kafka ?? createKafka(options.client!, log);
    const custom = typeof options.partitioner === 'function' ? options.partitioner : undefined;
    this.producer = this.kafka.producer({
      idempotent: options.idempotent,
      maxInFlightRequests: options.maxInFlightRequests ?? (options.idempotent ? 1 : 5),
      allowAutoTopicCreation: false,
      createPartitioner: custom
        ? () => custom
        : options.partitioner === 'legacy'
          ? Partitioners.LegacyPartitioner
          : Partitioners.DefaultPartitioner,
    });
  }

  /** Connects, after checking that every topic in `topics` exists. Idempotent. */
  start(topics: readonly string[] = []): Promise<void> {
    if (this.stopped) {
      return Promise.reject(
        new KafkaSourceStateError(`${this.options.name}: start() after stop()`),
      );
    }
    this.connecting ??= this.connect(topics).catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /**
   * Produces `records` (grouped per topic into one request per broker) and resolves once
   * the broker confirmed all of them. Order is kept per partition. Rejects with a
   * {@link KafkaProduceError}; then none of the records may be assumed written or lost.
   */
  async send(records: readonly ProducedRecord[]): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    await this.start();
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
    const sending = this.producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      acks: this.options.acks,
      timeout: this.options.ackTimeoutMs,
      compression:
        this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    });
    // A send abandoned by the timeout may still fail later: keep that from being unhandled.
    sending.catch(() => {});
    try {
      return await Promise.race([sending, timeout]);
    } catch (error) {
      if (error instanceof KafkaProduceError) throw error;
      const retriable = (error as { retriable?: unknown }).retriable !== false;
      throw new KafkaProduceError(
        `${this.options.name}: producing ${records.length} record(s) to ${topics} failed: ${(error as Error).message}`,
        topics,
        { cause: error, retriable },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Disconnects (after in-flight sends settle, as kafkajs does). */
  async stop(): Promise<void> {
    this.stopped = true;
    const connecting = this.connecting;
    this.connecting = undefined;
    if (!connecting) return;
    await connecting.catch(() => {});
    await this.producer.disconnect();
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
