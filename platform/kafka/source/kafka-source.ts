import type { EventEmitter } from 'node:events';
import { Producer, type ProducerOptions, type StopReason } from '../../../stages';
import type { Acknowledger } from '../../message/message';
import type { PartitionSnapshot } from '../../telemetry/telemetry';
import type { PauseScope } from './operator-pauses';
import type { KafkaSourceOptions, KafkaSourceOptionsInput } from './options';
import type { PauseEvent } from './partition-queues';
import {
  type SourceConsumer as Core,
  SourceConsumer,
  type SourceDependencies,
  type SourceEvents,
  type StopReport,
  type TopicPartitions,
} from './source-consumer';
import type { SourceMessage } from './source-message';

/** Stage settings of the source (its Kafka settings are the first constructor argument). */
export type KafkaSourceStageOptions = Pick<
  ProducerOptions<SourceMessage>,
  'dispatcher' | 'onDiscard'
>;

/** The info message the source sends itself when records arrived for pending demand. */
const AVAILABLE = Symbol('kafka-source:available');

/**
 * A producer stage that emits Kafka records as {@link SourceMessage}s, as far as its
 * consumers ask.
 *
 * Fetched records wait in per-partition queues; demand takes from them fairly across
 * partitions. A partition whose queue reaches its high-water mark (events or bytes) is
 * paused in kafkajs and resumed once demand drained it to the low-water mark, so a slow
 * pipeline slows the fetching instead of filling memory. Each message carries the source's
 * acknowledger: once every message below an offset was acknowledged (delivered, or
 * dead-lettered) that offset is committed, on an interval, on rebalance and on shutdown.
 *
 * ```ts
 * const source = new KafkaSource({ client: { brokers: ['localhost:9092'] }, groupId: 'g', topics: ['in'] });
 * const sink = new MySink({ subscribeTo: [{ producer: source, maxDemand: 500 }] });
 * source.start();            // joins the group (see whenStarted / whenReady)
 * sink.start();
 * // … each message reaches the end of the pipeline, then:
 * message.acknowledger.ack([message], []);
 * // graceful stop: stop fetching, wait for acks, commit, leave the group, finish the stages
 * await source.shutdown();
 * ```
 *
 * Delivery is at least once: after a rebalance or a crash, what was not committed is
 * delivered again (to this member or another one).
 */
export class KafkaSource extends Producer<SourceMessage> {
  /** The Kafka side: consumer, queues, offsets. Its events: `ready`, `not-ready`, `assigned`, `failed`. */
  readonly events: EventEmitter<SourceEvents>;
  readonly options: KafkaSourceOptions;
  private readonly core: Core;
  // Demand asked of this source and not yet met. A consumer that leaves keeps its share here:
  // the dispatcher subtracts it from the next asks (or from what lands in the stage buffer),
  // so dropping it here as well would lose that much demand and stall the others.
  private pendingDemand = 0;
  private infoQueued = false;
  private startResult: Promise<void> | undefined;

  constructor(
    options: KafkaSourceOptionsInput,
    deps: SourceDependencies = {},
    stage: KafkaSourceStageOptions = {},
  ) {
    const core = new SourceConsumer(options, deps);
    super({ ...stage, name: core.options.name });
    this.core = core;
    this.events = core;
    this.options = core.options;
    core.onAvailable = () => {
      if (this.pendingDemand > 0 && !this.infoQueued) {
        this.infoQueued = true;
        this.sendInfo(AVAILABLE);
      }
    };
  }

  /** Settles this source's messages (the same object every message carries). */
  get acknowledger(): Acknowledger {
    return this.core.acknowledger;
  }

  /** Group joined with partitions assigned, and not stopping. */
  get ready(): boolean {
    return this.core.ready;
  }

  /** Messages buffered in the partition queues, not yet emitted. */
  get bufferedEvents(): number {
    return this.core.bufferedEvents;
  }

  get bufferedBytes(): number {
    return this.core.bufferedBytes;
  }

  /** Topics subscribed to (patterns resolved), once started. */
  get topics(): readonly string[] {
    return this.core.topics;
  }

  /** Runs when the stage starts: checks the topics, joins the group, starts fetching. */
  override init(): Promise<void> {
    this.startResult ??= this.core.start();
    return this.startResult;
  }

