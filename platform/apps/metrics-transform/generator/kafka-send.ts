import { KafkaProducer } from '../../../kafka/sink/kafka-producer';
import { kafkaProducerOptionsSchema } from '../../../kafka/sink/options';
import type { Logger } from '../../../log/logger';
import type { GeneratedRecord } from './run-generator';

/** A send function for {@link runGenerator} that produces to `topic` through the platform's producer. */
export async function kafkaSender(
  brokers: string[],
  topic: string,
  log: Logger,
): Promise<{ send: (records: GeneratedRecord[]) => Promise<void>; stop: () => Promise<void> }> {
  const producer = new KafkaProducer(
    kafkaProducerOptionsSchema.parse({
      name: 'metrics-generator',
      client: { brokers, clientId: 'kafka-stages-generate' },
    }),
    log,
  );
  await producer.start([topic]);
  return {
    send: async (records) => {
      await producer.send(records.map((r) => ({ topic, key: r.key, value: r.value })));
    },
    stop: () => producer.stop(),
  };
}
