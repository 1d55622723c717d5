import type { Logger } from '../../log/logger';
import type { Telemetry } from '../../telemetry/telemetry';
import type { PartitionState } from './partition-state';

/** The offsets of one commit request, in kafkajs's shape. */
export interface CommitRequest {
  readonly topics: {
    topic: string;
    partitions: { partition: number; offset: string; metadata?: string }[];
  }[];
}

/**
 * The metadata to store with the committed `offset` of a partition (Kafka keeps it beside
 * the offset and returns it with the committed offsets), or undefined for none.
 */
export type CommitMetadata = (
  topic: string,
  partition: number,
  offset: number,
) => string | undefined;

/**
 * Sends one commit request, once (no retry), in the consumer's current group generation.
 * `undefined` while there is none (no batch fetched yet in this assignment).
 */
export type SendCommit = ((request: CommitRequest) => Promise<void>) | undefined;

/** One offset the broker confirmed, as reported to `onCommitted`. */
export interface CommittedOffset {
  /** The source's assignment generation (one per group join) the offset belongs to. */
  readonly generation: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Commits, per partition, the committable offset of its tracker when it moved since the
 * last commit.
 *
 * Guarantees, each the fix of a way offsets used to move back:
 * - **One request at a time.** Commits are serialized: `commit` waits for the running one
 *   (a single request, bounded by the client's request timeout) before it sends its own, so
 *   two commits of one partition are never in flight together and cannot land out of order.
 * - **Sent once, in the generation it belongs to.** kafkajs's `consumer.commitOffsets`
 *   retries a failed request, and each retry takes the group generation and member id of
 *   *that moment*: a commit computed before a rejoin and retried after it landed in the new
 *   generation with the old, lower offsets. The request is therefore sent through
 *   {@link SendCommit} (kafkajs's per-batch `commitOffsetsIfNecessary`, a single attempt that
 *   reads the generation synchronously), and a failed commit is never retried as such:
 *   the next tick computes fresh offsets from the current assignment.
 * - **Never below what was confirmed.** Within an assignment generation the offset sent
 *   for a partition is never below the last one the broker confirmed for it (the tracker's
 *   committable offset only grows; this is checked, not assumed).
 */
export class OffsetCommitter {
  private busy: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly send: () => SendCommit,
    private readonly states: () => readonly PartitionState[],
    /** The current assignment generation (the source's join count). */
    private readonly generation: () => number,
    private readonly telemetry: Telemetry,
    private readonly log: Logger,
    private readonly onCommitted: (offsets: readonly CommittedOffset[]) => void = () => {},
    /** A commit failed; `generation` is the one it was sent in. */
    private readonly onRejected: (error: unknown, generation: number) => void = () => {},
    /** What to store with a partition's committed offset (the commit metadata), if anything. */
    private readonly metadataOf?: CommitMetadata,
  ) {}

  /** Starts a commit unless one is running. */
  commitIfIdle(): void {
    if (!this.busy) void this.commitNow();
  }

  /** Commits now, after the running commit. Never rejects. */
  async commit(): Promise<void> {
    while (this.busy) await this.busy;
    await this.commitNow();
  }

  /** No commit is sent after this (the consumer is about to disconnect). */
  async close(): Promise<void> {
    while (this.busy) await this.busy;
    this.closed = true;
  }

  private commitNow(): Promise<void> {
    const send = this.send();
    if (!send || this.closed || this.busy) return this.busy ?? Promise.resolve();
    const generation = this.generation();
    const byTopic = new Map<string, { state: PartitionState; offset: number }[]>();
    for (const state of this.states()) {
      const offset = state.tracker.committable();
      if (offset === undefined || offset <= state.committed) continue;
      const list = byTopic.get(state.topic);
      if (list) list.push({ state, offset });
      else byTopic.set(state.topic, [{ state, offset }]);
    }
    if (byTopic.size === 0) return Promise.resolve();
    const entries = [...byTopic.values()].flat();
    const request: CommitRequest = {
      topics: [...byTopic].map(([topic, list]) => ({
        topic,
        partitions: list.map((e) => {
          const metadata = this.metadataOf?.(topic, e.state.partition, e.offset);
          return {
            partition: e.state.partition,
            offset: String(e.offset),
            ...(metadata === undefined ? {} : { metadata }),
          };
        }),
      })),
    };
    const topics = [...byTopic.keys()];
    const started = performance.now();
    // One request for every topic, traced under the first (kafkajs sends one OffsetCommit).
    const done = this.telemetry
      .traceCommit(topics.join(','), () => send(request))
      .then(
        () => {
          const seconds = (performance.now() - started) / 1000;
          for (const topic of topics) this.telemetry.recordCommit(topic, seconds);
          const at = Date.now();
          const confirmed: CommittedOffset[] = [];
          for (const { state, offset } of entries) {
            // A rejoin while the request was out replaced the states: these are history.
            if (this.generation() !== generation) break;
            if (offset > state.committed) state.committed = offset;
            state.lastCommitAt = at;
            confirmed.push({
              generation,
              topic: state.topic,
              partition: state.partition,
              offset,
            });
          }
          if (confirmed.length > 0) this.onCommitted(confirmed);
        },
        (error: unknown) => {
          this.log.warn(
            { err: error, generation },
            'offset commit failed; the next one sends fresh offsets',
          );
          this.onRejected(error, generation);
        },
      )
      .finally(() => {
        if (this.busy === done) this.busy = undefined;
      });
    this.busy = done;
    return done;
  }
}
