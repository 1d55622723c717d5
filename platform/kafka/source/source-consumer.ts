import { EventEmitter } from 'node:events';
import type {
  Consumer,
  ConsumerCrashEvent,
  ConsumerGroupJoinEvent,
  EachBatchPayload,
  Kafka,
} from 'kafkajs';
import { type Logger, logger as rootLogger } from '../../log/logger';
import type { Acknowledger } from '../../message/message';
import { noopTelemetry, type PartitionSnapshot, type Telemetry } from '../../telemetry/telemetry';
import { createKafka } from '../client/create-kafka';
import { KafkaSourceStateError, KafkaTopicNotFoundError } from '../errors';
import { parseOptions } from '../parse-options';
import { AckSettlement } from './ack-settlement';
import { AssignmentRegistry } from './assignment-registry';
import { isRebalancing } from './is-rebalancing';
import { atMost, createGatedConsumer } from './join-gate';
import { OffsetCommitter, type SendCommit } from './offset-committer';
import type { PauseScope } from './operator-pauses';
import {
  type KafkaSourceOptions,
  type KafkaSourceOptionsInput,
  kafkaSourceOptionsSchema,
} from './options';
import { PartitionQueues, type PauseEvent } from './partition-queues';
import { PausedWatermarks } from './paused-watermarks';
import { isMembershipLost, nudgeTargets, rejoinError } from './rejoin';
import { resolveTopics, type StartOffsets } from './resolve-topics';
import type { RevocationCause } from './revocation';
import { buildMessages, type SourceMessage } from './source-message';
import { partitionSnapshots, revocationReport } from './source-observation';
import { SourceReadiness } from './source-readiness';
import type { SourceDependencies, SourceEvents, StopReport, TopicPartitions } from './source-types';
import { SubscriptionAssigner } from './subscription-assigner';

export type { SourceDependencies, SourceEvents, StopReport, TopicPartitions } from './source-types';

type Phase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The Kafka side of the source: a kafkajs consumer in a group, per-partition queues and
 * offset trackers, and the commits. This file is the client loop (start, fetched batches,
 * rebalances, stop); the partitions' state is an {@link AssignmentRegistry}, readiness a
 * {@link SourceReadiness}, acknowledgements an {@link AckSettlement}, and what metrics and
 * reports read comes from `source-observation.ts`. {@link KafkaSource} puts a stage in front of it; it
 * can also be used on its own: `start()`, then `take(n)` whenever `onAvailable` fires or
 * demand arrives, `stop()` at the end.
 *
 * Guarantees: records are handed out in offset order per partition; a partition's commit
 * never passes a message that was not acknowledged (successful or dead-lettered); after a
 * rebalance, acknowledgements of messages handed out before it are ignored and everything
 * not committed is fetched again (at least once: duplicates across rebalances, no loss).
 */
export class SourceConsumer extends EventEmitter<SourceEvents> {
  readonly options: KafkaSourceOptions;
  /** Settles this source's messages: marks their offsets done (success or dead-lettered). */
  readonly acknowledger: Acknowledger;
  /** Called after new messages were buffered (from kafkajs's eachBatch; keep it cheap). */
  onAvailable: (() => void) | undefined;

  private readonly kafka: Kafka;
  private readonly telemetry: Telemetry;
  private readonly log: Logger;
  private readonly queues: PartitionQueues<SourceMessage>;
  private readonly registry: AssignmentRegistry;
  private readonly readiness: SourceReadiness;
  private readonly settlement: AckSettlement;
  private consumer: Consumer | undefined;
  private startOffsets: StartOffsets | undefined;
  private subscribed: readonly string[] = [];
  private phase: Phase = 'idle';
  private starting: Promise<void> | undefined;
  private stopping: Promise<StopReport> | undefined;
  private joins = 0;
  /** This member's id in the group, from the last join. */
  private memberId: string | undefined;
  /** A rebalance is under way: queued messages are about to be dropped, hand none out. */
  private revoking = false;
  /** The drain of the current revocation: kafkajs's next JoinGroup waits for it. */
  private rejoinHold: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private readonly committer: OffsetCommitter;
  /** kafkajs's single-attempt commit in the current generation, from the last batch. */
  private sendCommit: SendCommit;
  /** kafkajs's (throttled) heartbeat, from the last batch: the source's own watch uses it. */
  private heartbeatVia: (() => Promise<void>) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeating = false;
  /** How and when the current rebalance was noticed (undefined: not noticed). */
  private revokeCause: RevocationCause | undefined;
  private revokeAt = 0;
  /** When the source last made kafkajs fetch so that it rejoins (see watchHeartbeat). */
  private nudgedAt = 0;
  private unobserve: (() => void) | undefined;
  /** Refreshes paused partitions' high watermarks (their lag would freeze otherwise). */
  private watermarks: PausedWatermarks | undefined;

