// The fuzz driver shared by every options schema: from one valid example it breaks one
// place at a time (a value replaced or removed, an unknown key added), asks the schema
// itself whether the result is malformed, and checks what the component's validation
// does with it. A malformed input must be refused with the component's own error class,
// in one message that names the key path; nothing may crash, leak a secret or print a
// stack trace. The run completing is the proof that no validation hangs.
import fc from 'fast-check';
import type { z } from 'zod';
import { badValue, REMOVE, unknownKey } from './bad-values';
import { defOf, type Path, type Site, sitesOf, unwrap } from './schema-sites';

/** A component's options under test. */
export interface FuzzTarget {
  /** Used in test names. */
  readonly name: string;
  /** The schema the sites and the "is it malformed" judgement come from. */
  readonly schema: z.ZodType;
  /** A valid example that reaches as many options as possible. */
  readonly example: () => unknown;
  /** The component's own entry point: returns, or throws its error. */
  validate(input: unknown): unknown;
  /** The error class every refusal must be an instance of. */
  readonly errorClass: abstract new (
    ...args: never[]
  ) => Error;
  /** The key path as the component's messages write it. */
  formatPath(path: Path): string;
  /**
   * The problems the error reports, first one first. One broken place must give exactly
   * one, unless `listsEveryProblem`: then the first names the place and the others count
   * as follow-on problems (reported with FUZZ_REPORT=1).
   */
  problems(error: Error): string[];
  readonly listsEveryProblem?: boolean;
  /**
   * What the component really receives of an input, when it passes through a format first
   * (YAML): the schema judges that, not the value the fuzzer planted.
   */
  normalize?(input: unknown): unknown;
  /**
   * Bugs already reported and not fixed yet: the reason when `value` at `at` would hit one
   * (the run is then skipped), else undefined. Each has a failing regression test of its own.
   */
  knownBug?(at: string, value: unknown, schema: z.ZodType): string | undefined;
  /** Strings of the example that must never show in a message (passwords, private keys). */
  readonly secrets?: readonly string[];
}

/** Tallies shown in the test names and asserted at the end. */
export interface FuzzCounts {
  malformed: number;
  unknownKeys: number;
  acceptedOrRefused: number;
  /** Refusals that listed more problems than the one place broken, with an example each. */
  followOn: string[];
}

/** New counts for one target. */
export function newCounts(): FuzzCounts {
  return { malformed: 0, unknownKeys: 0, acceptedOrRefused: 0, followOn: [] };
}

/** With FUZZ_REPORT=1, prints the tallies and the follow-on problems seen. */
export function report(target: FuzzTarget, counts: FuzzCounts): void {
  if (process.env.FUZZ_REPORT !== '1') return;
  const { malformed, unknownKeys, acceptedOrRefused, followOn } = counts;
  console.log(
    `${target.name}: ${malformed} malformed values and ${unknownKeys} unknown keys refused; ` +
      `${acceptedOrRefused} other values; ${followOn.length} refusals with follow-on problems` +
      followOn
        .slice(0, 5)
        .map((f) => `\n  ${f}`)
        .join(''),
  );
}

function checkProblems(
  target: FuzzTarget,
  error: Error,
  at: string,
  counts: FuzzCounts,
  input: string,
): void {
  const problems = target.problems(error);
  expect(problems.length).toBeGreaterThanOrEqual(1);
  if (at !== '') expect(problems[0]).toContain(at);
  if (problems.length === 1) return;
  if (!target.listsEveryProblem) expect(problems).toHaveLength(1);
  counts.followOn.push(`${input}: ${problems.join(' | ')}`);
}

/** Longest message (or problem) accepted as "clear": a long bad value must be shortened. */
const MAX_MESSAGE = 600;

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)]));
  }
  return value;
}

function getAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value === REMOVE ? undefined : value;
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  if (value === REMOVE) delete parent[key];
  else parent[key] = value;
  return root;
}

function outcome(target: FuzzTarget, input: unknown): { error?: unknown } {
  try {
    target.validate(input);
    return {};
  } catch (error) {
    return { error };
  }
}

