/**
 * The event-time watermark of each partition of a repartition topic, as the next part of
 * the pipeline sees it (Flink's rule for watermarks across a shuffle).
 *
 * Every writer (an input partition upstream, whichever instance reads it) reports its
 * progress: the greatest event time it has written, on its data records and on markers
 * sent to every partition. A partition's watermark is the minimum over its writers, so a
 * window closes only when every writer has moved past it, however fast each upstream
 * instance runs and however long a rebalance keeps one of them away.
 *
 * A writer stops holding the watermark back when it says it is idle (its input partition
 * is read to the end: nothing to write) until it reports progress again; or when nothing
 * was heard from it for `goneAfterMs` (processing time) while others were: it went away.
 * When every writer is idle, the watermark is the greatest progress seen: the input has
 * stopped and open windows may close. When nothing at all was read from the partition for
 * `goneAfterMs`, nobody counts as gone: the reader itself stalled (its consumer crashed or
 * is rejoining after a broker restart) or every writer is away, and closing windows then
 * would close them without records already on their way; once reading resumes, every
 * writer gets `goneAfterMs` again to be heard from.
 *
 * Writers are expected from the start (the input partitions, known from metadata): one
 * that has not reported yet holds the watermark at −∞ until `goneAfterMs` passed since the
 * partition was assigned, so a slow instance's first records are not late.
 *
 * Pure: the caller passes `now`.
 */
export class WriterWatermarks {
  private readonly partitions = new Map<
    number,
    {
      since: number;
      /** When anything (a record or a marker) was last read from the partition. */
      lastRead: number;
      writers: Map<string, { progress: number; lastSeen: number; idle: boolean }>;
    }
  >();

  constructor(
    private readonly goneAfterMs: number,
    private expected: readonly string[] = [],
  ) {}

  /** The writers every partition waits for (upstream input partitions). */
  expect(writers: readonly string[]): void {
    this.expected = [...writers];
  }

  /** A partition of the internal topic was assigned at `now` (idempotent). */
  assign(partition: number, now: number): void {
    if (!this.partitions.has(partition)) {
      this.partitions.set(partition, { since: now, lastRead: now, writers: new Map() });
    }
  }

  /** A partition was revoked: it stops counting. */
  revoke(partition: number): void {
    this.partitions.delete(partition);
  }

  /** Partitions currently tracked. */
  assigned(): number[] {
    return [...this.partitions.keys()];
  }

  /** `writer` reached `progress` on `partition` (a data record or a marker). Never goes back. */
  report(partition: number, writer: string, progress: number, now: number, idle = false): void {
    let p = this.partitions.get(partition);
    if (!p) {
      p = { since: now, lastRead: now, writers: new Map() };
      this.partitions.set(partition, p);
    }
    // Back from a stall of the reader: everyone gets the full time again to be heard from.
    if (now - p.lastRead >= this.goneAfterMs) {
      for (const other of p.writers.values()) other.lastSeen = now;
    }
    p.lastRead = now;
    const w = p.writers.get(writer);
    if (!w) p.writers.set(writer, { progress, lastSeen: now, idle });
    else {
      if (progress > w.progress) w.progress = progress;
      w.lastSeen = now;
      w.idle = idle;
    }
  }

  /** The watermark of `partition` at `now`; −∞ before anything is known. */
  current(partition: number, now: number): number {
    const p = this.partitions.get(partition);
    if (!p) return Number.NEGATIVE_INFINITY;
    if (now - p.since < this.goneAfterMs) {
      for (const writer of this.expected) {
        if (!p.writers.has(writer)) return Number.NEGATIVE_INFINITY;
      }
    }
    const readerStalled = now - p.lastRead >= this.goneAfterMs;
    let min = Number.POSITIVE_INFINITY;
    let holding = false;
    let max = Number.NEGATIVE_INFINITY;
    for (const w of p.writers.values()) {
      if (w.progress > max) max = w.progress;
      if (w.idle || (!readerStalled && now - w.lastSeen >= this.goneAfterMs)) continue;
      holding = true;
      if (w.progress < min) min = w.progress;
    }
    return holding ? min : max;
  }
}
