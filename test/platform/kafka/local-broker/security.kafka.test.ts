// The local broker's secured listeners against real JVMs: SASL/SCRAM users made at format
// time (right credentials connect with both mechanisms, wrong ones fail with one clear
// error) and TLS from a CA made with openssl. Each test starts a broker of its own next to
// the run's shared one and stops it in `finally`.
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { authenticationError, KafkaAuthenticationError } from '../../../../platform/kafka/errors';
import {
  type LocalBroker,
  startLocalBroker,
} from '../../../../platform/kafka/local-broker/local-broker';

// Two JVMs per broker (format, then the broker) on a busy two-core machine.
jest.setTimeout(120_000);

/** A password nobody would type: if it shows up anywhere, it came from here. */
const secret = () => `pw-${randomBytes(12).toString('hex')}`;

/** Connects an admin client with `config`, asks for the cluster, always disconnects. */
async function describeWith(broker: LocalBroker, config: Partial<KafkaConfig>): Promise<string> {
  const admin = new Kafka({
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 0 },
    ...config,
  }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).clusterId;
  } finally {
    await admin.disconnect();
  }
}

async function failureOf(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('local broker with SASL/SCRAM', () => {
  it('lets the users in with SCRAM-SHA-256 and -512 and refuses a wrong password clearly', async () => {
    const alice = { username: 'alice', password: secret() };
    const bob = { username: 'bob', password: secret() };
    const broker = await startLocalBroker({ sasl: { users: [alice, bob] } });
    try {
      expect(broker.securityProtocol).toBe('SASL_PLAINTEXT');
      expect(readFileSync(path.join(broker.home, 'server.properties'), 'utf8')).toContain(
        `listeners=SASL_PLAINTEXT://127.0.0.1:${broker.port},`,
      );
      const sha256 = { mechanism: 'scram-sha-256' as const, ...alice };
      const sha512 = { mechanism: 'scram-sha-512' as const, ...alice };
      expect(await describeWith(broker, { sasl: sha256 })).toBe(broker.clusterId);
      expect(await describeWith(broker, { sasl: sha512 })).toBe(broker.clusterId);
      expect(await describeWith(broker, { sasl: { mechanism: 'scram-sha-256', ...bob } })).toBe(
        broker.clusterId,
      );

      // kafkajs's own error, and the platform's one clear message made from it.
      const wrong = { mechanism: 'scram-sha-512' as const, username: 'alice', password: 'nope' };
      const error = await failureOf(describeWith(broker, { sasl: wrong }));
      expect(error.name).toBe('KafkaJSSASLAuthenticationError');
      const clear = authenticationError(error, { brokers: [broker.bootstrap], sasl: wrong });
      expect(clear).toBeInstanceOf(KafkaAuthenticationError);
      expect(clear?.message).toBe(
        `Kafka refused the credentials of user 'alice' (SCRAM-SHA-512) at ${broker.bootstrap}: ` +
          'the user does not exist or the password is wrong; check the SASL username, password and mechanism (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SASL_MECHANISM)',
      );
      expect(clear?.message).not.toContain('nope');

      // An unknown user is refused the same way; so is no SASL at all (the broker hangs up).
      const stranger = {
        mechanism: 'scram-sha-256' as const,
        username: 'mallory',
        password: secret(),
      };
      expect((await failureOf(describeWith(broker, { sasl: stranger }))).name).toBe(
        'KafkaJSSASLAuthenticationError',
      );
      expect(await failureOf(describeWith(broker, {}))).toBeInstanceOf(Error);

      // The passwords are on the format JVM's command line only: not in the broker's log.
      const log = readFileSync(broker.logFile, 'utf8');
      expect(log).toContain('Kafka Server started');
      expect(log).not.toContain(alice.password);
      expect(log).not.toContain(bob.password);
    } finally {
      await broker.stop();
    }
  });
});

describe('local broker with TLS', () => {
  it('serves a certificate for 127.0.0.1 signed by its own CA, with SASL on top', async () => {
    const alice = { username: 'alice', password: secret() };
    const broker = await startLocalBroker({ tls: true, sasl: { users: [alice] } });
    try {
      expect(broker.securityProtocol).toBe('SASL_SSL');
      const ca = new X509Certificate(broker.tlsCa!);
      const cert = new X509Certificate(readFileSync(path.join(broker.home, 'tls', 'broker.pem')));
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');

      const sasl = { mechanism: 'scram-sha-256' as const, ...alice };
      const ssl = { ca: [broker.tlsCa!], servername: 'localhost' };
      expect(await describeWith(broker, { ssl, sasl })).toBe(broker.clusterId);
      // Without the CA the certificate is not trusted; without TLS the broker hangs up.
      const untrusted = await failureOf(describeWith(broker, { ssl: true, sasl }));
      expect(untrusted.message).toMatch(/self[- ]signed|unable to (get|verify)/i);
      expect(await failureOf(describeWith(broker, { sasl }))).toBeInstanceOf(Error);
    } finally {
      await broker.stop();
    }
  });

  it('serves TLS alone (SSL) when no SASL users are given', async () => {
    const broker = await startLocalBroker({ tls: true });
    try {
      expect(broker.securityProtocol).toBe('SSL');
      const ssl = { ca: [broker.tlsCa!], servername: 'localhost' };
      expect(await describeWith(broker, { ssl })).toBe(broker.clusterId);
    } finally {
      await broker.stop();
    }
  });
});
