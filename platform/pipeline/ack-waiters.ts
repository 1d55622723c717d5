/**
 * Drains that wait for acknowledgements: each waits until its condition holds (checked again
 * on every {@link AckWaiters.notify}, which the acknowledger calls) or its timeout passes.
 * Several can wait at once (a rebalance's drain and a stop's).
 */
export class AckWaiters {
  private readonly waiters = new Set<() => void>();

  /** Something was acknowledged: every waiter checks its condition again. */
  notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Resolves true as soon as `done()` holds, false once `timeoutMs` passed without it. */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(true);
      };
      this.waiters.add(waiter);
    });
  }
}
