import { KafkaStagesError } from '../../../stages/index';

/**
 * Everything that can go wrong when getting a Kafka broker (the local JVM broker, an
 * existing cluster named by KAFKA_BROKERS, or a testcontainers broker). A closed set: one
 * class per stable `code`. Every message says what went wrong and how to fix it, in one
 * line plus, where it helps, the tail of the broker's log.
 */
export type BrokerErrorCode =
  | 'BROKER_OPTIONS_INVALID'
  | 'BROKER_JAVA_NOT_FOUND'
  | 'BROKER_JARS_MISSING'
  | 'BROKER_PORT_IN_USE'
  | 'BROKER_START_FAILED'
  | 'BROKER_START_TIMEOUT'
  | 'BROKER_UNREACHABLE'
  | 'BROKER_DOCKER_UNAVAILABLE';

/** Base of the broker errors; catch this to handle any of them. */
export abstract class BrokerError extends KafkaStagesError {
  abstract override readonly code: BrokerErrorCode;
}

/** An option of the local broker or of the provider is out of range or of the wrong type. */
export class InvalidBrokerOptionsError extends BrokerError {
  override readonly name = 'InvalidBrokerOptionsError';
  readonly code = 'BROKER_OPTIONS_INVALID';
}

/** No `java` executable in JAVA_HOME or on PATH. */
export class JavaNotFoundError extends BrokerError {
  override readonly name = 'JavaNotFoundError';
  readonly code = 'BROKER_JAVA_NOT_FOUND';
}

/** The Kafka jars for the wanted version were not resolved (`make kafka-jars`). */
export class KafkaJarsMissingError extends BrokerError {
  override readonly name = 'KafkaJarsMissingError';
  readonly code = 'BROKER_JARS_MISSING';
}

/** A port asked for explicitly is already taken on the loopback interface. */
export class PortInUseError extends BrokerError {
  override readonly name = 'PortInUseError';
  readonly code = 'BROKER_PORT_IN_USE';
}

/** Formatting the data directory failed, or the broker exited before it was ready. */
export class BrokerStartError extends BrokerError {
  override readonly name = 'BrokerStartError';
  readonly code = 'BROKER_START_FAILED';
}

/** The broker was still not answering when the start timeout ran out. */
export class BrokerStartTimeoutError extends BrokerError {
  override readonly name = 'BrokerStartTimeoutError';
  readonly code = 'BROKER_START_TIMEOUT';
  override readonly retriable = true;
}

/** KAFKA_BROKERS names brokers that do not answer. */
export class BrokersUnreachableError extends BrokerError {
  override readonly name = 'BrokersUnreachableError';
  readonly code = 'BROKER_UNREACHABLE';
  override readonly retriable = true;
}

/** KAFKA_PROVIDER=testcontainers, but no Docker engine answers (or testcontainers failed). */
export class DockerUnavailableError extends BrokerError {
  override readonly name = 'DockerUnavailableError';
  readonly code = 'BROKER_DOCKER_UNAVAILABLE';
}
