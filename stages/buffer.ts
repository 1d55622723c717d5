import { Queue } from './queue';

/** Which events a full buffer keeps: the oldest (`'first'`) or the newest (`'last'`). */
export type BufferKeep = 'first' | 'last';

/**
 * A producer's buffer of events no consumer had demand for. It stores the arrays it is
 * given as chunks (events arrive in batches, so there is no per-event copy) and is bounded:
 * past `capacity` it discards new events (`keep: 'first'`) or the oldest (`keep: 'last'`)
 * and returns how many it discarded, so the stage can count and report them.
 */
export class EventBuffer<T> {
  private readonly chunks = new Queue<T[]>();
  /** Index of the first live event in the first chunk. */
  private offset = 0;
  /** Events in the buffer. */
  size = 0;
  /** Events ever removed (taken or discarded from the front): a position for markers. */
  removed = 0;

  constructor(
    readonly capacity: number,
    readonly keep: BufferKeep,
  ) {}

  /** Position just after the newest event. */
  get end(): number {
    return this.removed + this.size;
  }

  /** Appends events; returns how many events (new or old) were discarded. */
  push(events: T[]): number {
    const count = events.length;
    if (count === 0) return 0;
    const room = this.capacity - this.size;
    if (count <= room) {
      this.append(events);
      return 0;
    }
    if (this.keep === 'first') {
      if (room > 0) this.append(events.slice(0, room));
      return count - Math.max(room, 0);
    }
    if (count >= this.capacity) {
      const dropped = this.size + count - this.capacity;
      this.drop(this.size);
      if (this.capacity > 0) this.append(events.slice(count - this.capacity));
      return dropped;
    }
    const dropped = count - room;
    this.drop(dropped);
    this.append(events);
    return dropped;
  }

  /** The oldest `n` events (n <= size), without removing them. */
  peek(n: number): T[] {
    const first = this.chunks.peek()!;
    if (this.offset === 0 && first.length === n) return first;
    if (first.length - this.offset >= n) return first.slice(this.offset, this.offset + n);
    const out: T[] = new Array(n);
    let filled = 0;
    let offset = this.offset;
    for (const chunk of this.chunks) {
      for (let i = offset; i < chunk.length && filled < n; i++) out[filled++] = chunk[i] as T;
      offset = 0;
      if (filled === n) break;
    }
    return out;
  }

  /** Removes the oldest `n` events (n <= size). */
  drop(n: number): void {
    this.size -= n;
    this.removed += n;
    while (n > 0) {
      const first = this.chunks.peek()!;
      const left = first.length - this.offset;
      if (n < left) {
        this.offset += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  private append(events: T[]): void {
    this.chunks.push(events);
    this.size += events.length;
  }
}
