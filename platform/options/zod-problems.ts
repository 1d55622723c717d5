import type { z } from 'zod';
import { formatOptionProblems, type OptionProblem } from '../../stages/index';

/** What zod 4 reports for one problem (the `input` is there with `reportInput`). */
type Issue = z.core.$ZodIssue & { input?: unknown };

/**
 * Turns zod's issues into option problems (path, value, what is allowed) for the one
 * formatter, `formatOptionProblems`. Every zod-validated options parser goes through this,
 * so their messages have the same shape as the hand-written checks of the stages core.
 *
 * `schema` is the whole options schema (walked to list the keys allowed where an unknown
 * key was found); `input` the options as given (the bad value is read from it by path).
 *
 * A custom issue's message is the allowed phrase (`a function (message) => key`). A check
 * across options may write `is <what is wrong>; allowed: <what is allowed>` instead. Older
 * phrases starting with `must be ` or `needs ` are read as the allowed phrase too.
 */
export function problemsOf(error: z.ZodError, schema: z.ZodType, input: unknown): OptionProblem[] {
  return error.issues.flatMap((issue) => problemsOfIssue(issue as Issue, schema, input));
}

/**
 * The message of a refused options object: one line per problem (or only the first, when
 * `first`), each `<component>: option '<path>' is <value>; allowed: <what>`.
 */
export function describeZodError(
  component: string,
  error: z.ZodError,
  schema: z.ZodType,
  input: unknown,
  first = false,
): { message: string; problems: OptionProblem[] } {
  const all = problemsOf(error, schema, input);
  const problems = first ? all.slice(0, 1) : all;
  return { message: formatOptionProblems(component, problems), problems };
}

function problemsOfIssue(issue: Issue, schema: z.ZodType, input: unknown): OptionProblem[] {
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    const keys = keysAt(schema, path);
    const allowed = keys.length > 0 ? `one of the keys ${keys.join(', ')}` : 'no other key';
    return issue.keys.map((key) => ({ path: [...path, key], is: 'unknown', allowed }));
  }
  const value = valueAt(input, path, issue);
  if (issue.code === 'custom') {
    const is = (issue.params as { is?: unknown } | undefined)?.is;
    const split = /^is ([^;]*); allowed: ([\s\S]*)$/.exec(issue.message);
    if (split) return [{ path, is: split[1]!, allowed: split[2]! }];
    const allowed = ownPhrase(issue.message);
    return [{ path, value, allowed, ...(typeof is === 'string' ? { is } : {}) }];
  }
  // A schema's own message (`.regex(re, { error: 'host:port' })`) says it better than zod's.
  const allowed = ZOD_DEFAULT.test(issue.message) ? allowedBy(issue) : ownPhrase(issue.message);
  if (value === undefined && issue.code === 'invalid_type') {
    return [{ path, is: 'missing', allowed }];
  }
  return [{ path, value, allowed }];
}

/** The start of zod 4's own messages; any other message was written by the schema. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized|Expected)\b/;

function ownPhrase(message: string): string {
  return message.replace(/^(must be |must |needs )/, '');
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function allowedBy(issue: Issue): string {
  switch (issue.code) {
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = String(small ? issue.minimum : issue.maximum);
      const op = small ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const least = small ? 'at least' : 'at most';
      if (issue.origin === 'string') return `a string of ${least} ${bound} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') {
        return `an array of ${least} ${bound} items`;
      }
      return `a number ${op} ${bound}`;
    }
    case 'invalid_type':
      if (issue.expected === 'int') return 'an integer';
      return article(issue.expected);
    case 'invalid_value':
      return issue.values.length === 1
        ? JSON.stringify(issue.values[0])
        : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue
        ? `a string matching ${String(issue.pattern)}`
        : article(issue.format);
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`;
    case 'invalid_union': {
      // Each branch that failed on the value itself says what it wanted: "a string or an array".
      const wanted = new Set<string>();
      for (const branch of issue.errors) {
        const own = branch.filter((i) => i.path.length === 0);
        if (own.length !== 1 || own.length !== branch.length) return issue.message;
        const only = own[0] as Issue;
        wanted.add(ZOD_DEFAULT.test(only.message) ? allowedBy(only) : ownPhrase(only.message));
      }
      return wanted.size > 0 ? [...wanted].join(' or ') : issue.message;
    }
    default:
      return issue.message;
  }
}

/** The value at `path` in the options as given (zod's `input` when that is all there is). */
function valueAt(input: unknown, path: readonly PropertyKey[], issue: Issue): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return issue.input;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current === undefined ? issue.input : current;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
}

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

/** Unwraps optional/default/pipe layers down to the schema that holds keys. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let depth = 0; depth < 20 && current; depth++) {
    const def = defOf(current);
    const next = def?.innerType ?? (def?.type === 'pipe' ? def.in : undefined);
    if (!next) return current;
    current = next;
  }
  return current;
}

/** The keys an object schema allows at `path`, walking objects, records and arrays. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current = unwrap(schema);
  for (const key of path) {
    const def = defOf(current);
    if (def?.type === 'object' && def.shape) current = def.shape[String(key)];
    else if (def?.type === 'record' && def.valueType) current = def.valueType;
    else if (def?.type === 'array' && def.element) current = def.element;
    else return [];
    current = unwrap(current);
  }
  const def = defOf(current);
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
