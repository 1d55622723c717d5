import { DispatchError, InvalidOptionError } from '../errors';
import { checkObject } from '../options';
import {
  type DispatchContext,
  type Dispatcher,
  type DispatchKey,
  type DispatchOptions,
  tail,
} from './dispatcher';

/** Options of {@link PartitionDispatcher}. */
export interface PartitionDispatcherOptions<T, P extends number | string = number | string> {
  /** A number `n` (partitions `0 … n-1`) or the partition names. */
  partitions: number | readonly P[];
  /**
   * The partition of an event, or `undefined` to drop it (counted in `discarded`; a dropped
   * event uses no demand). A partition that does not exist stops the producer with a
   * {@link DispatchError} naming it. Required with named partitions; for numbered ones the
   * default hashes the event's JSON text (numbers: the number itself) modulo the count.
   */
  hash?: (event: T) => P | undefined;
}

interface Partition<T> {
  key: DispatchKey | undefined;
  demand: number;
  /** Events hashed here while it had no demand (or no consumer), oldest first. */
  queue: T[];
}

const COMPONENT = 'PartitionDispatcher';

/**
 * Sends each event to the one consumer of its partition. Every consumer subscribes with the
 * option `partition` (a number below `partitions`, or one of the names); each partition has
 * at most one consumer.
 *
 * The producer is asked for the sum of the consumers' demand. Events hashed to a partition
 * without demand wait in that partition's queue (counted in `held`) until it asks; a
 * partition left by its consumer keeps its queue for the next one. An event the hash drops
 * uses no demand: the producer is asked for another in its place.
 */
