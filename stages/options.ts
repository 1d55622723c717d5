import { InvalidOptionError } from './errors';

/**
 * Small validators for option objects. The stages layer imports nothing outside itself, so
 * instead of a schema library each component validates its options once, at construction,
 * with these helpers; every error names the component, the key path, the value and what
 * is allowed.
 */
export type Raw = Record<string, unknown>;

/** Throws unless `value` is a plain object whose keys are all in `allowed`. */
export function checkObject(
  component: string,
  path: string,
  value: unknown,
  allowed: readonly string[],
): Raw {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(component, path, value, 'an object');
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new InvalidOptionError(
        component,
        path ? `${path}.${key}` : key,
        (value as Raw)[key],
        `one of the keys ${allowed.join(', ')}`,
        'unknown',
      );
    }
  }
  return value as Raw;
}

/** An integer >= `min` (or `Infinity` when `infinite`), or the default when undefined. */
export function integer(
  component: string,
  path: string,
  value: unknown,
  fallback: number,
  min: number,
  infinite = false,
): number {
  if (value === undefined) return fallback;
  if (infinite && value === Number.POSITIVE_INFINITY) return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(
      component,
      path,
      value,
      `an integer >= ${min}${infinite ? ' or Infinity' : ''}`,
    );
  }
  return value;
}

/** One of the given strings, or the default when undefined. */
export function oneOf<T extends string>(
  component: string,
  path: string,
  value: unknown,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    throw new InvalidOptionError(
      component,
      path,
      value,
      `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`,
    );
  }
  return value as T;
}

/** A function, or undefined. */
export function optionalFunction<F>(
  component: string,
  path: string,
  value: unknown,
): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw new InvalidOptionError(component, path, value, 'a function');
  }
  return value as F;
}

/** A non-empty string, or the default when undefined. */
export function text(component: string, path: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidOptionError(component, path, value, 'a non-empty string');
  }
  return value;
}
