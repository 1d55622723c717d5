import { KafkaStagesError } from './kafka-stages-error';
import { describeValue, formatOptionProblem } from './option-problem';

export { describeValue } from './option-problem';

/**
 * The errors the stages layer throws, each a {@link KafkaStagesError} with a stable `code`;
 * each names the stage (or supervisor) it comes from and chains the original error as `cause`.
 */
export type StageErrorCode =
  | 'STAGE_INVALID_OPTION'
  | 'STAGE_INVALID_SUBSCRIPTION'
  | 'STAGE_HANDLER_FAILED'
  | 'STAGE_NOT_RUNNING'
  | 'STAGE_RESTART_LIMIT'
  | 'STAGE_DISPATCH_FAILED'
  | 'STAGE_CALL_TIMEOUT';

/** Base class of every error of the stages layer; switch on `code`. */
export abstract class StageError extends KafkaStagesError {
  abstract override readonly code: StageErrorCode;
}

/**
 * An option is invalid: thrown at construction or subscription time, before anything runs.
 * Message (the one shape of every option problem, see `option-problem.ts`):
 * `<component>: option '<path>' is <value>; allowed: <what is allowed>`.
 */
export class InvalidOptionError extends StageError {
  readonly code = 'STAGE_INVALID_OPTION';
  override readonly name = 'InvalidOptionError';
  constructor(
    /** E.g. `stage 'evens'` or `supervisor 'seed'`. */
    readonly component: string,
    /** Key path inside the options, e.g. `subscribeTo[0].minDemand`. */
    readonly path: string,
    readonly value: unknown,
    readonly allowed: string,
    /** Replaces the rendered value, e.g. `unknown` for a key that is no option. */
    is?: string,
  ) {
    super(formatOptionProblem(component, { path, value, allowed, ...(is ? { is } : {}) }));
  }
}

/**
 * A subscription cannot be made: the target is a consumer, the pair is already subscribed,
 * the producer is stopped, or its dispatcher refuses the options (e.g. a taken partition).
 */
export class SubscriptionError extends StageError {
  readonly code = 'STAGE_INVALID_SUBSCRIPTION';
  override readonly name = 'SubscriptionError';
  constructor(
    readonly consumer: string,
    readonly producer: string,
    readonly problem: string,
  ) {
    super(`stage '${consumer}' cannot subscribe to stage '${producer}': ${problem}`);
  }
}

/** A handler threw, rejected or returned something that is not an array of events. */
export class HandlerError extends StageError {
  readonly code = 'STAGE_HANDLER_FAILED';
  override readonly name = 'HandlerError';
  constructor(
    readonly stage: string,
    readonly handler: string,
    cause: unknown,
  ) {
    super(
      `stage '${stage}': ${handler} failed: ${cause instanceof Error ? cause.message : describeValue(cause)}`,
      { cause },
    );
  }
}

/**
 * An operation needs a running stage (e.g. `ask` on a stopped one, or a `call` whose stage
 * stopped before it replied; `cause` is then the reason it stopped, when an error).
 */
export class StageNotRunningError extends StageError {
  readonly code = 'STAGE_NOT_RUNNING';
  override readonly name = 'StageNotRunningError';
  constructor(
    readonly stage: string,
    readonly operation: string,
    cause?: unknown,
  ) {
    super(
      `stage '${stage}' is not running: cannot ${operation}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * A dispatcher cannot place an event: e.g. a partition hash returned a partition that does
 * not exist. The producer stops with this error instead of dropping the event silently.
 */
export class DispatchError extends StageError {
  readonly code = 'STAGE_DISPATCH_FAILED';
  override readonly name = 'DispatchError';
  constructor(
    /** E.g. `PartitionDispatcher`. */
    readonly dispatcher: string,
    readonly problem: string,
  ) {
    super(`${dispatcher}: ${problem}`);
  }
}

/** A `stage.call(request)` got no reply within its timeout. */
export class CallTimeoutError extends StageError {
  readonly code = 'STAGE_CALL_TIMEOUT';
  override readonly name = 'CallTimeoutError';
  constructor(
    readonly stage: string,
    readonly timeoutMs: number,
  ) {
    super(`stage '${stage}': call got no reply within ${timeoutMs} ms`);
  }
}

/** A supervisor gave up: a child failed more often than the restart budget allows. */
export class RestartLimitError extends StageError {
  readonly code = 'STAGE_RESTART_LIMIT';
  override readonly name = 'RestartLimitError';
  constructor(
    readonly supervisor: string,
    readonly child: string,
    readonly maxRestarts: number,
    readonly withinMs: number,
    cause: unknown,
  ) {
    super(
      `supervisor '${supervisor}': child '${child}' failed after ${maxRestarts} restarts within ${withinMs} ms; giving up`,
      { cause },
    );
  }
}
