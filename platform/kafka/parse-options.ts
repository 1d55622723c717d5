import type { z } from 'zod';
import { KafkaOptionsError } from './errors';

type Issue = z.core.$ZodIssue;

/**
 * Validates `input` against `schema` once, at construction. On failure throws a
 * {@link KafkaOptionsError} for the first problem, naming the component, the key path, the
 * value given and what is allowed, e.g.
 * `KafkaSource options: queue.lowWaterEvents must be below queue.highWaterEvents (1000); got 5000`.
 */
export function parseOptions<S extends z.ZodType>(
  component: string,
  schema: S,
  input: unknown,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String);
  const described = describe(schema, issue, input);
  throw new KafkaOptionsError(
    `${component} options: ${described}`,
    component,
    [...path, ...unknownKeyPath(issue)].join('.'),
    { cause: result.error },
  );
}

function unknownKeyPath(issue: Issue): string[] {
  return issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [issue.keys[0]!] : [];
}

function describe(schema: z.ZodType, issue: Issue, input: unknown): string {
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (where ? `${where}.${k}` : k));
    const allowed = allowedKeys(schema, issue.path);
    const list =
      allowed.length > 0
        ? `; allowed keys${where ? ` in ${where}` : ''}: ${allowed.join(', ')}`
        : '';
    return `unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}${list}`;
  }
  const value = valueAt(input, issue.path);
  const last = String(issue.path[issue.path.length - 1] ?? '');
  const shown = SECRET_KEY.test(last) ? `${kindOf(value)} (redacted)` : show(value);
  return `${where || 'options'} ${issue.message}; got ${shown}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return /^[aeiou]/.test(typeof value) ? `an ${typeof value}` : `a ${typeof value}`;
}

/** The keys an object schema at `path` accepts (through defaults, optionals and pipes). */
function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  for (const key of path) {
    node = unwrap(node);
    const def = defOf(node);
    if (def?.type === 'object') node = (def.shape as Record<string, unknown>)[String(key)];
    else if (def?.type === 'array') node = def.element;
    else return [];
  }
  const def = defOf(unwrap(node));
  return def?.type === 'object' ? Object.keys(def.shape as object) : [];
}

interface Def {
  type: string;
  shape?: unknown;
  element?: unknown;
  innerType?: unknown;
  in?: unknown;
}

function defOf(node: unknown): Def | undefined {
  return (node as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

function unwrap(node: unknown): unknown {
  let current = node;
  for (let depth = 0; depth < 10; depth++) {
    const def = defOf(current);
    if (!def) return current;
    if (def.innerType !== undefined) current = def.innerType;
    else if (def.type === 'pipe') current = def.in;
    else return current;
  }
  return current;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Keys whose values never appear in a message: credentials and private keys. */
const SECRET_KEY = /pass(word|phrase)?$|secret|token|credential|^key$/i;

/** The longest rendering of a bad value: a huge value would drown the message. */
const MAX_SHOWN = 80;

/**
 * A short, readable rendering of a bad value for the error message. Secrets inside it (a
 * `password`, a TLS `key`) are replaced by `"<redacted>"`: options errors end up in logs.
 */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value instanceof RegExp) return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return String(value);
  let text: string;
  try {
    text =
      JSON.stringify(value, (key, inner) => (SECRET_KEY.test(key) ? '<redacted>' : inner)) ??
      String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}
