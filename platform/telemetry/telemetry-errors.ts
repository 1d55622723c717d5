import type { z } from 'zod';

/** Stable codes of the errors `platform/telemetry` and `platform/http` throw. */
export type TelemetryErrorCode =
  | 'TELEMETRY_OPTIONS_INVALID'
  | 'HTTP_OPTIONS_INVALID'
  | 'HTTP_PORT_IN_USE'
  | 'HTTP_LISTEN_FAILED';

/** The closed set of telemetry and HTTP errors: one class, a stable `code`, a `cause`. */
export class TelemetryError extends Error {
  override readonly name = 'TelemetryError';
  constructor(
    readonly code: TelemetryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) {
    return Array.isArray(value) ? 'an array' : `an object (${value.constructor?.name ?? 'Object'})`;
  }
  return String(value);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * One readable line per zod issue: the component, the key path, the bad value and what is
 * allowed, e.g. `telemetry: option 'pipeline' is "a b": must match /^[A-Za-z0-9_.:-]{1,64}$/`.
 */
export function optionsError(
  component: string,
  code: TelemetryErrorCode,
  error: z.ZodError,
  input: unknown,
  allowedKeys: readonly string[] = [],
): TelemetryError {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(options)';
    if (issue.code === 'unrecognized_keys') {
      const unknown = issue.keys.map((k) => `'${k}'`).join(', ');
      return `${component}: unknown option ${unknown} in '${path}'; allowed: ${allowedKeys.join(', ')}`;
    }
    return `${component}: option '${path}' is ${describe(valueAt(input, issue.path))}: ${issue.message}`;
  });
  return new TelemetryError(code, lines.join('\n'), { cause: error });
}
