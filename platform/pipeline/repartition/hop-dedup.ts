/** A record's place in its writer's output: input offset, then index within the message. */
export type Sequence = readonly [offset: number, index: number];

const after = (a: Sequence, b: Sequence) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

interface PartitionLog {
  /** Last sequence accepted per writer: what a new record must be after. */
  readonly last: Map<string, Sequence>;
  /** Last sequence per writer among records below the last offset folded in. */
  readonly base: Map<string, Sequence>;
  /** Accepted records not folded into `base` yet, in offset order. */
  log: { offset: number; writer: string; sequence: Sequence }[];
}

/**
 * Drops re-deliveries at the reading end of a repartition hop.
 *
 * Upstream delivery is at least once: after a crash or a rebalance a writer re-sends what
 * its input had not committed, so the internal topic can hold a record twice. A writer's
 * records reach each partition in their sequence order (one writer per input partition,
 * written in order), so a record whose sequence is not after the last one accepted from
 * its writer on that partition is a copy, and dropped.
 *
 * The state must survive a restart with the offsets it goes with: {@link stateAt} gives
 * the last sequence per writer among the records below a committed offset (stored with the
 * commit), and {@link restore} starts from it after a rebalance or restart.
 */
export class HopDedup {
  private readonly partitions = new Map<number, PartitionLog>();

  /** Forgets everything (a new assignment). */
  reset(): void {
    this.partitions.clear();
  }

  /** Starts `partition` from a stored state (writer → last sequence below its committed offset). */
  restore(partition: number, state: Readonly<Record<string, Sequence>>): void {
    const entries = Object.entries(state);
    this.partitions.set(partition, {
      last: new Map(entries),
      base: new Map(entries),
      log: [],
    });
  }

  /** True when the record at `offset` of `partition` is new; false for a copy. */
  accept(partition: number, offset: number, writer: string, sequence: Sequence): boolean {
    const p = this.partition(partition);
    const last = p.last.get(writer);
    if (last && !after(sequence, last)) return false;
    p.last.set(writer, sequence);
    p.log.push({ offset, writer, sequence });
    return true;
  }

  /** Per writer, the last sequence accepted on `partition` so far (read, not committed). */
  latest(partition: number): Record<string, Sequence> {
    return Object.fromEntries(this.partition(partition).last);
  }

  /** The state as of `committed` (the next offset to read): stored with that commit. */
  stateAt(partition: number, committed: number): Record<string, Sequence> {
    const p = this.partition(partition);
    let folded = 0;
    for (const entry of p.log) {
      if (entry.offset >= committed) break;
      p.base.set(entry.writer, entry.sequence);
      folded++;
    }
    if (folded > 0) p.log = p.log.slice(folded);
    return Object.fromEntries(p.base);
  }

  private partition(partition: number): PartitionLog {
    let p = this.partitions.get(partition);
    if (!p) {
      p = { last: new Map(), base: new Map(), log: [] };
      this.partitions.set(partition, p);
    }
    return p;
  }
}
