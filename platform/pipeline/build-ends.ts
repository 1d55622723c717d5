import { type Dispatcher, formatOptionProblem, Producer } from '../../stages/index';
import type { Message } from '../message/message';
import type { ConnectorDeps, Lifecycle, PipelineConnectors } from './connectors';
import type { Sink } from './deliver-batch';
import { PipelineOptionsError } from './errors';
import { isIterable, iterableSource } from './iterable-source';
import type {
  DeadLetterSend,
  SinkFunction,
  SinkObject,
  SourceFactory,
  ValidPipelineOptions,
} from './options';
import { isPipelineSource, type PipelineSource, stageSource } from './pipeline-source';

/** What the builders of a pipeline's ends need: the connectors for options objects. */
export interface EndsDeps extends ConnectorDeps {
  readonly connectors: PipelineConnectors | undefined;
}

/** The connectors, or an error naming the option that needed them. */
function connectorsFor(
  options: ValidPipelineOptions,
  deps: EndsDeps,
  path: string,
  given: string,
): PipelineConnectors {
  if (deps.connectors) return deps.connectors;
  throw new PipelineOptionsError(
    formatOptionProblem(`Pipeline '${options.name}'`, {
      path,
      is: `${given}, which only a connector can build, and this pipeline has none`,
      allowed: `${path} as ${
        path === 'source'
          ? 'a producer stage, a PipelineSource, an (async) iterable or a function ({ name, dispatcher }) => stage'
          : path.startsWith('sinks')
            ? 'a function (messages, context) => Promise or an object with send(messages)'
            : 'a function (records) => Promise'
      }, or Kafka options with createPipeline from 'kafka-stages'`,
    }),
    path,
  );
}

/**
 * The source: a {@link PipelineSource} as given; a producer stage (always ready); a
 * function that builds either with the dispatcher the processors need; an (async) iterable
 * ({@link iterableSource}); or an options object the connectors turn into a source.
 */
export function buildSource(
  options: ValidPipelineOptions,
  dispatcher: Dispatcher<Message> | undefined,
  deps: EndsDeps,
): PipelineSource {
  const { source } = options;
  const name = `${options.name}.source`;
  const settings = { name, dispatcher, drainTimeoutMs: options.drainTimeoutMs };
  if (source instanceof Producer) return stageSource(source as Producer<Message>);
  if (isPipelineSource(source)) return source;
  if (typeof source === 'function') {
    // Exactly these two settings: factories often pass them on as stage options.
    const built: unknown = (source as SourceFactory)({ name, dispatcher });
    return isPipelineSource(built) ? built : stageSource(built as Producer<Message>);
  }
  if (isIterable(source)) return iterableSource(source)(settings);
  return connectorsFor(options, deps, 'source', 'an options object').source(
    source as object,
    settings,
    deps,
  );
}

/**
 * The sink of one batcher: a function, a ready object with `send` (its owner starts and
 * stops it), or an options object the connectors turn into a sink this pipeline starts and
 * stops.
 */
export function buildSink(
  options: ValidPipelineOptions,
  batcher: string,
  deps: EndsDeps,
): { sink: Sink; lifecycle?: Lifecycle } {
  const spec = options.sinks?.[batcher];
  if (typeof spec === 'function') {
    const fn = spec as SinkFunction;
    return { sink: { send: fn, destination: batcher } };
  }
  if (typeof (spec as SinkObject).send === 'function') {
    const object = spec as SinkObject;
    const topic = (spec as { options?: { topic?: unknown } }).options?.topic;
    return {
      sink: {
        send: (messages) => object.send(messages),
        destination: typeof topic === 'string' ? topic : batcher,
      },
    };
  }
  return connectorsFor(options, deps, `sinks.${batcher}`, 'an options object').sink(
    spec as object,
    { name: `${options.name}.sink.${batcher}`, batcher, source: options.source },
    deps,
  );
}

/** The dead-letter writer: the given `send`, or the connectors' writer. */
export function buildDeadLetterSend(
  options: ValidPipelineOptions,
  deps: EndsDeps,
): { send?: DeadLetterSend; lifecycle?: Lifecycle } {
  const deadLetter = options.deadLetter;
  if (!deadLetter) return {};
  if (deadLetter.send) return { send: deadLetter.send };
  return connectorsFor(options, deps, 'deadLetter.send', 'missing').deadLetter(
    { name: `${options.name}.dead-letter`, topic: deadLetter.topic, source: options.source },
    deps,
  );
}
