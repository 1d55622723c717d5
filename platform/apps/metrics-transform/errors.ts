/**
 * The closed set of errors the metric transformer throws. Bad samples are not errors:
 * they are {@link Reject}s (data, dead-lettered). These are for bad configuration.
 */
export type TransformErrorCode = 'ERR_TRANSFORM_CONFIG';

export abstract class TransformError extends Error {
  abstract readonly code: TransformErrorCode;
}

/** One configuration problem: where (a path like `relabel[1].regex`) and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/**
 * The configuration was refused. The message lists every problem, one per line, each
 * with its path; `problems` has them as data.
 */
export class TransformConfigError extends TransformError {
  override readonly name = 'TransformConfigError';
  readonly code = 'ERR_TRANSFORM_CONFIG';
  constructor(
    readonly problems: readonly ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super(
      `metrics-transform config: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
      options,
    );
  }
}
