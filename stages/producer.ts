import { type Emitted, type MaybePromise, Stage } from './stage';
import {
  type DemandMode,
  type EmitterOptions,
  parseStageOptions,
  type StageOptions,
} from './stage-options';

/** Options of a {@link Producer}. */
export interface ProducerOptions<Out> extends StageOptions, EmitterOptions<Out> {
  /** See {@link DemandMode}. Default `'forward'`. */
  demand?: DemandMode;
}

/**
 * A stage that emits events as far as its consumers ask for them.
 *
 * ```ts
 * class Counter extends Producer<number> {
 *   private next = 0;
 *   handleDemand(demand: number): number[] {
 *     return Array.from({ length: demand }, () => this.next++);
 *   }
 * }
 * ```
 */
export abstract class Producer<Out> extends Stage<never, Out> {
  constructor(options: ProducerOptions<Out> = {}) {
    super(parseStageOptions<never, Out>('producer', new.target.name, options, isStage));
  }

  /**
   * Consumers asked for `demand` more events (demand is always > 0). Return the events you
   * have now: fewer is fine (keep the rest of the demand and emit later, e.g. from
   * `handleInfo`), more is buffered. The stage owns the returned array. Called again only
   * after more demand arrives.
   */
  abstract handleDemand(demand: number): MaybePromise<Emitted<Out>>;

  /** Switches the demand mode at run time (e.g. `'forward'` once everything subscribed). */
  demand(mode: DemandMode): void {
    this.setDemandMode(mode);
  }

  /**
   * Ends this producer gracefully: `handleDemand` is not called any more, and once every
   * event it emitted has been dispatched the stage stops with `'normal'`. Consumers with
   * cancel `'permanent'` then finish as well, after processing what they received.
   */
  finish(): void {
    this.finishWhenDrained();
  }

  protected override invokeDemand(demand: number): MaybePromise<Emitted<Out>> {
    return this.handleDemand(demand);
  }
}

/** True for any stage (used to validate `subscribeTo`). */
export function isStage(value: unknown): boolean {
  return value instanceof Stage;
}
