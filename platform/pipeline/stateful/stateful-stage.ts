import { performance } from 'node:perf_hooks';
import { type Context, context } from '@opentelemetry/api';
import {
  InvalidArgumentError,
  ProducerConsumer,
  type ProducerConsumerOptions,
} from '../../../stages/index';
import type { Message } from '../../message/message';
import type { Telemetry } from '../../telemetry/telemetry';
import { acknowledge } from '../acknowledge';
import type { DeadLetterer } from '../dead-letter';
import { HopDedup, type Sequence } from '../repartition/hop-dedup';
import { isMarker, markerIdle, markerProgress, recordOrigin } from '../repartition/hop-headers';
import type { WriterWatermarks } from '../repartition/writer-watermarks';
import { emitMessages } from './emission';
import type {
  StatefulHandler,
  StatefulOutput,
  StatefulResult,
  TransactionalOutput,
} from './stateful-handler';

const TICK = Symbol('stateful:tick');
const ASSIGNED = Symbol('stateful:assigned');
/** Transactions tried per emission before the stage gives up (about a minute of backoff). */
const COMMIT_ATTEMPTS = 15;

/** A new assignment of the input partitions (a rebalance), queued behind earlier events. */
interface Assigned {
  readonly kind: typeof ASSIGNED;
  readonly partitions: readonly number[];
}

/** What is stored with each committed offset of the stage's input, per partition. */
interface Checkpoint {
  /** Watermark whose state was emitted and confirmed. */
  readonly f: number;
  /** Per writer, the last sequence read below the committed offset. */
  readonly d: Record<string, Sequence>;
  /**
   * Per writer, the last sequence handed to the handler by the time of the commit: after a
   * restart, a record past it is new (a writer that stalled past the idle timeout and came
   * back), so a window it falls in that was already emitted makes it late, not a re-read.
   */
  readonly h?: Record<string, Sequence>;
}

/** Where the stage's checkpoints live: the metadata of the committed offsets. */
export interface CheckpointStore {
  /** The metadata committed with each partition's offset, for the given partitions. */
  load(partitions: readonly number[]): Promise<ReadonlyMap<number, string>>;
  /**
   * At least once: the stage hands over how to checkpoint the offset its source is about
   * to commit (`checkpoint(partition, offset)`), and the store has the source commit it
   * beside the offset. (Exactly once, the stage writes its checkpoints in its transactions.)
   */
  use?(checkpoint: (partition: number, offset: number) => string): void;
}

export interface StatefulStageSettings {
  readonly handler: StatefulHandler;
  readonly watermarks: WriterWatermarks;
  readonly deadLetterer: DeadLetterer;
  readonly telemetry: Telemetry;
  readonly tickIntervalMs: number;
  /** Topic label of what the stage emits (telemetry). */
  readonly outputLabel: string;
  readonly checkpoints?: CheckpointStore;
  /**
   * Exactly once: results go straight to the output in one transaction per input
   * partition, with the offsets and the checkpoint; nothing is passed downstream.
   */
  readonly transactional?: TransactionalOutput;
  /** Exactly once: how long results gather before their transaction. Default 0: each batch. */
  readonly commitIntervalMs?: number;
  /** Told when a transaction was refused because another instance owns the partition. */
  readonly onFenced?: (partition: number, error: Error) => void;
  /**
   * Told when results of a partition were dropped because its assignment ended after they
   * were built (exactly once; they are built again from the committed offsets).
   */
  readonly onStale?: (partition: number) => void;
  readonly now?: () => number;
}

/**
 * The stage that runs a {@link StatefulHandler} after a repartition hop: every message of
 * one key arrives here, in every instance, for the partitions this instance owns.
 *
 * It reads the hop's watermark markers and data records to keep each partition's
 * watermark ({@link WriterWatermarks}), drops records a writer delivered twice
 * ({@link HopDedup}), hands data to the handler, asks it to advance after each batch and on
 * a timer, and passes what it emits downstream as new messages whose confirmation
 * acknowledges the inputs they cover (deferred acknowledgement). Refused messages go to the
 * dead-letter topic.
 *
 * A new assignment of its input ({@link reassigned}, a rebalance) starts everything over
 * from the committed offsets, with the state stored beside them ({@link checkpoint}): the
 * watermark up to which results were emitted and confirmed, and the writers' last
 * sequences. So after a crash, a restart or a rebalance, results already delivered are not
 * emitted again in part, and upstream re-deliveries are not counted twice.
 */
