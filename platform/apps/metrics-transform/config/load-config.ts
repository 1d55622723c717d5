import { LineCounter, parseDocument } from 'yaml';
import { formatOptionProblem, formatPath } from '../../../../stages/index';
import { problemsOf } from '../../../options/index';
import { type ConfigProblem, TransformConfigError } from '../errors';
import { configSchema, type TransformConfig } from './config-schema';

/** The component every problem of the configuration is reported for. */
const COMPONENT = 'metrics-transform config';

/**
 * Reads and validates a YAML configuration. Throws {@link TransformConfigError} listing
 * every problem by path (YAML syntax errors, unknown keys, bad regular expressions,
 * durations out of range…), so one run shows everything to fix.
 */
export function loadConfig(yamlText: string): TransformConfig {
  const lines = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new TransformConfigError(
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0]);
        const path = `(yaml line ${at.line}, column ${at.col})`;
        return { path, message: `${COMPONENT}: ${path} is not YAML: ${e.message}` };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // An alias whose anchor is missing (or comes later) fails only here.
    const reason = error instanceof Error ? error.message : String(error);
    throw new TransformConfigError(
      [{ path: '(yaml)', message: `${COMPONENT}: (yaml) is not YAML: ${reason}` }],
      { cause: error },
    );
  }
  return validateConfig(raw);
}

/** Validates an already-parsed configuration object. */
export function validateConfig(raw: unknown): TransformConfig {
  const input = raw ?? {};
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const problems: ConfigProblem[] = problemsOf(result.error, configSchema, input).map((p) => ({
    path: formatPath(p.path),
    message: formatOptionProblem(COMPONENT, p),
  }));
  throw new TransformConfigError(problems, { cause: result.error });
}
