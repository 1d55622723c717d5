import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { BrokerStartError } from '../../../../platform/kafka/local-broker/errors';
import {
  BROKER_SCRAM_USER,
  resolveLocalBrokerOptions,
} from '../../../../platform/kafka/local-broker/options';
import {
  makeTlsMaterial,
  newBrokerUser,
  protocolOf,
  scramFormatArguments,
  securityProperties,
} from '../../../../platform/kafka/local-broker/security';
import { serverProperties } from '../../../../platform/kafka/local-broker/server-properties';

const tls = { caPem: 'CA', caFile: '/b/tls/ca.pem', keystoreFile: '/b/tls/broker-keystore.pem' };
const brokerUser = { username: BROKER_SCRAM_USER, password: 'f00d' };

describe('local broker security settings', () => {
  it('names the client listener after its protocol', () => {
    expect(protocolOf(false, false)).toBe('PLAINTEXT');
    expect(protocolOf(true, false)).toBe('SASL_PLAINTEXT');
    expect(protocolOf(false, true)).toBe('SSL');
    expect(protocolOf(true, true)).toBe('SASL_SSL');
    const p = serverProperties({
      host: '127.0.0.1',
      port: 1,
      controllerPort: 2,
      logDir: '/d',
      kafkaVersion: '3.9.1',
      protocol: 'SASL_SSL',
      security: securityProperties({ protocol: 'SASL_SSL', brokerUser, tls }),
    });
    expect(p).toMatchObject({
      listeners: 'SASL_SSL://127.0.0.1:1,CONTROLLER://127.0.0.1:2',
      'advertised.listeners': 'SASL_SSL://127.0.0.1:1',
      'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'SASL_SSL',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': tls.keystoreFile,
      'ssl.truststore.location': tls.caFile,
    });
    expect(p['listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config']).toBe(
      `org.apache.kafka.common.security.scram.ScramLoginModule required username="${BROKER_SCRAM_USER}" password="f00d";`,
    );
  });

  it('adds nothing for a plain listener', () => {
    expect(securityProperties({ protocol: 'PLAINTEXT' })).toEqual({});
  });

  it('creates every user with both SCRAM mechanisms at format time', () => {
    expect(scramFormatArguments([{ username: 'alice', password: 'p!1' }])).toEqual([
      '--add-scram',
      'SCRAM-SHA-256=[name=alice,password=p!1]',
      '--add-scram',
      'SCRAM-SHA-512=[name=alice,password=p!1]',
    ]);
  });

  it("gives the broker's own user a fresh hex password", () => {
    const user = newBrokerUser((n) => Buffer.alloc(n, 0xab));
    expect(user).toEqual({ username: BROKER_SCRAM_USER, password: 'ab'.repeat(24) });
  });

  it('says what failed when openssl cannot make the certificates', () => {
    const failing = () => {
      throw Object.assign(new Error('spawnSync openssl ENOENT'), { stderr: Buffer.from('') });
    };
    const dir = path.join('/tmp', `tls-${process.pid}`);
    let error: unknown;
    try {
      makeTlsMaterial(dir, failing);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BrokerStartError);
    expect((error as Error).message).toBe(
      'local broker: openssl could not make the CA for TLS (spawnSync openssl ENOENT); is openssl installed?',
    );
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('local broker security options', () => {
  const reject = (options: Record<string, unknown>) => {
    try {
      resolveLocalBrokerOptions(options as never, {});
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('takes SCRAM users and TLS, off by default', () => {
    const plain = resolveLocalBrokerOptions({}, {});
    expect(plain.tls).toBe(false);
    expect(plain.sasl).toBeUndefined();
    const users = [{ username: 'alice', password: 's3cr!t' }];
    expect(resolveLocalBrokerOptions({ sasl: { users }, tls: true }, {})).toMatchObject({
      tls: true,
      sasl: { users },
    });
  });

  it('refuses a password StorageTool would misread, without showing it', () => {
    const message = reject({ sasl: { users: [{ username: 'alice', password: 'a,b=c' }] } });
    expect(message).toMatch(
      /^local broker: option 'sasl\.users\[0\]\.password' is a string \(not shown/,
    );
    expect(message).not.toContain('a,b=c');
  });

  it("refuses the broker's own user name and an empty user list", () => {
    expect(reject({ sasl: { users: [{ username: BROKER_SCRAM_USER, password: 'x' }] } })).toMatch(
      /^local broker: option 'sasl\.users\[0\]\.username'/,
    );
    expect(reject({ sasl: { users: [] } })).toMatch(/^local broker: option 'sasl.users'/);
  });

  it('names an unknown key inside sasl by its path', () => {
    expect(reject({ sasl: { users: [{ username: 'a', password: 'b', role: 'x' }] } })).toMatch(
      /^local broker: option 'sasl\.users\[0\]\.role' is unknown/,
    );
  });

  it('refuses options that are not an object', () => {
    expect(reject(5 as never)).toMatch(/^local broker: options are 5; allowed: an object/);
  });
});
