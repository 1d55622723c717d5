import type { Producer } from '../../stages/index';
import type { Message } from '../message/message';
import type {
  OperatorControls,
  PipelineSource,
  SourceDrainReport,
  SourceListener,
} from '../pipeline/index';
import { KafkaSourceStateError, KafkaTopicNotFoundError } from './errors';
import type { KafkaSource } from './source/kafka-source';

/** Each adapter's KafkaSource, for the Kafka parts that need more than the contract (the hop). */
const kafkaSources = new WeakMap<PipelineSource, KafkaSource>();

/** The KafkaSource behind a pipeline source built by {@link kafkaPipelineSource}, if it is one. */
export function kafkaSourceOf(input: PipelineSource): KafkaSource | undefined {
  return kafkaSources.get(input);
}

/**
 * A {@link KafkaSource} as a pipeline source: ready while the group is joined with
 * partitions assigned; `failed` when the kafkajs consumer crashed for good; `assigned` on
 * every join; the drain is the source's graceful shutdown (stop fetching, wait for
 * acknowledgements up to `shutdownTimeoutMs`, commit, leave the group, finish the stage);
 * the operator's pause and resume are `pauseFetching` and `resumeFetching`.
 */
export function kafkaPipelineSource(source: KafkaSource): PipelineSource {
  let draining: Promise<SourceDrainReport> | undefined;
  const operator: OperatorControls = {
    get topics() {
      return source.topics;
    },
    pause: (scope) => source.pauseFetching(scope),
    resume: (scope) => source.resumeFetching(scope),
    paused: () => source.operatorPauses(),
    isUnknownScope: (error) => error instanceof KafkaTopicNotFoundError,
    isConflict: (error) => error instanceof KafkaSourceStateError,
  };
  const input: PipelineSource = {
    // A SourceMessage is a Message; the stage type is invariant only because a producer's
    // subscriptions hold its event type in both directions.
    stage: source as unknown as Producer<Message>,
    get ready() {
      return source.ready;
    },
    watch(listener: SourceListener) {
      const { events } = source;
      const ready = () => listener.ready?.();
      const notReady = (reason: string) => listener.notReady?.(reason);
      const failed = (error: Error) => listener.failed?.(error);
      const assigned = listener.assigned;
      events.on('ready', ready);
      events.on('not-ready', notReady);
      events.on('failed', failed);
      if (assigned) events.on('assigned', assigned);
      return () => {
        events.off('ready', ready);
        events.off('not-ready', notReady);
        events.off('failed', failed);
        if (assigned) events.off('assigned', assigned);
      };
    },
    started: () => source.whenStarted(),
    // The source's own shutdownTimeoutMs applies (by default the pipeline's drainTimeoutMs).
    drain() {
      draining ??= source
        .shutdown()
        .then(({ drained, unacknowledged }) => ({ drained, unacknowledged }));
      return draining;
    },
    operator,
  };
  kafkaSources.set(input, source);
  return input;
}
