import * as path from 'node:path';
import { InvalidBrokerOptionsError } from '../../../../platform/kafka/local-broker/errors';
import {
  projectRoot,
  resolveLocalBrokerOptions,
} from '../../../../platform/kafka/local-broker/options';

function reject(
  options: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
): InvalidBrokerOptionsError {
  try {
    resolveLocalBrokerOptions(options as never, env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidBrokerOptionsError);
    expect((error as InvalidBrokerOptionsError).code).toBe('BROKER_OPTIONS_INVALID');
    return error as InvalidBrokerOptionsError;
  }
  throw new Error('expected the options to be rejected');
}

describe('local broker options', () => {
  it('fills in defaults, with the jars under the project .tools folder', () => {
    const o = resolveLocalBrokerOptions({}, {});
    expect(o).toMatchObject({
      kafkaVersion: '3.9.1',
      port: 0,
      controllerPort: 0,
      heap: '512m',
      readyTimeoutMs: 60_000,
      stopGraceMs: 10_000,
      detached: false,
      properties: {},
    });
    expect(o.kafkaHome).toBe(path.join(projectRoot(), '.tools', 'kafka-3.9.1'));
    expect(o.home).toBeUndefined();
  });

  it('takes the Kafka version from KAFKA_VERSION unless the options name one', () => {
    expect(resolveLocalBrokerOptions({}, { KAFKA_VERSION: '4.1.1' }).kafkaHome).toMatch(
      /\.tools\/kafka-4\.1\.1$/,
    );
    expect(
      resolveLocalBrokerOptions({ kafkaVersion: '3.9.1' }, { KAFKA_VERSION: '4.1.1' }).kafkaVersion,
    ).toBe('3.9.1');
  });

  it('names the option, the value and what is allowed', () => {
    expect(reject({ port: 70_000 }).message).toBe(
      "local broker: option 'port' is 70000; allowed: an integer 0..65535; 0 picks a free port",
    );
    expect(reject({ heap: '512' }).message).toBe(
      "local broker: option 'heap' is \"512\"; allowed: a JVM heap size like '512m' or '1g'",
    );
    expect(reject({ properties: { 'num.io.threads': 2 } }).message).toBe(
      'local broker: option \'properties["num.io.threads"]\' is 2; allowed: an object of server.properties overrides, string to string',
    );
  });

  it('says when a bad version came from KAFKA_VERSION', () => {
    expect(reject({}, { KAFKA_VERSION: 'latest' }).message).toBe(
      'local broker: option \'kafkaVersion\' is "latest" (from KAFKA_VERSION); allowed: a release number like 3.9.1 or 4.1.1',
    );
  });

  it('rejects unknown options and lists the known ones', () => {
    expect(reject({ prot: 9092 }).message).toMatch(
      /^local broker: option 'prot' is unknown; allowed: one of the keys kafkaVersion, kafkaHome, port, controllerPort, /,
    );
  });

  it('rejects the same port for clients and the controller', () => {
    expect(reject({ port: 9092, controllerPort: 9092 }).message).toBe(
      "local broker: option 'controllerPort' is 9092; allowed: a port other than port (9092), or 0 for a free one",
    );
  });
});
