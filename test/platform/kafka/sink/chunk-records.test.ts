import { chunkRecords, recordBytes } from '../../../../platform/kafka/sink/chunk-records';

const record = (i: number, bytes: number) => ({
  key: `k${i}`,
  value: 'x'.repeat(bytes),
  headers: { 'kafka-stages.seq': `${i}:0` },
});

describe('chunkRecords', () => {
  it('keeps every record, in order, in chunks no larger than the bound', () => {
    const records = Array.from({ length: 5_000 }, (_, i) => record(i, 300));
    const chunks = chunkRecords(records, 64 * 1024);
    expect(chunks.flat()).toEqual(records);
    for (const c of chunks) {
      expect(c.reduce((n, r) => n + recordBytes(r), 0)).toBeLessThanOrEqual(64 * 1024);
    }
    expect(chunks.length).toBeGreaterThan(20);
  });

  it('sends a record larger than the bound alone, and nothing for nothing', () => {
    const chunks = chunkRecords([record(1, 10), record(2, 5_000), record(3, 10)], 1_000);
    expect(chunks.map((c) => c.map((r) => r.key))).toEqual([['k1'], ['k2'], ['k3']]);
    expect(chunkRecords([], 1_000)).toEqual([]);
  });

  it('counts keys, values and headers in bytes (UTF-8)', () => {
    expect(recordBytes({ key: null, value: 'é' })).toBe(72);
    expect(recordBytes({ key: 'ab', value: Buffer.alloc(10), headers: { h: ['1', '22'] } })).toBe(
      70 + 2 + 10 + (8 + 1 + 1) + (8 + 1 + 2),
    );
  });
});
