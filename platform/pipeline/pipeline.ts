import {
  formatOptionProblem,
  type Producer,
  type StageStats,
  type StopReason,
} from '../../stages/index';
import type { Message } from '../message/message';
import { noopTelemetry, type Telemetry } from '../telemetry/telemetry';
import type { BatchSizes } from './batch-accumulator';
import type { RepartitionHop } from './connectors';
import { PipelineOptionsError, PipelineStateError } from './errors';
import {
  type PipelineOptions,
  type ValidPipelineOptions,
  validatePipelineOptions,
} from './options';
import { type PipelineDependencies, PipelinePart, type PipelineStopReport } from './pipeline-part';
import type { PipelineSource } from './pipeline-source';
import { checkConcurrency } from './supervised-stages';
import type { Topology } from './topology';

export type { PipelineDependencies, PipelineStopReport } from './pipeline-part';

/**
 * A pipeline in Broadway's shape, built from one validated options object:
 * source → processors → batchers → sinks, with retries and a dead-letter topic.
 *
 * ```ts
 * const pipeline = createPipeline({
 *   name: 'orders',
 *   source: { client: { brokers }, groupId: 'orders', topics: ['orders'] },
 *   decode: (value) => JSON.parse(String(value)),
 *   processors: { concurrency: 2, handleMessage: (m) => { m.data = enrich(m.data); } },
 *   batchers: { default: { batchSize: 500, batchTimeoutMs: 200 } },
 *   sinks: { default: { topic: 'orders-enriched' } },
 *   deadLetter: { topic: 'orders-dlq' },
 * });
 * await pipeline.start();
 * exitOnSignals([pipeline]);
 * ```
 *
 * With `repartition`, the pipeline has two parts: the first ends by writing every message,
 * re-keyed, to the internal topic `<name>-<step>-repartition`; `next` reads it back in
 * every instance (same consumer group), so all messages of one key meet in one place
 * whatever the input keying and the number of instances. Stateful work (windows, rates)
 * goes there: `next.stateful`.
 *
 * Delivery is at least once: a message's offset is committed only after the sink confirmed
 * it (or the hop's internal topic stored its records), or it was dead-lettered.
 */
export class Pipeline {
  readonly name: string;
  readonly options: ValidPipelineOptions;
  /** The parts, in data order: one, or two around a repartition hop. */
  readonly parts: readonly PipelinePart[];
  /** The repartition hop between the parts, if any. */
  readonly hop: RepartitionHop | undefined;
  private readonly telemetry: Telemetry;
  private stopping: Promise<PipelineStopReport> | undefined;
  private unobserveHop: (() => void) | undefined;
  private readonly finished: Promise<StopReason>;