export class PartitionDispatcher<T, P extends number | string = number | string>
  implements Dispatcher<T>
{
  readonly kind = 'partition';
  discarded = 0;
  held = 0;
  private readonly partitions = new Map<number | string, Partition<T>>();
  private readonly byKey = new Map<DispatchKey, Partition<T>>();
  private readonly hash: (event: T) => number | string | undefined;
  private waiting = 0;
  private pending = 0;

  constructor(options: PartitionDispatcherOptions<T, P>) {
    checkObject(COMPONENT, '', options, ['partitions', 'hash']);
    const { partitions, hash } = options;
    if (typeof partitions === 'number') {
      if (!Number.isInteger(partitions) || partitions < 1) {
        throw new InvalidOptionError(
          COMPONENT,
          'partitions',
          partitions,
          'an integer >= 1 or an array of names',
        );
      }
      for (let i = 0; i < partitions; i++)
        this.partitions.set(i, { key: undefined, demand: 0, queue: [] });
    } else if (Array.isArray(partitions) && partitions.length > 0) {
      for (const name of partitions)
        this.partitions.set(name, { key: undefined, demand: 0, queue: [] });
      if (this.partitions.size !== partitions.length) {
        throw new InvalidOptionError(
          COMPONENT,
          'partitions',
          partitions,
          'distinct partition names',
        );
      }
    } else {
      throw new InvalidOptionError(
        COMPONENT,
        'partitions',
        partitions,
        'an integer >= 1 or an array of names',
      );
    }
    if (hash !== undefined && typeof hash !== 'function') {
      throw new InvalidOptionError(
        COMPONENT,
        'hash',
        hash,
        'a function (event) => partition | undefined',
      );
    }
    if (hash === undefined && typeof partitions !== 'number') {
      throw new InvalidOptionError(
        COMPONENT,
        'hash',
        hash,
        'a function (event) => partition | undefined; required with named partitions',
      );
    }
    const count = this.partitions.size;
    this.hash = hash ?? ((event: T) => defaultHash(event) % count);
  }

  check(options: DispatchOptions<T>): string | undefined {
    const { partition } = options;
    const names = [...this.partitions.keys()].join(', ');
    if (partition === undefined)
      return `the subscription option partition is required (one of ${names})`;
    const target = this.partitions.get(partition);
    if (!target) return `partition ${JSON.stringify(partition)} does not exist (one of ${names})`;
    if (target.key !== undefined)
      return `partition ${JSON.stringify(partition)} already has a consumer`;
    return undefined;
  }

  subscribe(key: DispatchKey, options: DispatchOptions<T>): number {
    const partition = this.partitions.get(options.partition as number | string)!;
    partition.key = key;
    partition.demand = 0;
    this.byKey.set(key, partition);
    return 0;
  }

  cancel(key: DispatchKey): number {
    const partition = this.byKey.get(key);
    if (!partition) return 0;
    this.byKey.delete(key);
    this.pending += partition.demand;
    partition.key = undefined;
    partition.demand = 0;
    return 0;
  }

  ask(n: number, key: DispatchKey, context: DispatchContext<T>): number {
    const partition = this.byKey.get(key);
    if (!partition) return 0;
    partition.demand += n;
    if (partition.queue.length > 0) {
      const count = Math.min(partition.demand, partition.queue.length);
      const now = partition.queue.splice(0, count);
      partition.demand -= count;
      this.held -= count;
      context.send(key, now);
    }
    const alreadyAsked = Math.min(this.pending, n);
    this.pending -= alreadyAsked;
    this.waiting += n - alreadyAsked;
    return n - alreadyAsked;
  }

  dispatch(events: T[], context: DispatchContext<T>): T[] {
    if (this.waiting === 0) return events;
    const batches = new Map<Partition<T>, T[]>();
    const length = events.length;
    let index = 0;
    let placed = 0;
    let dropped = 0;
    // Hash first and send after, so an unknown partition fails before anything was sent.
    // Only placed events use up demand: a dropped one was never asked for by anybody.
    for (; index < length && placed < this.waiting; index++) {
      const event = events[index] as T;
      const name = this.hash(event);
      if (name === undefined) {
        dropped++;
        continue;
      }
      const partition = this.partitions.get(name);
      if (!partition) {
        throw new DispatchError(
          COMPONENT,
          `the hash returned partition ${JSON.stringify(name)}, which does not exist (partitions: ${[...this.partitions.keys()].join(', ')})`,
        );
      }
      placed++;
      const batch = batches.get(partition);
      if (batch) batch.push(event);
      else batches.set(partition, [event]);
    }
    this.waiting -= placed;
    this.discarded += dropped;
    // The producer counts dropped events as answers to its demand, but they met nobody's:
    // ask it again for them, as far as this dispatcher still waits for events (dropped
    // events beyond that were extra, and the next ones in line took their place).
    const owed = Math.min(dropped, this.waiting);
    if (owed > 0) context.demand(owed);
    for (const [partition, batch] of batches) {
      let sent = 0;
      if (partition.key !== undefined && partition.queue.length === 0 && partition.demand > 0) {
        sent = Math.min(partition.demand, batch.length);
        partition.demand -= sent;
        context.send(partition.key, sent === batch.length ? batch : batch.slice(0, sent));
      }
      for (let i = sent; i < batch.length; i++) partition.queue.push(batch[i] as T);
      this.held += batch.length - sent;
    }
    return tail(events, index);
  }

  takeHeld(): T[] {
    const out: T[] = [];
    for (const partition of this.partitions.values()) {
      for (const event of partition.queue) out.push(event);
      partition.queue = [];
    }
    this.held = 0;
    return out;
  }

  /** Pending demand of a consumer, for tests and stats. */
  demandOf(key: DispatchKey): number {
    return this.byKey.get(key)?.demand ?? 0;
  }
}

/** FNV-1a over the event's JSON text; numbers hash to themselves (non-negative). */
function defaultHash(event: unknown): number {
  if (typeof event === 'number' && Number.isInteger(event)) return Math.abs(event);
  const text = typeof event === 'string' ? event : (JSON.stringify(event) ?? String(event));
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
