/** A value or a promise of it: every handler may be sync or async. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** What a handler that emits returns: the events (possibly none), or nothing. */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler written as returning void must fit
export type Emitted<T> = readonly T[] | undefined | void;

/** True for promises and other thenables (never for arrays, the common answer). */
export function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Continues with `next` now, or once `value` settles: no promise when nothing is async. */
export function chain<T>(
  value: MaybePromise<T>,
  next: (value: T) => Promise<void> | undefined,
): Promise<void> | undefined {
  return isThenable<T>(value) ? Promise.resolve(value).then(next) : next(value);
}
