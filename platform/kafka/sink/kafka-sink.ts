import type { RecordMetadata } from 'kafkajs';
import { type Logger, logger as rootLogger } from '../../log/logger';
import type { Message } from '../../message/message';
import { noopTelemetry, type Telemetry } from '../../telemetry/telemetry';
import { parseOptions } from '../parse-options';
import { KafkaProducer, type ProducedRecord } from './kafka-producer';
import {
  type KafkaSinkOptions,
  type KafkaSinkOptionsInput,
  kafkaSinkOptionsSchema,
  type SerializeValue,
} from './options';

/** What the sink needs besides its options. */
export interface SinkDependencies {
  readonly telemetry?: Telemetry;
  readonly logger?: Logger;
}

/**
 * The default value of a produced record: Buffers and strings as they are, `null` and
 * `undefined` as a tombstone, typed arrays as bytes, anything else as JSON.
 */
export const defaultSerialize: SerializeValue = (message) => {
  const data = message.data;
  if (data === null || data === undefined) return null;
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.length);
  return JSON.stringify(data);
};

/**
 * Produces batches of messages to the output topic; the pipeline's sink stage calls
 * {@link send} and acknowledges the messages upstream only after it resolved.
 *
 * Each record keeps the message's key and headers; the trace context of the `send <topic>`
 * span is written into its headers (W3C `traceparent`), so the trace continues in the next
 * service. By default the broker confirms with all in-sync replicas (`acks: -1`) and the
 * producer is idempotent, so retried requests are not written twice.
 *
 * ```ts
 * const sink = new KafkaSink({ client: { brokers: ['localhost:9092'] }, topic: 'out' });
 * await sink.start();                   // checks that 'out' exists, connects
 * await sink.send(messages);            // resolves once the broker confirmed
 * acknowledge(messages, []);            // only now
 * await sink.stop();
 * ```
 */
export class KafkaSink {
  readonly options: KafkaSinkOptions;
  private readonly producer: KafkaProducer;
  private readonly telemetry: Telemetry;
  private readonly serialize: SerializeValue;

  constructor(options: KafkaSinkOptionsInput, deps: SinkDependencies = {}) {
    this.options = parseOptions('KafkaSink', kafkaSinkOptionsSchema, options);
    this.telemetry = deps.telemetry ?? noopTelemetry;
    this.serialize = this.options.serialize ?? defaultSerialize;
    const log = (deps.logger ?? rootLogger()).child({
      component: 'kafka-sink',
      sink: this.options.name,
    });
    this.producer = new KafkaProducer(this.options, log);
  }

  /** Checks that the output topic exists and connects. Optional: send() connects too. */
  start(): Promise<void> {
    return this.producer.start([this.options.topic]);
  }

  /**
   * Produces `messages` to `topic` (default: the configured output topic) and resolves once
   * the broker confirmed every record. Rejects with a {@link KafkaProduceError}; nothing
   * may then be acknowledged.
   */
  send(
    messages: readonly Message[],
    topic: string = this.options.topic,
  ): Promise<RecordMetadata[]> {
    if (messages.length === 0) return Promise.resolve([]);
    return this.telemetry.traceSend(topic, messages.length, (context) => {
      const records = new Array<ProducedRecord>(messages.length);
      const keepPartition = this.options.partitioner === 'source';
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        const headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> = {
          ...m.headers,
        };
        // Replace, never repeat, an upstream traceparent: the send span is the new parent.
        delete headers.traceparent;
        delete headers.tracestate;
        this.telemetry.injectContext(headers as Record<string, string | Buffer>, context);
        records[i] = {
          topic,
          key: m.key,
          value: this.serialize(m),
          headers,
          partition: keepPartition ? m.partition : undefined,
        };
      }
      return this.producer.send(records);
    });
  }

  /** Waits for sends in flight, then disconnects. */
  stop(): Promise<void> {
    return this.producer.stop();
  }
}
