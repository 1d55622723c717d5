import type { Consumer } from 'kafkajs';
import type { Logger } from '../../log/logger';
import type { Telemetry } from '../../telemetry/telemetry';
import type { PartitionState } from './partition-state';

/**
 * Commits, per partition, the committable offset of its tracker when it moved since the
 * last commit. One commit runs at a time; `commitIfIdle` (the interval, a rebalance) skips
 * while one runs, `commit` (explicit, stop) waits for it boundedly.
 *
 * The kafkajs call is made synchronously when a commit starts, so it carries the group
 * generation of the assignment the offsets belong to: a commit can never land in a later
 * generation for a partition this member no longer owns.
 */
export class OffsetCommitter {
  private busy: Promise<void> | undefined;

  constructor(
    private readonly consumer: () => Consumer | undefined,
    private readonly states: () => readonly PartitionState[],
    private readonly telemetry: Telemetry,
    private readonly log: Logger,
  ) {}

  /** Starts a commit unless one is running. */
  commitIfIdle(): void {
    if (!this.busy) void this.commitNow();
  }

  /** Commits now, after the running commit (waited for at most `waitMs`). Never rejects. */
  async commit(waitMs = 5_000): Promise<void> {
    const busy = this.busy;
    if (busy) {
      // A commit racing a rebalance can sit in kafkajs's retries for long. Should it land
      // after ours, it can only move the offset back: duplicates, never loss.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([busy, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    }
    await this.commitNow();
  }

  private commitNow(): Promise<void> {
    const consumer = this.consumer();
    if (!consumer) return Promise.resolve();
    const byTopic = new Map<string, { state: PartitionState; offset: number }[]>();
    for (const state of this.states()) {
      const offset = state.tracker.committable();
      if (offset === undefined || offset <= state.committed) continue;
      const list = byTopic.get(state.topic);
      if (list) list.push({ state, offset });
      else byTopic.set(state.topic, [{ state, offset }]);
    }
    if (byTopic.size === 0) return Promise.resolve();
    const calls = [...byTopic].map(([topic, entries]) =>
      this.telemetry.traceCommit(topic, () => {
        const started = performance.now();
        const offsets = entries.map((e) => ({
          topic,
          partition: e.state.partition,
          offset: String(e.offset),
        }));
        return consumer.commitOffsets(offsets).then(() => {
          this.telemetry.recordCommit(topic, (performance.now() - started) / 1000);
          const at = Date.now();
          for (const { state, offset } of entries) {
            if (offset > state.committed) state.committed = offset;
            state.lastCommitAt = at;
          }
        });
      }),
    );
    const done = Promise.allSettled(calls).then((results) => {
      for (const r of results) {
        if (r.status === 'rejected') {
          this.log.warn({ err: r.reason }, 'offset commit failed; the next one retries it');
        }
      }
      if (this.busy === done) this.busy = undefined;
    });
    this.busy = done;
    return done;
  }
}
