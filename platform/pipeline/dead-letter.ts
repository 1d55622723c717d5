import type { Message } from '../message/message';
import type { Telemetry } from '../telemetry/telemetry';
import { acknowledge } from './acknowledge';
import { PipelineDeadLetterError } from './errors';
import type { DeadLetterRecord, DeadLetterSend, RetryOptions } from './options';
import { HOP_HEADERS } from './repartition/hop-headers';
import { type Sleep, sleep, withRetries } from './retry';

/**
 * Header names of a dead-letter record. Together they say where the record came from and
 * why it was given up on; the record's own key, value and headers are kept as they arrived.
 */
export const DEAD_LETTER_HEADERS = {
  originTopic: 'dlq.origin.topic',
  originPartition: 'dlq.origin.partition',
  originOffset: 'dlq.origin.offset',
  originTimestamp: 'dlq.origin.timestamp',
  pipeline: 'dlq.pipeline',
  reason: 'dlq.reason',
  errorClass: 'dlq.error.class',
  errorMessage: 'dlq.error.message',
  attempts: 'dlq.attempts',
  /** For a refused part of a record (see `rejectPart`): its position, a line number. */
  position: 'dlq.position',
} as const;

/** Error messages are cut here: a header is not the place for a stack of megabytes. */
const MAX_ERROR_MESSAGE = 1_000;

/**
 * The dead-letter record of a failed message. `raw` is the record value as it arrived (the
 * message's data may have been decoded or changed since).
 */
export function deadLetterRecord(
  message: Message,
  topic: string,
  pipeline: string,
  raw: unknown,
): DeadLetterRecord {
  const status = message.status;
  const reason =
    status.kind === 'failed' || status.kind === 'dead-lettered' ? status.reason : 'unknown';
  const error = status.kind === 'failed' ? status.error : undefined;
  const headers: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    // A repeated header keeps its last value: kafkajs's IHeaders has one value per name.
    headers[name] = Array.isArray(value) ? value[value.length - 1]! : value;
  }
  // After a repartition hop the origin is the input record upstream, not the internal topic.
  const hopOrigin = headers[HOP_HEADERS.origin]?.toString().match(/^(.*)\/(\d+)\/(\d+)$/);
  headers[DEAD_LETTER_HEADERS.originTopic] = hopOrigin ? hopOrigin[1]! : message.topic;
  headers[DEAD_LETTER_HEADERS.originPartition] = hopOrigin
    ? hopOrigin[2]!
    : String(message.partition);
  headers[DEAD_LETTER_HEADERS.originOffset] = hopOrigin ? hopOrigin[3]! : String(message.offset);
  headers[DEAD_LETTER_HEADERS.originTimestamp] = String(message.timestamp);
  headers[DEAD_LETTER_HEADERS.pipeline] = pipeline;
  headers[DEAD_LETTER_HEADERS.reason] = reason;
  headers[DEAD_LETTER_HEADERS.errorClass] = error ? error.name || error.constructor.name : 'none';
  headers[DEAD_LETTER_HEADERS.errorMessage] = (error?.message ?? '').slice(0, MAX_ERROR_MESSAGE);
  headers[DEAD_LETTER_HEADERS.attempts] = String(message.attempts);
  return { topic, key: message.key, value: serialize(raw), headers };
}

function serialize(value: unknown): Buffer | string | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value) || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length);
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return String(value);
  }
}

/** What the pipeline's stages call for messages that are given up on. */
export interface DeadLetterer {
  /**
   * Writes the failed messages to the dead-letter topic, waits for the broker's
   * confirmation, marks them dead-lettered and only then acknowledges them as failed.
   * Without a dead-letter topic they are acknowledged as failed at once (and logged by
   * the caller). A failing write is retried while the pipeline runs; once it stops, the
   * promise rejects with {@link PipelineDeadLetterError} and the messages stay
   * unacknowledged, so they are delivered again after a restart.
   */
  deadLetter(messages: readonly Message[]): Promise<void>;
  /**
   * Writes one dead-letter record per refused part of each message (`rejectedParts`, then
   * cleared) and waits for the broker's confirmation; the messages themselves go on and are
   * not acknowledged here. Without a dead-letter topic the parts are only counted.
   */
  deadLetterParts(messages: readonly Message[]): Promise<void>;
}

