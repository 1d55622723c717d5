import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { formatOptionProblem } from '../../stages/index';
import { clientOptionsFromEnv } from './client/client-options';
import { authenticationError } from './errors';
import { BrokersUnreachableError, InvalidBrokerOptionsError } from './local-broker/errors';
import { type LocalBroker, startLocalBroker } from './local-broker/local-broker';
import type { LocalBrokerOptions } from './local-broker/options';

/** Where the brokers came from. */
export type BrokerProvider = 'env' | 'testcontainers' | 'local';

/** Brokers to connect to, and how to let go of them. */
export interface Brokers {
  /** `host:port` bootstrap addresses. */
  readonly brokers: string[];
  readonly provider: BrokerProvider;
  /** The local broker, when `provider` is `local`. */
  readonly local?: LocalBroker;
  /** Stops what was started for this call (nothing for `env`). Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link getBrokers}. */
export interface GetBrokersOptions {
  /** Where KAFKA_BROKERS, KAFKA_PROVIDER and KAFKA_VERSION are read. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** How long brokers from KAFKA_BROKERS get to answer. Default 5 000 ms. */
  reachTimeoutMs?: number;
  /** Options of the local broker (ignored by the other providers). */
  local?: LocalBrokerOptions;
  /** The image testcontainers runs. Default `confluentinc/cp-kafka:7.9.0`. */
  testcontainersImage?: string;
  /**
   * Starts a broker in a container, for `KAFKA_PROVIDER=testcontainers`. Only the test
   * suite passes one (`test/support/testcontainers-brokers.ts`): testcontainers is a dev
   * dependency that runtime code never loads.
   */
  containers?: ContainerBrokers;
}

/** Starts a Kafka container from `image` and returns its brokers. */
export type ContainerBrokers = (image: string) => Promise<Brokers>;

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

/** Parses KAFKA_BROKERS: a comma-separated list of `host:port`. */
export function parseBrokerList(raw: string): string[] {
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const bad = brokers.find((b) => !HOST_PORT.test(b));
  if (brokers.length === 0 || bad !== undefined) {
    throw new InvalidBrokerOptionsError(
      formatOptionProblem('brokers', {
        path: 'KAFKA_BROKERS',
        value: raw,
        allowed: `a comma-separated list of host:port, e.g. localhost:9092,localhost:9093${bad === undefined ? '' : ` ('${bad}' is not host:port)`}`,
      }),
    );
  }
  return brokers;
}

/**
 * Fails with {@link BrokersUnreachableError} unless a broker of `brokers` answers in time,
 * or with KafkaAuthenticationError when it answers but refuses the SASL credentials.
 * `security`: the SASL and TLS settings the application will use (from the environment).
 */
export async function assertReachable(
  brokers: string[],
  timeoutMs: number,
  security: Pick<KafkaConfig, 'sasl' | 'ssl'> = {},
): Promise<void> {
  const admin = new Kafka({
    ...security,
    clientId: 'kafka-stages-reachability',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      admin.connect().then(() => admin.describeCluster()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    const sasl = security.sasl as { mechanism: string; username?: string } | undefined;
    const refused = authenticationError(error, {
      brokers,
      sasl: sasl && { mechanism: sasl.mechanism, username: sasl.username ?? '' },
    });
    if (refused) throw refused;
    throw new BrokersUnreachableError(
      `brokers: KAFKA_BROKERS=${brokers.join(',')} does not answer (${(error as Error).message}); ` +
        'start that cluster, correct KAFKA_BROKERS, or unset it to use the local broker ' +
        '(Java 17+ and `make kafka-jars`)',
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The one way tests, `make run`, benchmarks and the CLI get Kafka brokers, first match wins:
 * 1. `KAFKA_BROKERS` (an existing cluster), checked to answer within `reachTimeoutMs`;
 * 2. `KAFKA_PROVIDER=testcontainers`: a Kafka container (needs a Docker engine, and
 *    `options.containers`, which only the test suite gives);
 * 3. otherwise (or `KAFKA_PROVIDER=local`): a fresh local JVM broker ({@link startLocalBroker}).
 *
 * Throws a BrokerError with one message that says what to fix: BROKER_OPTIONS_INVALID,
 * BROKER_UNREACHABLE, BROKER_DOCKER_UNAVAILABLE, or any error of the local broker.
 */
export async function getBrokers(options: GetBrokersOptions = {}): Promise<Brokers> {
  const env = options.env ?? process.env;
  const raw = env.KAFKA_BROKERS;
  if (raw !== undefined && raw.trim() !== '') {
    const brokers = parseBrokerList(raw);
    // The probe authenticates as the application will: a SASL or TLS listener hangs up on
    // a client without them, which would read as "does not answer".
    const { sasl, ssl } = clientOptionsFromEnv(env);
    await assertReachable(brokers, options.reachTimeoutMs ?? 5_000, {
      ...(sasl ? { sasl } : {}),
      ...(ssl !== undefined ? { ssl } : {}),
    });
    return { brokers, provider: 'env', stop: async () => undefined };
  }
  const provider = env.KAFKA_PROVIDER ?? '';
  if (provider === 'testcontainers') {
    if (!options.containers) {
      throw new InvalidBrokerOptionsError(
        formatOptionProblem('brokers', {
          path: 'KAFKA_PROVIDER',
          value: provider,
          allowed:
            'local (default); testcontainers only in the test suite, which brings the dev dependencies it needs',
        }),
      );
    }
    return options.containers(options.testcontainersImage ?? 'confluentinc/cp-kafka:7.9.0');
  }
  if (provider !== '' && provider !== 'local') {
    throw new InvalidBrokerOptionsError(
      formatOptionProblem('brokers', {
        path: 'KAFKA_PROVIDER',
        value: provider,
        allowed: 'local (default) or testcontainers',
      }),
    );
  }
  const local = await startLocalBroker(options.local, env);
  return { brokers: [local.bootstrap], provider: 'local', local, stop: () => local.stop() };
}
