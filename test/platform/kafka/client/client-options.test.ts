import {
  clientOptionsFromEnv,
  clientOptionsSchema,
} from '../../../../platform/kafka/client/client-options';
import { KafkaOptionsError } from '../../../../platform/kafka/errors';
import { parseOptions } from '../../../../platform/kafka/parse-options';

const files: Record<string, string> = {
  '/tls/ca.pem': 'CA PEM',
  '/tls/cert.pem': 'CERT PEM',
  '/tls/key.pem': 'KEY PEM',
};
const readFile = (path: string) => {
  const content = files[path];
  if (content === undefined) throw new Error(`ENOENT: ${path}`);
  return content;
};

describe('clientOptionsFromEnv', () => {
  it('reads brokers and client id', () => {
    expect(
      clientOptionsFromEnv({ KAFKA_BROKERS: 'a:9092, b:9093', KAFKA_CLIENT_ID: 'me' }, readFile),
    ).toEqual({ brokers: ['a:9092', 'b:9093'], clientId: 'me' });
  });

  it('passes SASL SCRAM through', () => {
    const options = clientOptionsFromEnv(
      {
        KAFKA_BROKERS: 'a:9092',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'user',
        KAFKA_SASL_PASSWORD: 'secret',
      },
      readFile,
    );
    expect(options.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'user',
      password: 'secret',
    });
    expect(parseOptions('KafkaClient', clientOptionsSchema, options).sasl?.mechanism).toBe(
      'scram-sha-512',
    );
  });

  it('rejects an unknown SASL mechanism', () => {
    expect(() =>
      clientOptionsFromEnv({ KAFKA_BROKERS: 'a:9092', KAFKA_SASL_MECHANISM: 'gssapi' }, readFile),
    ).toThrow(
      'KafkaClient: option \'KAFKA_SASL_MECHANISM\' is "gssapi"; allowed: one of plain, scram-sha-256, scram-sha-512 (sasl.mechanism)',
    );
  });

  it('turns TLS on, with PEM material read from the files', () => {
    expect(clientOptionsFromEnv({ KAFKA_BROKERS: 'a:9093', KAFKA_TLS: 'true' }, readFile).ssl).toBe(
      true,
    );
    expect(
      clientOptionsFromEnv(
        {
          KAFKA_BROKERS: 'a:9093',
          KAFKA_TLS_CA_FILE: '/tls/ca.pem',
          KAFKA_TLS_CERT_FILE: '/tls/cert.pem',
          KAFKA_TLS_KEY_FILE: '/tls/key.pem',
        },
        readFile,
      ).ssl,
    ).toEqual({ ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' });
  });

  it('names the variable of an unreadable TLS file', () => {
    let error: unknown;
    try {
      clientOptionsFromEnv({ KAFKA_BROKERS: 'a:9093', KAFKA_TLS_CA_FILE: '/nope.pem' }, readFile);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KafkaOptionsError);
    expect((error as KafkaOptionsError).message).toBe(
      'KafkaClient: option \'KAFKA_TLS_CA_FILE\' is "/nope.pem"; allowed: a readable file (ssl.ca; ENOENT: /nope.pem)',
    );
    expect((error as KafkaOptionsError).path).toBe('ssl.ca');
  });

  it('leaves an empty broker list for validation to reject', () => {
    const options = clientOptionsFromEnv({}, readFile);
    expect(() => parseOptions('KafkaClient', clientOptionsSchema, options)).toThrow(
      "KafkaClient: option 'brokers' is []; allowed: at least one broker",
    );
  });
});
