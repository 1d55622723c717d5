// The checkpoint a stateful stage stores with its committed offsets after a restart: the
// watermark up to which results were delivered must never go back, even while the handler's
// own watermark starts over at −∞. (It did: the first transaction after a restart stored
// −∞, and the next restart aggregated again held inputs of windows already delivered,
// emitting partial copies of them.)
import type { Message } from '../../../../platform/message/message';
import type { DeadLetterer } from '../../../../platform/pipeline/dead-letter';
import { HOP_HEADERS } from '../../../../platform/pipeline/repartition/hop-headers';
import { WriterWatermarks } from '../../../../platform/pipeline/repartition/writer-watermarks';
import type {
  StatefulHandler,
  StatefulOutput,
  StatefulResult,
} from '../../../../platform/pipeline/stateful/stateful-handler';
import { StatefulStage } from '../../../../platform/pipeline/stateful/stateful-stage';
import { testMessage } from '../../../../platform/pipeline/test-message';
import { TestSource } from '../../../../platform/pipeline/test-source';
import { noopTelemetry } from '../../../../platform/telemetry/index';
import { Consumer } from '../../../../stages/index';

/** Every input is done at once and emits nothing; the watermark stays where it restarted. */
class PassThrough implements StatefulHandler {
  watermark = Number.NEGATIVE_INFINITY;
  readonly restored = new Map<number, number>();
  /** Called with each message handled (a test's hook into the middle of a batch). */
  onHandle: (m: Message) => void = () => {};
  /** What `fresh` said of each message handled, by its data. */
  readonly freshness = new Map<unknown, boolean>();
  handle(messages: Message[], _now?: number, fresh?: (m: Message) => boolean): StatefulResult {
    for (const m of messages) {
      this.onHandle(m);
      this.freshness.set(m.data, fresh?.(m) ?? false);
    }
    return {
      emit: messages.map((m) => ({ key: null, value: String(m.data), partition: m.partition })),
      done: messages,
    };
  }
  restore(partition: number, watermark: number): void {
    this.restored.set(partition, watermark);
  }
  advance(): StatefulResult {
    return { emit: [], done: [] };
  }
  reset(): void {
    this.watermark = Number.NEGATIVE_INFINITY;
    this.restored.clear();
  }
}

interface Committed {
  partition: number;
  records: readonly StatefulOutput[];
  metadata: string;
}

