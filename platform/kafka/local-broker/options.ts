import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { describeValue, formatOptionProblem } from '../../../stages/index';
import { InvalidBrokerOptionsError } from './errors';

/** The Kafka release used when neither the options nor KAFKA_VERSION name one. */
export const DEFAULT_KAFKA_VERSION = '3.9.1';

const port = z.number().int().min(0).max(65_535);

/**
 * SCRAM user names and passwords as Kafka's StorageTool can take them: `--add-scram
 * 'SCRAM-SHA-256=[name=…,password=…]'` splits on `,` and `=` and has no quoting, so those,
 * brackets, quotes, backslashes and blanks are refused here rather than misread there.
 */
const SCRAM_TEXT = /^[A-Za-z0-9._~!@#$%^&*()+:;?/|{}<>-]{1,128}$/;

/** The user the broker itself authenticates as on its own listener (inter-broker traffic). */
export const BROKER_SCRAM_USER = 'kafka-stages-broker';

const scramUser = z.strictObject({
  username: z
    .string()
    .regex(SCRAM_TEXT)
    .refine((name) => name !== BROKER_SCRAM_USER),
  password: z.string().regex(SCRAM_TEXT),
});

/** The local broker's options: types, defaults and the checks (see resolveLocalBrokerOptions). */
export const localBrokerOptionsSchema = z
  .object({
    kafkaVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
    kafkaHome: z.string().min(1).optional(),
    port: port.default(0),
    controllerPort: port.default(0),
    home: z.string().min(1).optional(),
    heap: z
      .string()
      .regex(/^\d+[kmg]$/)
      .default('512m'),
    readyTimeoutMs: z.number().int().positive().default(60_000),
    stopGraceMs: z.number().int().positive().default(10_000),
    properties: z.record(z.string(), z.string()).default({}),
    detached: z.boolean().default(false),
    java: z.string().min(1).optional(),
    sasl: z.strictObject({ users: z.array(scramUser).min(1) }).optional(),
    tls: z.boolean().default(false),
  })
  .strict();

/** What each option accepts, for error messages. */
const ALLOWED: Record<keyof z.input<typeof localBrokerOptionsSchema>, string> = {
  kafkaVersion: 'a release number like 3.9.1 or 4.1.1',
  kafkaHome: 'a directory holding libs/ (default .tools/kafka-<version>)',
  port: 'an integer 0..65535; 0 picks a free port',
  controllerPort: 'an integer 0..65535; 0 picks a free port',
  home: 'a directory path for server.properties, broker.log and data/',
  heap: "a JVM heap size like '512m' or '1g'",
  readyTimeoutMs: 'a positive integer (milliseconds)',
  stopGraceMs: 'a positive integer (milliseconds)',
  properties: 'an object of server.properties overrides, string to string',
  detached: 'true or false',
  java: 'the path of a java executable',
  sasl: `{ users: [{ username, password }, ...] }, at least one user; names and passwords of 1-128 characters without , = [ ] " \\ or blanks; the name ${BROKER_SCRAM_USER} is the broker's own`,
  tls: 'true or false',
};

/**
 * Options of {@link startLocalBroker}. Every field is optional.
 *
 * - `kafkaVersion`: which resolved Kafka to run. Default: KAFKA_VERSION, else 3.9.1.
 * - `kafkaHome`: where `make kafka-jars` put it (`<kafkaHome>/libs/*.jar`).
 *   Default: `<project>/.tools/kafka-<kafkaVersion>`.
 * - `port`, `controllerPort`: loopback ports of the client and the controller listener;
 *   0 (default) picks free ones. A port asked for and taken fails with PORT_IN_USE.
 * - `home`: directory for `server.properties`, `broker.log` and the KRaft log dir `data/`
 *   (emptied and formatted afresh on every start). Default: a new temporary directory,
 *   removed when the broker stops (also when the parent dies).
 * - `heap`: JVM `-Xmx`, default `512m`.
 * - `readyTimeoutMs`: how long to wait for the broker to answer, default 60 000.
 * - `stopGraceMs`: how long `stop()` waits after SIGTERM before SIGKILL, default 10 000.
 * - `properties`: server.properties entries that override the built-in ones.
 * - `detached`: keep the broker running after this process exits (the CLI's `kafka up`);
 *   otherwise (default) a watchdog stops it as soon as this process is gone.
 * - `java`: the java executable. Default: `$JAVA_HOME/bin/java`, else `java` on PATH.
 * - `sasl`: `{ users: [{ username, password }] }` turns on SASL/SCRAM on the client
 *   listener, with SCRAM-SHA-256 and SCRAM-SHA-512 credentials for every user, created when
 *   the data directory is formatted. Without it, clients connect unauthenticated.
 * - `tls`: `true` puts TLS on the client listener, with a CA and a broker certificate
 *   (for 127.0.0.1 and localhost) made afresh in `<home>/tls/` with openssl; clients trust
 *   `broker.tlsCa`. With `sasl` too, the listener is SASL_SSL.
 */
export type LocalBrokerOptions = Partial<z.input<typeof localBrokerOptionsSchema>>;

/** Options after validation and defaults. */
export type ResolvedLocalBrokerOptions = z.output<typeof localBrokerOptionsSchema> & {
  kafkaHome: string;
};

function valueAt(input: unknown, keys: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The value as a message may show it: nothing of `sasl` (it may hold passwords). */
function shown(value: unknown, keys: readonly PropertyKey[]): string {
  if (keys[0] === 'sasl' && value !== undefined) {
    const kind = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
    return `${kind} (not shown: it may hold passwords)`;
  }
  return describeValue(value);
}

/** The project root: the nearest folder above this file with a package.json. */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/**
 * Validates the options once and fills in the defaults. Throws
 * {@link InvalidBrokerOptionsError} naming the option, the bad value and what is allowed.
 */
export function resolveLocalBrokerOptions(
  options: LocalBrokerOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedLocalBrokerOptions {
  const refuse = (problem: Parameters<typeof formatOptionProblem>[1]) =>
    new InvalidBrokerOptionsError(formatOptionProblem('local broker', problem));
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw refuse({
      path: '',
      value: options,
      allowed: `an object with the options ${Object.keys(ALLOWED).join(', ')}`,
    });
  }
  const input = { kafkaVersion: env.KAFKA_VERSION || DEFAULT_KAFKA_VERSION, ...options };
  const parsed = localBrokerOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw refuse({
        path: [...issue.path, issue.keys[0]!],
        is: 'unknown',
        allowed:
          issue.path.length === 0
            ? `one of the keys ${Object.keys(ALLOWED).join(', ')}`
            : ALLOWED[issue.path[0] as 'sasl'],
      });
    }
    const key = String(issue.path[0]) as keyof typeof ALLOWED;
    const source =
      key === 'kafkaVersion' && options.kafkaVersion === undefined ? ' (from KAFKA_VERSION)' : '';
    throw refuse({
      path: issue.path,
      is: `${shown(valueAt(input, issue.path), issue.path)}${source}`,
      allowed: ALLOWED[key],
    });
  }
  const value = parsed.data;
  if (value.port !== 0 && value.port === value.controllerPort) {
    throw refuse({
      path: 'controllerPort',
      value: value.controllerPort,
      allowed: `a port other than port (${value.port}), or 0 for a free one`,
    });
  }
  return {
    ...value,
    kafkaHome: value.kafkaHome ?? path.join(projectRoot(), '.tools', `kafka-${value.kafkaVersion}`),
  };
}