  /**
   * Resolves once the Kafka side started (first group join); rejects with its error (for
   * example {@link KafkaTopicNotFoundError}). Starts the stage if it was not started.
   */
  whenStarted(): Promise<void> {
    if (this.status === 'idle') this.start();
    this.startResult ??= this.core.start();
    return this.startResult;
  }

  /** Resolves when ready (joined, partitions assigned); rejects after `timeoutMs`. */
  whenReady(timeoutMs?: number): Promise<void> {
    return this.core.whenReady(timeoutMs);
  }

  /** Per-partition state for metrics and `/topology` (also registered with telemetry). */
  snapshot(): PartitionSnapshot[] {
    return this.core.snapshot();
  }

  /** Recent pauses and resumes, oldest first. */
  pauseHistory(): PauseEvent[] {
    return this.core.pauseHistory();
  }

  pauseCounts(): { readonly pauses: number; readonly resumes: number } {
    return this.core.pauseCounts();
  }

  assignment(): TopicPartitions[] {
    return this.core.assignment();
  }

  /** Emitted messages not yet acknowledged (current assignment). */
  inFlight(): number {
    return this.core.inFlight();
  }

  /**
   * Pauses fetching the whole source (`{}`), a topic (`{ topic }`) or one partition
   * (`{ topic, partition }`) for an operator, without leaving the group: buffered messages
   * stay buffered, back-pressure never resumes it, and it outlives rebalances. Returns
   * false when it was already paused. Throws `KafkaTopicNotFoundError` for a topic this
   * source does not read. (Not `pause`: the stage core has its own, for handler calls.)
   */
  pauseFetching(scope: PauseScope = {}): boolean {
    return this.core.pause(scope);
  }

  /**
   * Lifts an operator's pause (and the narrower ones inside it). Returns false when nothing
   * was paused there; throws `KafkaSourceStateError` when a wider pause holds it.
   */
  resumeFetching(scope: PauseScope = {}): boolean {
    return this.core.resume(scope);
  }

  /** The operator's pauses in force, widest first (`{}` is the whole source). */
  operatorPauses(): PauseScope[] {
    return this.core.operatorPauses();
  }

  /**
   * Acknowledges `messages` (delivered) and returns the offset their partition may commit
   * now; for `commits: 'external'`, where the writer of the results commits the offsets in
   * its own transaction. The messages must all come from one partition.
   */
  settle(messages: readonly SourceMessage[]): number | undefined {
    const first = messages[0];
    if (!first) return undefined;
    this.core.acknowledger.ack(messages, []);
    return this.core.committable(first.topic, first.partition);
  }

  /** The offset `topic`/`partition` may commit now (see {@link settle}). */
  committable(topic: string, partition: number): number | undefined {
    return this.core.committable(topic, partition);
  }

  /** The writer of the results committed `offset` in its transaction (`commits: 'external'`). */
  committedExternally(topic: string, partition: number, offset: number): void {
    this.core.committedExternally(topic, partition, offset);
  }
  /**
   * Leaves the current assignment and rejoins the group (after a fenced transactional id:
   * the assignment may be out of date). See SourceConsumer.requestRejoin.
   */
  requestRejoin(): void {
    this.core.requestRejoin();
  }

  /** Commits what finished now. */
  commit(): Promise<void> {
    return this.core.commit();
  }

  /**
   * Graceful shutdown: stop fetching and drop what is buffered, wait (up to
   * `shutdownTimeoutMs`) until every emitted message was acknowledged, commit, leave the
   * group; then finish the stage, so consumers with cancel `'permanent'` finish too.
   */
  async shutdown(): Promise<StopReport> {
    const report = await this.core.stop();
    if (this.status === 'running') this.finish();
    return report;
  }

  handleDemand(demand: number): SourceMessage[] | undefined {
    this.pendingDemand += demand;
    return this.emitForDemand();
  }

  override handleInfo(message: unknown): SourceMessage[] | undefined {
    if (message !== AVAILABLE) return undefined;
    this.infoQueued = false;
    return this.emitForDemand();
  }

  /** Stopped some other way than shutdown(): still commit what finished and leave. */
  override async terminate(_reason: StopReason): Promise<void> {
    await this.core.stop();
  }

  private emitForDemand(): SourceMessage[] | undefined {
    if (this.pendingDemand === 0) return undefined;
    const messages = this.core.take(this.pendingDemand);
    if (messages.length === 0) return undefined;
    this.pendingDemand -= messages.length;
    return messages;
  }
}
