import type { z } from 'zod';
import { formatPath } from '../../stages/index';
import { describeZodError } from '../options/index';
import { KafkaOptionsError } from './errors';

/**
 * Validates `input` against `schema` once, at construction. On failure throws a
 * {@link KafkaOptionsError} for the first problem, in the one shape of option problems
 * (component, key path, value given, what is allowed; secrets never shown), e.g.
 * `KafkaSource: option 'queue.lowWaterEvents' is 5000; allowed: below queue.highWaterEvents (1000)`.
 */
export function parseOptions<S extends z.ZodType>(
  component: string,
  schema: S,
  input: unknown,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { message, problems } = describeZodError(component, result.error, schema, input, true);
  throw new KafkaOptionsError(message, component, formatPath(problems[0]?.path ?? ''), {
    cause: result.error,
  });
}
