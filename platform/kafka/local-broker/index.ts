// The local single-node Kafka broker: launcher, options and errors.
export {
  BrokerError,
  type BrokerErrorCode,
  BrokerStartError,
  BrokerStartTimeoutError,
  BrokersUnreachableError,
  DockerUnavailableError,
  InvalidBrokerOptionsError,
  JavaNotFoundError,
  KafkaJarsMissingError,
  PortInUseError,
} from './errors';
export { isBrokerRunning, type LocalBroker, startLocalBroker } from './local-broker';
export { DEFAULT_KAFKA_VERSION, type LocalBrokerOptions, projectRoot } from './options';
export { isOurs, terminate } from './processes';
