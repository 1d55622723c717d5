import { KafkaStagesError } from '../../../stages/index';

/** The stable codes of the errors the remote-write sink throws or puts on messages. */
export type RemoteWriteErrorCode =
  | 'REMOTE_WRITE_OPTIONS_INVALID'
  | 'REMOTE_WRITE_REFUSED'
  | 'REMOTE_WRITE_INVALID_SAMPLE'
  | 'REMOTE_WRITE_UNAVAILABLE';

/**
 * Base of the closed set. `code` is stable (match on it, not on the text); `retriable` says
 * whether sending the same samples again may succeed (the pipeline retries those without
 * counting attempts while it runs).
 */
export abstract class RemoteWriteError extends KafkaStagesError {
  abstract override readonly code: RemoteWriteErrorCode;
}

/** Options were rejected at construction; the message names the key, the value and what is allowed. */
export class RemoteWriteOptionsError extends RemoteWriteError {
  readonly code = 'REMOTE_WRITE_OPTIONS_INVALID';
  override readonly retriable = false;

  constructor(
    message: string,
    /** Key path of the first problem as messages write it, `''` for the whole. */
    readonly path: string,
  ) {
    super(message);
  }
}

/**
 * The receiver answered 4xx for a request holding only this message's samples (after the
 * sink split the batch): the status and the start of the response body say why, e.g.
 * Prometheus' `out of order sample` or `duplicate sample for timestamp`.
 */
export class RemoteWriteRefusedError extends RemoteWriteError {
  readonly code = 'REMOTE_WRITE_REFUSED';
  override readonly retriable = false;

  constructor(
    readonly status: number,
    readonly body: string,
    url: string,
  ) {
    super(`remote write to ${url} refused with HTTP ${status}: ${body}`);
  }
}

/** A message whose data is not samples the sink can send (see the `samplesOf` option). */
export class RemoteWriteInvalidSampleError extends RemoteWriteError {
  readonly code = 'REMOTE_WRITE_INVALID_SAMPLE';
  override readonly retriable = false;
}

/**
 * The receiver could not be reached or answered 5xx/429/408, and the sink was closed before
 * it recovered. Retriable: the samples were not written (or not confirmed), so they must be
 * sent again; their messages stay unacknowledged.
 */
export class RemoteWriteUnavailableError extends RemoteWriteError {
  readonly code = 'REMOTE_WRITE_UNAVAILABLE';
  override readonly retriable = true;
}