function describeValue(value: unknown): string {
  if (value === REMOVE) return '(key removed)';
  if (typeof value === 'symbol' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value)?.slice(0, 80) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A refusal is clear: the component's class, short, no stack trace, no secret. */
function expectClearRefusal(target: FuzzTarget, error: unknown, planted: unknown): Error {
  if (!(error instanceof target.errorClass)) {
    throw new Error(
      `${target.name}: expected a ${target.errorClass.name}, got ${String(error)}${error instanceof Error ? `\n${error.stack}` : ''}`,
    );
  }
  const message = error.message;
  expect(message.length).toBeGreaterThan(0);
  // A component that lists every problem may list many (one per bad array element): each
  // of them must be short, as the whole message of a component that names only the first.
  for (const problem of target.listsEveryProblem ? target.problems(error) : [message]) {
    expect(problem.length).toBeLessThanOrEqual(MAX_MESSAGE);
  }
  expect(message).not.toMatch(/\n\s+at\s/);
  expect(message).not.toMatch(/\.(ts|js):\d+/);
  const plantedText = typeof planted === 'string' ? planted : '';
  for (const secret of target.secrets ?? []) {
    if (!plantedText.includes(secret)) expect(message).not.toContain(secret);
  }
  return error;
}

function isInRecord(target: FuzzTarget, site: Site): boolean {
  if (site.path.length === 0) return false;
  let node: z.ZodType | undefined = target.schema;
  for (const key of site.path.slice(0, -1)) {
    const def = defOf(unwrap(node!));
    if (def.type === 'object') node = def.shape?.[String(key)];
    else if (def.type === 'record') node = def.valueType;
    else if (def.type === 'array') node = def.element;
    else return false;
    if (node === undefined) return false;
  }
  return defOf(unwrap(node!)).type === 'record';
}

/**
 * One value replaced or removed at one site per run. Malformed per the schema: refused
 * clearly, naming the path. Not malformed: accepted, or refused clearly (a check across
 * options may still object).
 */
export function replacementProperty(
  target: FuzzTarget,
  counts: FuzzCounts,
): fc.IPropertyWithHooks<[[string, unknown]]> {
  // Sites are drawn by their printed path, so a counterexample reads `["client.sasl", 5]`.
  const sites = new Map(
    sitesOf(target.schema, target.example()).map((s) => [target.formatPath(s.path) || '(root)', s]),
  );
  return fc.property(
    fc
      .constantFrom(...sites.keys())
      .chain((at) => fc.tuple(fc.constant(at), badValue(sites.get(at)!.schema))),
    ([at, value]) => {
      const s = sites.get(at)!;
      // Removing an entry of a record (a named batcher, a property) is not malformed.
      fc.pre(!(value === REMOVE && isInRecord(target, s)));
      fc.pre(target.knownBug?.(at, value, s.schema) === undefined);
      const input = setAt(clone(target.example()), s.path, value);
      let received: unknown = input;
      if (target.normalize) {
        try {
          received = target.normalize(input);
        } catch {
          fc.pre(false); // The format cannot carry this value at all (a symbol in YAML).
        }
      }
      // A known bug may also show in the value as the component receives it (after YAML).
      fc.pre(target.knownBug?.(at, getAt(received, s.path), s.schema) === undefined);
      const judged = getAt(received, s.guard.path);
      const malformed = !s.guard.schema.safeParse(judged).success;
      const { error } = outcome(target, input);
      if (!malformed) {
        counts.acceptedOrRefused++;
        if (error !== undefined) expectClearRefusal(target, error, value);
        return;
      }
      if (error === undefined) {
        throw new Error(
          `${target.name}: ${target.formatPath(s.path)} = ${describeValue(value)} was accepted, but the schema refuses it`,
        );
      }
      const refused = expectClearRefusal(target, error, value);
      const named = s.guard.path.length > 0 ? target.formatPath(s.guard.path) : '';
      checkProblems(target, refused, named, counts, `${at} = ${describeValue(value)}`);
      counts.malformed++;
    },
  );
}

/** One unknown key added to one strict object per run: refused, naming the key. */
export function unknownKeyProperty(
  target: FuzzTarget,
  counts: FuzzCounts,
): fc.IPropertyWithHooks<[[string, string]]> {
  const strict = new Map(
    sitesOf(target.schema, target.example())
      .filter(
        (s) => s.strictKeys !== undefined && typeof getAt(target.example(), s.path) === 'object',
      )
      .map((s) => [target.formatPath(s.path) || '(root)', s]),
  );
  return fc.property(
    fc
      .constantFrom(...strict.keys())
      .chain((at) => fc.tuple(fc.constant(at), unknownKey(strict.get(at)!.strictKeys!))),
    ([at, key]) => {
      const s = strict.get(at)!;
      const input = clone(target.example());
      (getAt(input, s.path) as Record<string, unknown>)[key] = 1;
      const { error } = outcome(target, input);
      if (error === undefined) {
        throw new Error(
          `${target.name}: unknown key ${key} at ${target.formatPath(s.path)} was accepted`,
        );
      }
      const refused = expectClearRefusal(target, error, key);
      // A union judges its members as a whole and names its own path; elsewhere the
      // message names the unknown key itself.
      const inUnion = s.guard.path !== s.path || defOf(unwrap(s.schema)).type === 'union';
      const unionPath = s.guard.path.length > 0 ? target.formatPath(s.guard.path) : '';
      checkProblems(target, refused, inUnion ? unionPath : key, counts, `${at}.${key} = 1`);
      if (!inUnion && s.path.length > 0) {
        expect(refused.message).toContain(target.formatPath(s.path));
      }
      counts.unknownKeys++;
    },
  );
}

/** The example is valid: without this, every "refused" above would prove nothing. */
export function expectExampleAccepted(target: FuzzTarget): void {
  const { error } = outcome(target, target.example());
  if (error !== undefined) throw error;
}

/** Site count, for the test names. */
export function siteCount(target: FuzzTarget): number {
  return sitesOf(target.schema, target.example()).length;
}
