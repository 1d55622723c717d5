import { LineCounter, parseDocument } from 'yaml';
import { type ConfigProblem, TransformConfigError } from '../errors';
import { configSchema, type TransformConfig } from './config-schema';

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
        return { path: `(yaml line ${at.line}, column ${at.col})`, message: e.message };
      }),
    );
  }
  return validateConfig(doc.toJS());
}

/** Validates an already-parsed configuration object. */
export function validateConfig(raw: unknown): TransformConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  throw new TransformConfigError(problems);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
