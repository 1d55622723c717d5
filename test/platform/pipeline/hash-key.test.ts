import fc from 'fast-check';
import { hashKey } from '../../../platform/pipeline/hash-key';

describe('hashKey', () => {
  it('maps non-negative integers to themselves', () => {
    expect([0, 1, 5, 123_456].map(hashKey)).toEqual([0, 1, 5, 123_456]);
  });

  it('is a known FNV-1a value for bytes', () => {
    // FNV-1a 32 of "a" is 0xe40c292c.
    expect(hashKey(Buffer.from('a'))).toBe(0xe40c292c);
  });

  it('is stable and non-negative for any key (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.uint8Array(), fc.jsonValue()), (key) => {
        const value = key instanceof Uint8Array ? Buffer.from(key) : key;
        const h = hashKey(value);
        return h === hashKey(value) && h >= 0 && h < 2 ** 32 && Number.isInteger(h);
      }),
    );
  });

  it('spreads string keys over a few buckets', () => {
    const buckets = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) buckets[hashKey(`key-${i}`) % 6]++;
    for (const n of buckets) expect(n).toBeGreaterThan(700);
  });
});
