import { KafkaStagesError } from '../../stages/index';
import type { PauseScope } from '../kafka/source/operator-pauses';

export type { PauseScope } from '../kafka/source/operator-pauses';

/** A batcher's sizes an operator may change at run time. Absent keys stay as they are. */
export interface BatcherSettings {
  readonly batchSize?: number;
  readonly batchTimeoutMs?: number;
}

/** The processors' settings an operator may change at run time. */
export interface ProcessorSettings {
  readonly concurrency?: number;
}

/** What `set` can change now, with the current values (shown on the live page). */
export interface RuntimeSettings {
  readonly batchers: Readonly<
    Record<string, { readonly batchSize: number; readonly batchTimeoutMs: number }>
  >;
  readonly processors: { readonly concurrency: number } | null;
}

/** The outcome of a pause or resume. */
export interface PauseOutcome {
  /** False when it was already so (paused, or nothing paused there). */
  readonly changed: boolean;
  /** The operator pauses in force afterwards, widest first (`{}` is the whole pipeline). */
  readonly paused: readonly PauseScope[];
}

/**
 * What the control needs of a running pipeline: the operator actions of the live page, the
 * control API and `kafka-stages ctl`.
 *
 * Contract: every method acts at once and returns, or throws a {@link ControlError} whose
 * code says why (an unknown topic, a pause a wider one holds, a setting the pipeline cannot
 * change at run time). `pause` and `resume` never leave the consumer group.
 */
export interface Controllable {
  /** The pipeline name (the `pipeline` label). */
  readonly name: string;
  /** The topics the pipeline reads, for the page's buttons and for precise errors. */
  topics(): readonly string[];
  /** Stops fetching `scope` (`{}` all, `{topic}`, `{topic, partition}`). */
  pause(scope: PauseScope): PauseOutcome;
  /** Lifts the pause of `scope` and every narrower one inside it. */
  resume(scope: PauseScope): PauseOutcome;
  /** The operator pauses in force, widest first. */
  paused(): readonly PauseScope[];
  /** What `set` may change, or `null` when this pipeline changes nothing at run time. */
  settings(): RuntimeSettings | null;
  /** Changes a batcher's sizes. */
  setBatcher(name: string, settings: BatcherSettings): Promise<void> | void;
  /** Changes the processors' settings. */
  setProcessors(settings: ProcessorSettings): Promise<void> | void;
}

/**
 * Why an action was refused, as the control API writes it (`{"error": {"code": …}}`) and
 * the `reason` label counts it; each maps to one HTTP status and one {@link ControlCode}.
 */
export type ControlErrorCode =
  | 'unauthorized'
  | 'read_only'
  | 'bad_request'
  | 'not_found'
  | 'conflict'
  | 'unsupported';

const STATUS: Record<ControlErrorCode, number> = {
  unauthorized: 401,
  read_only: 403,
  bad_request: 400,
  not_found: 404,
  conflict: 409,
  unsupported: 501,
};

/** The error codes (of the one closed set) of refused operator actions. */
export type ControlCode =
  | 'CONTROL_UNAUTHORIZED'
  | 'CONTROL_READ_ONLY'
  | 'CONTROL_BAD_REQUEST'
  | 'CONTROL_NOT_FOUND'
  | 'CONTROL_CONFLICT'
  | 'CONTROL_UNSUPPORTED';

const CODE: Record<ControlErrorCode, ControlCode> = {
  unauthorized: 'CONTROL_UNAUTHORIZED',
  read_only: 'CONTROL_READ_ONLY',
  bad_request: 'CONTROL_BAD_REQUEST',
  not_found: 'CONTROL_NOT_FOUND',
  conflict: 'CONTROL_CONFLICT',
  unsupported: 'CONTROL_UNSUPPORTED',
};

/**
 * A refused operator action: `code` is its stable code (`CONTROL_*`), `reason` the short
 * form the control API and the `reason` label use (`bad_request`), `status` its HTTP status.
 */
export class ControlError extends KafkaStagesError {
  readonly code: ControlCode;
  readonly status: number;

  constructor(
    readonly reason: ControlErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = CODE[reason];
    this.status = STATUS[reason];
  }
}
