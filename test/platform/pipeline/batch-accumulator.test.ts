import fc from 'fast-check';
import type { Message } from '../../../platform/message/message';
import { BatchAccumulator } from '../../../platform/pipeline/batch-accumulator';
import { testBatch } from '../../../platform/pipeline/test-message';

const base = { batcher: 'b', batchSize: 3, batchTimeoutMs: 100 };
const dataOf = (messages: readonly Message[]) => messages.map((m) => m.data);

describe('BatchAccumulator', () => {
  it('closes a batch when it is full', () => {
    const acc = new BatchAccumulator(base);
    const batches = acc.add(testBatch([1, 2, 3, 4, 5, 6, 7]), 0);
    expect(batches.map((b) => dataOf(b.messages))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(acc.pending).toBe(1);
  });

  it('closes a batch when its bytes reach batchBytes', () => {
    const acc = new BatchAccumulator({ ...base, batchSize: 100, batchBytes: 10 });
    const batches = acc.add(testBatch(['aaaa', 'bbbb', 'cc', 'd']), 0);
    expect(batches.map((b) => [dataOf(b.messages), b.bytes])).toEqual([
      [['aaaa', 'bbbb', 'cc'], 10],
    ]);
    expect(acc.pending).toBe(1);
  });

  it('closes batches batchTimeoutMs after their first message, earliest first', () => {
    const acc = new BatchAccumulator({ ...base, batchKey: (m) => (m.data as number) % 2 });
    acc.add(testBatch([1]), 0);
    acc.add(testBatch([2]), 50);
    expect(acc.nextDeadline()).toBe(100);
    expect(acc.due(99)).toEqual([]);
    expect(acc.due(100).map((b) => [b.key, dataOf(b.messages)])).toEqual([[1, [1]]]);
    expect(acc.nextDeadline()).toBe(150);
    expect(acc.due(1000).map((b) => [b.key, dataOf(b.messages)])).toEqual([[0, [2]]]);
    expect(acc.nextDeadline()).toBeUndefined();
  });

  it('only batches messages with equal keys together', () => {
    const acc = new BatchAccumulator({ ...base, batchKey: (m) => (m.data as string)[0] });
    const full = acc.add(testBatch(['a1', 'b1', 'a2', 'b2', 'a3']), 0);
    expect(full.map((b) => [b.key, dataOf(b.messages)])).toEqual([['a', ['a1', 'a2', 'a3']]]);
    expect(acc.flushAll().map((b) => [b.key, dataOf(b.messages)])).toEqual([['b', ['b1', 'b2']]]);
    expect(acc.pending).toBe(0);
  });

  it('loses nothing, keeps per-key order and never exceeds batchSize (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 20 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 7 }),
        (chunks, batchSize) => {
          const acc = new BatchAccumulator({ ...base, batchSize, batchKey: (m) => m.data });
          const out: Message[][] = [];
          let seq = 0;
          let now = 0;
          for (const chunk of chunks) {
            const messages = testBatch(chunk, { offset: seq });
            seq += chunk.length;
            out.push(...acc.add(messages, now).map((b) => b.messages));
            now += 30;
            out.push(...acc.due(now).map((b) => b.messages));
          }
          out.push(...acc.flushAll().map((b) => b.messages));
          const all = out.flat();
          if (all.length !== seq || new Set(all.map((m) => m.offset)).size !== seq) return false;
          if (out.some((b) => b.length === 0 || b.length > batchSize)) return false;
          if (out.some((b) => b.some((m) => m.data !== b[0]!.data))) return false;
          const lastOffset = new Map<unknown, number>();
          for (const m of all) {
            if ((lastOffset.get(m.data) ?? -1) > m.offset) return false;
            lastOffset.set(m.data, m.offset);
          }
          return true;
        },
      ),
    );
  });

  describe('resize (an operator changes the sizes at run time)', () => {
    it('a smaller size closes the open batches already that full, the others fill to it', () => {
      const acc = new BatchAccumulator({ ...base, batchSize: 10, batchKey: (m) => m.data });
      acc.add(testBatch(['a', 'a', 'a', 'a', 'b']), 0);
      const closed = acc.resize({ batchSize: 2 }, 10);
      expect(closed.map((b) => [b.key, b.messages.length])).toEqual([['a', 4]]);
      expect(acc.sizes).toEqual({ batchSize: 2, batchTimeoutMs: 100 });
      expect(acc.add(testBatch(['b']), 20).map((b) => [b.key, b.messages.length])).toEqual([
        ['b', 2],
      ]);
    });

    it('a shorter timeout pulls open deadlines in; a longer one applies to new batches only', () => {
      const acc = new BatchAccumulator({ ...base, batchTimeoutMs: 1000 });
      acc.add(testBatch([1]), 0);
      expect(acc.resize({ batchTimeoutMs: 50 }, 10)).toEqual([]);
      expect(acc.nextDeadline()).toBe(60);
      expect(acc.due(60).map((b) => dataOf(b.messages))).toEqual([[1]]);
      acc.add(testBatch([2]), 100);
      acc.resize({ batchTimeoutMs: 5000 }, 120);
      expect(acc.nextDeadline()).toBe(150);
    });

    it('keeps the earliest deadline first whatever the resizes (property)', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              fc.record({ key: fc.integer({ min: 0, max: 4 }), dt: fc.nat(50) }),
              fc.record({ timeout: fc.integer({ min: 1, max: 300 }), dt: fc.nat(50) }),
            ),
            { maxLength: 40 },
          ),
          (steps) => {
            const acc = new BatchAccumulator({ ...base, batchSize: 1000, batchKey: (m) => m.data });
            const opened = new Map<unknown, number>();
            let timeout = base.batchTimeoutMs;
            let now = 0;
            for (const step of steps) {
              now += step.dt;
              if ('key' in step) {
                if (!opened.has(step.key)) opened.set(step.key, now + timeout);
                acc.add(testBatch([step.key]), now);
              } else {
                timeout = step.timeout;
                acc.resize({ batchTimeoutMs: timeout }, now);
                for (const [k, d] of opened) opened.set(k, Math.min(d, now + timeout));
              }
              for (const b of acc.due(now)) opened.delete(b.key);
              // What due() leaves open is exactly what is not due yet, and nextDeadline()
              // is the earliest of their deadlines.
              for (const d of opened.values()) expect(d).toBeGreaterThan(now);
              const earliest = opened.size > 0 ? Math.min(...opened.values()) : undefined;
              expect(acc.nextDeadline()).toBe(earliest);
            }
          },
        ),
      );
    });
  });
});