export class StatefulStage extends ProducerConsumer<Message, Message> {
  private timer: NodeJS.Timeout | undefined;
  private readonly generations = new Map<number, number>();
  private readonly dedup = new HopDedup();
  /** Emissions not confirmed yet, oldest first, with the watermark each one reached. */
  private readonly unconfirmed: { watermark: number; settled: boolean }[] = [];
  private confirmed = Number.NEGATIVE_INFINITY;
  /**
   * Per partition, the watermark its last checkpoint confirmed. A checkpoint written since
   * the restart never says less: until the handler's own watermark passes it again (it
   * starts over at −∞), a transaction of inputs done early (copies, inputs of windows
   * delivered before) would otherwise store −∞, and the next restart would aggregate again
   * the held inputs of windows already delivered: a partial copy of those windows.
   */
  private readonly floors = new Map<number, number>();
  /**
   * Exactly once: the partitions whose state this stage holds, from its last restart until
   * the next rebalance. Emptied as soon as a new assignment is announced, set again when
   * the stage restarts on it. Results of any other partition are dropped, not committed:
   * an instance that was frozen past its session (a zombie) wakes up with events built on
   * state another instance has since delivered; once its own new assignment re-initialised
   * the partition's transactional id, nothing else would refuse them.
   */
  private readonly owned = new Set<number>();
  /** Per partition, the `h` of its restored checkpoint (see Checkpoint.h). */
  private readonly handled = new Map<number, Record<string, Sequence>>();
  /** Exactly once: results waiting for the next transaction, and when the last one went. */
  private readonly gathered: StatefulResult[] = [];
  private gatheredTrace: Context | undefined;
  private lastCommit = 0;
  private readonly now: () => number;

  constructor(
    options: ProducerConsumerOptions<Message, Message>,
    private readonly settings: StatefulStageSettings,
  ) {
    super(options);
    this.now = settings.now ?? Date.now;
    if (!settings.transactional) settings.checkpoints?.use?.((p, o) => this.checkpoint(p, o));
  }

  override init(): void {
    this.timer = setInterval(() => this.sendInfo(TICK), this.settings.tickIntervalMs);
    this.timer.unref();
  }

  override terminate(): void {
    clearInterval(this.timer);
  }

  /**
   * What to store with the committed offset `offset` of input `partition` (the commit
   * metadata): every input below it is done, so its state is emitted and confirmed.
   */
  checkpoint(partition: number, offset: number): string {
    const f = Math.max(this.confirmed, this.floors.get(partition) ?? Number.NEGATIVE_INFINITY);
    const checkpoint: Checkpoint = {
      f: Number.isFinite(f) ? f : -1,
      d: this.dedup.stateAt(partition, offset),
      h: this.handedOver(partition),
    };
    return JSON.stringify(checkpoint);
  }

  /**
   * The input was assigned anew (an eager rebalance revoked everything first): the handler,
   * the watermarks and the copy detection start over from the committed offsets and the
   * checkpoints stored with them, since everything not committed is delivered again and
   * what the stage held can no longer be acknowledged.
   */
  reassigned(partitions: readonly number[]): void {
    // At once, not in turn: events already queued were built on the state of the assignment
    // that just ended, and must not be committed under the new one (see `owned`).
    this.owned.clear();
    const info: Assigned = { kind: ASSIGNED, partitions: [...partitions] };
    this.sendInfo(info);
  }

  override async handleEvents(messages: Message[]): Promise<Message[]> {
    const started = performance.now();
    const now = this.now();
    const { watermarks, handler, telemetry } = this.settings;
    const data: Message[] = [];
    const skipped: Message[] = [];
    const fresh = new WeakSet<Message>();
    for (const m of messages) {
      if (this.stale(m)) continue;
      if (isMarker(m)) {
        const progress = markerProgress(m);
        if (progress) {
          const idle = markerIdle(m);
          for (const [writer, time] of Object.entries(progress)) {
            watermarks.report(m.partition, writer, time, now, idle);
          }
        }
        skipped.push(m);
        continue;
      }
      const origin = recordOrigin(m);
      if (!origin) {
        watermarks.assign(m.partition, now);
        data.push(m);
        continue;
      }
      watermarks.report(m.partition, origin.writer, origin.eventTime, now);
      if (
        Number.isFinite(origin.offset) &&
        !this.dedup.accept(m.partition, m.offset, origin.writer, [origin.offset, origin.index])
      ) {
        skipped.push(m); // a re-delivery: its first copy was counted
        continue;
      }
      const handled = this.handled.get(m.partition)?.[origin.writer];
      if (
        handled &&
        Number.isFinite(origin.offset) &&
        (origin.offset > handled[0] || (origin.offset === handled[0] && origin.index > handled[1]))
      ) {
        fresh.add(m);
      }
      data.push(m);
    }
    const out: Message[] = [];
    let trace: Context | undefined;
    // What this batch emits continues its `process` span, linked to every input's trace; a
    // batch of markers only (progress that closes windows) links the writers' sends.
    const traced = data.length > 0 ? data : skipped;
    let handled: StatefulResult | undefined;
    if (traced.length > 0) {
      handled = telemetry.traceBatch(this.name, traced[0]!.topic, traced, () => {
        trace = context.active();
        return data.length > 0 ? handler.handle(data, now, (m) => fresh.has(m)) : undefined;
      });
    }
    if (handled) {
      await this.refuse(data);
      out.push(...(await this.emit(handled, now, trace)));
    }
    out.push(...(await this.emit(this.advance(now), now, trace)));
    // Markers and copies carry no work: done as soon as they were read.
    if (skipped.length > 0) acknowledge(skipped, []);
    telemetry.recordBatch(this.name, {
      eventsIn: messages.length,
      eventsOut: out.length,
      seconds: (performance.now() - started) / 1000,
    });
    return out;
  }

