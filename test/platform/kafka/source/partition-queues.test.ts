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

describe('PartitionQueues: operator pauses', () => {
  const roomy: WaterMarks = { highEvents: 10, lowEvents: 4, highBytes: 1e9, lowBytes: 1e9 };

  function withCauses(): PauseListener & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      onPause: (topic, partition, cause) => calls.push(`pause ${topic}/${partition} ${cause}`),
      onResume: (topic, partition, cause) => calls.push(`resume ${topic}/${partition} ${cause}`),
    };
  }

  it('skips an operator-paused partition in take() and serves it again after the resume', () => {
    const listener = withCauses();
    const queues = new PartitionQueues<Item>(roomy, listener);
    const a = queues.add('t', 0);
    const b = queues.add('t', 1);
    queues.push(a, items(0, 0, 3));
    queues.push(b, items(1, 0, 3));
    expect(queues.pauseByOperator({ topic: 't', partition: 0 })).toBe(true);
    expect(a.paused).toBe(true);
    expect(a.held).toBe(true);
    const taken = queues.take(100);
    expect(taken.map((i) => i.partition)).toEqual([1, 1, 1]);
    expect(queues.take(100)).toEqual([]);
    expect(queues.bufferedEvents).toBe(3);
    expect(queues.resumeByOperator({ topic: 't', partition: 0 })).toBe(true);
    expect(a.paused).toBe(false);
    expect(queues.take(100).map((i) => i.seq)).toEqual([0, 1, 2]);
    expect(listener.calls).toEqual(['pause t/0 operator', 'resume t/0 operator']);
  });

  // The point of keeping the two causes apart: demand draining a full queue must not resume a
  // partition the operator paused.
  it('draining a full queue does not resume a partition the operator paused', () => {
    const listener = withCauses();
    const queues = new PartitionQueues<Item>(roomy, listener);
    const q = queues.add('t', 0);
    queues.push(q, items(0, 0, 12));
    expect(listener.calls).toEqual(['pause t/0 backpressure']);
    queues.take(10);
    expect(q.full).toBe(false);
    expect(listener.calls).toEqual(['pause t/0 backpressure', 'resume t/0 backpressure']);
    queues.push(q, items(0, 12, 10));
    expect(q.full).toBe(true);
    // Already paused for the marks: the operator's pause needs no second consumer pause.
    queues.pauseByOperator({ topic: 't' });
    expect(q.paused).toBe(true);
    expect(queues.take(100)).toEqual([]);
    expect(q.paused).toBe(true);
    // Released while still full: stays paused until demand drains it.
    queues.resumeByOperator({ topic: 't' });
    expect(q.paused).toBe(true);
    queues.take(8);
    expect(q.paused).toBe(false);
    expect(listener.calls).toEqual([
      'pause t/0 backpressure',
      'resume t/0 backpressure',
      'pause t/0 backpressure',
      'resume t/0 backpressure',
    ]);
  });

  it('applies a topic or whole-source pause to partitions assigned later (after a rebalance)', () => {
    const listener = withCauses();
    const queues = new PartitionQueues<Item>(roomy, listener);
    queues.add('a', 0);
    queues.pauseByOperator({ topic: 'a' });
    queues.clear();
    const again = queues.add('a', 0);
    const other = queues.add('b', 0);
    expect(again.paused).toBe(true);
    expect(other.paused).toBe(false);
    queues.pauseByOperator({});
    expect(other.paused).toBe(true);
    expect(queues.operatorPauses()).toEqual([{}, { topic: 'a' }]);
    expect(() => queues.resumeByOperator({ topic: 'b' })).toThrow(
      "topic 'b' is paused as part of the whole source: resume the whole source ({}) instead",
    );
    expect(queues.resumeByOperator({})).toBe(true);
    expect(again.paused).toBe(false);
    expect(other.paused).toBe(false);
    expect(queues.operatorPauses()).toEqual([]);
    expect(listener.calls).toEqual([
      'pause a/0 operator',
      'pause a/0 operator',
      'pause b/0 operator',
      'resume a/0 operator',
      'resume b/0 operator',
    ]);
  });

  it('property: take() never returns an event of an operator-paused partition, and loses none', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('push' as const),
              p: fc.nat(2),
              n: fc.integer({ min: 1, max: 8 }),
            }),
            fc.record({ op: fc.constant('take' as const), n: fc.integer({ min: 1, max: 20 }) }),
            fc.record({ op: fc.constant('hold' as const), p: fc.nat(2) }),
            fc.record({ op: fc.constant('release' as const), p: fc.nat(2) }),
          ),
          { maxLength: 60 },
        ),
        (ops) => {
          const queues = new PartitionQueues<Item>(roomy, withCauses());
          const qs = [0, 1, 2].map((p) => queues.add('t', p));
          const next = [0, 0, 0];
          const got: Item[] = [];
          for (const o of ops) {
            if (o.op === 'push') {
              queues.push(qs[o.p]!, items(o.p, next[o.p]!, o.n));
              next[o.p]! += o.n;
            } else if (o.op === 'take') {
              const held = new Set(qs.filter((q) => q.held).map((q) => q.partition));
              const taken = queues.take(o.n);
              expect(taken.length).toBeLessThanOrEqual(o.n);
              for (const i of taken) expect(held.has(i.partition)).toBe(false);
              got.push(...taken);
            } else if (o.op === 'hold') {
              queues.pauseByOperator({ topic: 't', partition: o.p });
            } else {
              queues.resumeByOperator({ topic: 't', partition: o.p });
            }
          }
          queues.resumeByOperator({});
          got.push(...queues.take(1e6));
          for (const p of [0, 1, 2]) {
            const seqs = got.filter((i) => i.partition === p).map((i) => i.seq);
            expect(seqs).toEqual(Array.from({ length: next[p]! }, (_, k) => k));
          }
        },
      ),
    );
  });
});
