import { z } from 'zod';
import { type Logger, logger as rootLogger } from '../log/logger';
import type { DeadLetterRecord } from '../pipeline/index';
import { noopTelemetry, type Telemetry } from '../telemetry/telemetry';
import { parseOptions } from './parse-options';
import { KafkaProducer, type ProducedRecord } from './sink/kafka-producer';
import { checkProducer, producerShape } from './sink/options';

/**
 * Options of {@link DeadLetterProducer}: the producer options (acks -1 and idempotent by
 * default) plus the dead-letter topic, which must exist (checked at start).
 */
export const deadLetterProducerOptionsSchema = z
  .strictObject({
    ...producerShape,
    name: z.string().min(1).default('dead-letter'),
    topic: z.string().min(1),
  })
  .superRefine(checkProducer);

export type DeadLetterProducerOptionsInput = z.input<typeof deadLetterProducerOptionsSchema>;

/**
 * Writes dead-letter records, built by the pipeline with the origin topic, partition and
 * offset, error class and message and attempt count in their headers
 * (`platform/pipeline/dead-letter.ts`), and resolves only once the broker confirmed them:
 * the pipeline then acknowledges the failed messages, which lets their offsets commit.
 *
 * `send` has the pipeline's `DeadLetterSend` shape, so it plugs in directly:
 * `deadLetter: { topic, send: dlq.send }`.
 */
export class DeadLetterProducer {
  readonly topic: string;
  private readonly producer: KafkaProducer;
  private readonly telemetry: Telemetry;

  constructor(
    options: DeadLetterProducerOptionsInput,
    deps: { telemetry?: Telemetry; logger?: Logger } = {},
  ) {
    const parsed = parseOptions('DeadLetterProducer', deadLetterProducerOptionsSchema, options);
    this.topic = parsed.topic;
    this.telemetry = deps.telemetry ?? noopTelemetry;
    const log = (deps.logger ?? rootLogger()).child({
      component: 'dead-letter',
      topic: this.topic,
    });
    this.producer = new KafkaProducer(parsed, log);
  }

  /** Checks that the dead-letter topic exists and connects. */
  start(): Promise<void> {
    return this.producer.start([this.topic]);
  }

  /** Produces the records (to their own `topic`) and resolves once the broker confirmed. */
  readonly send = async (records: readonly DeadLetterRecord[]): Promise<void> => {
    if (records.length === 0) return;
    const byTopic = new Map<string, DeadLetterRecord[]>();
    for (const r of records) {
      const list = byTopic.get(r.topic);
      if (list) list.push(r);
      else byTopic.set(r.topic, [r]);
    }
    await Promise.all(
      [...byTopic].map(([topic, list]) =>
        this.telemetry.traceSend(topic, list.length, (context) => {
          const out: ProducedRecord[] = list.map((r) => {
            const headers = { ...r.headers };
            this.telemetry.injectContext(headers, context);
            return { topic, key: r.key, value: r.value, headers };
          });
          return this.producer.send(out);
        }),
      ),
    );
  };

  stop(): Promise<void> {
    return this.producer.stop();
  }
}
