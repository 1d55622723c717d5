import type { Kafka } from 'kafkajs';
import type { Logger } from '../../log/logger';
import type { Message } from '../../message/message';
import { HOP_HEADERS } from '../../pipeline/repartition/hop-headers';
import type { RepartitionRecord } from '../../pipeline/repartition/repartition-options';
import { noopTelemetry, type Telemetry } from '../../telemetry/telemetry';
import { KafkaProducer, type ProducedRecord } from '../sink/kafka-producer';
import { kafkaProducerOptionsSchema } from '../sink/options';

export interface RepartitionWriterSettings {
  readonly name: string;
  readonly kafka: Kafka;
  readonly topic: string;
  readonly partitions: number;
  /** The records one message becomes (each with its new key and event time). */
  readonly records: (message: Message) => readonly RepartitionRecord[];
  /** How often markers carry the writers' progress to every partition. */
  readonly markerIntervalMs: number;
  readonly logger: Logger;
  /** Traces each send (`send <topic>`) and writes its context into every record. */
  readonly telemetry?: Telemetry;
}

/**
 * The writing end of a repartition hop: turns each message into its re-keyed records and
 * produces them to the internal topic (idempotent producer, acks from all replicas), then
 * resolves, so the pipeline acknowledges the messages only once their records are stored.
 *
 * Each record carries its writer (the input partition of the message) and event time; the
 * writers' progress (greatest event time written and confirmed) goes on a timer to every
 * partition of the topic in one marker record each, after the data it covers was confirmed,
 * so the reading end can compute a watermark that does not depend on which instance wrote
 * what, or how fast.
 */
export class RepartitionWriter {
  private readonly producer: KafkaProducer;
  private readonly progress = new Map<string, number>();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private marking: Promise<unknown> | undefined;

  constructor(private readonly settings: RepartitionWriterSettings) {
    this.producer = new KafkaProducer(
      kafkaProducerOptionsSchema.parse({ name: settings.name, kafka: settings.kafka }),
      settings.logger,
    );
  }

  async start(): Promise<void> {
    await this.producer.start([this.settings.topic]);
    this.timer = setInterval(() => this.sendMarkers(), this.settings.markerIntervalMs);
    this.timer.unref();
  }

  /** Produces the records of `messages`; resolves once the broker confirmed them all. */
  async send(messages: readonly Message[]): Promise<void> {
    const { topic, records } = this.settings;
    const out: ProducedRecord[] = [];
    const reached = new Map<string, number>();
    for (const m of messages) {
      const writer = `${m.topic}/${m.partition}`;
      const origin = `${m.topic}/${m.partition}/${m.offset}`;
      let index = 0;
      for (const r of records(m)) {
        const time = r.timestamp ?? m.timestamp;
        const sequence = `${m.offset}:${index++}`;
        if (time > (reached.get(writer) ?? Number.NEGATIVE_INFINITY)) reached.set(writer, time);
        out.push({
          topic,
          key: r.key,
          value: r.value,
          headers: {
            ...r.headers,
            [HOP_HEADERS.writer]: writer,
            [HOP_HEADERS.eventTime]: String(time),
            [HOP_HEADERS.origin]: origin,
            [HOP_HEADERS.sequence]: sequence,
          },
        });
      }
      // A message with no records still moves its writer on (all its samples were dropped).
      if (!reached.has(writer)) reached.set(writer, Number.NEGATIVE_INFINITY);
    }
    const telemetry = this.settings.telemetry ?? noopTelemetry;
    // The send span descends from the batch's `process` span, which links each message's
    // upstream context: the next part's spans continue the trace from the record.
    await telemetry.traceSend(topic, out.length, (context) => {
      for (const record of out) {
        telemetry.injectContext(record.headers as Record<string, string | Buffer>, context);
      }
      return this.producer.send(out);
    });
    for (const [writer, time] of reached) {
      const before = this.progress.get(writer) ?? Number.NEGATIVE_INFINITY;
      if (time > before) {
        this.progress.set(writer, time);
        this.dirty = true;
      }
    }
  }

  /** Stops the marker timer (after one last round of markers) and the producer. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.marking?.catch(() => undefined);
    await this.sendMarkers()?.catch(() => undefined);
    await this.producer.stop();
  }

  private sendMarkers(): Promise<unknown> | undefined {
    if (!this.dirty || this.marking) return this.marking;
    this.dirty = false;
    const progress = JSON.stringify(Object.fromEntries(this.progress));
    const records: ProducedRecord[] = [];
    for (let partition = 0; partition < this.settings.partitions; partition++) {
      records.push({
        topic: this.settings.topic,
        partition,
        key: null,
        value: null,
        headers: { [HOP_HEADERS.marker]: 'watermark', [HOP_HEADERS.progress]: progress },
      });
    }
    this.marking = this.producer
      .send(records)
      .catch((error: unknown) => {
        this.dirty = true; // try again on the next tick
        this.settings.logger.warn({ err: error }, 'repartition markers not written; retrying');
      })
      .finally(() => {
        this.marking = undefined;
      });
    return this.marking;
  }
}