  constructor(options: PipelineOptions, deps: PipelineDependencies = {}) {
    this.options = validatePipelineOptions(options);
    this.name = this.options.name;
    this.telemetry = this.options.telemetry ?? noopTelemetry;
    const { repartition, next } = this.options;
    if (!repartition || !next) {
      this.parts = [new PipelinePart(this.options, deps, this.telemetry)];
      this.hop = undefined;
    } else {
      if (!deps.connectors) {
        throw new PipelineOptionsError(
          formatOptionProblem(`Pipeline '${this.name}'`, {
            path: 'repartition',
            is: "set, but no connector provides the hop's internal topic",
            allowed: "repartition with createPipeline from 'kafka-stages' and a Kafka source",
          }),
          'repartition',
        );
      }
      const hop = deps.connectors.hop(this.options, deps);
      const ready = [false, false];
      const partTelemetry = (index: number) =>
        withReadiness(this.telemetry, (value) => {
          ready[index] = value;
          this.telemetry.setReady(ready[0]! && ready[1]!);
        });
      const { repartition: _r, next: _n, processing, commitIntervalMs, ...first } = this.options;
      const exactlyOnce = processing === 'exactly_once';
      // Each input partition's messages are written in their order (the reading end drops
      // copies by writer sequence); exactly once also gathers one partition per batch, one
      // transaction per batch.
      const byInputPartition = (m: Message) => `${m.topic}/${m.partition}`;
      const firstPart = validatePipelineOptions({
        ...first,
        source: hop.firstSource,
        processors: {
          ...first.processors,
          partitionBy: first.processors.partitionBy ?? byInputPartition,
        },
        batchers: {
          [repartition.step]: exactlyOnce
            ? { batchSize: 5_000, batchTimeoutMs: commitIntervalMs, batchKey: byInputPartition }
            : { batchSize: 1_000, batchTimeoutMs: 20 },
        },
        sinks: { [repartition.step]: hop.writer },
      });
      const nextPart = validatePipelineOptions({
        name: `${this.name}.${repartition.step}`,
        source: hop.sourceOptions,
        ...(next.processors ? { processors: next.processors } : {}),
        batchers: next.batchers,
        ...(next.route ? { route: next.route } : {}),
        sinks: next.sinks,
        retry: this.options.retry,
        ...(this.options.deadLetter ? { deadLetter: this.options.deadLetter } : {}),
        drainTimeoutMs: this.options.drainTimeoutMs,
        supervision: this.options.supervision,
      });
      this.parts = [
        new PipelinePart(firstPart, deps, partTelemetry(0)),
        new PipelinePart(nextPart, deps, partTelemetry(1), {
          watermarks: hop.watermarks,
          stateful: next.stateful,
          checkpoints: hop.checkpoints,
          ...(hop.transactionalOutput ? { transactional: hop.transactionalOutput } : {}),
          commitIntervalMs,
        }),
      ];
      hop.bind(this.parts[0]!.input, this.parts[1]!.input);
      this.hop = hop;
    }
    this.finished = Promise.all(this.parts.map((p) => p.done())).then(
      (reasons) => reasons.find((r) => r instanceof Error) ?? 'normal',
    );
  }

  /** The source stage of the first part. */
  get source(): Producer<Message> {
    return this.parts[0]!.source;
  }

  /** The source of the first part: readiness, drain, the operator's pause and resume. */
  get input(): PipelineSource {
    return this.parts[0]!.input;
  }

  /** The stages of the first part (for a one-part pipeline, all of them). */
  get topology(): Topology {
    return this.parts[0]!.topology;
  }

  /**
   * Starts the hop (internal topic created or checked), then the parts, last part first so
   * that what the first part writes is read at once. Resolves once every source started.
   */
  async start(): Promise<void> {
    const hop = this.hop;
    if (hop) {
      await hop.start();
      // `/topology` and the live page draw the hop: the first part's sink stage writes the
      // internal topic, the next part's source reads it.
      const step = this.options.repartition!.step;
      this.unobserveHop = this.telemetry.observe({
        hops: () => [
          {
            from: `${this.name}.sink.${step}.0`,
            to: `${this.name}.${step}.source`,
            topic: hop.topic,
          },
        ],
      });
    }
    for (const part of [...this.parts].reverse()) await part.start();
  }

  /**
   * Graceful stop, first part first: it stops reading, drains into the hop and commits; then
   * the next part drains what reached it. Messages held by state (open windows) stay
   * uncommitted and are read again after a restart. Idempotent.
   */
  stop(): Promise<PipelineStopReport> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /** Resolves when every part has stopped: `'normal'`, or the error that stopped one. */
  done(): Promise<StopReason> {
    return this.finished;
  }

  /**
   * What an operator may change while the pipeline runs, with the values in force: every
   * batcher's size and timeout, named as `/topology` names the parts (`default`; with a
   * repartition hop the first part's batcher is the step's name, the next part's are
   * `<step>.<batcher>`), and the processors' concurrency where it can change (`null`
   * when no part's can: `processors.partitionBy`, or a stateful stage in their place).
   */
  runtimeSettings(): {
    batchers: Record<string, BatchSizes>;
    processors: { concurrency: number } | null;
  } {
    const batchers: Record<string, BatchSizes> = {};
    for (const part of this.parts) {
      const prefix = this.partPrefix(part);
      for (const [name, sizes] of Object.entries(part.topology.supervised.batchSizes())) {
        batchers[prefix + name] = sizes;
      }
    }
    const tunable = this.tunableProcessors();
    const concurrency = tunable?.topology.supervised.concurrency();
    return {
      batchers,
      processors: concurrency === undefined || concurrency === null ? null : { concurrency },
    };
  }

