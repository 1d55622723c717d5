import type { z } from 'zod';

/** What zod 4 reports for one problem, reduced to the fields the messages use. */
type Issue = z.core.$ZodIssue & { input?: unknown };

/**
 * Turns one zod issue into a sentence that names the option path, the bad value and what
 * is allowed, e.g. `option batchers.default.batchSize is 0; allowed: a number >= 1`.
 * `schema` is the whole options schema, walked to list the keys allowed at a path.
 */
export function describeIssue(issue: Issue, schema: z.ZodType): string {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const where = issue.path.length > 0 ? `${path}.` : '';
      const unknown = issue.keys.map((k) => `${where}${k}`).join(', ');
      const allowed = keysAt(schema, issue.path);
      return `unknown option ${unknown}; allowed${where ? ` in ${path}` : ''}: ${allowed.join(', ')}`;
    }
    case 'custom':
      // Cross-option checks write whole sentences; field checks write what is allowed.
      if (issue.params?.sentence) return `option ${path} ${issue.message}`;
      return `option ${path} is ${showValue(issue.input)}; allowed: ${issue.message}`;
    default:
      if (issue.input === undefined)
        return `option ${path} is missing; allowed: ${allowedBy(issue)}`;
      return `option ${path} is ${showValue(issue.input)}; allowed: ${allowedBy(issue)}`;
  }
}

/** `a.b.c`; `(root)` for the top level. Non-identifier keys are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, index) => {
      const text = String(key);
      if (typeof key === 'number') return `[${text}]`;
      const plain = /^[A-Za-z_$][\w$-]*$/.test(text);
      return plain ? (index === 0 ? text : `.${text}`) : `[${JSON.stringify(text)}]`;
    })
    .join('');
}

/** A short, bounded rendering of a bad value for an error message. */
export function showValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return 'an object';
  }
}

function allowedBy(issue: Issue): string {
  switch (issue.code) {
    case 'too_small':
      return `a ${issue.origin} ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `a ${issue.origin} ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'an integer' : `a value of type ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue
        ? `a string matching ${String(issue.pattern)}`
        : `a ${issue.format}`;
    case 'invalid_union':
      return issue.message;
    default:
      return issue.message;
  }
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Unwraps optional/default/pipe layers down to the schema that holds keys. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!next) return current;
    current = next;
  }
}

/** The keys an object schema allows at `path`, walking objects and records. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const key of path) {
    if (!current) return [];
    const def = defOf(current);
    if (def.type === 'object' && def.shape) current = def.shape[String(key)];
    else if (def.type === 'record' && def.valueType) current = def.valueType;
    else return [];
    if (current) current = unwrap(current);
  }
  const def = current ? defOf(current) : undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
