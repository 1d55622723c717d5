import { Kafka, type KafkaConfig, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from '../../log/logger';
import { logger as rootLogger } from '../../log/logger';
import type { ClientOptions } from './client-options';

const LEVELS: Record<ClientOptions['logLevel'], logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * kafkajs warns whenever an idempotent producer has a finite retry count, which every
 * producer built on a client with `retry.retries` has. Ours are finite on purpose: a send
 * is bounded by the producer's `sendTimeoutMs` and retried by the pipeline's policy, and
 * delivery is at least once (exactly-once output goes through transactions, which abort
 * on a failed send). The line names nothing an operator could change, so it goes to debug.
 */
const NOT_ACTIONABLE = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

/**
 * A kafkajs client from validated {@link ClientOptions}; kafkajs's log lines go to the
 * platform logger (pino) under `component: 'kafkajs'` instead of kafkajs's console logger.
 */
export function createKafka(options: ClientOptions, log: Logger = rootLogger()): Kafka {
  const kafkaLog = log.child({ component: 'kafkajs' });
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: {
      retries: options.retry.retries,
      initialRetryTime: options.retry.initialRetryTimeMs,
      maxRetryTime: options.retry.maxRetryTimeMs,
    },
    logLevel: LEVELS[options.logLevel],
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry;
        const fields = { namespace, ...extra };
        if (NOT_ACTIONABLE.has(message)) kafkaLog.debug(fields, message);
        else if (level === logLevel.ERROR) kafkaLog.error(fields, message);
        else if (level === logLevel.WARN) kafkaLog.warn(fields, message);
        else if (level === logLevel.INFO) kafkaLog.info(fields, message);
        else kafkaLog.debug(fields, message);
      },
  };
  if (options.ssl !== undefined) config.ssl = options.ssl;
  if (options.sasl) config.sasl = options.sasl;
  return new Kafka(config);
}