function stage(stored: ReadonlyMap<number, string>) {
  const handler = new PassThrough();
  const commits: Committed[] = [];
  const stale: number[] = [];
  const source = new TestSource();
  const deadLetterer = { deadLetter: async () => {} } as unknown as DeadLetterer;
  const stateful = new StatefulStage(
    { subscribeTo: [{ producer: source, maxDemand: 10 }] },
    {
      handler,
      watermarks: new WriterWatermarks(60_000),
      deadLetterer,
      telemetry: noopTelemetry,
      tickIntervalMs: 10_000,
      outputLabel: 'out',
      checkpoints: { load: async () => stored },
      transactional: {
        commit: async (partition, records, done, metadata) => {
          const last = Math.max(...done.map((m) => m.offset));
          commits.push({ partition, records, metadata: metadata(last + 1) });
        },
      },
      commitIntervalMs: 0,
      onStale: (partition) => stale.push(partition),
    },
  );
  // A producer-consumer asks upstream only as far as its own consumers ask.
  const sink = new (class extends Consumer<Message> {
    handleEvents(): void {}
  })({ subscribeTo: [stateful] });
  return { handler, commits, stale, source, stateful, sink };
}

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the stage');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('StatefulStage checkpoints', () => {
  it('keeps the restored watermark in the checkpoints it writes until its own passes it', async () => {
    const stored = new Map([[0, JSON.stringify({ f: 5_000, d: {} })]]);
    const { handler, commits, source, stateful, sink } = stage(stored);
    source.start();
    stateful.start();
    sink.start();
    try {
      stateful.reassigned([0]);
      await until(() => handler.restored.get(0) === 5_000);
      source.push([testMessage('a', { partition: 0, offset: 7 })]);
      await until(() => commits.length === 1);
      expect(JSON.parse(commits[0]!.metadata).f).toBe(5_000);
      // Once the handler's watermark is past the restored one, the checkpoint follows it.
      handler.watermark = 9_000;
      source.push([testMessage('b', { partition: 0, offset: 8 })]);
      await until(() => commits.length === 2);
      expect(JSON.parse(commits[1]!.metadata).f).toBe(9_000);
    } finally {
      await Promise.all([sink.stop(), stateful.stop(), source.stop()]);
    }
  });

  it('stores no watermark for a partition that had none', async () => {
    const { commits, source, stateful, sink } = stage(new Map());
    source.start();
    stateful.start();
    sink.start();
    try {
      stateful.reassigned([0]);
      source.push([testMessage('a', { partition: 0, offset: 3 })]);
      await until(() => commits.length === 1);
      expect(JSON.parse(commits[0]!.metadata).f).toBe(-1);
    } finally {
      await Promise.all([sink.stop(), stateful.stop(), source.stop()]);
    }
  });

  it('drops, not commits, results built before a new assignment was announced (a zombie waking up)', async () => {
    const { handler, commits, stale, source, stateful, sink } = stage(new Map());
    source.start();
    stateful.start();
    sink.start();
    try {
      stateful.reassigned([0]);
      source.push([testMessage('a', { partition: 0, offset: 1 })]);
      await until(() => commits.length === 1);
      // While 'b' is handled, a rebalance assigns partition 0 again: 'b' belongs to the
      // assignment that ended, and its result must not go out under the new one.
      handler.onHandle = (m) => {
        if (m.data === 'b') stateful.reassigned([0]);
      };
      source.push([testMessage('b', { partition: 0, offset: 2 })]);
      await until(() => stale.length === 1);
      source.push([testMessage('c', { partition: 0, offset: 3 })]);
      await until(() => commits.length === 2);
      expect(commits.map((c) => c.records.map((r) => r.value))).toEqual([['a'], ['c']]);
      expect(stale).toEqual([0]);
    } finally {
      await Promise.all([sink.stop(), stateful.stop(), source.stop()]);
    }
  });

  it('stores what each writer had handed over, and after a restart tells new records from re-reads', async () => {
    // A record of writer in/0, sequence <input offset>:<index>, at `offset` of partition 0.
    const hop = (data: string, offset: number, sequence: string) =>
      testMessage(data, {
        partition: 0,
        offset,
        headers: {
          [HOP_HEADERS.writer]: 'in/0',
          [HOP_HEADERS.eventTime]: '1000',
          [HOP_HEADERS.sequence]: sequence,
        },
      });
    const first = stage(new Map());
    first.source.start();
    first.stateful.start();
    first.sink.start();
    try {
      first.stateful.reassigned([0]);
      first.source.push([hop('a', 1, '10:0'), hop('b', 2, '11:0')]);
      await until(
        () =>
          first.commits.length > 0 &&
          JSON.stringify(JSON.parse(first.commits.at(-1)!.metadata).h) === '{"in/0":[11,0]}',
      );
    } finally {
      await Promise.all([first.sink.stop(), first.stateful.stop(), first.source.stop()]);
    }
    // A restart from a committed offset below 'b' (d: read up to 10:0) after 'b' was handed
    // over (h: 11:0): 'b' is read again, 'c' is new.
    const stored = JSON.stringify({ f: -1, d: { 'in/0': [10, 0] }, h: { 'in/0': [11, 0] } });
    const second = stage(new Map([[0, stored]]));
    second.source.start();
    second.stateful.start();
    second.sink.start();
    try {
      second.stateful.reassigned([0]);
      // First a record of another writer: what the stage stores then still holds what the
      // restored checkpoint said in/0 had handed over (it must never forget it).
      second.source.push([
        testMessage('x', {
          partition: 0,
          offset: 2,
          headers: {
            [HOP_HEADERS.writer]: 'in/1',
            [HOP_HEADERS.eventTime]: '1000',
            [HOP_HEADERS.sequence]: '5:0',
          },
        }),
      ]);
      await until(() => second.commits.length > 0);
      expect(JSON.parse(second.commits[0]!.metadata).h).toEqual({
        'in/0': [11, 0],
        'in/1': [5, 0],
      });
      second.source.push([hop('b', 2, '11:0'), hop('c', 3, '12:0')]);
      await until(() => second.handler.freshness.has('c'));
      expect(second.handler.freshness.get('b')).toBe(false);
      expect(second.handler.freshness.get('c')).toBe(true);
    } finally {
      await Promise.all([second.sink.stop(), second.stateful.stop(), second.source.stop()]);
    }
  });
});
