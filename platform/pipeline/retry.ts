import type { RetryOptions } from './options';

/**
 * Milliseconds to wait before the next attempt, after `attempt` attempts failed (1 after the
 * first failure). Exponential: `initialMs * 2^(attempt-1)`, capped at `maxMs`; then jitter,
 * so that many messages failing together do not retry in lock step.
 */
export function backoffDelay(
  retry: RetryOptions,
  attempt: number,
  random: () => number = Math.random,
): number {
  const growth = retry.backoff === 'exponential' ? 2 ** Math.min(Math.max(attempt - 1, 0), 52) : 1;
  const delay = Math.min(retry.maxMs, retry.initialMs * growth);
  switch (retry.jitter) {
    case 'full':
      return Math.floor(random() * delay);
    case 'equal':
      return Math.floor(delay / 2 + (random() * delay) / 2);
    case 'none':
      return delay;
  }
}

/** Waits `ms` milliseconds (a timer; replaced in tests that must not wait). */
export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** How {@link retrying} goes on after a failed attempt. */
export interface RetryLoop {
  /** Calls at most, the first included. */
  readonly attempts: number;
  /** Milliseconds to wait after the `attempt`-th failure (1 after the first). */
  readonly delayMs: (attempt: number) => number;
  /** Whether `error` is worth another attempt. Default: every error is. */
  readonly retryIf?: (error: unknown) => boolean;
  readonly wait?: Sleep;
}

/**
 * The one retry loop: calls `attempt` (with its 1-based number) until it resolves, and
 * rethrows the last error once `loop.attempts` calls failed or `retryIf` says an error is
 * not worth another one, waiting `delayMs` in between.
 */
export async function retrying<T>(
  attempt: (n: number) => T | PromiseLike<T>,
  loop: RetryLoop,
): Promise<T> {
  const wait = loop.wait ?? sleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= loop.attempts || (loop.retryIf && !loop.retryIf(error))) throw error;
      await wait(loop.delayMs(n));
    }
  }
}

/**
 * Calls `attempt` until it succeeds or `retry.attempts` calls were made, sleeping the
 * backoff in between. `attempt` gets the 1-based attempt number. Resolves to `undefined` on
 * success, or to the last error when every attempt failed (never rejects: a failure is data).
 */
export async function withRetries(
  retry: RetryOptions,
  attempt: (n: number) => unknown,
  wait: Sleep = sleep,
): Promise<Error | undefined> {
  try {
    await retrying(attempt, {
      attempts: retry.attempts,
      delayMs: (n) => backoffDelay(retry, n),
      wait,
    });
    return undefined;
  } catch (error) {
    return asError(error);
  }
}

/** Anything thrown, as an Error (a thrown string or object is wrapped, not lost). */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `non-Error thrown: ${String(thrown)}`, {
    cause: thrown,
  });
}

/**
 * True when an error says that trying again may succeed (`retriable: true`, as kafkajs and
 * the Kafka stages mark connection and leadership errors), on itself or along its causes.
 */
export function isTransient(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if ((current as { retriable?: unknown }).retriable === true) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
