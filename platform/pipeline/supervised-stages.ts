import {
  formatOptionProblem,
  type Producer,
  type Source,
  type StopReason,
  type SubscribeOptions,
  type SupervisedStage,
  Supervisor,
} from '../../stages/index';
import type { Logger } from '../log/logger';
import type { Message } from '../message/message';
import type { Batch, BatchSizes } from './batch-accumulator';
import { BatcherStage } from './batcher-stage';
import { PipelineOptionsError, PipelineStateError } from './errors';
import type { ProcessorStage, TerminalProcessorStage } from './processor-stage';
import type { SinkStage } from './sink-stage';

type AnyProcessor = ProcessorStage | TerminalProcessorStage;

/** The restart budget of a part's processors and batchers (`supervision` option). */
export interface SupervisionSettings {
  /** Restarts allowed … */
  readonly maxRestarts: number;
  /** … within this many milliseconds; one more stops the pipeline. */
  readonly withinMs: number;
}

/** How the topology builds a part's processors and batchers, as often as needed. */
export interface StageBlueprint {
  /** The part's name: the stage name prefix (`/topology` shows it). */
  readonly part: string;
  /** The stage processors read from (and whose end is the end of the pipeline's input). */
  readonly source: Producer<Message>;
  /** Absent when a stateful stage takes the processors' place. */
  readonly processors?: {
    readonly concurrency: number;
    /** Why their number cannot change at run time, when it cannot. */
    readonly fixed?: string;
    /** A new processor `index`, subscribed to the source unless `subscribe` is false. */
    make(index: number, subscribe: boolean): AnyProcessor;
  };
  /** What batchers read when there are no processors (the stateful stage). */
  readonly batcherInput?: Source<Message>;
  readonly batchers: readonly BatcherBlueprint[];
}

export interface BatcherBlueprint {
  readonly name: string;
  readonly sizes: BatchSizes;
  /** A new batcher with these sizes, subscribed to `producers`. */
  make(producers: readonly Source<Message>[], sizes: BatchSizes): BatcherStage;
  /** How this batcher subscribes to a processor. */
  readonly input: SubscribeOptions<Message>;
  /** Its sink stages (built once, they outlive batcher restarts) and how each subscribes. */
  readonly sinks: readonly {
    readonly stage: SinkStage;
    readonly options: SubscribeOptions<Batch>;
  }[];
}

export interface SupervisedStagesSettings {
  readonly supervision: SupervisionSettings;
  /** How long a retiring or stopping stage may take before it is killed. */
  readonly shutdownMs: number;
  /** A stage crashed holding these messages (some may be settled already: skip those). */
  readonly onCrash: (stage: string, messages: Message[], error: Error) => void;
  readonly logger: Logger;
  /** True once the pipeline gave up on in-flight messages: nothing is failed any more. */
  readonly givingUp: () => boolean;
}

const BATCH_SIZE_MAX = 1_000_000;
const TIMEOUT_MAX_MS = 3_600_000;
const CONCURRENCY_MAX = 1024;

/**
 * The processors and batchers of one pipeline part, run under a {@link Supervisor}
 * (`one_for_one`, restart on failure only):
 * - a stage that crashes (a handler threw outside the per-message retries) gives up the
 *   messages it held (the stages core reports them, see `onLost`; a batcher adds its open
 *   batches): they are failed with reason `crashed` and dead-lettered, so their offsets
 *   still get committed; the stage restarts and
 *   resubscribes (a processor to the source and its batchers to it, a batcher to the
 *   processors and its sinks to it), and the pipeline goes on;
 * - past the restart budget the supervisor gives up and `done()` resolves with its
 *   `RestartLimitError`, which names the stage: the pipeline stops with it.
 *
 * It also applies the operator's run-time settings: the processors' concurrency (new
 * processors subscribe like the others; extra ones leave the source, pass on what they
 * hold and stop) and each batcher's size and timeout (kept across restarts).
 */
