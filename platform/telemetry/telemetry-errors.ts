import type { z } from 'zod';
import { KafkaStagesError } from '../../stages/index';
import { describeZodError } from '../options/index';

/** Stable codes of the errors `platform/telemetry` and `platform/http` throw. */
export type TelemetryErrorCode =
  | 'TELEMETRY_OPTIONS_INVALID'
  | 'HTTP_OPTIONS_INVALID'
  | 'HTTP_PORT_IN_USE'
  | 'HTTP_LISTEN_FAILED';

/** The telemetry and HTTP errors: one class, a stable `code`, a `cause`. */
export class TelemetryError extends KafkaStagesError {
  constructor(
    readonly code: TelemetryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The error for refused options: one line per problem, in the one shape of option problems,
 * e.g. `telemetry: option 'pipeline' is "a b"; allowed: a string matching /^[A-Za-z0-9_.:-]{1,64}$/`.
 */
export function optionsError(
  component: string,
  code: TelemetryErrorCode,
  error: z.ZodError,
  schema: z.ZodType,
  input: unknown,
): TelemetryError {
  return new TelemetryError(code, describeZodError(component, error, schema, input).message, {
    cause: error,
  });
}
