import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '../../log/logger';
import type { PartitionState } from './partition-state';

/**
 * Keeps the high watermark of paused partitions current. kafkajs reports a partition's high
 * watermark only with a fetched batch, and a paused partition (back-pressure or an
 * operator's pause) fetches none: its lag would freeze at the moment it was paused, just
 * when an operator watches it. Every `intervalMs`, while some partition is paused, an admin
 * client asks the broker for those topics' end offsets (one ListOffsets per topic).
 *
 * Best effort: a failed or slow request is skipped (the next interval tries again), and
 * stop() does not wait for one in flight, so a frozen broker cannot delay a shutdown.
 */
export class PausedWatermarks {
  private timer: NodeJS.Timeout | undefined;
  private admin: Admin | undefined;
  private connecting: Promise<void> | undefined;
  private busy = false;
  private stopped = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly states: () => readonly PartitionState[],
    private readonly log: Logger,
    private readonly intervalMs = 5_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  /** One refresh now (the timer calls it); resolves when done or skipped. */
  async refresh(): Promise<void> {
    if (this.busy || this.stopped) return;
    const paused = this.states().filter((s) => s.queue.paused);
    if (paused.length === 0) return;
    this.busy = true;
    try {
      if (!this.admin) {
        this.admin = this.kafka.admin();
        this.connecting = this.admin.connect();
      }
      await this.connecting;
      for (const topic of new Set(paused.map((s) => s.topic))) {
        if (this.stopped) return;
        const ends = new Map(
          (await this.admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]),
        );
        // States of the current assignment only: a rebalance meanwhile made new ones.
        for (const s of this.states()) {
          const high = s.topic === topic ? ends.get(s.partition) : undefined;
          if (high !== undefined && high > s.highWatermark) s.highWatermark = high;
        }
      }
    } catch (error) {
      this.log.debug({ err: error }, 'refreshing the high watermarks of paused partitions failed');
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const admin = this.admin;
    this.admin = undefined;
    if (admin) {
      // Bounded: against a frozen broker, connecting and disconnecting may each hang.
      const bounded = (p: Promise<unknown> | undefined) =>
        Promise.race([p?.catch(() => {}), new Promise((r) => setTimeout(r, 3_000).unref())]);
      await bounded(this.connecting);
      await bounded(admin.disconnect());
    }
  }
}
