import type { Message, MessageHeaders } from '../../message/message';

/**
 * Header names of the records a repartition hop writes to its internal topic.
 *
 * Data records carry the writer (the input partition the record came from upstream) and
 * their event time. Watermark markers (no key, no value) go to every partition of the
 * internal topic and carry each writer's progress, so a partition that receives no data
 * from a writer still learns how far that writer is.
 */
export const HOP_HEADERS = {
  /** `watermark` on a marker record. */
  marker: 'kafka-stages.marker',
  /** The writer of a data record: `<input topic>/<input partition>`. */
  writer: 'kafka-stages.writer',
  /** Event time of a data record, ms since the epoch. */
  eventTime: 'kafka-stages.event-time',
  /** On a marker: JSON object writer → progress (ms since the epoch). */
  progress: 'kafka-stages.progress',
  /** On a marker: `idle` when its writers have read their input to the end. */
  idle: 'kafka-stages.idle',
  /** Where the record's input came from upstream: `<topic>/<partition>/<offset>`. */
  origin: 'kafka-stages.origin',
  /**
   * The record's place in its writer's output: `<input offset>:<index in the message>`.
   * A writer's records reach each partition in this order, so a record at or below the
   * last one read from that writer is a re-delivery (at-least-once upstream) and is dropped.
   */
  sequence: 'kafka-stages.seq',
} as const;

function text(value: MessageHeaders[string]): string | undefined {
  if (value === undefined) return undefined;
  const one = Array.isArray(value) ? value[value.length - 1] : value;
  return one === undefined ? undefined : String(one);
}

/** True for a watermark marker of a repartition hop (it carries no data). */
export function isMarker(message: Message): boolean {
  return message.headers[HOP_HEADERS.marker] !== undefined;
}

/** True for a marker by which its writers say they are idle (their input read to the end). */
export function markerIdle(message: Message): boolean {
  return text(message.headers[HOP_HEADERS.idle]) === 'idle';
}

/** A marker's writer progress, or undefined when the marker is unreadable. */
export function markerProgress(message: Message): Record<string, number> | undefined {
  const raw = text(message.headers[HOP_HEADERS.progress]);
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const out: Record<string, number> = {};
    for (const [writer, value] of Object.entries(parsed)) {
      if (typeof value === 'number' && Number.isFinite(value)) out[writer] = value;
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Where a data record of a hop stands in its writer's output. */
export interface RecordOrigin {
  readonly writer: string;
  readonly eventTime: number;
  /** Input offset upstream, and the record's index among those of its message. */
  readonly offset: number;
  readonly index: number;
}

/** The writer, event time and sequence of a data record of a hop (undefined when absent). */
export function recordOrigin(message: Message): RecordOrigin | undefined {
  const writer = text(message.headers[HOP_HEADERS.writer]);
  const eventTime = Number(text(message.headers[HOP_HEADERS.eventTime]));
  if (writer === undefined || !Number.isFinite(eventTime)) return undefined;
  const [offset, index] = (text(message.headers[HOP_HEADERS.sequence]) ?? '').split(':');
  return { writer, eventTime, offset: Number(offset ?? Number.NaN), index: Number(index ?? 0) };
}
