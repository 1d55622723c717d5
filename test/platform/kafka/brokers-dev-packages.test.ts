import type { getBrokers as GetBrokers } from '../../../platform/kafka/brokers';

// testcontainers is a dev dependency: an installed kafka-stages package does not have it.
// Runtime code loads it only when KAFKA_PROVIDER=testcontainers asks, and then says what to
// install instead of failing with a bare "Cannot find module".
describe('getBrokers without the testcontainers packages', () => {
  afterEach(() => {
    jest.dontMock('testcontainers');
    jest.dontMock('@testcontainers/kafka');
    jest.resetModules();
  });

  it.each(['testcontainers', '@testcontainers/kafka'])(
    'KAFKA_PROVIDER=testcontainers with %s missing: names the package and how to install it',
    async (missing) => {
      jest.doMock(missing, () => {
        const error = new Error(`Cannot find module '${missing}'`) as Error & { code: string };
        error.code = 'MODULE_NOT_FOUND';
        throw error;
      });
      let getBrokers!: typeof GetBrokers;
      jest.isolateModules(() => {
        ({ getBrokers } = require('../../../platform/kafka/brokers'));
      });
      const error = (await getBrokers({ env: { KAFKA_PROVIDER: 'testcontainers' } }).catch(
        (e: unknown) => e,
      )) as Error & { code: string };
      expect(error.code).toBe('BROKER_DOCKER_UNAVAILABLE');
      expect(error.message).toBe(
        `brokers: KAFKA_PROVIDER=testcontainers needs the package '${missing}', which is not installed ` +
          '(testcontainers and @testcontainers/kafka are dev dependencies); install them with ' +
          '`npm install --save-dev testcontainers @testcontainers/kafka`, or unset KAFKA_PROVIDER ' +
          'to use the local JVM broker (Java 17+ and `make kafka-jars`)',
      );
      expect((error.cause as { code: string }).code).toBe('MODULE_NOT_FOUND');
    },
  );
});