export interface DeadLettererSettings {
  readonly pipeline: string;
  readonly topic?: string | undefined;
  readonly send?: DeadLetterSend | undefined;
  readonly retry: RetryOptions;
  readonly telemetry: Telemetry;
  /** The value a message arrived with (before decoding), when it was kept. */
  readonly rawValue: (message: Message) => unknown;
  readonly wait?: Sleep;
  /** True once the pipeline stops: a failing write is then given up on. Default: always. */
  readonly stopping?: () => boolean;
  /** Told about each failed round of writes while the pipeline keeps trying. */
  readonly onRetry?: (error: Error) => void;
}

/** The dead-letter step shared by processors (decode and handler failures) and sinks. */
export function createDeadLetterer(settings: DeadLettererSettings): DeadLetterer {
  const { pipeline, topic, send, retry, telemetry, rawValue } = settings;
  const stopping = settings.stopping ?? (() => true);
  // At least 3 attempts per round, and rounds for as long as the pipeline runs: until the
  // write succeeds these messages cannot be acknowledged, so giving up early would only
  // stall their partitions.
  const write = async (records: DeadLetterRecord[]) => {
    const policy = { ...retry, attempts: Math.max(retry.attempts, 3) };
    for (;;) {
      const error = await withRetries(policy, () => send!(records), settings.wait ?? sleep);
      if (!error) return;
      if (!stopping()) {
        settings.onRetry?.(error);
        continue;
      }
      throw new PipelineDeadLetterError(
        `Pipeline '${pipeline}': writing ${records.length} record(s) to dead-letter topic '${topic}' failed: ${error.message}`,
        { cause: error },
      );
    }
  };
  return {
    async deadLetterParts(messages) {
      const records: DeadLetterRecord[] = [];
      const counts = new Map<string, number>();
      for (const m of messages) {
        for (const part of m.rejectedParts ?? []) {
          counts.set(part.reason, (counts.get(part.reason) ?? 0) + 1);
          if (!topic || !send) continue;
          const status = m.status;
          m.status = { kind: 'failed', reason: part.reason, error: new PartError(part.detail) };
          const record = deadLetterRecord(m, topic, pipeline, rawValue(m));
          m.status = status;
          record.headers[DEAD_LETTER_HEADERS.position] = String(part.position);
          records.push(record);
        }
        m.rejectedParts = undefined;
      }
      if (records.length > 0) await write(records);
      if (topic) for (const [reason, n] of counts) telemetry.recordDeadLettered(topic, reason, n);
    },
    async deadLetter(messages) {
      if (messages.length === 0) return;
      if (topic && send) {
        await write(messages.map((m) => deadLetterRecord(m, topic, pipeline, rawValue(m))));
        countByReason(messages, (reason, count) =>
          telemetry.recordDeadLettered(topic, reason, count),
        );
      }
      for (const m of messages) {
        const reason = m.status.kind === 'failed' ? m.status.reason : 'unknown';
        if (topic && send) m.status = { kind: 'dead-lettered', reason };
      }
      acknowledge([], messages);
    },
  };
}

/** The error class a refused part is reported with (`dlq.error.class`). */
class PartError extends Error {
  override readonly name = 'RejectedPart';
}

function countByReason(messages: readonly Message[], report: (reason: string, n: number) => void) {
  const counts = new Map<string, number>();
  for (const m of messages) {
    const reason = m.status.kind === 'failed' ? m.status.reason : 'unknown';
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  for (const [reason, n] of counts) report(reason, n);
}
