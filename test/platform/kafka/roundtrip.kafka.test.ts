import {
  type ConsumedRecord,
  consumeAll,
  createTopic,
  deleteTopics,
  produceRecords,
  type TestRecord,
  uniqueName,
} from '../../support/kafka';

const RECORDS = 100_000;
const PARTITIONS = 6;

// Key and value both carry the record's sequence number within its partition, so order and
// content can be checked without keeping what was sent.
function record(i: number): TestRecord {
  const partition = i % PARTITIONS;
  const sequence = Math.floor(i / PARTITIONS);
  return {
    partition,
    key: `k-${partition}-${sequence}`,
    value: JSON.stringify({ partition, sequence, payload: `record ${i} of ${RECORDS}` }),
    headers: { sequence: String(sequence) },
  };
}

describe('kafka round trip', () => {
  const topic = uniqueName('roundtrip');

  beforeAll(() => createTopic(topic, PARTITIONS));
  afterAll(() => deleteTopics(topic));

  it(`reads back ${RECORDS} records from ${PARTITIONS} partitions, complete and in order`, async () => {
    const sent = Array.from({ length: RECORDS }, (_, i) => record(i));
    await produceRecords(topic, sent);

    const received = await consumeAll(topic, RECORDS, { timeoutMs: 120_000 });

    expect(received).toHaveLength(RECORDS);
    const byPartition = new Map<number, ConsumedRecord[]>();
    for (const r of received) {
      const list = byPartition.get(r.partition) ?? [];
      list.push(r);
      byPartition.set(r.partition, list);
    }
    expect([...byPartition.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const [partition, records] of byPartition) {
      expect(records).toHaveLength(Math.ceil((RECORDS - partition) / PARTITIONS));
      records.forEach((r, sequence) => {
        // Offsets count up from 0 with no gap, and each record is the one sent at that place.
        const expected = sent[sequence * PARTITIONS + partition]!;
        if (
          r.offset !== String(sequence) ||
          r.key?.toString() !== expected.key ||
          r.value?.toString() !== expected.value ||
          r.headers?.sequence?.toString() !== String(sequence)
        ) {
          // One precise failure instead of 100 000 expect() calls.
          expect({
            partition,
            offset: r.offset,
            key: r.key?.toString(),
            value: r.value?.toString(),
          }).toEqual({
            partition,
            offset: String(sequence),
            key: expected.key,
            value: expected.value,
          });
        }
      });
    }
  }, 180_000);
});
