import type { Context } from '@opentelemetry/api';

/**
 * What became of a message. A failure is data on the message, never an exception that
 * kills a stage: processors and batchers mark messages and move on; the end of the
 * pipeline routes failed ones to the retry policy and then to the dead-letter topic.
 */
export type MessageStatus =
  | { readonly kind: 'pending' }
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'failed';
      /** Short, bounded reason (usable as a metric label): `decode`, `handler`, `invalid`… */
      readonly reason: string;
      /** The error behind it, for the dead-letter headers and logs. */
      readonly error?: Error;
    }
  | { readonly kind: 'dead-lettered'; readonly reason: string };

/** Record headers as kafkajs hands them over (a header may repeat). */
export type MessageHeaders = Readonly<
  Record<string, Buffer | string | (Buffer | string)[] | undefined>
>;

/**
 * Settles messages with whoever produced them. The Kafka source's acknowledger marks
 * offsets as done so they can be committed; a test acknowledger resolves promises.
 *
 * Contract: called once per message, at the end of the pipeline, after the message was
 * delivered (`successful`) or given up on and dead-lettered (`failed`). A message that is
 * never acknowledged keeps its partition's committed offset from moving past it.
 */
export interface Acknowledger {
  ack(successful: readonly Message[], failed: readonly Message[]): void;
}

/**
 * The envelope every platform stage passes around: the payload plus where it came from.
 *
 * `data` starts as the record's raw value and is replaced as processors decode and
 * transform it. Everything else is fixed at ingestion.
 */
export interface Message<T = unknown> {
  data: T;
  readonly key: Buffer | null;
  readonly topic: string;
  readonly partition: number;
  /** The record's offset. Kafka offsets are int64; a JS number is exact below 2^53. */
  readonly offset: number;
  readonly headers: MessageHeaders;
  /** Record timestamp, milliseconds since the epoch. */
  readonly timestamp: number;
  /** Bytes of key plus value as received: what `batchBytes` and the byte marks count. */
  readonly size: number;
  /** The upstream trace context taken from the `traceparent` header, if any. */
  traceContext?: Context;
  status: MessageStatus;
  /** Processing attempts so far (retries increase it). */
  attempts: number;
  readonly acknowledger: Acknowledger;
  /**
   * Parts of the message a handler refused while the rest goes on (a bad line of a
   * multi-line record): each is written to the dead-letter topic with the whole record as
   * it arrived, before the message is passed on. Set with {@link rejectPart}.
   */
  rejectedParts?: PartRejection[];
}

/** One refused part of a message: why, and where in the record. */
export interface PartRejection {
  /** Short, bounded reason (a metric label): `unparseable`, `invalid_value`… */
  readonly reason: string;
  readonly detail: string;
  /** Position of the part in the record (a line number, from 1), or -1. */
  readonly position: number;
}

/**
 * Refuses one part of a message and keeps the rest: the pipeline writes a dead-letter record
 * for the part (the record as it arrived, the reason and the position in headers) and waits
 * for the broker's confirmation before passing the message on.
 */
export function rejectPart<T>(message: Message<T>, rejection: PartRejection): Message<T> {
  if (message.rejectedParts) message.rejectedParts.push(rejection);
  else message.rejectedParts = [rejection];
  return message;
}

/** Marks a message as failed; returns it for chaining. The pipeline keeps running. */
export function markFailed<T>(message: Message<T>, reason: string, error?: Error): Message<T> {
  message.status = error ? { kind: 'failed', reason, error } : { kind: 'failed', reason };
  return message;
}

/** True when the message has been marked failed and not yet dead-lettered. */
export function isFailed(message: Message): boolean {
  return message.status.kind === 'failed';
}
