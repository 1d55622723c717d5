import { InternalError } from '../../../../stages/index';

/**
 * Counts, per input handle (a Kafka message, an offset…), how many things still hold it:
 * open windows its samples went into, plus the caller while it is still adding samples.
 * A handle is done, and may be acknowledged, exactly when its count returns to zero.
 *
 * Shared by every aggregation of a transformer, so a message whose samples went into
 * windows of several aggregations is done only when the last of them was emitted.
 */
export class AckTracker<H> {
  private readonly holds = new Map<H, number>();

  /** Adds one hold on `handle`. */
  hold(handle: H): void {
    this.holds.set(handle, (this.holds.get(handle) ?? 0) + 1);
  }

  /**
   * Removes one hold; returns true when it was the last (the handle is now done).
   * Releasing a handle that is not held is a bug in the caller and throws.
   */
  release(handle: H): boolean {
    const n = this.holds.get(handle);
    if (n === undefined)
      throw new InternalError('AckTracker: release of a handle that is not held');
    if (n === 1) {
      this.holds.delete(handle);
      return true;
    }
    this.holds.set(handle, n - 1);
    return false;
  }

  /** True while something still holds `handle`. */
  isHeld(handle: H): boolean {
    return this.holds.has(handle);
  }

  /** How many handles are held (pending acknowledgement). */
  get size(): number {
    return this.holds.size;
  }
}
