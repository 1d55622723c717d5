// One broker per jest run for the `kafka` project, from platform/kafka/brokers.ts:
// KAFKA_BROKERS when set (checked to answer), testcontainers when KAFKA_PROVIDER says so, else
// a fresh local JVM broker. Workers learn the address through KAFKA_BROKERS, which they
// inherit from this process; the teardown (same process) stops what was started here.
import { type Brokers, getBrokers } from '../../platform/kafka/brokers';
import { quietKafkajsWarnings } from './quiet-kafkajs';
import { containerBrokers } from './testcontainers-brokers';

declare global {
  // Shared with kafka-global-teardown.ts: jest runs both in the same context.
  var __kafkaStagesBrokers: Brokers | undefined;
}

export default async function globalSetup(): Promise<void> {
  quietKafkajsWarnings();
  const started = Date.now();
  // KAFKA_PROVIDER=testcontainers: a container, started by test-suite code only.
  const brokers = await getBrokers({ containers: containerBrokers });
  globalThis.__kafkaStagesBrokers = brokers;
  process.env.KAFKA_BROKERS = brokers.brokers.join(',');
  const local = brokers.local;
  const detail = local
    ? `Kafka ${local.kafkaVersion}, pid ${local.pid}, log ${local.logFile}, ready in ${Date.now() - started} ms`
    : `${Date.now() - started} ms`;
  process.stderr.write(
    `\nkafka test broker (${brokers.provider}): ${process.env.KAFKA_BROKERS} (${detail})\n`,
  );
}
