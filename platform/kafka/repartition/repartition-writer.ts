import type { Kafka } from 'kafkajs';
import type { Logger } from '../../log/logger';
import type { Message } from '../../message/message';
import { HOP_HEADERS } from '../../pipeline/repartition/hop-headers';
import type { RepartitionRecord } from '../../pipeline/repartition/repartition-options';
import { noopTelemetry, type Telemetry } from '../../telemetry/telemetry';
import { KafkaFencedError } from '../errors';
import { chunkRecords } from '../sink/chunk-records';
import { KafkaProducer, type ProducedRecord } from '../sink/kafka-producer';
import { kafkaProducerOptionsSchema } from '../sink/options';
import type { TransactionalProducers } from '../transactions/transactional-producers';

/** What an exactly-once writer needs: a producer per input partition and its offsets. */
export interface WriterTransactions {
  readonly producers: TransactionalProducers;
  readonly groupId: string;
  /**
   * Acknowledges `messages` with their source and returns the offset their partition may
   * commit now (undefined: nothing to commit, e.g. a rebalance replaced the assignment).
   */
  readonly settle: (messages: readonly Message[]) => number | undefined;
  /** The transaction committed `offset` for the input partition (lag, commit age). */
  readonly committed: (topic: string, partition: number, offset: number) => void;
  /** Whether the group's committed offset of the input partition is at `offset` or past it. */
  readonly isCommitted: (topic: string, partition: number, offset: number) => Promise<boolean>;
}

export interface RepartitionWriterSettings {
  readonly name: string;
  readonly kafka: Kafka;
  readonly topic: string;
  readonly partitions: number;
  /** The records one message becomes (each with its new key and event time). */
  readonly records: (message: Message) => readonly RepartitionRecord[];
  readonly logger: Logger;
  /** Traces each send (`send <topic>`) and writes its context into every record. */
  readonly telemetry?: Telemetry;
  /** Exactly once: each input partition's records and offsets in one transaction. */
  readonly transactions?: () => WriterTransactions;
}

/**
 * The writing end of a repartition hop: turns each message into its re-keyed records and
 * produces them to the internal topic, then resolves, so the pipeline acknowledges the
 * messages only once their records are stored.
 *
 * Each record carries its writer (the input partition of its message), its event time and
 * its sequence (input offset, index). After the records of a batch, a marker goes to every
 * partition of the topic with each writer's progress (the greatest event time it has
 * written), so the reading end can compute a watermark that does not depend on which
 * instance wrote what, or how fast.
 *
 * At least once (default): one idempotent send per batch. Exactly once: per input
 * partition one transaction holding its records, its markers and its input offset, with
 * the partition's own transactional id (see {@link TransactionalProducers}); a fenced
 * transaction (another instance owns the partition now) is dropped, not retried.
 */
export class RepartitionWriter {
  /** Data at least once; idle markers in both modes (they carry no data). */
  private readonly producer: KafkaProducer;
  private readonly progress = new Map<string, number>();
  /** Writers with a send under way: not idle, whatever their input says. */
  private readonly sending = new Map<string, number>();

  constructor(private readonly settings: RepartitionWriterSettings) {
    this.producer = new KafkaProducer(
      kafkaProducerOptionsSchema.parse({ name: settings.name, kafka: settings.kafka }),
      settings.logger,
    );
  }

  async start(): Promise<void> {
    await this.producer.start([this.settings.topic]);
  }

  /**
   * Tells every partition that these writers have read their input to the end: they stop
   * holding the watermark back until they write again. Writers with a send under way, or
   * that never wrote, are left out.
   */
  async announceIdle(writers: readonly string[]): Promise<void> {
    const idle = new Map<string, number>();
    for (const w of writers) {
      const progress = this.progress.get(w);
      if (progress !== undefined && !this.sending.has(w)) idle.set(w, progress);
    }
    if (idle.size === 0) return;
    const idleMarkers = (writers: Map<string, number>) =>
      this.markers(writers).map((r) => ({
        ...r,
        headers: { ...r.headers, [HOP_HEADERS.idle]: 'idle' },
      }));
    const transactions = this.settings.transactions?.();
    if (!transactions) {
      await this.producer.send(idleMarkers(idle));
      return;
    }
    // Exactly once, each writer's idle markers go in a transaction of its input partition's
    // producer: an instance that lost the partition (a zombie) is fenced and cannot say the
    // writer is idle while its new owner is still behind (the watermark would run ahead of
    // the owner's records, and they would come late).
    await Promise.all(
      [...idle].map(async ([writer, progress]) => {
        const cut = writer.lastIndexOf('/');
        const topic = writer.slice(0, cut);
        const partition = Number(writer.slice(cut + 1));
        await transactions.producers
          .run(topic, partition, async (txn) => {
            await txn.sendBatch({
              topicMessages: [
                {
                  topic: this.settings.topic,
                  messages: idleMarkers(new Map([[writer, progress]])).map(toKafka),
                },
              ],
              acks: -1,
            });
          })
          .catch((error: unknown) => {
            if (!(error instanceof KafkaFencedError)) throw error;
          });
      }),
    );
  }

  /** Produces the records of `messages`; resolves once the broker confirmed them all. */
  async send(messages: readonly Message[]): Promise<void> {
    const writers = new Set(messages.map((m) => `${m.topic}/${m.partition}`));
    for (const w of writers) this.sending.set(w, (this.sending.get(w) ?? 0) + 1);
    try {
      await this.write(messages);
    } finally {
      for (const w of writers) {
        const n = (this.sending.get(w) ?? 1) - 1;
        if (n === 0) this.sending.delete(w);
        else this.sending.set(w, n);
      }
    }
  }