  override async handleInfo(message: unknown): Promise<Message[] | undefined> {
    if ((message as Assigned | undefined)?.kind === ASSIGNED) {
      await this.restart((message as Assigned).partitions);
      return undefined;
    }
    if (message !== TICK) return undefined;
    const now = this.now();
    const out = await this.emit(this.advance(now), now);
    if (this.settings.transactional && this.gathered.length > 0) await this.flush(now);
    return out.length > 0 ? out : undefined;
  }

  private async restart(partitions: readonly number[]): Promise<void> {
    const { watermarks, handler, checkpoints } = this.settings;
    // Read the checkpoints first: events queued behind this one wait for it.
    const stored = checkpoints ? await checkpoints.load(partitions) : new Map<number, string>();
    const now = this.now();
    for (const p of watermarks.assigned()) watermarks.revoke(p);
    for (const p of partitions) watermarks.assign(p, now);
    this.generations.clear();
    this.dedup.reset();
    this.unconfirmed.length = 0;
    this.gathered.length = 0;
    this.confirmed = Number.NEGATIVE_INFINITY;
    this.floors.clear();
    this.handled.clear();
    this.owned.clear();
    for (const p of partitions) this.owned.add(p);
    handler.reset();
    let floor = Number.POSITIVE_INFINITY;
    for (const p of partitions) {
      const checkpoint = parseCheckpoint(stored.get(p));
      if (!checkpoint) {
        floor = Number.NEGATIVE_INFINITY;
        continue;
      }
      this.dedup.restore(p, checkpoint.d);
      if (checkpoint.h) this.handled.set(p, checkpoint.h);
      if (checkpoint.f >= 0) {
        handler.restore(p, checkpoint.f);
        this.floors.set(p, checkpoint.f);
      }
      floor = Math.min(floor, checkpoint.f >= 0 ? checkpoint.f : Number.NEGATIVE_INFINITY);
    }
    // What every partition had confirmed stays confirmed until new emissions settle.
    if (partitions.length > 0 && Number.isFinite(floor)) this.confirmed = floor;
  }

  private advance(now: number): StatefulResult {
    const { watermarks, handler } = this.settings;
    return handler.advance((p) => watermarks.current(p, now), watermarks.assigned(), now);
  }

  private emit(
    result: StatefulResult,
    now: number,
    trace?: Context,
  ): Message[] | Promise<Message[]> {
    if (result.emit.length === 0 && result.done.length === 0) return [];
    if (this.settings.transactional) {
      // Results gather for up to `commitIntervalMs`, then go in one transaction per
      // partition (a transaction per batch would bound throughput by its round trips).
      this.gathered.push(result);
      this.gatheredTrace ??= trace;
      if (now - this.lastCommit < (this.settings.commitIntervalMs ?? 0)) return [];
      return this.flush(now).then(() => []);
    }
    const entry = { watermark: this.settings.handler.watermark, settled: false };
    this.unconfirmed.push(entry);
    const origin = { topic: this.settings.outputLabel, now, trace };
    return emitMessages(result.emit, result.done, origin, () => {
      entry.settled = true;
      while (this.unconfirmed[0]?.settled) {
        const first = this.unconfirmed.shift()!;
        if (first.watermark > this.confirmed) this.confirmed = first.watermark;
      }
    });
  }

  /**
   * Per writer, the last sequence handed to the handler on `partition`: what was read since
   * the restart, and never less than the restored checkpoint said (right after a restart
   * nothing is read yet, and a checkpoint written then must not forget what was handed over
   * before it, or records read again after the next restart would count as new: late).
   */
  private handedOver(partition: number): Record<string, Sequence> {
    const out: Record<string, Sequence> = { ...(this.handled.get(partition) ?? {}) };
    for (const [writer, seq] of Object.entries(this.dedup.latest(partition))) {
      const had = out[writer];
      if (!had || seq[0] > had[0] || (seq[0] === had[0] && seq[1] > had[1])) out[writer] = seq;
    }
    return out;
  }

