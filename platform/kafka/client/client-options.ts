import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatOptionProblem } from '../../../stages/index';
import { KafkaOptionsError } from '../errors';

const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, { error: 'must be host:port (e.g. localhost:9092)' });

const sasl = z.discriminatedUnion(
  'mechanism',
  [
    z.strictObject({
      mechanism: z.literal('plain'),
      username: z.string().min(1),
      password: z.string(),
    }),
    z.strictObject({
      mechanism: z.literal('scram-sha-256'),
      username: z.string().min(1),
      password: z.string(),
    }),
    z.strictObject({
      mechanism: z.literal('scram-sha-512'),
      username: z.string().min(1),
      password: z.string(),
    }),
  ],
  { error: "mechanism must be one of 'plain', 'scram-sha-256', 'scram-sha-512'" },
);

const tls = z.strictObject({
  /** PEM contents (not paths) of the CA bundle, client certificate and key. */
  ca: z.union([z.string(), z.array(z.string())]).optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
  /** Keep `true` outside tests: `false` accepts any server certificate. */
  rejectUnauthorized: z.boolean().optional(),
  servername: z.string().optional(),
});

/**
 * How to reach the brokers: the `client` key of the source, sink and dead-letter options.
 * SASL and TLS settings are passed through to kafkajs unchanged.
 */
export const clientOptionsSchema = z.strictObject({
  brokers: z.array(hostPort).min(1, { error: 'needs at least one broker' }),
  clientId: z.string().min(1).default('kafka-stages'),
  sasl: sasl.optional(),
  /** `true` for TLS with the system CAs, or explicit PEM material. */
  ssl: z.union([z.boolean(), tls]).optional(),
  connectionTimeoutMs: z.number().int().positive().default(3_000),
  requestTimeoutMs: z.number().int().positive().default(30_000),
  retry: z
    .strictObject({
      retries: z.number().int().min(0).default(8),
      initialRetryTimeMs: z.number().int().positive().default(300),
      maxRetryTimeMs: z.number().int().positive().default(30_000),
    })
    .default({ retries: 8, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000 }),
  /** kafkajs's own log lines at or above this level go to the platform logger. */
  logLevel: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).default('warn'),
});

/** Client options as written by a user (defaults optional). */
export type ClientOptionsInput = z.input<typeof clientOptionsSchema>;
/** Client options after validation, defaults filled in. */
export type ClientOptions = z.output<typeof clientOptionsSchema>;

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'];

/**
 * Client options from the environment: `KAFKA_BROKERS` (comma-separated), `KAFKA_CLIENT_ID`,
 * `KAFKA_SASL_MECHANISM` (`plain`, `scram-sha-256`, `scram-sha-512`) with
 * `KAFKA_SASL_USERNAME` and `KAFKA_SASL_PASSWORD`, and TLS with `KAFKA_TLS=true` and/or
 * `KAFKA_TLS_CA_FILE`, `KAFKA_TLS_CERT_FILE`, `KAFKA_TLS_KEY_FILE` (PEM files, read here).
 * Returns unvalidated input: the component that receives it validates it.
 */
export function clientOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ClientOptionsInput {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  const options: ClientOptionsInput = { brokers };
  if (env.KAFKA_CLIENT_ID) options.clientId = env.KAFKA_CLIENT_ID;

  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism) {
    if (!MECHANISMS.includes(mechanism)) {
      throw new KafkaOptionsError(
        formatOptionProblem('KafkaClient', {
          path: 'KAFKA_SASL_MECHANISM',
          value: env.KAFKA_SASL_MECHANISM,
          allowed: `one of ${MECHANISMS.join(', ')} (sasl.mechanism)`,
        }),
        'KafkaClient',
        'sasl.mechanism',
      );
    }
    options.sasl = {
      mechanism: mechanism as 'plain',
      username: env.KAFKA_SASL_USERNAME ?? '',
      password: env.KAFKA_SASL_PASSWORD ?? '',
    };
  }

  const files = {
    ca: env.KAFKA_TLS_CA_FILE,
    cert: env.KAFKA_TLS_CERT_FILE,
    key: env.KAFKA_TLS_KEY_FILE,
  };
  const tlsOn = env.KAFKA_TLS === 'true' || env.KAFKA_TLS === '1';
  if (files.ca || files.cert || files.key) {
    const material: { ca?: string; cert?: string; key?: string } = {};
    for (const [name, path] of Object.entries(files) as [
      keyof typeof files,
      string | undefined,
    ][]) {
      if (!path) continue;
      try {
        material[name] = readFile(path);
      } catch (cause) {
        throw new KafkaOptionsError(
          formatOptionProblem('KafkaClient', {
            path: `KAFKA_TLS_${name.toUpperCase()}_FILE`,
            value: path,
            allowed: `a readable file (ssl.${name}; ${(cause as Error).message ?? String(cause)})`,
          }),
          'KafkaClient',
          `ssl.${name}`,
          { cause },
        );
      }
    }
    options.ssl = material;
  } else if (tlsOn) {
    options.ssl = true;
  }
  return options;
}
