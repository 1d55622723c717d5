import type { Batch, KafkaMessage } from 'kafkajs';
import { OffsetTracker } from '../../../../platform/kafka/source/offset-tracker';
import { buildMessages } from '../../../../platform/kafka/source/source-message';
import type { Acknowledger } from '../../../../platform/message/message';
import { noopTelemetry, type Telemetry } from '../../../../platform/telemetry/telemetry';

const acknowledger: Acknowledger = { ack() {} };

function batch(offsets: number[], headers: KafkaMessage['headers'] = {}): Batch {
  const messages = offsets.map(
    (offset) =>
      ({
        key: offset % 2 === 0 ? Buffer.from(`k${offset}`) : null,
        value: offset % 3 === 0 ? null : Buffer.from(`value-${offset}`),
        timestamp: String(1_700_000_000_000 + offset),
        attributes: 0,
        offset: String(offset),
        headers,
      }) as KafkaMessage,
  );
  return { topic: 't', partition: 4, highWatermark: '100', messages } as unknown as Batch;
}

describe('buildMessages', () => {
  it('fills every field of the envelope, for contiguous and gapped offsets', () => {
    for (const offsets of [
      [10, 11, 12, 13],
      [10, 12, 15, 16],
    ]) {
      const tracker = new OffsetTracker();
      const generation = tracker.reset();
      const messages = buildMessages(batch(offsets), tracker, acknowledger, noopTelemetry);
      expect(messages.map((m) => m.offset)).toEqual(offsets);
      for (const m of messages) {
        expect(m.topic).toBe('t');
        expect(m.partition).toBe(4);
        expect(m.timestamp).toBe(1_700_000_000_000 + m.offset);
        expect(m.key?.toString() ?? null).toBe(m.offset % 2 === 0 ? `k${m.offset}` : null);
        expect(m.data?.toString() ?? null).toBe(m.offset % 3 === 0 ? null : `value-${m.offset}`);
        expect(m.size).toBe((m.key?.length ?? 0) + (m.data?.length ?? 0));
        expect(m.status).toEqual({ kind: 'pending' });
        expect(m.attempts).toBe(0);
        expect(m.acknowledger).toBe(acknowledger);
        expect(m.generation).toBe(generation);
        expect(m.traceContext).toBeUndefined();
      }
      expect(tracker.pending).toBe(offsets.length);
    }
  });

  it('skips records the tracker has already seen (a re-fetch)', () => {
    const tracker = new OffsetTracker();
    tracker.reset();
    buildMessages(batch([0, 1, 2]), tracker, acknowledger, noopTelemetry);
    const again = buildMessages(batch([1, 2, 3, 4]), tracker, acknowledger, noopTelemetry);
    expect(again.map((m) => m.offset)).toEqual([3, 4]);
  });

  it('extracts the trace context only from records that carry a traceparent', () => {
    const seen: unknown[] = [];
    const telemetry: Telemetry = {
      ...noopTelemetry,
      extractContext: (headers) => {
        seen.push(headers.traceparent);
        return undefined;
      },
    };
    const tracker = new OffsetTracker();
    tracker.reset();
    buildMessages(batch([0, 1]), tracker, acknowledger, telemetry);
    expect(seen).toEqual([]);
    buildMessages(
      batch([2], { traceparent: Buffer.from('00-abc') }),
      tracker,
      acknowledger,
      telemetry,
    );
    expect(seen).toEqual([Buffer.from('00-abc')]);
  });
});
