import type { getBrokers as GetBrokers } from '../../../platform/kafka/brokers';
import type { containerBrokers as ContainerBrokers } from '../../support/testcontainers-brokers';

// testcontainers is a dev dependency: an installed kafka-stages package does not have it.
// Runtime code never loads it; the test suite's broker set-up does, and says what to install
// instead of failing with a bare "Cannot find module".
const missingModule = (name: string) => () => {
  const error = new Error(`Cannot find module '${name}'`) as Error & { code: string };
  error.code = 'MODULE_NOT_FOUND';
  throw error;
};

afterEach(() => {
  jest.dontMock('testcontainers');
  jest.dontMock('@testcontainers/kafka');
  jest.resetModules();
});

describe('getBrokers (runtime code) and testcontainers', () => {
  it('never loads testcontainers: KAFKA_PROVIDER=testcontainers is refused outside the test suite', async () => {
    // Loading either package would throw here: the refusal shows neither was required.
    jest.doMock('testcontainers', missingModule('testcontainers'));
    jest.doMock('@testcontainers/kafka', missingModule('@testcontainers/kafka'));
    let getBrokers!: typeof GetBrokers;
    jest.isolateModules(() => {
      ({ getBrokers } = require('../../../platform/kafka/brokers'));
    });
    const error = (await getBrokers({ env: { KAFKA_PROVIDER: 'testcontainers' } }).catch(
      (e: unknown) => e,
    )) as Error & { code: string };
    expect(error.code).toBe('BROKER_OPTIONS_INVALID');
    expect(error.message).toBe(
      'brokers: option \'KAFKA_PROVIDER\' is "testcontainers"; allowed: local (default); testcontainers only in the test suite, which brings the dev dependencies it needs',
    );
  });
});

describe('the test suite without the testcontainers packages', () => {
  it.each(['testcontainers', '@testcontainers/kafka'])(
    'KAFKA_PROVIDER=testcontainers with %s missing: names the package and how to install it',
    async (missing) => {
      jest.doMock(missing, missingModule(missing));
      let getBrokers!: typeof GetBrokers;
      let containerBrokers!: typeof ContainerBrokers;
      jest.isolateModules(() => {
        ({ getBrokers } = require('../../../platform/kafka/brokers'));
        ({ containerBrokers } = require('../../support/testcontainers-brokers'));
      });
      const error = (await getBrokers({
        env: { KAFKA_PROVIDER: 'testcontainers' },
        containers: containerBrokers,
      }).catch((e: unknown) => e)) as Error & { code: string };
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
