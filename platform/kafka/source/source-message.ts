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
 * Turns one fetched batch into messages, tracking each offset. Records at or before what
 * the tracker has already seen (a re-fetch) are skipped. A tight loop with one object
 * literal per record, all of the same shape, and no closures.
 */
export function buildMessages(
  batch: Batch,
  tracker: OffsetTracker,
  acknowledger: Acknowledger,
  telemetry: Telemetry,
): SourceMessage[] {
  const records = batch.messages;
  const topic = batch.topic;
  const partition = batch.partition;
  const generation = tracker.generation;
  const out: SourceMessage[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const offset = Number(record.offset);
    if (!tracker.track(offset)) continue;
    const key = record.key;
    const value = record.value;
    const headers: MessageHeaders = record.headers ?? NO_HEADERS;
    out.push({
      data: value,
      key,
      topic,
      partition,
      offset,
      headers,
      timestamp: Number(record.timestamp),
      size: (key === null ? 0 : key.length) + (value === null ? 0 : value.length),
      // Only records that carry a trace parent pay for extraction.
      traceContext:
        headers.traceparent === undefined ? undefined : telemetry.extractContext(headers),
      status: PENDING,
      attempts: 0,
      acknowledger,
      generation,
    });
  }
  return out;
}