  constructor(options: KafkaSourceOptionsInput, deps: SourceDependencies = {}) {
    super();
    this.options = parseOptions('KafkaSource', kafkaSourceOptionsSchema, options);
    this.telemetry = deps.telemetry ?? noopTelemetry;
    this.log = (deps.logger ?? rootLogger()).child({
      component: 'kafka-source',
      source: this.options.name,
    });
    this.kafka = this.options.kafka ?? createKafka(this.options.client!, this.log);
    const q = this.options.queue;
    this.queues = new PartitionQueues<SourceMessage>(
      {
        highEvents: q.highWaterEvents,
        lowEvents: q.lowWaterEvents,
        highBytes: q.highWaterBytes,
        lowBytes: q.lowWaterBytes,
      },
      {
        onPause: (topic, partition, cause) => {
          this.consumer?.pause([{ topic, partitions: [partition] }]);
          // The pauses counter measures back-pressure; operator actions have their own.
          if (cause === 'backpressure') this.telemetry.recordPause(topic, partition);
        },
        onResume: (topic, partition) => this.consumer?.resume([{ topic, partitions: [partition] }]),
      },
      deps.now ?? Date.now,
      this.options.pauseHistoryLimit,
    );
    this.registry = new AssignmentRegistry(this.queues);
    this.readiness = new SourceReadiness(this, this.options.name);
    this.settlement = new AckSettlement(this.registry, () => {
      // While revoked, what is acknowledged is committed as it comes (old generation).
      if (this.revoking && this.phase === 'running') this.committer.commitIfIdle();
    });
    this.acknowledger = this.settlement.acknowledger;
    this.committer = new OffsetCommitter(
      () => this.sendCommit,
      // With external commits the results' writer commits (in its transactions), never us.
      () => (this.options.commits === 'external' ? [] : this.registry.list),
      () => this.joins,
      this.telemetry,
      this.log,
      (offsets) => this.emit('committed', offsets),
      // The group no longer takes our commits: the assignment is gone, stop handing out.
      // (Only in the generation it was sent in: a late refusal must not end the next one.)
      (error, generation) => {
        if (isMembershipLost(error) && this.phase === 'running' && generation === this.joins) {
          this.beginRevocation('commit');
        }
      },
      this.options.commitMetadata,
    );
  }

  /** True while the group is joined with at least one partition assigned (and not stopping). */
  get ready(): boolean {
    return this.readiness.ready;
  }

  /** The topics subscribed to (patterns resolved), known after start(). */
  get topics(): readonly string[] {
    return this.subscribed;
  }

  /** Messages buffered and not yet handed out, across partitions. */
  get bufferedEvents(): number {
    return this.queues.bufferedEvents;
  }

  get bufferedBytes(): number {
    return this.queues.bufferedBytes;
  }

  /** Recent pauses and resumes, oldest first (bounded by `pauseHistoryLimit`). */
  pauseHistory(): PauseEvent[] {
    return this.queues.pauseHistory();
  }

  /** Pauses and resumes since construction. */
  pauseCounts(): { readonly pauses: number; readonly resumes: number } {
    return this.queues.counts;
  }

  /** The current assignment. */
  assignment(): TopicPartitions[] {
    return this.registry.assignment();
  }

  /** Per-partition state, read at scrape time (registered with `telemetry.observe`). */
  snapshot(): PartitionSnapshot[] {
    return partitionSnapshots(this.registry.list, this.memberId);
  }

