import fc from 'fast-check';
import {
  BroadcastDispatcher,
  DemandDispatcher,
  type Dispatcher,
  PartitionDispatcher,
} from '../../../stages';
import { recorder } from './recorder';

/**
 * Random sequences of subscribe / ask / cancel / dispatch against each dispatcher, run as
 * the producer runs them (leftovers offered again first). Invariants: no consumer is sent
 * more than it asked; no event is lost or duplicated; each consumer's events keep order;
 * the producer is never asked for more than the consumers asked in total.
 */
type Op =
  | { op: 'subscribe' }
  | { op: 'ask'; who: number; n: number }
  | { op: 'cancel'; who: number }
  | { op: 'dispatch'; count: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ op: 'subscribe' }),
  fc.record({
    op: fc.constant('ask' as const),
    who: fc.nat(4),
    n: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({ op: fc.constant('cancel' as const), who: fc.nat(4) }),
  fc.record({ op: fc.constant('dispatch' as const), count: fc.integer({ min: 1, max: 30 }) }),
);

function run(kind: 'demand' | 'broadcast' | 'partition', ops: Op[]): void {
  const dispatcher: Dispatcher<number> =
    kind === 'demand'
      ? new DemandDispatcher<number>()
      : kind === 'broadcast'
        ? new BroadcastDispatcher<number>()
        : // every seventh event dropped: drops must use no demand and lose nothing else
          new PartitionDispatcher<number>({
            partitions: 5,
            hash: (e) => (e % 7 === 6 ? undefined : e % 5),
          });
  const keys: { id: number; asked: number; got: number[]; active: boolean }[] = [];
  let next = 0;
  let owed = 0; // asked of the producer, not yet produced
  let leftovers: number[] = [];
  const ctx = recorder<number>();
  const drainAsks = () => {
    // BroadcastDispatcher re-asks on a consumer's behalf: the producer runs those as asks.
    while (ctx.asks.length > 0) {
      const [key, n] = ctx.asks.shift()!;
      if ((key as { active: boolean }).active) owed += dispatcher.ask(n, key, ctx);
    }
    // PartitionDispatcher: events it dropped are owed again.
    for (const n of ctx.demands.splice(0)) owed += n;
  };
  const offer = (events: number[]) => {
    const rest = dispatcher.dispatch(events, ctx);
    drainAsks();
    return rest;
  };
  for (const step of ops) {
    if (step.op === 'subscribe' && keys.length < 5) {
      const key = { id: keys.length, asked: 0, got: [] as number[], active: true };
      const options = { maxDemand: 100, partition: key.id };
      if (dispatcher.check(options) === undefined) {
        keys.push(key);
        owed += dispatcher.subscribe(key, options);
      }
    } else if (step.op === 'ask' || step.op === 'cancel') {
      const key = keys[step.who];
      if (!key?.active) continue;
      if (step.op === 'ask') {
        key.asked += step.n;
        owed += dispatcher.ask(step.n, key, ctx);
      } else {
        key.active = false;
        owed += dispatcher.cancel(key);
      }
      if (leftovers.length > 0) leftovers = offer(leftovers);
    } else if (step.op === 'dispatch') {
      // the producer makes at most what it owes, and offers leftovers first
      const count = Math.min(step.count, owed);
      owed -= count;
      const fresh = Array.from({ length: count }, () => next++);
      const all = leftovers.concat(fresh);
      leftovers = all.length > 0 ? offer(all) : [];
      // new events the consumers had no room for are reported, as the producer does
      const buffered = Math.min(leftovers.length, count);
      if (buffered > 0) dispatcher.buffered?.(buffered);
    }
    drainAsks();
    for (const [key, events] of ctx.sent.splice(0))
      (key as (typeof keys)[number]).got.push(...events);
    for (const key of keys) {
      expect(key.got.length).toBeLessThanOrEqual(key.asked);
      for (let i = 1; i < key.got.length; i++) expect(key.got[i]!).toBeGreaterThan(key.got[i - 1]!);
    }
  }
  const produced = Array.from({ length: next }, (_, i) => i);
  const held = dispatcher.held;
  if (kind === 'broadcast') {
    // every event reaches every consumer that was subscribed throughout, or waits
    expect(new Set([...keys.flatMap((k) => k.got), ...leftovers]).size).toBeLessThanOrEqual(next);
  } else {
    const seen = [...keys.flatMap((k) => k.got), ...leftovers].sort((a, b) => a - b);
    expect(new Set(seen).size).toBe(seen.length); // no duplicates
    expect(seen.length + held + dispatcher.discarded).toBe(produced.length); // nothing lost
  }
}

describe('dispatchers: random operation sequences', () => {
  for (const kind of ['demand', 'broadcast', 'partition'] as const) {
    it(`${kind}: never more than asked, nothing lost or duplicated, order kept`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => run(kind, ops)),
        { numRuns: 300 },
      );
    });
  }
});