  private async write(messages: readonly Message[]): Promise<void> {
    const byWriter = new Map<string, Message[]>();
    for (const m of messages) {
      const writer = `${m.topic}/${m.partition}`;
      const list = byWriter.get(writer);
      if (list) list.push(m);
      else byWriter.set(writer, [m]);
    }
    const transactions = this.settings.transactions?.();
    if (!transactions) {
      const out: ProducedRecord[] = [];
      const reached = new Map<string, number>();
      for (const [writer, list] of byWriter) {
        out.push(...this.recordsOf(list, writer, reached));
      }
      out.push(...this.markers(reached));
      await this.traced(out, async (records) => {
        for (const chunk of chunkRecords(records)) await this.producer.send(chunk);
      });
      this.advance(reached);
      return;
    }
    // One transaction per input partition, side by side.
    await Promise.all(
      [...byWriter].map(async ([writer, list]) => {
        const reached = new Map<string, number>();
        const out = this.recordsOf(list, writer, reached);
        out.push(...this.markers(reached));
        const { topic, partition } = list[0]!;
        const telemetry = this.settings.telemetry ?? noopTelemetry;
        const started = performance.now();
        let committedOffset: number | undefined;
        try {
          // Not under a `commit` span (those start traces of their own): the send span stays
          // in the trace of the batch.
          await transactions.producers.run(
            topic,
            partition,
            async (txn) => {
              // In chunks the broker takes (a backlog makes one batch several MB): one send
              // after another, in order, all in this transaction.
              await this.traced(out, async (records) => {
                for (const chunk of chunkRecords(records)) {
                  await txn.sendBatch({
                    topicMessages: [{ topic: this.settings.topic, messages: chunk.map(toKafka) }],
                    acks: -1,
                  });
                }
              });
              const offset = transactions.settle(list);
              committedOffset = offset;
              if (offset !== undefined) {
                await txn.sendOffsets({
                  consumerGroupId: transactions.groupId,
                  topics: [{ topic, partitions: [{ partition, offset: String(offset) }] }],
                });
              }
            },
            // A commit without an answer: its offset tells whether it took effect.
            () =>
              committedOffset === undefined
                ? Promise.resolve(false)
                : transactions.isCommitted(topic, partition, committedOffset),
          );
          telemetry.recordCommit(topic, (performance.now() - started) / 1000);
          if (committedOffset !== undefined)
            transactions.committed(topic, partition, committedOffset);
          this.advance(reached);
        } catch (error) {
          // Another instance owns the partition: what this one did is void, and it reads
          // the partition again from the committed offset once it is assigned again.
          if (error instanceof KafkaFencedError) {
            this.settings.logger.warn(
              { err: error, topic, partition },
              'fenced: another instance owns this input partition now; what this one wrote for it is aborted',
            );
            return;
          }
          throw error;
        }
      }),
    );
  }

  /** Stops the producer (after sends in flight). */
  async stop(): Promise<void> {
    await this.producer.stop();
    await this.settings.transactions?.().producers.stop();
  }

  private recordsOf(
    messages: readonly Message[],
    writer: string,
    reached: Map<string, number>,
  ): ProducedRecord[] {
    const { topic, records } = this.settings;
    const out: ProducedRecord[] = [];
    let progress = this.progress.get(writer) ?? Number.NEGATIVE_INFINITY;
    for (const m of messages) {
      const origin = `${m.topic}/${m.partition}/${m.offset}`;
      let index = 0;
      for (const r of records(m)) {
        const time = r.timestamp ?? m.timestamp;
        if (time > progress) progress = time;
        out.push({
          topic,
          key: r.key,
          value: r.value,
          headers: {
            ...r.headers,
            [HOP_HEADERS.writer]: writer,
            [HOP_HEADERS.eventTime]: String(time),
            [HOP_HEADERS.origin]: origin,
            [HOP_HEADERS.sequence]: `${m.offset}:${index++}`,
          },
        });
      }
    }
    if (Number.isFinite(progress)) reached.set(writer, progress);
    return out;
  }

  /** One marker per partition with the progress of the writers of this send. */
  private markers(reached: ReadonlyMap<string, number>): ProducedRecord[] {
    if (reached.size === 0) return [];
    const progress = JSON.stringify(Object.fromEntries(reached));
    const out: ProducedRecord[] = [];
    for (let partition = 0; partition < this.settings.partitions; partition++) {
      out.push({
        topic: this.settings.topic,
        partition,
        key: null,
        value: null,
        headers: { [HOP_HEADERS.marker]: 'watermark', [HOP_HEADERS.progress]: progress },
      });
    }
    return out;
  }

  private advance(reached: ReadonlyMap<string, number>): void {
    for (const [writer, time] of reached) {
      if (time > (this.progress.get(writer) ?? Number.NEGATIVE_INFINITY)) {
        this.progress.set(writer, time);
      }
    }
  }

  /**
   * The send span descends from the batch's `process` span, which links each message's
   * upstream context: the next part's spans continue the trace from the record.
   */
  private traced<T>(
    records: ProducedRecord[],
    send: (records: ProducedRecord[]) => Promise<T>,
  ): Promise<T> {
    const telemetry = this.settings.telemetry ?? noopTelemetry;
    return telemetry.traceSend(this.settings.topic, records.length, (context) => {
      // Markers too: a window their progress closes continues the trace of this send.
      for (const r of records) {
        telemetry.injectContext(r.headers as Record<string, string | Buffer>, context);
      }
      return send(records);
    });
  }
}

function toKafka(r: ProducedRecord) {
  return {
    key: r.key,
    value: r.value,
    headers: r.headers as Record<string, string | Buffer>,
    ...(r.partition !== undefined ? { partition: r.partition } : {}),
  };
}
