import fc from 'fast-check';
import {
  PartitionQueues,
  type PauseListener,
  type WaterMarks,
} from '../../../../platform/kafka/source/partition-queues';

interface Item {
  readonly partition: number;
  readonly seq: number;
  readonly size: number;
}

function recorder(): PauseListener & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    onPause: (topic, partition) => calls.push(`pause ${topic}/${partition}`),
    onResume: (topic, partition) => calls.push(`resume ${topic}/${partition}`),
  };
}

function items(partition: number, from: number, count: number, size = 10): Item[] {
  return Array.from({ length: count }, (_, i) => ({ partition, seq: from + i, size }));
}

const marks: WaterMarks = { highEvents: 10, lowEvents: 4, highBytes: 1_000, lowBytes: 400 };

describe('PartitionQueues', () => {
  it('pauses a partition when it reaches the high event mark and resumes at the low one', () => {
    const listener = recorder();
    let clock = 100;
    const queues = new PartitionQueues<Item>(marks, listener, () => clock);
    const q = queues.add('t', 0);
    queues.push(q, items(0, 0, 9));
    expect(q.paused).toBe(false);
    queues.push(q, items(0, 9, 3));
    expect(q.paused).toBe(true);
    expect(listener.calls).toEqual(['pause t/0']);
    clock = 200;
    expect(queues.take(7)).toHaveLength(7);
    expect(q.paused).toBe(true);
    queues.take(1);
    expect(q.paused).toBe(false);
    expect(listener.calls).toEqual(['pause t/0', 'resume t/0']);
    expect(queues.pauseHistory()).toEqual([
      {
        topic: 't',
        partition: 0,
        action: 'pause',
        at: 100,
        bufferedEvents: 12,
        bufferedBytes: 120,
      },
      { topic: 't', partition: 0, action: 'resume', at: 200, bufferedEvents: 4, bufferedBytes: 40 },
    ]);
  });

  it('pauses on the byte mark and resumes only when both low marks hold', () => {
    const listener = recorder();
    const queues = new PartitionQueues<Item>(marks, listener);
    const q = queues.add('t', 3);
    queues.push(q, items(3, 0, 2, 600));
    expect(q.paused).toBe(true);
    queues.take(1);
    expect(q.bytes).toBe(600);
    expect(q.paused).toBe(true);
    queues.take(1);
    expect(q.paused).toBe(false);
    expect(queues.counts).toEqual({ pauses: 1, resumes: 1 });
  });

  it('shares demand fairly across partitions, starting after the one served last', () => {
    const queues = new PartitionQueues<Item>(
      { highEvents: 1e9, lowEvents: 0, highBytes: 1e12, lowBytes: 0 },
      recorder(),
    );
    for (let p = 0; p < 3; p++) queues.push(queues.add('t', p), items(p, 0, 100));
    const first = queues.take(30);
    const perPartition = [0, 1, 2].map((p) => first.filter((i) => i.partition === p).length);
    expect(perPartition).toEqual([10, 10, 10]);
    // A demand smaller than the partition count rotates instead of always serving p0.
    const served = [queues.take(1), queues.take(1), queues.take(1)].map((b) => b[0]!.partition);
    expect(new Set(served).size).toBe(3);
  });

  it('keeps serving the others when one partition runs dry', () => {
    const queues = new PartitionQueues<Item>(
      { highEvents: 1e9, lowEvents: 0, highBytes: 1e12, lowBytes: 0 },
      recorder(),
    );
    queues.push(queues.add('t', 0), items(0, 0, 2));
    queues.push(queues.add('t', 1), items(1, 0, 50));
    const taken = queues.take(20);
    expect(taken.filter((i) => i.partition === 0)).toHaveLength(2);
    expect(taken.filter((i) => i.partition === 1)).toHaveLength(18);
  });

  it('drops everything on clear without reporting resumes', () => {
    const listener = recorder();
    const queues = new PartitionQueues<Item>(marks, listener);
    queues.push(queues.add('t', 0), items(0, 0, 20));
    expect(queues.clear()).toBe(20);
    expect(queues.bufferedEvents).toBe(0);
    expect(queues.bufferedBytes).toBe(0);
    expect(queues.get('t', 0)).toBeUndefined();
    expect(listener.calls).toEqual(['pause t/0']);
  });

  it('keeps only the most recent pause events, oldest first', () => {
    let clock = 0;
    const queues = new PartitionQueues<Item>(marks, recorder(), () => clock++, 3);
    const q = queues.add('t', 0);
    for (let round = 0; round < 3; round++) {
      queues.push(q, items(0, round * 10, 10));
      queues.take(10);
    }
    expect(queues.pauseHistory().map((e) => `${e.action}@${e.at}`)).toEqual([
      'resume@3',
      'pause@4',
      'resume@5',
    ]);
    expect(queues.counts).toEqual({ pauses: 3, resumes: 3 });
  });

  it('loses, duplicates and reorders nothing, and pauses only at the marks (property)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('push' as const),
        partition: fc.nat({ max: 3 }),
        count: fc.integer({ min: 1, max: 8 }),
        size: fc.integer({ min: 1, max: 300 }),
      }),
      fc.record({ kind: fc.constant('take' as const), demand: fc.integer({ min: 1, max: 25 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const listener = recorder();
        const queues = new PartitionQueues<Item>(marks, listener);
        const next = [0, 0, 0, 0];
        const taken: Item[][] = [[], [], [], []];
        for (const o of ops) {
          if (o.kind === 'push') {
            const q = queues.add('t', o.partition);
            // The source's rule: a paused partition gets no new batches.
            if (q.paused) continue;
            queues.push(q, items(o.partition, next[o.partition]!, o.count, o.size));
            next[o.partition]! += o.count;
            // A queue holds at most its high mark plus the batch that crossed it.
            expect(q.events).toBeLessThan(marks.highEvents + o.count);
            if (q.events >= marks.highEvents || q.bytes >= marks.highBytes) {
              expect(q.paused).toBe(true);
            }
          } else {
            const before = queues.bufferedEvents;
            const out = queues.take(o.demand);
            expect(out).toHaveLength(Math.min(o.demand, before));
            for (const item of out) taken[item.partition]!.push(item);
            for (const q of queues.queues()) {
              if (q.events <= marks.lowEvents && q.bytes <= marks.lowBytes) {
                expect(q.paused).toBe(false);
              }
            }
          }
        }
        for (let p = 0; p < 4; p++) {
          const q = queues.get('t', p);
          const rest = q ? q.items.slice(q.head) : [];
          const all = [...taken[p]!, ...rest].map((i) => i.seq);
          expect(all).toEqual(Array.from({ length: next[p]! }, (_, i) => i));
        }
        // Pauses and resumes alternate per partition, starting with a pause.
        for (let p = 0; p < 4; p++) {
          const mine = listener.calls.filter((c) => c.endsWith(`t/${p}`));
          const expected = mine.map((_, i) => (i % 2 === 0 ? 'pause' : 'resume'));
          expect(mine.map((c) => c.split(' ')[0])).toEqual(expected);
        }
        expect(queues.bufferedEvents).toBe(queues.queues().reduce((sum, q) => sum + q.events, 0));
      }),
      { numRuns: 300 },
    );
  });
});
