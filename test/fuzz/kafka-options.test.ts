// Fuzzes the Kafka source and sink options (their `client` connection settings included)
// from their schemas: every malformed set is refused by parseOptions with one
// KafkaOptionsError naming the key path, and no message shows the password or the key.
import fc from 'fast-check';
import {
  clientOptionsFromEnv,
  clientOptionsSchema,
} from '../../platform/kafka/client/client-options';
import { KafkaOptionsError } from '../../platform/kafka/errors';
import { parseOptions } from '../../platform/kafka/parse-options';
import { kafkaSinkOptionsSchema } from '../../platform/kafka/sink/options';
import { kafkaSourceOptionsSchema } from '../../platform/kafka/source/options';
import { formatPath } from '../../stages/index';
import {
  expectExampleAccepted,
  type FuzzTarget,
  newCounts,
  replacementProperty,
  report,
  siteCount,
  unknownKeyProperty,
} from './fuzz-options';
import type { Path } from './schema-sites';

const PASSWORD = 'pw-Zq81-fuzz-secret';
const PRIVATE_KEY =
  '-----BEGIN PRIVATE KEY-----\nfuzz-private-key-material\n-----END PRIVATE KEY-----';

const client = () => ({
  brokers: ['localhost:9092', 'broker-2:9093'],
  clientId: 'fuzz',
  sasl: { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD },
  ssl: {
    ca: 'CA PEM',
    cert: 'CERT PEM',
    key: PRIVATE_KEY,
    rejectUnauthorized: true,
    servername: 'kafka',
  },
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 5_000,
  retry: { retries: 2, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 },
  logLevel: 'warn',
});

/** Messages quote the path (`option 'client.brokers[0]'`); a problem inside names its start. */
const dotted = (path: Path) => `'${formatPath(path)}`;
const lines = (error: Error) => error.message.split('\n');

const source: FuzzTarget = {
  name: 'KafkaSource',
  schema: kafkaSourceOptionsSchema,
  example: () => ({
    name: 'orders-source',
    client: client(),
    groupId: 'orders',
    topics: ['orders', /^metrics\./],
    startFrom: { timestamp: 5 },
    queue: { highWaterEvents: 100, lowWaterEvents: 10, highWaterBytes: 4096, lowWaterBytes: 1024 },
    commitIntervalMs: 500,
    rebalanceDrainTimeoutMs: 100,
    shutdownTimeoutMs: 100,
    session: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 20_000 },
    fetch: { maxWaitTimeMs: 100, minBytes: 1, maxBytes: 65_536, maxBytesPerPartition: 4096 },
    pauseHistoryLimit: 10,
  }),
  validate: (input) => parseOptions('KafkaSource', kafkaSourceOptionsSchema, input),
  errorClass: KafkaOptionsError,
  formatPath: dotted,
  problems: lines,
  secrets: [PASSWORD, PRIVATE_KEY],
};

const sink: FuzzTarget = {
  name: 'KafkaSink',
  schema: kafkaSinkOptionsSchema,
  example: () => ({
    name: 'orders-sink',
    client: client(),
    acks: -1,
    idempotent: true,
    compression: 'gzip',
    partitioner: 'default',
    maxInFlightRequests: 1,
    ackTimeoutMs: 1_000,
    sendTimeoutMs: 2_000,
    topic: 'orders-out',
    serialize: () => null,
  }),
  validate: (input) => parseOptions('KafkaSink', kafkaSinkOptionsSchema, input),
  errorClass: KafkaOptionsError,
  formatPath: dotted,
  problems: lines,
  secrets: [PASSWORD, PRIVATE_KEY],
};

describe.each([source, sink])('$name options, fuzzed from the schema', (target) => {
  const counts = newCounts();
  afterAll(() => report(target, counts));

  it('accepts the example the fuzzer starts from', () => {
    expectExampleAccepted(target);
  });

  it(`refuses every malformed value at any of its ${siteCount(target)} key paths clearly`, () => {
    fc.assert(replacementProperty(target, counts), { numRuns: 300 });
    expect(counts.malformed).toBeGreaterThanOrEqual(150);
  });

  it('refuses an unknown key in any object, naming it', () => {
    fc.assert(unknownKeyProperty(target, counts), { numRuns: 60 });
    expect(counts.unknownKeys).toBe(60);
  });
});

describe('client options from the environment, fuzzed', () => {
  it('turns any KAFKA_* values into options or one KafkaOptionsError, never showing the password', () => {
    let refused = 0;
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        'plain',
        'SCRAM-SHA-512',
        'scram-sha-256',
        'true',
        '1',
        'localhost:9092',
        ' , ',
      ),
    );
    const env = fc.record(
      {
        KAFKA_BROKERS: value,
        KAFKA_CLIENT_ID: value,
        KAFKA_SASL_MECHANISM: value,
        KAFKA_SASL_USERNAME: value,
        KAFKA_TLS: value,
        KAFKA_TLS_CA_FILE: value,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(env, (vars) => {
        const all = { ...vars, KAFKA_SASL_PASSWORD: PASSWORD };
        const readFile = (file: string) => {
          if (file === 'ca.pem') return 'CA PEM';
          throw new Error(`ENOENT: ${file}`);
        };
        try {
          parseOptions('KafkaClient', clientOptionsSchema, clientOptionsFromEnv(all, readFile));
        } catch (error) {
          if (!(error instanceof KafkaOptionsError)) throw error;
          expect(error.message).not.toContain(PASSWORD);
          expect(error.message).not.toMatch(/\n\s+at\s/);
          expect(error.message.length).toBeLessThanOrEqual(600);
          refused++;
        }
      }),
      { numRuns: 200 },
    );
    expect(refused).toBeGreaterThan(50);
  });
});