  /** Exactly once: commits what gathered since the last transaction. */
  private flush(now: number): Promise<void> {
    const results = this.gathered.splice(0);
    const trace = this.gatheredTrace;
    this.gatheredTrace = undefined;
    this.lastCommit = now;
    if (results.length === 0) return Promise.resolve();
    const merged: StatefulResult = {
      emit: results.flatMap((r) => r.emit),
      done: results.flatMap((r) => r.done),
    };
    // Inside the batch's trace: the send span of the results descends from its process span.
    return context.with(trace ?? context.active(), () => this.commit(merged));
  }

  /**
   * Exactly once: per input partition, one transaction with its results, the offset its
   * finished inputs allow and the checkpoint of that offset. The watermark of this emission
   * is the checkpoint's: every result of the partition's state at or below it is in this
   * transaction or an earlier one.
   */
  private async commit(result: StatefulResult): Promise<void> {
    const output = this.settings.transactional!;
    const records = new Map<number, StatefulOutput[]>();
    const done = new Map<number, Message[]>();
    for (const r of result.emit) {
      if (r.partition === undefined) {
        throw new InvalidArgumentError(
          `stateful stage '${this.name}': a result without its input partition cannot be written exactly once`,
        );
      }
      const list = records.get(r.partition);
      if (list) list.push(r);
      else records.set(r.partition, [r]);
    }
    for (const m of result.done) {
      const list = done.get(m.partition);
      if (list) list.push(m);
      else done.set(m.partition, [m]);
    }
    const watermark = this.settings.handler.watermark;
    const partitions = new Set([...records.keys(), ...done.keys()]);
    await Promise.all(
      [...partitions].map(async (partition) => {
        const f = Math.max(watermark, this.floors.get(partition) ?? Number.NEGATIVE_INFINITY);
        const metadata = (offset: number) => {
          const checkpoint: Checkpoint = {
            f: Number.isFinite(f) ? f : -1,
            d: this.dedup.stateAt(partition, offset),
            h: this.handedOver(partition),
          };
          return JSON.stringify(checkpoint);
        };
        // An aborted transaction leaves nothing visible: the same results, inputs and offset
        // go again in a new one (the broker may still be finishing the previous one). A
        // broker away for long stops the stage after the last attempt; it then starts over
        // from the committed offsets.
        for (let attempt = 1; ; attempt++) {
          if (!this.owned.has(partition)) {
            this.settings.onStale?.(partition);
            return;
          }
          try {
            await output.commit(
              partition,
              records.get(partition) ?? [],
              done.get(partition) ?? [],
              metadata,
            );
            return;
          } catch (error) {
            if ((error as { code?: unknown }).code === 'KAFKA_PRODUCER_FENCED') {
              // Another instance owns the partition: a rebalance is under way, after which
              // this stage starts over from the committed offsets.
              this.settings.onFenced?.(partition, error as Error);
              return;
            }
            if (attempt >= COMMIT_ATTEMPTS) throw error;
            await new Promise((r) => setTimeout(r, Math.min(5_000, 50 * 2 ** attempt)));
          }
        }
      }),
    );
    if (watermark > this.confirmed) this.confirmed = watermark;
  }

  /** Messages the handler marked failed go to the dead-letter topic (acknowledged there). */
  private async refuse(messages: readonly Message[]): Promise<void> {
    const failed = messages.filter((m) => m.status.kind === 'failed');
    if (failed.length > 0) await this.settings.deadLetterer.deadLetter(failed);
  }

  /**
   * Kafka messages carry their partition's assignment generation: one older than the last
   * seen for that partition was handed out before a rebalance and is skipped (it is
   * delivered again from the committed offset).
   */
  private stale(m: Message): boolean {
    const generation = (m as { generation?: unknown }).generation;
    if (typeof generation !== 'number') return false;
    const known = this.generations.get(m.partition);
    if (known !== undefined && generation < known) return true;
    this.generations.set(m.partition, generation);
    return false;
  }
}

function parseCheckpoint(text: string | undefined): Checkpoint | undefined {
  if (!text) return undefined;
  try {
    const o = JSON.parse(text) as Partial<Checkpoint>;
    if (typeof o.f !== 'number' || typeof o.d !== 'object' || o.d === null) return undefined;
    const h = typeof o.h === 'object' && o.h !== null ? o.h : undefined;
    return { f: o.f, d: o.d, ...(h ? { h } : {}) };
  } catch {
    return undefined;
  }
}
