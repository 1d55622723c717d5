import type { BufferKeep } from './buffer';
import { DemandDispatcher } from './dispatchers/demand-dispatcher';
import type { Dispatcher } from './dispatchers/dispatcher';
import { InvalidOptionError } from './errors';
import { checkObject, integer, oneOf, optionalFunction, text } from './options';
import type {
  CancelMode,
  ResolvedSubscribeOptions,
  Source,
  SubscribeOptions,
  SubscribeTo,
} from './subscription';

/** `'producer'`, `'producer_consumer'` or `'consumer'`, as in GenStage. */
export type StageKind = 'producer' | 'producer_consumer' | 'consumer';

/**
 * `'forward'` (default): demand goes to `handleDemand` as it arrives. `'accumulate'`: demand
 * is summed and held until `stage.demand('forward')`, e.g. to start a source only once
 * every consumer has subscribed.
 */
export type DemandMode = 'forward' | 'accumulate';

/** Called when a full buffer discards events; the default emits a process warning. */
export type DiscardReporter = (discarded: number, stage: string) => void;

/** Options every stage takes. */
export interface StageOptions {
  /** Shown in stats, errors and logs. Default: the class name and a number, `Counter#1`. */
  name?: string;
}

/** Options of the producer side (Producer, ProducerConsumer). */
export interface EmitterOptions<Out> {
  /** Who gets which event. Default a new `DemandDispatcher`. One instance per stage. */
  dispatcher?: Dispatcher<Out>;
  /**
   * Most events kept when consumers have no demand for them. Default 10 000 for a
   * Producer, Infinity for a ProducerConsumer (its input is bounded by its own demand).
   */
  bufferSize?: number;
  /** Which events a full buffer keeps. Default `'last'` (the oldest are discarded). */
  bufferKeep?: BufferKeep;
  /** Reports discarded events (they are also counted in `stats().discarded`). */
  onDiscard?: DiscardReporter;
}

/** Options of the consumer side (ProducerConsumer, Consumer). */
export interface SubscriberOptions<In> {
  /** Producers to subscribe to when the stage starts, with per-subscription options. */
  subscribeTo?: readonly SubscribeTo<In>[];
}

/** Options after validation; what the Stage constructor works from. */
export interface StageConfig<In, Out> {
  readonly kind: StageKind;
  readonly name: string;
  readonly dispatcher: Dispatcher<Out> | undefined;
  readonly bufferSize: number;
  readonly bufferKeep: BufferKeep;
  readonly demand: DemandMode;
  readonly onDiscard: DiscardReporter | undefined;
  readonly subscribeTo: readonly { producer: Source<In>; options: SubscribeOptions<In> }[];
}

const counters = new Map<string, number>();

function defaultName(className: string): string {
  const next = (counters.get(className) ?? 0) + 1;
  counters.set(className, next);
  return `${className}#${next}`;
}

const KEYS: Record<StageKind, readonly string[]> = {
  producer: ['name', 'dispatcher', 'bufferSize', 'bufferKeep', 'demand', 'onDiscard'],
  producer_consumer: ['name', 'dispatcher', 'bufferSize', 'bufferKeep', 'onDiscard', 'subscribeTo'],
  consumer: ['name', 'subscribeTo'],
};

const SUBSCRIBE_KEYS = ['producer', 'maxDemand', 'minDemand', 'cancel', 'partition', 'selector'];

