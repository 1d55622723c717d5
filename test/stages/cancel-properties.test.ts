import fc from 'fast-check';
import { Consumer, Producer, type Subscription } from '../../stages';
import { eventually, settle } from './helpers';

/**
 * Consumers that ask and cancel at random while a producer answers late or with more than
 * asked: the demand a cancelled consumer leaves behind must never swallow a later
 * consumer's demand (issue 11: it did once the owed events sat in the buffer). Events in
 * flight to a consumer that cancels are dropped, as in GenStage, so the check is liveness
 * (the last consumer gets all it asks for), never more than asked, and no duplicates.
 */

type Answer = 'exact' | 'late' | 'burst';

class Source extends Producer<number> {
  private next = 0;
  private owed = 0;
  constructor(private readonly answer: Answer) {
    super({ name: 'source' });
  }
  handleDemand(demand: number): number[] {
    if (this.answer === 'late') {
      this.owed += demand;
      setImmediate(() => this.sendInfo('later'));
      return [];
    }
    return this.make(this.answer === 'burst' ? demand * 2 : demand);
  }
  override handleInfo(): number[] {
    const count = this.owed;
    this.owed = 0;
    return this.make(count);
  }
  private make(count: number): number[] {
    return Array.from({ length: count }, () => this.next++);
  }
}

class Asker extends Consumer<number> {
  readonly got: number[] = [];
  sub: Subscription | undefined;
  asked = 0;
  override handleSubscribe(_kind: 'producer' | 'consumer', sub: Subscription): 'manual' {
    this.sub = sub;
    return 'manual';
  }
  handleEvents(events: number[]): void {
    this.got.push(...events);
  }
  request(n: number): void {
    this.asked += n;
    this.ask(this.sub!, n);
  }
}

type Op = { op: 'ask'; who: number; n: number } | { op: 'cancel'; who: number } | { op: 'wait' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('ask' as const),
    who: fc.nat(2),
    n: fc.integer({ min: 1, max: 15 }),
  }),
  fc.record({ op: fc.constant('cancel' as const), who: fc.nat(2) }),
  fc.constant<Op>({ op: 'wait' }),
);

const scenario = fc.asyncProperty(
  fc.constantFrom<Answer>('exact', 'late', 'burst'),
  fc.array(opArb, { maxLength: 12 }),
  fc.integer({ min: 1, max: 30 }),
  async (answer, ops, finalAsk) => {
    const source = new Source(answer).start();
    const consumers = [0, 1, 2].map(() =>
      new Asker({ subscribeTo: [{ producer: source, cancel: 'temporary' }] }).start(),
    );
    const last = new Asker();
    try {
      await settle();
      const active = new Set(consumers);
      for (const step of ops) {
        const consumer = step.op === 'wait' ? undefined : consumers[step.who]!;
        if (step.op === 'wait') await settle(2);
        else if (!active.has(consumer!)) continue;
        else if (step.op === 'ask') consumer!.request(step.n);
        else {
          consumer!.cancel(consumer!.sub!);
          active.delete(consumer!);
        }
      }
      for (const consumer of active) consumer.cancel(consumer.sub!);
      await eventually(() => source.stats().consumers.length === 0, 5_000);
      last.subscribe(source);
      last.start();
      await settle();
      last.request(finalAsk);
      await eventually(() => last.got.length === finalAsk, 5_000);
      const all = [...consumers, last].flatMap((c) => c.got);
      expect(new Set(all).size).toBe(all.length);
      for (const consumer of [...consumers, last]) {
        expect(consumer.got.length).toBeLessThanOrEqual(consumer.asked);
        expect(consumer.got).toEqual([...consumer.got].sort((a, b) => a - b));
      }
    } finally {
      await source.stop('shutdown');
      for (const consumer of [...consumers, last]) await consumer.stop('shutdown');
    }
  },
);

describe('cancels with demand outstanding, over random sequences', () => {
  it('a later consumer always gets what it asks for; never more than asked; no duplicates', async () => {
    await fc.assert(scenario, { numRuns: 60 });
  }, 120_000);
});
