import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../../stages/index';
import { BrokerStartError } from './errors';
import { BROKER_SCRAM_USER } from './options';

/** What the client listener speaks; the controller listener stays PLAINTEXT on loopback. */
export type SecurityProtocol = 'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SSL' | 'SASL_SSL';

/** A SCRAM user: the same name and password work with SCRAM-SHA-256 and SCRAM-SHA-512. */
export interface ScramUser {
  readonly username: string;
  readonly password: string;
}

/** The TLS files of a broker, made by {@link makeTlsMaterial}. */
export interface TlsMaterial {
  /** PEM of the CA that signed the broker's certificate: what clients trust. */
  readonly caPem: string;
  readonly caFile: string;
  /** The broker's private key (PKCS#8), certificate and the CA's, in one PEM file. */
  readonly keystoreFile: string;
}

/** The client listener's settings beyond its protocol. */
export interface ListenerSecurity {
  readonly protocol: SecurityProtocol;
  /** SASL: the user the broker authenticates as when it talks to itself. */
  readonly brokerUser?: ScramUser;
  readonly tls?: TlsMaterial;
}

const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** The protocol of the client listener for the options given. */
export function protocolOf(sasl: boolean, tls: boolean): SecurityProtocol {
  if (sasl) return tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
  return tls ? 'SSL' : 'PLAINTEXT';
}

/** A fresh password for the broker's own SCRAM user (hex: nothing to escape anywhere). */
export function newBrokerUser(random: (size: number) => Buffer = randomBytes): ScramUser {
  return { username: BROKER_SCRAM_USER, password: random(24).toString('hex') };
}

/**
 * The server.properties entries of a secured client listener (named after its protocol).
 * SASL enables both SCRAM mechanisms; the broker's own traffic to itself (transaction
 * markers, for one) goes over the same listener as `brokerUser` with SCRAM-SHA-512. TLS
 * uses PEM files, so no Java keystore and no keystore password are needed.
 */
export function securityProperties(security: ListenerSecurity): Record<string, string> {
  const entries: Record<string, string> = {};
  const listener = security.protocol.toLowerCase();
  if (security.protocol === 'SASL_PLAINTEXT' || security.protocol === 'SASL_SSL') {
    const user = security.brokerUser;
    if (!user)
      throw new InvalidArgumentError('securityProperties: a SASL listener needs the broker user');
    entries['sasl.enabled.mechanisms'] = SCRAM_MECHANISMS.join(',');
    entries['sasl.mechanism.inter.broker.protocol'] = 'SCRAM-SHA-512';
    for (const mechanism of SCRAM_MECHANISMS) {
      entries[`listener.name.${listener}.${mechanism.toLowerCase()}.sasl.jaas.config`] =
        `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user.username}" password="${user.password}";`;
    }
  }
  if (security.protocol === 'SSL' || security.protocol === 'SASL_SSL') {
    const tls = security.tls;
    if (!tls)
      throw new InvalidArgumentError('securityProperties: a TLS listener needs its certificates');
    entries['ssl.keystore.type'] = 'PEM';
    entries['ssl.keystore.location'] = tls.keystoreFile;
    entries['ssl.truststore.type'] = 'PEM';
    entries['ssl.truststore.location'] = tls.caFile;
    entries['ssl.client.auth'] = 'none';
  }
  return entries;
}

/**
 * StorageTool arguments that create every user with both SCRAM mechanisms when the data
 * directory is formatted (KRaft keeps SCRAM credentials in the metadata log). The names and
 * passwords were validated to hold none of the characters this syntax cannot carry.
 */
export function scramFormatArguments(users: readonly ScramUser[]): string[] {
  return users.flatMap((user) =>
    SCRAM_MECHANISMS.flatMap((mechanism) => [
      '--add-scram',
      `${mechanism}=[name=${user.username},password=${user.password}]`,
    ]),
  );
}

type Run = (command: string, args: readonly string[], cwd: string) => void;

const runOpenssl: Run = (command, args, cwd) => {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
};

/**
 * A new CA and a broker certificate it signed, for 127.0.0.1 and localhost, valid two days,
 * written to `dir` with openssl. Only the broker's folder ever holds the keys.
 */
export function makeTlsMaterial(dir: string, run: Run = runOpenssl): TlsMaterial {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(dir, name);
  writeFileSync(
    file('broker.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  const steps: [string, string[]][] = [
    [
      'the CA',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem'],
    ],
    [
      'the broker key',
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr'],
    ],
    [
      'the broker certificate',
      [
        'x509',
        '-req',
        '-in',
        'broker.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'broker.pem',
        '-extfile',
        'broker.ext',
      ],
    ],
  ];
  for (const [what, args] of steps) {
    const subject = what === 'the CA' ? '/CN=kafka-stages local CA' : '/CN=localhost';
    const days = what === 'the broker key' ? [] : ['-days', '2'];
    const full = args[0] === 'x509' ? [...args, ...days] : [...args, ...days, '-subj', subject];
    try {
      run('openssl', full, dir);
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? '')
        .trim()
        .split('\n')[0];
      throw new BrokerStartError(
        `local broker: openssl could not make ${what} for TLS (${stderr || (error as Error).message}); is openssl installed?`,
        { cause: error },
      );
    }
  }
  const caPem = readFileSync(file('ca.pem'), 'utf8');
  // Kafka's PEM key store: the private key, then the certificate chain.
  writeFileSync(
    file('broker-keystore.pem'),
    readFileSync(file('broker.key'), 'utf8') + readFileSync(file('broker.pem'), 'utf8') + caPem,
    { mode: 0o600 },
  );
  return { caPem, caFile: file('ca.pem'), keystoreFile: file('broker-keystore.pem') };
}
