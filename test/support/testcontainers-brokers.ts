// Brokers in a Kafka container for KAFKA_PROVIDER=testcontainers: test-suite code only.
// testcontainers and @testcontainers/kafka are dev dependencies (they need a Docker engine);
// runtime code never loads them (getBrokers takes this function as `containers`).
import type { Brokers } from '../../platform/kafka/brokers';
import { DockerUnavailableError } from '../../platform/kafka/local-broker/errors';

/** Loads a dev package, or says what to install instead of a bare "Cannot find module". */
function loadDevPackage<T>(name: string): T {
  try {
    return require(name) as T;
  } catch (error) {
    if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
    throw new DockerUnavailableError(
      `brokers: KAFKA_PROVIDER=testcontainers needs the package '${name}', which is not installed ` +
        '(testcontainers and @testcontainers/kafka are dev dependencies); install them with ' +
        '`npm install --save-dev testcontainers @testcontainers/kafka`, or unset KAFKA_PROVIDER ' +
        'to use the local JVM broker (Java 17+ and `make kafka-jars`)',
      { cause: error },
    );
  }
}

/** A Kafka container (KRaft) from `image`; fails with what to do when Docker is missing. */
export async function containerBrokers(image: string): Promise<Brokers> {
  const testcontainers = loadDevPackage<typeof import('testcontainers')>('testcontainers');
  const { KafkaContainer } =
    loadDevPackage<typeof import('@testcontainers/kafka')>('@testcontainers/kafka');
  let started: { getHost(): string; getMappedPort(port: number): number; stop(): Promise<unknown> };
  try {
    await testcontainers.getContainerRuntimeClient();
    started = await new KafkaContainer(image).withKraft().start();
  } catch (error) {
    throw new DockerUnavailableError(
      `brokers: KAFKA_PROVIDER=testcontainers, but no Kafka container could be started (${(error as Error).message.split('\n')[0]}); ` +
        'start a Docker engine, or unset KAFKA_PROVIDER to use the local JVM broker (Java 17+ and `make kafka-jars`)',
      { cause: error },
    );
  }
  let stopping: Promise<void> | undefined;
  return {
    brokers: [`${started.getHost()}:${started.getMappedPort(9093)}`],
    provider: 'testcontainers',
    stop() {
      stopping ??= started.stop().then(() => undefined);
      return stopping;
    },
  };
}
