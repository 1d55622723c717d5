// Fuzzes the local broker's options (SASL users and TLS included) from their schema: every
// malformed set is refused by resolveLocalBrokerOptions with one InvalidBrokerOptionsError
// naming the option, and no message shows a user's password.
import fc from 'fast-check';
import { InvalidBrokerOptionsError } from '../../platform/kafka/local-broker/errors';
import {
  localBrokerOptionsSchema,
  resolveLocalBrokerOptions,
} from '../../platform/kafka/local-broker/options';
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

const PASSWORD = 'broker-fuzz-Pw!9x';

const target: FuzzTarget = {
  name: 'local broker',
  schema: localBrokerOptionsSchema,
  example: () => ({
    kafkaVersion: '3.9.1',
    kafkaHome: '/opt/kafka',
    port: 0,
    controllerPort: 0,
    home: '/tmp/broker-fuzz',
    heap: '256m',
    readyTimeoutMs: 30_000,
    stopGraceMs: 5_000,
    properties: { 'log.retention.ms': '60000' },
    detached: false,
    java: '/usr/bin/java',
    sasl: { users: [{ username: 'alice', password: PASSWORD }] },
    tls: true,
  }),
  // No environment: kafkaVersion left out falls back to the default version, and no
  // options at all (undefined) are the defaults.
  validate: (input) => resolveLocalBrokerOptions(input as never, {}),
  normalize: (input) =>
    input === undefined || (typeof input === 'object' && input !== null && !Array.isArray(input))
      ? { kafkaVersion: '3.9.1', ...(input as object | undefined) }
      : input,
  errorClass: InvalidBrokerOptionsError,
  // Messages quote the path ('sasl.users.0.password'): a problem inside names its start.
  formatPath: (path: Path) => `'${formatPath(path)}`,
  problems: (error) => error.message.split('\n'),
  secrets: [PASSWORD],
};

describe('local broker options, fuzzed from the schema', () => {
  const counts = newCounts();
  afterAll(() => report(target, counts));

  it('accepts the example the fuzzer starts from', () => {
    expectExampleAccepted(target);
  });

  it(`refuses every malformed value at any of its ${siteCount(target)} options clearly`, () => {
    fc.assert(replacementProperty(target, counts), { numRuns: 300 });
    expect(counts.malformed).toBeGreaterThanOrEqual(150);
  });

  it('refuses an unknown option, naming it', () => {
    fc.assert(unknownKeyProperty(target, counts), { numRuns: 40 });
    expect(counts.unknownKeys).toBe(40);
  });
});
