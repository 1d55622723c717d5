/**
 * The event-time watermark of a consumer that reads several partitions.
 *
 * Each partition's watermark is the greatest event time seen on it. The combined
 * watermark is the minimum over the active partitions, so a window closes only when
 * every partition has moved past it. A partition that has delivered nothing for
 * `idleTimeoutMs` (processing time) is idle and no longer holds the watermark back; it
 * becomes active again with its next sample. When every partition is idle, the
 * watermark is the greatest of them: the input has stopped and open windows may close.
 *
 * Pure: the caller passes `now`, so tests use virtual time.
 */
export class PartitionWatermarks {
  private readonly partitions = new Map<string, { maxEventTime: number; lastSeen: number }>();

  constructor(private readonly idleTimeoutMs: number) {}

  /** A newly assigned partition: it holds the watermark until it delivers or goes idle. */
  assign(partition: string, now: number): void {
    if (!this.partitions.has(partition)) {
      this.partitions.set(partition, { maxEventTime: Number.NEGATIVE_INFINITY, lastSeen: now });
    }
  }

  /** A revoked partition stops counting. */
  revoke(partition: string): void {
    this.partitions.delete(partition);
  }

  observe(partition: string, eventTime: number, now: number): void {
    const p = this.partitions.get(partition);
    if (!p) {
      this.partitions.set(partition, { maxEventTime: eventTime, lastSeen: now });
      return;
    }
    if (eventTime > p.maxEventTime) p.maxEventTime = eventTime;
    p.lastSeen = now;
  }

  /** The combined watermark at processing time `now`; −∞ before any data. */
  current(now: number): number {
    let activeMin = Number.POSITIVE_INFINITY;
    let anyActive = false;
    let allMax = Number.NEGATIVE_INFINITY;
    for (const p of this.partitions.values()) {
      if (p.maxEventTime > allMax) allMax = p.maxEventTime;
      if (now - p.lastSeen < this.idleTimeoutMs) {
        anyActive = true;
        if (p.maxEventTime < activeMin) activeMin = p.maxEventTime;
      }
    }
    return anyActive ? activeMin : allMax;
  }

  /** Partitions currently holding the watermark (for /topology and logs). */
  active(now: number): string[] {
    return [...this.partitions]
      .filter(([, p]) => now - p.lastSeen < this.idleTimeoutMs)
      .map(([k]) => k);
  }
}