/** Validates a stage's options once, at construction, and fills in the defaults. */
export function parseStageOptions<In, Out>(
  kind: StageKind,
  className: string,
  raw: unknown,
  isStage: (value: unknown) => boolean,
): StageConfig<In, Out> {
  const first = `stage ${className}`;
  const options = checkObject(first, '', raw ?? {}, KEYS[kind]);
  const name = text(first, 'name', options.name, '') || defaultName(className);
  const component = `stage '${name}'`;
  const emits = kind !== 'consumer';
  const dispatcher = options.dispatcher as Dispatcher<Out> | undefined;
  if (
    dispatcher !== undefined &&
    (typeof dispatcher !== 'object' || typeof dispatcher.dispatch !== 'function')
  ) {
    throw new InvalidOptionError(
      component,
      'dispatcher',
      dispatcher,
      'a Dispatcher (DemandDispatcher, BroadcastDispatcher, PartitionDispatcher)',
    );
  }
  const subscribeTo: { producer: Source<In>; options: SubscribeOptions<In> }[] = [];
  if (options.subscribeTo !== undefined) {
    if (!Array.isArray(options.subscribeTo)) {
      throw new InvalidOptionError(
        component,
        'subscribeTo',
        options.subscribeTo,
        'an array of producers or { producer, ...options }',
      );
    }
    options.subscribeTo.forEach((entry: unknown, index: number) => {
      const path = `subscribeTo[${index}]`;
      if (isStage(entry)) {
        subscribeTo.push({ producer: entry as Source<In>, options: {} });
        return;
      }
      const { producer, ...rest } = checkObject(component, path, entry, SUBSCRIBE_KEYS);
      if (!isStage(producer)) {
        throw new InvalidOptionError(
          component,
          `${path}.producer`,
          producer,
          'a Producer or ProducerConsumer',
        );
      }
      parseSubscribeOptions(component, path, rest);
      if (subscribeTo.some((s) => s.producer === producer)) {
        throw new InvalidOptionError(
          component,
          `${path}.producer`,
          producer,
          'each producer at most once',
        );
      }
      subscribeTo.push({ producer: producer as Source<In>, options: rest as SubscribeOptions<In> });
    });
  }
  return {
    kind,
    name,
    dispatcher: emits ? (dispatcher ?? new DemandDispatcher<Out>()) : undefined,
    bufferSize: integer(
      component,
      'bufferSize',
      options.bufferSize,
      kind === 'producer' ? 10_000 : Number.POSITIVE_INFINITY,
      0,
      true,
    ),
    bufferKeep: oneOf(
      component,
      'bufferKeep',
      options.bufferKeep,
      ['first', 'last'] as const,
      'last',
    ),
    demand: oneOf(
      component,
      'demand',
      options.demand,
      ['forward', 'accumulate'] as const,
      'forward',
    ),
    onDiscard: optionalFunction<DiscardReporter>(component, 'onDiscard', options.onDiscard),
    subscribeTo,
  };
}

/** Validates one subscription's options and fills in the defaults. */
export function parseSubscribeOptions<T>(
  component: string,
  path: string,
  raw: unknown,
): ResolvedSubscribeOptions<T> {
  const prefix = path ? `${path}.` : '';
  const options = checkObject(component, path, raw ?? {}, SUBSCRIBE_KEYS.slice(1));
  const maxDemand = integer(component, `${prefix}maxDemand`, options.maxDemand, 1000, 1);
  const minDemand = integer(
    component,
    `${prefix}minDemand`,
    options.minDemand,
    Math.floor(maxDemand / 2),
    0,
  );
  if (minDemand >= maxDemand) {
    throw new InvalidOptionError(
      component,
      `${prefix}minDemand`,
      minDemand,
      `an integer >= 0 and below maxDemand (${maxDemand})`,
    );
  }
  const partition = options.partition;
  if (partition !== undefined && typeof partition !== 'number' && typeof partition !== 'string') {
    throw new InvalidOptionError(
      component,
      `${prefix}partition`,
      partition,
      'a partition number or name',
    );
  }
  return {
    maxDemand,
    minDemand,
    cancel: oneOf<CancelMode>(
      component,
      `${prefix}cancel`,
      options.cancel,
      ['permanent', 'transient', 'temporary'],
      'permanent',
    ),
    partition,
    selector: optionalFunction<(event: T) => boolean>(
      component,
      `${prefix}selector`,
      options.selector,
    ),
  };
}
