import { PipelineOptionsError, PipelineStateError } from '../pipeline/errors';
import type { OperatorControls, OperatorScope, PipelineSource } from '../pipeline/index';
import type {
  BatcherSettings,
  Controllable,
  PauseOutcome,
  ProcessorSettings,
  RuntimeSettings,
} from './controllable';
import { ControlError } from './controllable';

/**
 * What a pipeline exposes so that `POST /control/set` can change it at run time. The
 * control looks for these methods on the object it is given and answers 501 while they are
 * missing.
 */
export interface RuntimeTunable {
  /** The current sizes of every batcher and the processors' concurrency. */
  runtimeSettings(): RuntimeSettings;
  /** Applies from the next batch on; throws for an unknown batcher name. */
  setBatcher(name: string, settings: BatcherSettings): void | Promise<void>;
  /** Adds or stops processor stages until `concurrency` run; resolves when they do. */
  setProcessorConcurrency(concurrency: number): void | Promise<void>;
}

/**
 * Anything with a name and its source(s) as the pipeline's source contract: a `Pipeline`
 * (with `parts` when it has repartition hops, each part reading its own topics), or an
 * application's own wiring.
 */
export interface WithSource {
  readonly name: string;
  /** The source stage, named in the refusal when nothing can be paused. */
  readonly source?: unknown;
  /** The source (of the first part). */
  readonly input?: PipelineSource;
  readonly parts?: readonly { readonly input: PipelineSource }[];
}

/**
 * The pipeline's refusal as the control reports it: a value out of range or an unknown
 * batcher is the request's fault (400); a setting this pipeline cannot change at run time
 * is 501; a state that does not allow it now (stopping) is 409.
 */
async function applied(action: () => void | Promise<void>, fixed: boolean): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof PipelineOptionsError) {
      throw new ControlError('bad_request', error.message, { cause: error });
    }
    if (error instanceof PipelineStateError) {
      throw new ControlError(fixed ? 'unsupported' : 'conflict', error.message, { cause: error });
    }
    throw error;
  }
}

const isTunable = (v: unknown): v is RuntimeTunable =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as RuntimeTunable).runtimeSettings === 'function' &&
  typeof (v as RuntimeTunable).setBatcher === 'function' &&
  typeof (v as RuntimeTunable).setProcessorConcurrency === 'function';

function pausedOf(sources: readonly OperatorControls[]): OperatorScope[] {
  const out: OperatorScope[] = [];
  const seen = new Set<string>();
  for (const source of sources) {
    for (const scope of source.paused()) {
      const key = JSON.stringify(scope);
      if (!seen.has(key)) out.push(scope);
      seen.add(key);
    }
  }
  return out;
}

/**
 * Runs a pause or resume on the sources `scope` concerns: every source for the whole
 * pipeline, else the one reading the topic (an unknown topic is asked of the first, whose
 * error names the topics it reads).
 */
function sourceAction(
  sources: readonly OperatorControls[],
  scope: OperatorScope,
  act: (source: OperatorControls) => boolean,
): PauseOutcome {
  const concerned =
    scope.topic === undefined
      ? sources
      : [sources.find((s) => s.topics.includes(scope.topic!)) ?? sources[0]!];
  let changed = false;
  for (const source of concerned) {
    try {
      changed = act(source) || changed;
    } catch (error) {
      const message = (error as Error).message;
      if (source.isUnknownScope(error)) {
        throw new ControlError('not_found', message, { cause: error });
      }
      if (source.isConflict(error)) throw new ControlError('conflict', message, { cause: error });
      throw error;
    }
  }
  return { changed, paused: pausedOf(sources) };
}

/**
 * The {@link Controllable} of a pipeline whose source has an operator's pause and resume
 * (the source contract's `operator`; a Kafka source's: fetching stops, the member stays in
 * the group) — with repartition hops, `{}` goes to the source of every part and a topic to
 * the part reading it; `set` goes to the pipeline's {@link RuntimeTunable} methods when it
 * has them.
 *
 * @example
 * const control = createControlCenter({ token: process.env.CONTROL_TOKEN, registry,
 *   targets: [controlPipeline(pipeline)] });
 */
export function controlPipeline(pipeline: WithSource): Controllable {
  const { name, source } = pipeline;
  const inputs = pipeline.parts
    ? pipeline.parts.map((p) => p.input)
    : pipeline.input
      ? [pipeline.input]
      : [];
  const sources = inputs.flatMap((i) => (i.operator ? [i.operator] : []));
  if (sources.length === 0) {
    throw new ControlError(
      'unsupported',
      `pipeline '${name}': only a pipeline reading Kafka can be paused (its source is ${
        (source as { constructor?: { name?: string } })?.constructor?.name ?? typeof source
      })`,
    );
  }
  const tunable = isTunable(pipeline) ? pipeline : undefined;
  const cannotSet = (what: string) =>
    new ControlError(
      'unsupported',
      `pipeline '${name}' cannot change ${what} at run time: the pipeline does not expose ` +
        'runtimeSettings/setBatcher/setProcessorConcurrency',
    );
  return {
    name,
    topics: () => sources.flatMap((s) => s.topics),
    pause: (scope: OperatorScope) => sourceAction(sources, scope, (s) => s.pause(scope)),
    resume: (scope: OperatorScope) => sourceAction(sources, scope, (s) => s.resume(scope)),
    paused: () => pausedOf(sources),
    settings: () => tunable?.runtimeSettings() ?? null,
    setBatcher(batcher: string, settings: BatcherSettings) {
      if (!tunable) throw cannotSet('batch sizes');
      const known = Object.keys(tunable.runtimeSettings().batchers);
      if (!known.includes(batcher)) {
        throw new ControlError(
          'not_found',
          `pipeline '${name}' has no batcher '${batcher}'; its batchers: ${
            known.map((b) => `'${b}'`).join(', ') || 'none'
          }`,
        );
      }
      return applied(() => tunable.setBatcher(batcher, settings), false);
    },
    setProcessors(settings: ProcessorSettings) {
      if (!tunable) throw cannotSet('the processors’ concurrency');
      const concurrency = settings.concurrency;
      if (concurrency === undefined) return;
      // Without adjustable processors the pipeline's own refusal says why (partitionBy, a
      // stateful stage in their place).
      const fixed = tunable.runtimeSettings().processors === null;
      return applied(() => tunable.setProcessorConcurrency(concurrency), fixed);
    },
  };
}
