import { isStage } from './producer';
import { type Emitted, type MaybePromise, Stage } from './stage';
import {
  type EmitterOptions,
  parseStageOptions,
  type StageOptions,
  type SubscriberOptions,
} from './stage-options';
import type { Subscription } from './subscription';

/** Options of a {@link ProducerConsumer}. */
export interface ProducerConsumerOptions<In, Out>
  extends StageOptions,
    EmitterOptions<Out>,
    SubscriberOptions<In> {}

/**
 * A stage in the middle: receives events from its producers and emits events to its
 * consumers. It processes what it received only while its consumers have demand, so it
 * never asks upstream for more than downstream can take.
 *
 * ```ts
 * class Evens extends ProducerConsumer<number, number> {
 *   handleEvents(events: number[]): number[] {
 *     return events.filter((n) => n % 2 === 0);
 *   }
 * }
 * ```
 */
export abstract class ProducerConsumer<In, Out> extends Stage<In, Out> {
  constructor(options: ProducerConsumerOptions<In, Out> = {}) {
    super(parseStageOptions<In, Out>('producer_consumer', new.target.name, options, isStage));
  }

  /**
   * Events from `from` (never empty, at most `maxDemand - minDemand` of them). Return the
   * events to pass on: any number, in order; more than downstream wants is buffered.
   */
  abstract handleEvents(events: In[], from: Subscription<In>): MaybePromise<Emitted<Out>>;

  protected override invokeEvents(
    events: In[],
    from: Subscription<In>,
  ): MaybePromise<Emitted<Out>> {
    return this.handleEvents(events, from);
  }
}
