import type { Producer, StageStats, StopReason } from '../../stages/index';
import { type Logger, logger as rootLogger } from '../log/logger';
import type { Message } from '../message/message';
import type { Telemetry } from '../telemetry/telemetry';
import type { PipelineConnectors } from './connectors';
import { PipelineStateError } from './errors';
import type { ValidPipelineOptions } from './options';
import type { PipelineSource } from './pipeline-source';
import { type Sleep, sleep } from './retry';
import { type AnyStage, buildTopology, type Topology, type TopologyDeps } from './topology';

/** How a stop went. */
export interface PipelineStopReport {
  /** Every message taken from the source was acknowledged within `drainTimeoutMs`. */
  readonly drained: boolean;
  /** Messages still unacknowledged when the pipeline gave up (-1: the source cannot tell). */
  readonly unacknowledged: number;
  readonly seconds: number;
}

/** What a pipeline needs besides its options. */
export interface PipelineDependencies {
  readonly logger?: Logger;
  /** Sleep used for retry backoff (tests pass one that does not wait). */
  readonly wait?: Sleep;
  /**
   * Builds the ends the options give as options objects (source, sinks, dead letters, the
   * repartition hop). `createPipeline` of `kafka-stages` passes Kafka's.
   */
  readonly connectors?: PipelineConnectors;
}

/** How long a forced stop waits for stages to finish their current handler call. */
const STAGE_STOP_GRACE_MS = 1_000;

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * One part of a pipeline: a source, processors or a stateful stage, batchers and sinks, run
 * as stages. A pipeline without a repartition hop is one part; with one, the part before
 * the hop ends in the hop's writer and the part after it reads the internal topic.
 */
export class PipelinePart {
  readonly name: string;
  readonly options: ValidPipelineOptions;
  readonly topology: Topology;
  private readonly telemetry: Telemetry;
  private readonly log: Logger;
  private state: State = 'idle';
  private givingUp = false;
  private stopping: Promise<PipelineStopReport> | undefined;
  private unobserve: (() => void) | undefined;
  private unwatch: (() => void) | undefined;
  private failure: Error | undefined;
  private stagesStarted = false;
  private readonly finished: Promise<StopReason>;

  constructor(
    options: ValidPipelineOptions,
    deps: PipelineDependencies,
    telemetry: Telemetry,
    hop?: TopologyDeps['hop'],
  ) {
    this.options = options;
    this.name = this.options.name;
    this.telemetry = telemetry;
    this.log = (deps.logger ?? rootLogger()).child({ pipeline: this.name });
    this.topology = buildTopology(this.options, {
      telemetry: this.telemetry,
      logger: this.log,
      wait: deps.wait ?? sleep,
      givingUp: () => this.givingUp,
      ...(deps.connectors ? { connectors: deps.connectors } : {}),
      ...(hop ? { hop } : {}),
    });
    // The end: every processor and batcher (the processors are the end without batchers),
    // and every sink.
    this.finished = Promise.all([
      this.topology.supervised.done(),
      ...this.topology.sinks.map((s) => s.done()),
    ]).then(() => this.failure ?? 'normal');
  }

  /** The source stage. */
  get source(): Producer<Message> {
    return this.topology.source;
  }

  /** The source: readiness, drain, the operator's pause and resume. */
  get input(): PipelineSource {
    return this.topology.input;
  }

  /** Starts sinks, dead-letter producer and stages; resolves once the source has started. */
  async start(): Promise<void> {
    if (this.state !== 'idle') {
      throw new PipelineStateError(`Pipeline '${this.name}': start() called while ${this.state}`);
    }
    this.state = 'starting';
    await Promise.all(this.topology.lifecycles.map((l) => l.start()));
    this.stagesStarted = true;
    for (const stage of this.unsupervised()) {
      void stage.done().then((reason) => this.onStageDone(stage, reason));
    }
    const { supervised, sinks, stateful: middle, source: first } = this.topology;
    void supervised.done().then((reason) => {
      if (reason instanceof Error) this.onStageDone({ name: 'supervisor' }, reason);
    });
    // Consumers first, so the source's first demand comes from stages that are all there.
    for (const sink of sinks) sink.start();
    supervised.start();
    middle?.start();
    first.start();
    this.unobserve = this.telemetry.observe({ stages: () => this.stageSnapshots() });
    const input = this.topology.input;
    const stateful = this.topology.stateful;
    this.unwatch = input.watch({
      ...(stateful
        ? { assigned: (assignment) => stateful.reassigned(assignment.flatMap((a) => a.partitions)) }
        : {}),
      ready: () => this.telemetry.setReady(true),
      notReady: () => this.telemetry.setReady(false),
      failed: (error) => {
        this.log.error({ err: error }, 'source failed for good; stopping the pipeline');
        this.failure = error;
        void this.stop();
      },
    });
    await input.started();
    if (input.ready) this.telemetry.setReady(true);
    if (this.state === 'starting') this.state = 'running';
  }

