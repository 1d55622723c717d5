import { formatOptionProblem } from '../../../../stages/index';
import type { ClientOptionsInput } from '../../../kafka/client/client-options';
import { type Message, markFailed, rejectPart } from '../../../message/message';
import type { PipelineOptions, SinkObject } from '../../../pipeline/options';
import type { RepartitionRecord } from '../../../pipeline/repartition/repartition-options';
import type { Telemetry } from '../../../telemetry/telemetry';
import { compilePlan } from '../config/compile-plan';
import type { TransformConfig } from '../config/config-schema';
import { TransformConfigError } from '../errors';
import { prepareRecord } from '../prepare';
import type { TransformCounts } from '../transformer';
import { routingKey } from './routing-key';
import { encodeSample } from './sample-codec';
import { WindowHandler } from './window-handler';

/** What the transformer pipeline needs besides its configuration. */
export interface TransformPipelineSettings {
  /**
   * Connection settings. Each part of the pipeline makes its own kafkajs client from them:
   * two consumers of one group must not share a client (kafkajs keeps the group's offsets per
   * client, and one consumer's rejoin clears the other's).
   */
  readonly client: ClientOptionsInput;
  readonly telemetry?: Telemetry;
  readonly startFrom?: 'committed' | 'earliest' | 'latest';
  /** Partitions of the repartition topic (default 6). */
  readonly partitions?: number;
  readonly counts?: TransformCounts;
  /** Receives the window handler once the pipeline built it (progress, open windows). */
  readonly onHandler?: (handler: WindowHandler) => void;
  /**
   * The sink of the results when it is not the output topic (`output.sink:
   * prometheus_remote_write`): built, and closed after the pipeline stopped, by the caller.
   */
  readonly outputSink?: SinkObject;
  /**
   * Bench only (`make bench-transform`'s variants without the hop): the records on the
   * repartition topic are raw input records, written there by the bench already keyed by
   * group with the hop's headers, and the window stage parses, validates, filters and
   * relabels them itself; the first part then reads an empty input topic. Measures the same
   * work without the hop's write, read and per-sample records.
   */
  readonly rawRecordsAfterHop?: boolean;
}

/** Fresh cumulative counts. */
export function newCounts(): TransformCounts {
  return {
    samplesIn: 0,
    samplesOut: 0,
    dropped: { filter: 0, relabel: 0, invalid: 0, late: 0 },
    lateSamples: 0,
    windowsEmitted: 0,
  };
}

/**
 * The metric transformer as an ordinary pipeline of the platform:
 *
 * ```
 * input topics → processors: parse, validate, filter, relabel, units (per record)
 *              → repartition `by-group`: one record per sample, keyed by its group
 *              → stateful: counter rates, windows (every instance, its partitions)
 *              → batcher → output topic;   refused lines and late samples → dead letters
 * ```
 *
 * Records a line of which is refused go on with the rest of their samples; the refused
 * line is dead-lettered with the record as it arrived. Dead-lettering, acknowledgement,
 * tracing, readiness and stage metrics are the pipeline's own.
 */
export function transformPipelineOptions(
  config: TransformConfig,
  settings: TransformPipelineSettings,
): PipelineOptions {
  const plan = compilePlan(config);
  const counts = settings.counts ?? newCounts();
  const prepare = (m: Message, topic = m.topic) => {
    const prepared = prepareRecord(
      plan,
      {
        topic,
        partition: m.partition,
        value: m.data as Buffer | null,
        timestamp: m.timestamp,
      },
      Date.now(),
    );
    counts.samplesIn += prepared.parsed;
    counts.dropped.filter += prepared.filtered;
    counts.dropped.relabel += prepared.relabelDropped;
    counts.dropped.invalid += prepared.rejects.length;
    return prepared;
  };
  // Raw records on the repartition topic are in the (first) input topic's format.
  const rawTopic = config.input.topics[0]?.name;
  const rawSamples = settings.rawRecordsAfterHop
    ? (m: Message) => prepare(m, rawTopic).samples
    : undefined;
  return {
    name: config.pipeline,
    source: {
      name: `${config.pipeline}.source`,
      client: settings.client,
      groupId: config.input.group_id,
      topics: config.input.topics.map((t) => t.name),
      startFrom: settings.startFrom ?? 'committed',
    },
    processors: {
      handleMessage: (m: Message) => {
        const prepared = prepare(m);
        if (prepared.samples.length === 0 && prepared.rejects.length > 0) {
          const first = prepared.rejects[0]!;
          markFailed(m, first.reason, new Error(first.detail));
          return;
        }
        for (const r of prepared.rejects) {
          rejectPart(m, { reason: r.reason, detail: `${r.detail}: ${r.excerpt}`, position: -1 });
        }
        m.data = prepared.samples;
      },
    },
    repartition: {
      step: 'by-group',
      partitions: settings.partitions ?? config.repartition_partitions,
      idleTimeoutMs: plan.idleTimeoutMs,
      records: (m: Message): RepartitionRecord[] =>
        (m.data as ReturnType<typeof prepareRecord>['samples']).map((s) => ({
          key: routingKey(plan, s),
          value: encodeSample(s),
          timestamp: s.timestamp,
        })),
    },
    next: {
      stateful: {
        create: () => {
          const handler = new WindowHandler(plan, config.output.format, counts, rawSamples);
          settings.onHandler?.(handler);
          return handler;
        },
      },
      batchers: { output: { batchSize: 500, batchTimeoutMs: 50 } },
      sinks: { output: settings.outputSink ?? { topic: outputTopic(config) } },
    },
    deadLetter: { topic: config.dead_letter.topic },
    processing: config.processing ?? (settings.outputSink ? 'at_least_once' : 'exactly_once'),
    commitIntervalMs: config.commit_interval,
    ...(settings.telemetry ? { telemetry: settings.telemetry } : {}),
  };
}

/** The output topic; the schema requires it with the kafka sink. */
function outputTopic(config: TransformConfig): string {
  if (config.output.topic === undefined) {
    const path = 'output.topic';
    const problem = { path, is: 'missing', allowed: 'a topic name (the kafka sink needs one)' };
    throw new TransformConfigError([
      { path, message: formatOptionProblem('metrics-transform config', problem) },
    ]);
  }
  return config.output.topic;
}
