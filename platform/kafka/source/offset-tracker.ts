/**
 * Which offsets of one partition are done, and therefore how far the group may commit.
 *
 * The source tracks every record it buffers (in offset order), acknowledgements arrive in
 * any order, and the committable offset is the first tracked offset not yet acknowledged
 * (or the end position when all are), i.e. the highest contiguous acknowledged offset + 1.
 * Offsets that were never tracked (compacted away, transaction markers) are skipped over:
 * only tracked offsets can hold the commit back.
 *
 * Memory is bounded by the records in flight: tracked offsets live in a ring that grows by
 * doubling only while the oldest unacknowledged record holds more behind it, and the
 * contiguous acknowledged prefix is dropped as soon as it forms.
 *
 * Each {@link reset} starts a new assignment generation: acknowledgements that carry an
 * older generation (messages handed out before a rebalance) are ignored, so they can never
 * move the commit of a partition this member may no longer own.
 */
export class OffsetTracker {
  private offsets: Float64Array;
  private acked: Uint8Array;
  private head = 0;
  /** Tracked and not yet released entries (acknowledged or not) from `head` on. */
  private count = 0;
  private unacked = 0;
  private endOffset = -1;
  private gen = 0;

  constructor(initialCapacity = 1024) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(2, initialCapacity)));
    this.offsets = new Float64Array(capacity);
    this.acked = new Uint8Array(capacity);
  }

  /** The current assignment generation; acknowledgements must carry it to count. */
  get generation(): number {
    return this.gen;
  }

  /** Tracked records not yet acknowledged in this generation. */
  get pending(): number {
    return this.unacked;
  }

  /** The end position: one past the last offset tracked or advanced to; -1 while unknown. */
  get end(): number {
    return this.endOffset;
  }

  /** Entries held in the window (pending ones and acknowledged ones behind a gap). */
  get windowSize(): number {
    return this.count;
  }

  /**
   * Forgets everything and starts a new generation (a new assignment of the partition).
   * `nextOffset`, when known, is where consumption resumes: the committable offset until
   * something is tracked.
   */
  reset(nextOffset?: number): number {
    this.head = 0;
    this.count = 0;
    this.unacked = 0;
    this.endOffset = nextOffset ?? -1;
    this.gen += 1;
    return this.gen;
  }

  /**
   * Records that `offset` was handed to the pipeline. Offsets must increase; an offset at
   * or below the end position is a re-delivery of something already tracked and is refused
   * (returns false) so it cannot be counted twice.
   */
  track(offset: number): boolean {
    if (offset < this.endOffset) return false;
    if (this.count === this.offsets.length) this.grow();
    const slot = (this.head + this.count) & (this.offsets.length - 1);
    this.offsets[slot] = offset;
    this.acked[slot] = 0;
    this.count += 1;
    this.unacked += 1;
    this.endOffset = offset + 1;
    return true;
  }

  /**
   * Moves the end position forward without tracking anything: offsets up to `nextOffset`
   * that were never tracked count as done (a batch whose last records were filtered out).
   */
  advanceTo(nextOffset: number): void {
    if (nextOffset > this.endOffset) this.endOffset = nextOffset;
  }

  /**
   * Marks `offset` as done. Ignored (returns false) when `generation` is not the current
   * one, when the offset was never tracked, or when it was acknowledged already.
   */
  ack(generation: number, offset: number): boolean {
    if (generation !== this.gen || this.count === 0) return false;
    const index = this.indexOf(offset);
    if (index < 0) return false;
    const mask = this.offsets.length - 1;
    const slot = (this.head + index) & mask;
    if (this.acked[slot] === 1) return false;
    this.acked[slot] = 1;
    this.unacked -= 1;
    if (index === 0) {
      // Release the contiguous acknowledged prefix.
      while (this.count > 0 && this.acked[this.head] === 1) {
        this.head = (this.head + 1) & mask;
        this.count -= 1;
      }
    }
    return true;
  }

  /**
   * The offset the group may commit (the next one to consume): the first tracked offset
   * not yet acknowledged, else the end position. `undefined` while nothing is known.
   */
  committable(): number | undefined {
    if (this.count > 0) return this.offsets[this.head];
    return this.endOffset >= 0 ? this.endOffset : undefined;
  }

  /** Position of `offset` in the window, or -1. Contiguous offsets are found directly. */
  private indexOf(offset: number): number {
    const mask = this.offsets.length - 1;
    const first = this.offsets[this.head]!;
    if (offset < first) return -1;
    const direct = offset - first;
    if (direct < this.count && this.offsets[(this.head + direct) & mask] === offset) return direct;
    // Gaps in the tracked offsets: binary search (they are sorted).
    let lo = 0;
    let hi = Math.min(this.count - 1, direct);
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.offsets[(this.head + mid) & mask]!;
      if (value === offset) return mid;
      if (value < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private grow(): void {
    const capacity = this.offsets.length * 2;
    const offsets = new Float64Array(capacity);
    const acked = new Uint8Array(capacity);
    const mask = this.offsets.length - 1;
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) & mask;
      offsets[i] = this.offsets[slot]!;
      acked[i] = this.acked[slot]!;
    }
    this.offsets = offsets;
    this.acked = acked;
    this.head = 0;
  }
}
