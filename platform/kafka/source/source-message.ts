import type { Context } from '@opentelemetry/api';
import type { Batch } from 'kafkajs';
import type { Acknowledger, Message, MessageHeaders, MessageStatus } from '../../message/message';
import type { Telemetry } from '../../telemetry/telemetry';
import type { OffsetTracker } from './offset-tracker';

/**
 * A message emitted by the Kafka source: the record's value (`null` for a tombstone) as
 * `data`, plus the assignment generation it was fetched in, which the source's acknowledger
 * uses to ignore acknowledgements that arrive after the partition was reassigned.
 */
export interface SourceMessage extends Message<Buffer | null> {
  readonly generation: number;
}

const PENDING: MessageStatus = Object.freeze({ kind: 'pending' });
const NO_HEADERS: MessageHeaders = Object.freeze({});

/**
 * The source's message objects. The record timestamp is parsed from kafkajs's string on
 * first read: kafkajs builds it by concatenation, and parsing such strings for every
 * record is a measurable share of the source's cost, while many pipelines never read it.
 * Copying a message with object spread would lose `timestamp` (a getter): change `data`
 * and `status` in place instead, as the pipeline contract says.
 */
class RecordMessage implements SourceMessage {
  status: MessageStatus = PENDING;
  attempts = 0;
  private rawTimestamp: string | number;

  constructor(
    public data: Buffer | null,
    readonly key: Buffer | null,
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly headers: MessageHeaders,
    timestamp: string,
    readonly size: number,
    public traceContext: Context | undefined,
    readonly acknowledger: Acknowledger,
    readonly generation: number,
  ) {
    this.rawTimestamp = timestamp;
  }

  get timestamp(): number {
    const raw = this.rawTimestamp;
    if (typeof raw === 'number') return raw;
    const parsed = Number(raw);
    this.rawTimestamp = parsed;
    return parsed;
  }
}

/**
 * Turns one fetched batch into messages, tracking each offset. Records at or before what
 * the tracker has already seen (a re-fetch) are skipped. A tight loop with no closures;
 * when the batch's offsets are contiguous (no compaction gaps or transaction markers, the
 * usual case) they are computed instead of parsed from kafkajs's strings.
 */
export function buildMessages(
  batch: Batch,
  tracker: OffsetTracker,
  acknowledger: Acknowledger,
  telemetry: Telemetry,
): SourceMessage[] {
  const records = batch.messages;
  const count = records.length;
  if (count === 0) return [];
  const topic = batch.topic;
  const partition = batch.partition;
  const generation = tracker.generation;
  const first = Number(records[0]!.offset);
  const contiguous = Number(records[count - 1]!.offset) - first === count - 1;
  const out = new Array<SourceMessage>(count);
  let filled = 0;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    const offset = contiguous ? first + i : Number(record.offset);
    if (!tracker.track(offset)) continue;
    const key = record.key;
    const value = record.value;
    const headers: MessageHeaders = record.headers ?? NO_HEADERS;
    out[filled++] = new RecordMessage(
      value,
      key,
      topic,
      partition,
      offset,
      headers,
      record.timestamp,
      (key === null ? 0 : key.length) + (value === null ? 0 : value.length),
      // Only records that carry a trace parent pay for extraction.
      headers.traceparent === undefined ? undefined : telemetry.extractContext(headers),
      acknowledger,
      generation,
    );
  }
  if (filled < count) out.length = filled;
  return out;
}