  /**
   * Graceful stop: not ready any more; batchers emit what they hold; the source stops
   * fetching; in-flight messages get `drainTimeoutMs` to be delivered and acknowledged;
   * offsets are committed and the group left; sinks and the dead-letter producer close.
   * Messages still in flight after the timeout stay uncommitted (delivered again later).
   * Idempotent: every call gets the same report.
   */
  stop(): Promise<PipelineStopReport> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /** Resolves when every end stage has stopped: `'normal'`, or the error that stopped it. */
  done(): Promise<StopReason> {
    return this.finished;
  }

  /** Every stage's counters (for `/topology` and tests), source first. */
  stats(): StageStats[] {
    return this.stages().map((s) => s.stats());
  }

  /** The running stages, source first (processors and batchers change at run time). */
  stages(): AnyStage[] {
    const { source, stateful, supervised, sinks } = this.topology;
    return [
      source,
      ...(stateful ? [stateful] : []),
      ...supervised.processors(),
      ...supervised.batchers(),
      ...sinks,
    ];
  }

  /** The stages that run outside the supervisor: their failure stops the pipeline. */
  private unsupervised(): AnyStage[] {
    const { source, stateful, sinks } = this.topology;
    return [source, ...(stateful ? [stateful] : []), ...sinks];
  }

  private async doStop(): Promise<PipelineStopReport> {
    const started = Date.now();
    const deadline = started + this.options.drainTimeoutMs;
    this.state = 'stopping';
    this.telemetry.setReady(false);
    if (!this.stagesStarted) {
      // Nothing ever flowed (never started, or a sink failed to start): just close.
      await this.topology.supervised.stop('shutdown');
      for (const stage of this.unsupervised()) await stage.stop('shutdown');
      await Promise.allSettled(this.topology.lifecycles.map((l) => l.stop()));
      this.state = 'stopped';
      return { drained: true, unacknowledged: 0, seconds: (Date.now() - started) / 1000 };
    }
    this.topology.supervised.drain();
    // Stops taking input in, waits for acknowledgements (Kafka: shutdownTimeoutMs, by
    // default the pipeline's drainTimeoutMs), makes progress durable (commits, leaves the
    // group), then finishes the stage.
    const report = await this.topology.input.drain(Math.max(0, deadline - Date.now()));
    const unacknowledged = report.unacknowledged;
    let drained: boolean;
    if (report.drained === undefined) {
      // The source follows no acknowledgements: the end stages tell when all is through.
      drained = await this.terminalsDone(Math.max(0, deadline - Date.now()));
    } else {
      // Everything was acknowledged: the end stages finish in a moment.
      drained =
        report.drained && (await this.terminalsDone(Math.max(1_000, deadline - Date.now())));
    }
    if (!drained) {
      this.givingUp = true;
      this.log.warn(
        { unacknowledged },
        'drain timed out; unacknowledged messages will be redelivered',
      );
      // A stage stops after the handler it is running; one that hangs is left behind.
      await this.within(
        Promise.all([
          this.topology.supervised.stop('shutdown'),
          ...this.unsupervised().map((s) => s.stop('shutdown')),
        ]),
        STAGE_STOP_GRACE_MS,
      );
    }
    this.unobserve?.();
    this.unwatch?.();
    const closing = await Promise.allSettled(this.topology.lifecycles.map((l) => l.stop()));
    for (const result of closing) {
      if (result.status === 'rejected')
        this.log.warn({ err: result.reason }, 'closing a sink failed');
    }
    this.state = 'stopped';
    const seconds = (Date.now() - started) / 1000;
    this.log.info({ drained, unacknowledged, seconds }, 'pipeline stopped');
    return { drained, unacknowledged, seconds };
  }

  private terminalsDone(timeoutMs: number): Promise<boolean> {
    return this.within(this.finished, timeoutMs);
  }

  /** True when `promise` settled within `timeoutMs`. */
  private within(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /**
   * A stage outside the supervisor that stops with an error while running, or the
   * supervisor giving up on a stage that crashed too often, takes the whole pipeline down.
   */
  private onStageDone(stage: { readonly name: string }, reason: StopReason): void {
    if (!(reason instanceof Error) || this.state === 'stopped') return;
    if (this.givingUp) return;
    this.failure ??= reason;
    this.log.error({ err: reason, stage: stage.name }, 'stage failed; stopping the pipeline');
    if (this.state === 'running' || this.state === 'starting') {
      this.givingUp = true;
      void this.stop();
      // Supervised stages stop as on purpose: what they hold stays unacknowledged (and is
      // delivered again), it is not failed as after a crash.
      void this.topology.supervised.stop('shutdown');
      for (const s of this.unsupervised()) void s.stop(reason);
    }
  }

  private stageSnapshots() {
    const { supervised } = this.topology;
    return this.stages().map((stage) => {
      const stats = stage.stats();
      let pendingDemand = 0;
      for (const c of stats.consumers) pendingDemand += c.pendingDemand;
      // kind, subscriptions and totals feed /topology (edges and rates for every stage).
      return {
        stage: stats.name,
        pendingDemand,
        bufferedEvents: stats.buffered + stats.queued,
        kind: stats.kind,
        subscribedTo: stats.producers.map((p) => p.producer),
        eventsIn: stats.eventsIn,
        eventsOut: stats.eventsOut,
        ...(supervised.supervises(stats.name) ? { restarts: supervised.restarts(stats.name) } : {}),
      };
    });
  }
}