export class SupervisedStages {
  private supervisor: Supervisor | undefined;
  private readonly processorIndexes: number[] = [];
  private readonly live = new Map<string, SupervisedStage>();
  private readonly launched = new Set<string>();
  private readonly restartCounts = new Map<string, number>();
  private readonly sizes = new Map<string, BatchSizes>();
  private draining = false;
  private sourceGone = false;
  /** The error the source stopped with: its processors stop with it, which is no crash. */
  private sourceError: Error | undefined;
  private changing: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private resolveDone!: (reason: StopReason) => void;
  private readonly finished = new Promise<StopReason>((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(
    private readonly blueprint: StageBlueprint,
    private readonly settings: SupervisedStagesSettings,
  ) {
    this.log = settings.logger;
    for (const b of blueprint.batchers) this.sizes.set(b.name, b.sizes);
  }

  /** Builds and starts the processors, then the batchers (which subscribe their sinks). */
  start(): void {
    const { processors, batchers } = this.blueprint;
    const specs = [];
    for (let i = 0; processors && i < processors.concurrency; i++) {
      this.processorIndexes.push(i);
      specs.push(this.processorSpec(i));
    }
    for (const b of batchers) specs.push(this.batcherSpec(b));
    // The source ending (normally or not) ends the processors: nothing to restart then.
    this.blueprint.source.onExit((reason) => {
      this.sourceGone = true;
      if (reason instanceof Error) {
        this.sourceError = reason;
        void this.supervisor?.stop('shutdown');
      }
    });
    if (specs.length === 0) {
      this.resolveDone('normal');
      return;
    }
    const { maxRestarts, withinMs } = this.settings.supervision;
    this.supervisor = new Supervisor(specs, {
      name: `${this.blueprint.part}.supervisor`,
      maxRestarts,
      withinMs,
      shutdownMs: this.settings.shutdownMs,
    }).start();
    void this.supervisor.done().then(this.resolveDone);
  }

  /**
   * Resolves once every supervised stage stopped: `'normal'`, the stop reason, or the
   * `RestartLimitError` of a stage that crashed past the budget.
   */
  done(): Promise<StopReason> {
    return this.finished;
  }

  /** Stops every supervised stage now (none restarts). */
  stop(reason: StopReason = 'shutdown'): Promise<StopReason> {
    if (this.supervisor) return this.supervisor.stop(reason);
    this.resolveDone(reason);
    return this.finished;
  }

  /** The processors, by index (a crashed one until its replacement starts). */
  processors(): AnyProcessor[] {
    return this.current<AnyProcessor>(this.processorIndexes.map((i) => this.processorId(i)));
  }

  /** The batchers (a crashed one until its replacement starts). */
  batchers(): BatcherStage[] {
    return this.current<BatcherStage>(this.blueprint.batchers.map((b) => this.batcherId(b.name)));
  }

  /** True for the name of a processor or batcher of this part. */
  supervises(stage: string): boolean {
    return this.launched.has(stage);
  }

  /** Times the stage of this name was restarted after a crash. */
  restarts(stage: string): number {
    return this.restartCounts.get(stage) ?? 0;
  }

  /** From now on every batcher, restarted ones too, emits what it holds at once. */
  drain(): void {
    this.draining = true;
    for (const b of this.running(this.batchers())) b.drain();
  }

  /** The processors' number, or `null` when the part has none. */
  concurrency(): number | null {
    return this.blueprint.processors ? this.processorIndexes.length : null;
  }

  /** Why the processors' number cannot change, when it cannot. */
  concurrencyFixed(): string | undefined {
    return this.blueprint.processors?.fixed;
  }

  /** Every batcher's size and timeout in force. */
  batchSizes(): Record<string, BatchSizes> {
    return Object.fromEntries(this.sizes);
  }

  /**
   * Changes a batcher's size and/or timeout from its next batch on. Throws a
   * {@link PipelineOptionsError} for an unknown batcher or a value out of range.
   */
  resize(batcher: string, sizes: Partial<BatchSizes>): void {
    const current = this.sizes.get(batcher);
    const who = `Pipeline '${this.blueprint.part}'`;
    if (!current) {
      const known = [...this.sizes.keys()].map((b) => `'${b}'`).join(', ') || 'none';
      throw new PipelineOptionsError(
        formatOptionProblem(who, {
          path: 'batcher',
          value: batcher,
          allowed: `one of its batchers: ${known}`,
        }),
        'batcher',
      );
    }
    const path = (key: string) => `batchers.${batcher}.${key}`;
    checkInteger(who, path('batchSize'), sizes.batchSize, BATCH_SIZE_MAX);
    checkInteger(who, path('batchTimeoutMs'), sizes.batchTimeoutMs, TIMEOUT_MAX_MS);
    const next: BatchSizes = {
      batchSize: sizes.batchSize ?? current.batchSize,
      batchTimeoutMs: sizes.batchTimeoutMs ?? current.batchTimeoutMs,
    };
    this.sizes.set(batcher, next);
    const stage = this.live.get(this.batcherId(batcher)) as BatcherStage | undefined;
    stage?.resize(next);
    this.log.info({ stage: this.batcherId(batcher), ...next }, 'batcher resized');
  }

  /**
   * Runs `concurrency` processors: new ones start and subscribe like the others; extra ones
   * (the highest numbers) leave the source, handle and pass on what they received, and stop.
   * Resolves once they did. Calls run one after the other.
   */
  setConcurrency(concurrency: number): Promise<void> {
    const who = `Pipeline '${this.blueprint.part}'`;
    checkConcurrency(who, concurrency);
    const processors = this.blueprint.processors;
    if (!processors) {
      throw new PipelineStateError(
        `${who}: has no processors (a stateful stage takes their place): no concurrency to change`,
      );
    }
    if (processors.fixed) throw new PipelineStateError(`${who}: ${processors.fixed}`);
    const supervisor = this.supervisor;
    if (!supervisor || this.sourceGone) {
      throw new PipelineStateError(`${who}: not running: its processors cannot change now`);
    }
    const run = this.changing.then(() => this.resizePool(supervisor, concurrency));
    this.changing = run.catch(() => {});
    return run;
  }

  private async resizePool(supervisor: Supervisor, concurrency: number): Promise<void> {
    const indexes = this.processorIndexes;
    for (let index = 0; indexes.length < concurrency; index++) {
      if (indexes.includes(index)) continue;
      indexes.push(index);
      indexes.sort((a, b) => a - b);
      supervisor.startChild(this.processorSpec(index));
      this.log.info({ stage: this.processorId(index) }, 'processor added');
    }
    const extra = indexes.splice(concurrency);
    await Promise.all(
      extra.map(async (index) => {
        const id = this.processorId(index);
        const reason = await supervisor.terminateChild(id, (stage) => {
          (stage as AnyProcessor).retire();
          return stage.done();
        });
        this.live.delete(id);
        // Gone for good: one added later under the same number starts afresh.
        this.launched.delete(id);
        this.restartCounts.delete(id);
        this.log.info({ stage: id, reason: String(reason) }, 'processor retired');
      }),
    );
  }

  private processorId(index: number): string {
    return `${this.blueprint.part}.processor.${index}`;
  }

  private batcherId(name: string): string {
    return `${this.blueprint.part}.batcher.${name}`;
  }

  /** The latest instance of each stage (a stopped one until it is replaced). */
  private current<S>(ids: readonly string[]): S[] {
    const out: S[] = [];
    for (const id of ids) {
      const stage = this.live.get(id);
      if (stage) out.push(stage as S);
    }
    return out;
  }

  private running<S extends SupervisedStage>(stages: readonly S[]): S[] {
    return stages.filter((s) => s.stats().status !== 'stopped');
  }

  private processorSpec(index: number) {
    const id = this.processorId(index);
    return {
      id,
      restart: 'transient' as const,
      start: () => {
        // Restarted after the source finished (a crash while the pipeline drains): there is
        // nothing to read any more, so the new processor stops at once, normally.
        const orphan = this.sourceGone;
        const stage = this.blueprint.processors!.make(index, !orphan);
        this.adopt(id, stage);
        // At the first start the batchers come after the processors and subscribe to them;
        // a processor added or restarted later is subscribed by the running batchers.
        for (const b of this.blueprint.batchers) {
          const batcher = this.live.get(this.batcherId(b.name)) as BatcherStage | undefined;
          if (batcher && batcher.stats().status !== 'stopped') batcher.subscribe(stage, b.input);
        }
        // Its normal end then tells the batchers, which finish once no processor is left.
        if (orphan) queueMicrotask(() => void stage.stop('normal'));
        return stage;
      },
    };
  }

  private batcherSpec(b: BatcherBlueprint) {
    const id = this.batcherId(b.name);
    return {
      id,
      restart: 'transient' as const,
      start: () => {
        const producers: Source<Message>[] = this.blueprint.processors
          ? (this.running(this.processors()) as ProcessorStage[])
          : [this.blueprint.batcherInput!];
        const stage = b.make(producers, this.sizes.get(b.name)!);
        this.adopt(id, stage);
        for (const sink of b.sinks) sink.stage.subscribe(stage, sink.options);
        if (this.draining) stage.drain();
        // Restarted once every processor finished (the pipeline drains): nothing will come,
        // so it finishes at once and its sinks with it.
        if (producers.length === 0) queueMicrotask(() => void stage.stop('normal'));
        return stage;
      },
    };
  }

  /** Registers a new instance: its crash handling, its restart count. */
  private adopt(id: string, stage: AnyProcessor | BatcherStage): void {
    if (this.launched.has(id)) {
      const count = (this.restartCounts.get(id) ?? 0) + 1;
      this.restartCounts.set(id, count);
      this.log.warn({ stage: id, restarts: count }, 'stage restarted after a crash');
    }
    this.launched.add(id);
    this.live.set(id, stage);
    const crashed = (reason: StopReason): reason is Error =>
      reason instanceof Error && reason !== this.sourceError && !this.settings.givingUp();
    // What the stage had received and not passed on: its mailbox, its queue, the call that
    // failed, its output buffer; then whatever still reaches it. (A stop on purpose keeps
    // them unacknowledged instead: delivered again after a restart of the process.)
    if (stage instanceof BatcherStage) {
      stage.onLost((held, reason) => {
        if (!crashed(reason)) return;
        const inBatches = held.output.flatMap((batch) => batch.messages);
        this.settings.onCrash(id, [...held.input, ...inBatches], reason);
      });
    } else {
      stage.onLost((held, reason) => {
        if (crashed(reason)) this.settings.onCrash(id, [...held.input, ...held.output], reason);
      });
    }
    stage.onExit((reason) => {
      if (!crashed(reason)) return;
      this.log.error({ err: reason, stage: id }, 'stage crashed; its in-flight messages fail');
      // A batcher's open batches are its own state, outside the stages core.
      if (stage instanceof BatcherStage) this.settings.onCrash(id, stage.takeOpen(), reason);
    });
  }
}

/** Throws a {@link PipelineOptionsError} unless `value` is a concurrency (1 to 1024). */
export function checkConcurrency(who: string, value: unknown): void {
  checkInteger(who, 'processors.concurrency', value, CONCURRENCY_MAX);
}

function checkInteger(who: string, path: string, value: unknown, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new PipelineOptionsError(
      formatOptionProblem(who, { path, value, allowed: `an integer from 1 to ${max}` }),
      path,
    );
  }
}