  /**
   * Changes a batcher's size and/or timeout (named as in {@link runtimeSettings}) from its
   * next batch on. Throws {@link PipelineOptionsError} for an unknown batcher or a value
   * out of range (the message names the key, the value and what is allowed).
   */
  setBatcher(name: string, settings: { batchSize?: number; batchTimeoutMs?: number }): void {
    for (const part of this.parts) {
      const prefix = this.partPrefix(part);
      if (!name.startsWith(prefix)) continue;
      const own = name.slice(prefix.length);
      const supervised = part.topology.supervised;
      if (own in supervised.batchSizes()) {
        supervised.resize(own, settings);
        return;
      }
    }
    const known = Object.keys(this.runtimeSettings().batchers);
    throw new PipelineOptionsError(
      formatOptionProblem(`Pipeline '${this.name}'`, {
        path: 'batcher',
        value: name,
        allowed: `one of its batchers: ${known.map((b) => `'${b}'`).join(', ') || 'none'}`,
      }),
      'batcher',
    );
  }

  /**
   * Runs `concurrency` processors in the part whose processors can change (see
   * {@link runtimeSettings}); resolves once added ones started and removed ones passed on
   * what they held and stopped. Throws {@link PipelineOptionsError} for a value out of
   * range, {@link PipelineStateError} when no part's processors can change or the
   * pipeline is not running.
   */
  setProcessorConcurrency(concurrency: number): Promise<void> {
    const part = this.tunableProcessors();
    if (part || !this.hop)
      return (part ?? this.parts[0]!).topology.supervised.setConcurrency(concurrency);
    // Around a repartition hop the reasons are the parts', the first one's set by the hop.
    checkConcurrency(`Pipeline '${this.name}'`, concurrency);
    const why = this.parts.map((p, i) => {
      const supervised = p.topology.supervised;
      if (supervised.concurrency() === null)
        return `part '${p.name}' has a stateful stage in place of processors`;
      return i === 0 && !this.options.processors.partitionBy
        ? `part '${p.name}' keeps each input partition on one processor, so that the repartition hop writes it in order`
        : `part '${p.name}': ${supervised.concurrencyFixed()}`;
    });
    throw new PipelineStateError(
      `Pipeline '${this.name}': no part's processors can change their number at run time: ${why.join('; ')}`,
    );
  }

  /** Every stage's counters, part by part, source first. */
  stats(): StageStats[] {
    return this.parts.flatMap((p) => p.stats());
  }

  /** `''` for the first part, `<step>.` for the part after the hop (its stage prefix). */
  private partPrefix(part: PipelinePart): string {
    return part.name === this.name ? '' : `${part.name.slice(this.name.length + 1)}.`;
  }

  /** The first part whose processors' number can change at run time. */
  private tunableProcessors(): PipelinePart | undefined {
    return this.parts.find((p) => {
      const supervised = p.topology.supervised;
      return supervised.concurrency() !== null && supervised.concurrencyFixed() === undefined;
    });
  }

  private async doStop(): Promise<PipelineStopReport> {
    const started = Date.now();
    let drained = true;
    let unacknowledged = 0;
    for (const part of this.parts) {
      const report = await part.stop();
      drained &&= report.drained;
      unacknowledged =
        unacknowledged < 0 || report.unacknowledged < 0
          ? -1
          : unacknowledged + report.unacknowledged;
      if (part === this.parts[0] && this.hop) await this.hop.stopWriter();
    }
    await this.hop?.stop();
    this.unobserveHop?.();
    return { drained, unacknowledged, seconds: (Date.now() - started) / 1000 };
  }
}

/** `telemetry` with its own readiness: each part reports, the pipeline is ready when all are. */
function withReadiness(telemetry: Telemetry, setReady: (ready: boolean) => void): Telemetry {
  return new Proxy(telemetry, {
    get(target, property, receiver) {
      if (property === 'setReady') return setReady;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Validates the options and builds the pipeline (not started). Ends given as options objects
 * (Kafka source or sink options, a dead-letter topic without `send`, `repartition`) need
 * `deps.connectors`: `createPipeline` of `kafka-stages` (platform/kafka) passes Kafka's.
 */
export function createPipeline(options: PipelineOptions, deps?: PipelineDependencies): Pipeline {
  return new Pipeline(options, deps);
}
