import { createServer, type Server } from 'node:net';
import { getBrokers, parseBrokerList } from '../../../platform/kafka/brokers';
import type { BrokerError } from '../../../platform/kafka/local-broker/errors';
import { containerBrokers } from '../../support/testcontainers-brokers';

async function failure(run: () => Promise<unknown>): Promise<BrokerError> {
  return run().then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as BrokerError,
  );
}

describe('parseBrokerList', () => {
  it('splits and trims a comma list', () => {
    expect(parseBrokerList(' a:9092, b.example:9093 ,[::1]:9094')).toEqual([
      'a:9092',
      'b.example:9093',
      '[::1]:9094',
    ]);
  });

  it('names the entry that is not host:port', () => {
    expect(() => parseBrokerList('a:9092,b')).toThrow(
      `brokers: option 'KAFKA_BROKERS' is "a:9092,b"; allowed: a comma-separated list of host:port, e.g. localhost:9092,localhost:9093 ('b' is not host:port)`,
    );
  });
});

describe('getBrokers', () => {
  it('uses KAFKA_BROKERS and fails clearly when nothing answers there', async () => {
    // A port that was just free: connections to it are refused.
    const server: Server = await new Promise((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const error = await failure(() =>
      getBrokers({ env: { KAFKA_BROKERS: `127.0.0.1:${port}` }, reachTimeoutMs: 2_000 }),
    );
    expect(error.code).toBe('BROKER_UNREACHABLE');
    expect(error.message).toMatch(
      new RegExp(
        `^brokers: KAFKA_BROKERS=127\\.0\\.0\\.1:${port} does not answer \\(.+\\); start that cluster, correct KAFKA_BROKERS, or unset it to use the local broker \\(Java 17\\+ and \`make kafka-jars\`\\)$`,
      ),
    );
  });

  it('gives up on a broker that accepts connections but never answers, within the timeout', async () => {
    const silent: Server = await new Promise((resolve) => {
      const s = createServer(() => undefined);
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (silent.address() as { port: number }).port;
    try {
      const error = await failure(() =>
        getBrokers({ env: { KAFKA_BROKERS: `127.0.0.1:${port}` }, reachTimeoutMs: 500 }),
      );
      expect(error.code).toBe('BROKER_UNREACHABLE');
    } finally {
      silent.close();
    }
  });

  it('rejects an unknown KAFKA_PROVIDER', async () => {
    const error = await failure(() => getBrokers({ env: { KAFKA_PROVIDER: 'docker' } }));
    expect(error.code).toBe('BROKER_OPTIONS_INVALID');
    expect(error.message).toBe(
      'brokers: option \'KAFKA_PROVIDER\' is "docker"; allowed: local (default) or testcontainers',
    );
  });

  it('KAFKA_PROVIDER=testcontainers without a Docker engine: says to start Docker or unset it', async () => {
    const error = await failure(() =>
      getBrokers({
        env: { KAFKA_PROVIDER: 'testcontainers', DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
        containers: containerBrokers,
      }),
    );
    expect(error.code).toBe('BROKER_DOCKER_UNAVAILABLE');
    expect(error.message).toMatch(
      /^brokers: KAFKA_PROVIDER=testcontainers, but no Kafka container could be started \(.+\); start a Docker engine, or unset KAFKA_PROVIDER to use the local JVM broker/,
    );
  });

  it('passes a malformed KAFKA_BROKERS on as BROKER_OPTIONS_INVALID', async () => {
    const error = await failure(() => getBrokers({ env: { KAFKA_BROKERS: 'localhost' } }));
    expect(error.code).toBe('BROKER_OPTIONS_INVALID');
  });
});
