import fc from 'fast-check';
import { HopDedup } from '../../../../platform/pipeline/repartition/hop-dedup';

describe('HopDedup', () => {
  it('drops a record whose sequence is not after the last one of its writer on that partition', () => {
    const d = new HopDedup();
    expect(d.accept(0, 10, 'in/0', [5, 0])).toBe(true);
    expect(d.accept(0, 11, 'in/0', [5, 1])).toBe(true);
    expect(d.accept(0, 12, 'in/0', [5, 1])).toBe(false);
    expect(d.accept(0, 13, 'in/0', [4, 9])).toBe(false);
    expect(d.accept(0, 14, 'in/1', [1, 0])).toBe(true); // another writer
    expect(d.accept(1, 3, 'in/0', [1, 0])).toBe(true); // another partition
  });

  it('stores the state as of a committed offset, and a restore from it drops exactly the copies', () => {
    const d = new HopDedup();
    d.accept(0, 0, 'in/0', [1, 0]);
    d.accept(0, 1, 'in/0', [2, 0]);
    d.accept(0, 2, 'in/0', [3, 0]);
    // Offset 2 not done: the commit is at 2, so the stored state covers offsets 0 and 1.
    const stored = d.stateAt(0, 2);
    expect(stored).toEqual({ 'in/0': [2, 0] });
    const again = new HopDedup();
    again.restore(0, stored);
    expect(again.accept(0, 2, 'in/0', [3, 0])).toBe(true); // re-read from 2: not a copy
    expect(again.accept(0, 3, 'in/0', [2, 0])).toBe(false); // a copy written later
  });

  it('accepts every sequence once, whatever the copies and their order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 60 }), (replays) => {
        // One writer writes 0..n in order, but after a "crash" re-sends from an earlier point.
        const written: number[] = [];
        let next = 0;
        for (const back of replays) {
          next = Math.max(0, next - (back % 5));
          for (let i = 0; i < (back % 7) + 1; i++) written.push(next++);
        }
        const d = new HopDedup();
        const accepted = written.filter((seq, offset) => d.accept(0, offset, 'w', [seq, 0]));
        expect(accepted).toEqual([...new Set(written)].sort((a, b) => a - b));
      }),
    );
  });
});
