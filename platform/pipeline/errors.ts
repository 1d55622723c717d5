import { KafkaStagesError } from '../../stages/index';

/**
 * The closed set of errors the pipeline throws. Each class has one stable `code`, so callers
 * branch on codes, never on message text; the original error, if any, is the `cause`.
 *
 * A message that fails is not an error here: it is a status on the message (see
 * `markFailed`). These classes are for misuse and for the pipeline itself failing.
 */
export type PipelineErrorCode =
  | 'PIPELINE_OPTIONS_INVALID'
  | 'PIPELINE_STATE'
  | 'PIPELINE_DEAD_LETTER_FAILED';

/** Base class: `instanceof PipelineError` catches every error of this module. */
export abstract class PipelineError extends KafkaStagesError {
  abstract override readonly code: PipelineErrorCode;
}

/** Options were rejected at construction. `path` is the first bad option's key path. */
export class PipelineOptionsError extends PipelineError {
  override readonly name = 'PipelineOptionsError';
  readonly code = 'PIPELINE_OPTIONS_INVALID';
  constructor(
    message: string,
    /** Key path of the first problem as messages write it, e.g. `batchers.default.batchSize`. */
    readonly path: string,
  ) {
    super(message);
  }
}

/** An operation that the pipeline's current state does not allow (start twice, push after stop). */
export class PipelineStateError extends PipelineError {
  override readonly name = 'PipelineStateError';
  readonly code = 'PIPELINE_STATE';
}

/**
 * Writing to the dead-letter topic failed even after retries. The messages stay
 * unacknowledged, so their offsets are not committed and they are delivered again.
 */
export class PipelineDeadLetterError extends PipelineError {
  override readonly name = 'PipelineDeadLetterError';
  readonly code = 'PIPELINE_DEAD_LETTER_FAILED';
}
