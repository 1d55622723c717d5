/**
 * The one formatter of option problems. Every options parser of kafka-stages (stages,
 * pipeline, Kafka source and sink, telemetry, HTTP server, local broker, remote-write sink,
 * transformer config, control requests, CLI flags) reports a refused option through it, so
 * every message has the same shape:
 *
 *   `<component>: option '<path>' is <value>; allowed: <what is allowed>`
 *
 * e.g. `KafkaSource: option 'queue.lowWaterEvents' is 5000; allowed: below
 * queue.highWaterEvents (1000)`. An unknown key reads `option 'a.b' is unknown; allowed:
 * one of the keys x, y`; a missing one `is missing`; a problem of the options object itself
 * `<component>: options are <value>; allowed: …`. Values are shortened and secrets
 * (passwords, tokens, private keys) never shown: these messages end up in logs.
 */

/** One refused option: where, what was given, and what would have been accepted. */
export interface OptionProblem {
  /** Key path: `['queue', 'lowWaterEvents']` or already written (`subscribeTo[0].minDemand`). */
  readonly path: string | readonly PropertyKey[];
  /** The value given (rendered by {@link describeValue}); ignored when `is` is set. */
  readonly value?: unknown;
  /** Replaces the rendered value: `unknown` (no such key), `missing`, … */
  readonly is?: string;
  /** What is allowed, as a phrase: `an integer >= 1`, `one of "a", "b"`. */
  readonly allowed: string;
}

/** Keys whose values are never shown: credentials and private keys. */
export const SECRET_KEY = /pass(word|phrase)?$|secret|token|credential|^key$/i;

/** Longest rendering of a string value, of any other value, and of one key of a path. */
const MAX_STRING = 60;
const MAX_VALUE = 80;
const MAX_KEY = 60;

/** `a.b[0].c`; keys that are not identifiers are quoted (`labels["a b"]`); `''` for none. */
export function formatPath(path: string | readonly PropertyKey[]): string {
  if (typeof path === 'string') return path;
  return path
    .map((key, index) => {
      const text = shorten(String(key), MAX_KEY);
      if (typeof key === 'number' || /^\d+$/.test(text)) return `[${text}]`;
      const plain = /^[A-Za-z_$][\w$-]*$/.test(text);
      return plain ? (index === 0 ? text : `.${text}`) : `[${JSON.stringify(text)}]`;
    })
    .join('');
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return /^[aeiou]/.test(typeof value) ? `an ${typeof value}` : `a ${typeof value}`;
}

/**
 * A short, unambiguous rendering of a bad value; never throws. Strings are quoted and cut
 * at 60 characters, plain objects and arrays shown as JSON cut at 80 with secrets replaced
 * by `"<redacted>"`, instances named by their class (`a Registry`). When `key` (the last
 * key of the path) names a secret, only the kind of value is shown.
 */
export function describeValue(value: unknown, key?: PropertyKey): string {
  if (key !== undefined && SECRET_KEY.test(String(key)) && value !== undefined) {
    return `${kindOf(value)} (redacted)`;
  }
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return shorten(JSON.stringify(value), MAX_STRING);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return String(value);
  if (value === null || typeof value !== 'object') return String(value);
  if (value instanceof RegExp) return shorten(String(value), MAX_VALUE);
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? `a ${name}` : 'an object';
  }
  try {
    const text = JSON.stringify(value, (k, inner) =>
      k !== '' && SECRET_KEY.test(k)
        ? '<redacted>'
        : typeof inner === 'bigint'
          ? `${inner}n`
          : inner,
    );
    return shorten(text ?? String(value), MAX_VALUE);
  } catch {
    return Array.isArray(value) ? `an array of ${value.length}` : 'an object';
  }
}

/** The one line for one problem: `<component>: option '<path>' is <value>; allowed: <…>`. */
export function formatOptionProblem(component: string, problem: OptionProblem): string {
  const path = formatPath(problem.path);
  const last =
    typeof problem.path === 'string' ? problem.path.split('.').pop() : problem.path.at(-1);
  const is = problem.is ?? describeValue(problem.value, last);
  const subject = path === '' ? 'options are' : `option '${path}' is`;
  return `${component}: ${subject} ${is}; allowed: ${problem.allowed}`;
}

/** Every problem on its own line, each in the shape of {@link formatOptionProblem}. */
export function formatOptionProblems(
  component: string,
  problems: readonly OptionProblem[],
): string {
  return problems.map((p) => formatOptionProblem(component, p)).join('\n');
}