  /**
   * The offset `topic`/`partition` may commit now, in the current assignment: every message
   * below it was acknowledged. `undefined` when the partition is not assigned or nothing
   * is known yet. For `commits: 'external'`, where the writer of the results commits.
   */
  committable(topic: string, partition: number): number | undefined {
    return this.registry.committable(topic, partition);
  }

  /**
   * For `commits: 'external'`: the writer of the results committed `offset` (in its
   * transaction). Lag and commit age then read as for the source's own commits.
   */
  committedExternally(topic: string, partition: number, offset: number): void {
    this.registry.committedExternally(topic, partition, offset);
  }

  /** Handed-out messages not yet acknowledged, in the current assignment. */
  inFlight(): number {
    return this.registry.inFlight();
  }

  /**
   * Checks the topics (missing ones are a {@link KafkaTopicNotFoundError}), joins the
   * group and starts fetching. Resolves once the first join completed.
   */
  start(): Promise<void> {
    if (this.phase !== 'idle') {
      return Promise.reject(
        new KafkaSourceStateError(
          `KafkaSource '${this.options.name}': start() called while ${this.phase}`,
        ),
      );
    }
    this.phase = 'starting';
    this.starting = this.doStart().catch(async (error: unknown) => {
      this.phase = 'stopped';
      await this.consumer?.disconnect().catch(() => {});
      throw error;
    });
    return this.starting;
  }

  /** Resolves when the source is ready; rejects after `timeoutMs`. */
  whenReady(timeoutMs = 30_000): Promise<void> {
    return this.readiness.whenReady(timeoutMs);
  }

  /** Up to `demand` buffered messages, fairly across partitions. Never waits. */
  take(demand: number): SourceMessage[] {
    if (this.phase !== 'running' || this.revoking) return [];
    return this.queues.take(demand);
  }

  /**
   * Graceful shutdown: stop fetching, drop what is buffered, wait up to
   * `shutdownTimeoutMs` for handed-out messages to be acknowledged, commit, leave the group.
   */
  stop(): Promise<StopReport> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /**
   * An operator's pause of the whole source (`{}`), a topic or a partition: fetching stops
   * there and buffered messages stay buffered, without leaving the group; it outlives
   * rebalances and back-pressure resumes. Returns false when it was already paused. Throws
   * {@link KafkaTopicNotFoundError} for a topic this source does not read.
   */
  pause(scope: PauseScope = {}): boolean {
    return this.queues.pauseByOperator(this.checkScope(scope));
  }

