// What a Kafka test started and has not stopped yet: every kafkajs client (producer,
// consumer, admin) that was connected and every local broker that was started, with the
// test that started it. Shared between the setup file that records them
// (kafka-leak-setup.ts, inside the test's module registry) and the test environment that
// checks them when a test or a file ends (kafka-environment.ts, outside it), through the
// test's global object.

/** Something a test started that must be stopped before the test (or file) ends. */
export interface Resource {
  /** `consumer`, `producer`, `admin` or `local broker`. */
  readonly kind: string;
  /** The test that started it, or `undefined` for file scope (beforeAll, module level). */
  owner: string | undefined;
  /** Where in the test sources it was started (first stack frame under test/). */
  readonly where: string;
  /** Stops it (bounded by the environment); called only for leftovers. */
  stop(): Promise<unknown>;
}

/** The registry kept on the test's global object. */
export interface LeakRegistry {
  /** The running test's full name; `undefined` outside tests (hooks of the file scope). */
  currentTest: string | undefined;
  /** Started and not yet stopped. */
  readonly open: Set<Resource>;
}

/** The key under which the registry lives on the test's global object. */
export const REGISTRY_KEY = '__kafkaStagesLeakRegistry';

/** The registry on `global`, made on first use. */
export function registryOf(global: object): LeakRegistry {
  const holder = global as Record<string, LeakRegistry | undefined>;
  holder[REGISTRY_KEY] ??= { currentTest: undefined, open: new Set() };
  return holder[REGISTRY_KEY];
}

/**
 * Where the caller was: the first stack frame in a test file, else in a test helper, else
 * the first frame outside this guard. Captured with a deep stack, since a client is often
 * made several calls below the test (pipeline → source → consumer).
 */
export function callerFrame(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frames = stack
    .split('\n')
    .slice(1)
    .map((line) => line.trim().replace(/^at /, ''))
    .filter((f) => !/test\/support\/(leak-registry|kafka-leak-setup)/.test(f));
  const inTest = frames.find((f) => /\.test\.ts:\d+/.test(f));
  const inHelper = frames.find((f) => f.includes('/test/') && !f.includes('node_modules'));
  return (inTest ?? inHelper ?? frames[0] ?? 'unknown place').replace(/^.*\((.*)\)$/, '$1');
}

/**
 * Stops `resources` (each bounded by `timeoutMs`, all at once) and returns the message of
 * the failure that names them. Never rejects: a stop that fails or hangs is reported.
 */
export async function stopLeftovers(
  resources: readonly Resource[],
  scope: string,
  timeoutMs = 15_000,
): Promise<Error> {
  const outcomes = await Promise.all(
    resources.map(async (r) => {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        r.stop().then(
          () => 'stopped by the guard',
          (error: unknown) => `stop failed: ${String(error)}`,
        ),
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve(`still running after ${timeoutMs} ms`), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      return `  - ${r.kind} started at ${r.where} (${outcome})`;
    }),
  );
  return new Error(
    `${scope} left ${resources.length} Kafka resource(s) running:\n${outcomes.join('\n')}\n` +
      'Every Kafka test stops what it started (finally / afterEach / afterAll).',
  );
}
