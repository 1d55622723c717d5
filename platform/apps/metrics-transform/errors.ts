import { KafkaStagesError } from '../../../stages/index';

/**
 * The closed set of errors the metric transformer throws. Bad samples are not errors:
 * they are {@link Reject}s (data, dead-lettered). These are for bad configuration.
 */
export type TransformErrorCode = 'TRANSFORM_CONFIG_INVALID' | 'TRANSFORM_RECORD_INVALID';

export abstract class TransformError extends KafkaStagesError {
  abstract override readonly code: TransformErrorCode;
}

/** One configuration problem: where (a path like `relabel[1].regex`) and its whole line. */
export interface ConfigProblem {
  path: string;
  /** The line of the message, e.g. `metrics-transform config: option 'relabel[1].regex' is "[a-"; allowed: …`. */
  message: string;
}

/**
 * The configuration was refused. The message lists every problem, one per line, each in
 * the one shape of option problems (`<component>: option '<path>' is <value>; allowed: …`);
 * `problems` has them as data.
 */
export class TransformConfigError extends TransformError {
  readonly code = 'TRANSFORM_CONFIG_INVALID';
  constructor(
    readonly problems: readonly ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super(problems.map((p) => p.message).join('\n'), options);
  }
}

/** A record of the transformer's output topic is neither a sample nor a window result. */
export class TransformRecordError extends TransformError {
  readonly code = 'TRANSFORM_RECORD_INVALID';
}