  /**
   * Lifts an operator's pause of `scope` and of narrower scopes inside it. Returns false
   * when nothing was paused there; throws {@link KafkaSourceStateError} when a wider pause
   * holds it (resume that one).
   */
  resume(scope: PauseScope = {}): boolean {
    let changed: boolean;
    try {
      changed = this.queues.resumeByOperator(this.checkScope(scope));
    } catch (error) {
      if (error instanceof KafkaTopicNotFoundError) throw error;
      throw new KafkaSourceStateError(
        `KafkaSource '${this.options.name}': ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (changed && this.queues.bufferedEvents > 0) this.onAvailable?.();
    return changed;
  }

  /** The operator's pauses in force, widest first. */
  operatorPauses(): PauseScope[] {
    return this.queues.operatorPauses();
  }

  private checkScope(scope: PauseScope): PauseScope {
    if (scope.topic !== undefined && !this.subscribed.includes(scope.topic)) {
      throw new KafkaTopicNotFoundError(
        `KafkaSource '${this.options.name}': topic '${scope.topic}' is not one this source reads (${this.subscribed.map((t) => `'${t}'`).join(', ') || 'none yet: not started'})`,
        [scope.topic],
      );
    }
    return scope;
  }

  /** Commits what finished now (also runs on the interval, on rebalance and on stop). */
  commit(): Promise<void> {
    return this.committer.commit();
  }

  private async doStart(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const resolved = await resolveTopics(admin, this.options.name, this.options);
      this.subscribed = resolved.topics;
      this.startOffsets = resolved.startOffsets;
    } finally {
      await admin.disconnect();
    }
    const { session, fetch } = this.options;
    const { consumer, gated } = createGatedConsumer(
      this.kafka,
      {
        groupId: this.options.groupId,
        sessionTimeout: session.sessionTimeoutMs,
        heartbeatInterval: session.heartbeatIntervalMs,
        rebalanceTimeout: session.rebalanceTimeoutMs,
        maxWaitTimeInMs: fetch.maxWaitTimeMs,
        minBytes: fetch.minBytes,
        maxBytes: fetch.maxBytes,
        maxBytesPerPartition: fetch.maxBytesPerPartition,
        allowAutoTopicCreation: false,
        // Members of one group may read different topics (a pipeline's repartition hop).
        partitionAssigners: [SubscriptionAssigner],
      },
      // With external commits (exactly once) the source has nothing to commit, and the
      // window stages hold acknowledgements past any drain: a hold would only delay the join.
      () =>
        this.rejoinHold && this.options.commits !== 'external'
          ? atMost(
              this.rejoinHold,
              Math.min(session.sessionTimeoutMs, session.rebalanceTimeoutMs) -
                session.heartbeatIntervalMs,
            )
          : Promise.resolve(),
    );
    if (!gated) {
      this.log.warn('kafkajs internals not found: rejoins are not held for the rebalance drain');
    }
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => this.onGroupJoin(event));
    consumer.on(consumer.events.REBALANCING, () => this.onRebalancing());
    consumer.on(consumer.events.CRASH, (event) => this.onCrash(event));
    // The group can stay formally joined while the broker does not answer: readiness also
    // follows the requests, lost on a timeout, back on the next heartbeat or fetch.
    consumer.on(consumer.events.REQUEST_TIMEOUT, () => this.readiness.requestTimedOut());
    const answered = () => this.readiness.answered(this.canBeReady());
    consumer.on(consumer.events.HEARTBEAT, answered);
    consumer.on(consumer.events.FETCH, answered);
    await consumer.connect();
    await consumer.subscribe({
      topics: [...this.subscribed],
      // Only used when the group has no committed offset for a partition.
      fromBeginning: this.options.startFrom !== 'latest',
    });
    this.unobserve = this.telemetry.observe({ partitions: () => this.snapshot() });
    this.phase = 'running';
    this.watermarks = new PausedWatermarks(this.kafka, () => this.registry.list, this.log);
    this.watermarks.start();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.commitTimer = setInterval(
      () => this.committer.commitIfIdle(),
      this.options.commitIntervalMs,
    );
    this.commitTimer.unref();
    // Between batches (paused partitions, an idle topic) kafkajs notices a rebalance in its
    // fetch loop and rejoins at once; a heartbeat of our own notices it as early, so that
    // handing out stops and what finished is committed while the old generation still can.
    this.heartbeatTimer = setInterval(() => this.watchHeartbeat(), session.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  /**
   * Buffers one fetched batch and returns at once: kafkajs fetches again only after every
   * batch of a fetch was handled. A batch for a paused partition (fetched before the pause,
   * kafkajs #612) is not taken and not resolved, so it is fetched again after the resume.
   */
  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const batch = payload.batch;
    // Commits go through this, not consumer.commitOffsets: see OffsetCommitter.
    this.sendCommit = payload.commitOffsetsIfNecessary;
    this.heartbeatVia = payload.heartbeat;
    if (this.phase !== 'running' || !payload.isRunning() || payload.isStale()) return;
    if (this.revoking) {
      // Revoked, and kafkajs fetches instead of rejoining (a join that failed half-way
      // leaves it fetching with the old assignment, and no GROUP_JOIN ever comes): finish
      // the drain, then make it rejoin. Never hand out records of an assignment we left.
      await this.drainForRebalance(this.revokeCause ?? 'batch');
      throw rejoinError(`assignment revoked (${this.revokeCause})`);
    }
    const state = this.registry.get(batch.topic, batch.partition);
    if (!state) return;
    state.highWatermark = Number(batch.highWatermark);
    if (state.queue.paused) return;
    if (state.firstOffset < 0) state.firstOffset = Number(batch.firstOffset() ?? -1);
    const messages = buildMessages(batch, state.tracker, this.acknowledger, this.telemetry);
    const last = batch.lastOffset();
    state.tracker.advanceTo(Number(last) + 1);
    if (messages.length > 0) this.queues.push(state.queue, messages);
    payload.resolveOffset(last);
    if (messages.length > 0) this.onAvailable?.();
    try {
      // Throttled by kafkajs to the heartbeat interval. Calling it here means a rebalance
      // is usually noticed in this batch, where there is still time to drain and commit.
      await payload.heartbeat();
    } catch (error) {
      // kafkajs rejoins once this batch returns: the drain holds the rejoin.
      if (isRebalancing(error) || isMembershipLost(error)) await this.drainForRebalance('batch');
      throw error;
    }
  }

  /**
   * Before rejoining: stop handing out, wait boundedly for acks, commit what finished.
   * kafkajs's next JoinGroup waits for this (join-gate.ts), however the rebalance was
   * noticed: until this member rejoins, the group still takes its commits.
   */
  private drainForRebalance(cause: RevocationCause): Promise<void> {
    const drain = (async () => {
      this.beginRevocation(cause);
      await this.settlement.waitForAcks(this.options.rebalanceDrainTimeoutMs);
      await this.commit();
    })();
    this.rejoinHold = drain.catch(() => {});
    return drain;
  }

  /**
   * A rebalance was noticed: hand nothing more out (every partition is revoked, eager
   * protocol) and commit what finished. Acknowledgements arriving until the next join are
   * committed as they come (see settle), while the old generation is still accepted.
   */
  private beginRevocation(cause: RevocationCause): void {
    if (!this.revoking) {
      this.revoking = true;
      this.revokeCause = cause;
      this.revokeAt = Date.now();
      // Noticed before kafkajs: its next heartbeat would rejoin at once, with the messages
      // in flight still unacknowledged. A batch reaches eachBatch first, which holds the
      // rejoin until they are drained and committed.
      if (cause === 'heartbeat' || cause === 'commit') this.nudge(false);
    }
    this.readiness.set(false, 'rebalancing');
    this.committer.commitIfIdle();
  }

  /**
   * Gives up the current assignment and rejoins the group: stop handing out, drain, commit,
   * then kafkajs rejoins from the next fetched batch (see eachBatch). For a member whose
   * assignment may be out of date although the group has not said so (a transactional id of
   * one of its partitions was fenced: another member owns it now, or the broker expired its
   * transaction). A new assignment follows either way.
   */
  requestRejoin(): void {
    if (this.phase !== 'running' || this.revoking) return;
    this.log.warn('rejoining the group on request (a transactional id was fenced)');
    this.beginRevocation('requested');
    // A fetch must reach eachBatch, which drains and makes kafkajs rejoin.
    this.nudge(true);
  }

  private onRebalancing(): void {
    // kafkajs is about to rejoin: its JoinGroup waits for this drain (join-gate.ts).
    void this.drainForRebalance('rejoin');
  }

  private watchHeartbeat(): void {
    if (this.phase === 'running' && this.revoking) this.nudgeIfStuck();
    const heartbeat = this.heartbeatVia;
    if (this.phase !== 'running' || this.revoking || this.heartbeating || !heartbeat) return;
    this.heartbeating = true;
    const generation = this.joins;
    heartbeat().then(
      () => {
        this.heartbeating = false;
      },
      (error: unknown) => {
        this.heartbeating = false;
        const current = generation === this.joins && this.phase === 'running';
        if (current && (isRebalancing(error) || isMembershipLost(error))) {
          void this.drainForRebalance('heartbeat');
        }
      },
    );
  }

  /**
   * A revocation with no join after a whole rebalance and session timeout: kafkajs is not
   * rejoining (it fetches nothing new, so eachBatch never runs to make it). Seeking the
   * partitions that hold buffered records back to their confirmed offsets makes it fetch
   * a batch, and eachBatch then makes it rejoin.
   */
  private nudgeIfStuck(): void {
    const { rebalanceTimeoutMs, sessionTimeoutMs } = this.options.session;
    const stuckAfter = rebalanceTimeoutMs + sessionTimeoutMs;
    const now = Date.now();
    if (now - this.revokeAt < stuckAfter || now - this.nudgedAt < stuckAfter) return;
    this.log.warn(
      { revokedForMs: now - this.revokeAt, cause: this.revokeCause },
      'no rejoin after a revocation: making the consumer fetch and rejoin',
    );
    this.nudge(true);
  }

  /**
   * Makes kafkajs fetch a batch soon, so that it reaches eachBatch, which drains and then
   * makes it rejoin: resumes every partition and seeks those holding buffered records back
   * to their last confirmed offset (see nudgeTargets).
   */
  private nudge(seek: boolean): void {
    this.nudgedAt = Date.now();
    const consumer = this.consumer!;
    consumer.resume(consumer.paused());
    // A seek outlives the rejoin when kafkajs rejoins before fetching: only when stuck.
    if (!seek) return;
    for (const target of nudgeTargets(this.registry.list)) {
      try {
        consumer.seek(target);
      } catch (error) {
        this.log.warn({ err: error, ...target }, 'seek to force a rejoin failed');
      }
    }
  }

  private onGroupJoin(event: ConsumerGroupJoinEvent): void {
    const consumer = this.consumer!;
    this.joins += 1;
    this.memberId = event.payload.memberId;
    if (this.joins > 1) {
      this.telemetry.recordRebalance();
      this.reportRevocation();
    }
    // Eager rebalancing: every partition was revoked. Drop all buffers and start a new
    // generation everywhere; kafkajs fetches each partition again from the committed offset.
    this.queues.clear();
    // A restarted consumer has a new runner: commit through it once it fetched.
    this.sendCommit = undefined;
    this.revoking = false;
    this.rejoinHold = undefined;
    this.revokeCause = undefined;
    this.heartbeatVia = undefined;
    const paused = consumer.paused();
    if (paused.length > 0) consumer.resume(paused);
    const { assignment, seeks } = this.registry.replace(
      event.payload.memberAssignment,
      this.startOffsets,
    );
    for (const seek of seeks) consumer.seek(seek);
    this.log.info({ assignment, joins: this.joins }, 'partitions assigned');
    this.emit('assigned', assignment);
    this.readiness.joined(this.canBeReady());
  }

  private onCrash(event: ConsumerCrashEvent): void {
    const { error, restart } = event.payload;
    this.beginRevocation('crash');
    this.readiness.set(false, 'consumer crashed');
    this.log.error({ err: error, restart }, 'kafka consumer crashed');
    if (!restart) this.emit('failed', error);
  }

  /** Reports what the assignment that just ended cost (event `revoked`). */
  private reportRevocation(stop = false): void {
    const report = revocationReport(this.registry.list, {
      generation: stop ? this.joins : this.joins - 1,
      cause: stop ? 'stop' : (this.revokeCause ?? 'unnoticed'),
      unacknowledged: this.inFlight(),
      noticedAt: this.revokeCause ? this.revokeAt : 0,
    });
    this.log.info(report, 'assignment revoked');
    this.emit('revoked', report);
  }

  private async doStop(): Promise<StopReport> {
    if (this.phase === 'idle') {
      this.phase = 'stopped';
      return { drained: true, unacknowledged: 0, droppedBuffered: 0 };
    }
    if (this.starting) await this.starting.catch(() => {});
    if (this.phase === 'stopped') return { drained: true, unacknowledged: 0, droppedBuffered: 0 };
    this.phase = 'stopping';
    this.readiness.set(false, 'stopping');
    clearInterval(this.commitTimer);
    clearInterval(this.heartbeatTimer);
    const consumer = this.consumer!;
    if (this.subscribed.length > 0) consumer.pause(this.subscribed.map((topic) => ({ topic })));
    for (const s of this.registry.list) s.dropped += s.queue.events;
    const droppedBuffered = this.queues.clear();
    const drained = await this.settlement.waitForAcks(this.options.shutdownTimeoutMs);
    const unacknowledged = this.inFlight();
    await this.commit();
    await this.committer.close();
    // What leaving the group exposes: acknowledged but not committed (a commit refused by
    // a rebalance under way), or never acknowledged.
    if (this.registry.list.length > 0) this.reportRevocation(true);
    await this.watermarks?.stop();
    await consumer.disconnect();
    this.unobserve?.();
    this.phase = 'stopped';
    this.log.info({ drained, unacknowledged, droppedBuffered }, 'source stopped');
    return { drained, unacknowledged, droppedBuffered };
  }

  private canBeReady(): boolean {
    return this.phase === 'running' && !this.revoking && this.registry.list.length > 0;
  }
}
