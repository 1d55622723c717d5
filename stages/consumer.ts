import { isStage } from './producer';
import { type MaybePromise, Stage } from './stage';
import { parseStageOptions, type StageOptions, type SubscriberOptions } from './stage-options';
import type { Subscription } from './subscription';

/** Options of a {@link Consumer}. */
export interface ConsumerOptions<In> extends StageOptions, SubscriberOptions<In> {}

/**
 * The end of a pipeline: receives events and emits none. It asks for `maxDemand` events,
 * then for more each time it has processed enough to fall to `minDemand`.
 *
 * ```ts
 * class Printer extends Consumer<number> {
 *   handleEvents(events: number[]): void {
 *     for (const event of events) console.log(event);
 *   }
 * }
 * ```
 */
export abstract class Consumer<In> extends Stage<In, never> {
  constructor(options: ConsumerOptions<In> = {}) {
    super(parseStageOptions<In, never>('consumer', new.target.name, options, isStage));
  }

  /**
   * Events from `from` (never empty, at most `maxDemand - minDemand` of them, in the
   * order the producer sent them). The next batch comes after the returned promise settles.
   */
  abstract handleEvents(events: In[], from: Subscription<In>): MaybePromise<void>;

  protected override invokeEvents(
    events: In[],
    from: Subscription<In>,
  ): undefined | PromiseLike<void> {
    const result = this.handleEvents(events, from);
    return result === undefined ? undefined : result;
  }
}
