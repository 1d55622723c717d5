import fc from 'fast-check';
import type { RetryOptions } from '../../../platform/pipeline/options';
import { asError, backoffDelay, withRetries } from '../../../platform/pipeline/retry';

const policy = (overrides: Partial<RetryOptions> = {}): RetryOptions => ({
  attempts: 4,
  backoff: 'exponential',
  jitter: 'none',
  initialMs: 100,
  maxMs: 1_000,
  ...overrides,
});

describe('backoffDelay', () => {
  it('doubles from initialMs and stops at maxMs', () => {
    expect([1, 2, 3, 4, 5, 60].map((n) => backoffDelay(policy(), n))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('constant backoff waits initialMs every time', () => {
    expect([1, 2, 3].map((n) => backoffDelay(policy({ backoff: 'constant' }), n))).toEqual([
      100, 100, 100,
    ]);
  });

  it('full jitter spans 0..delay and equal jitter delay/2..delay', () => {
    expect(backoffDelay(policy({ jitter: 'full' }), 3, () => 0)).toBe(0);
    expect(backoffDelay(policy({ jitter: 'full' }), 3, () => 0.5)).toBe(200);
    expect(backoffDelay(policy({ jitter: 'equal' }), 3, () => 0)).toBe(200);
    expect(backoffDelay(policy({ jitter: 'equal' }), 3, () => 0.999999)).toBe(399);
  });

  it('stays within [0, maxMs] for any attempt and random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.constantFrom('full', 'equal', 'none' as const),
        (attempt, r, jitter) => {
          const d = backoffDelay(policy({ jitter }), attempt, () => r);
          return d >= 0 && d <= 1000 && Number.isInteger(d);
        },
      ),
    );
  });
});

describe('withRetries', () => {
  it('calls until success, sleeping the backoff in between', async () => {
    const waits: number[] = [];
    let calls = 0;
    const error = await withRetries(
      policy(),
      (n) => {
        calls++;
        expect(n).toBe(calls);
        if (calls < 3) throw new Error('not yet');
      },
      async (ms) => {
        waits.push(ms);
      },
    );
    expect(error).toBeUndefined();
    expect(calls).toBe(3);
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after `attempts` calls and returns the last error', async () => {
    let calls = 0;
    const error = await withRetries(
      policy({ attempts: 2 }),
      async () => {
        calls++;
        throw new Error(`failure ${calls}`);
      },
      async () => {},
    );
    expect(calls).toBe(2);
    expect(error?.message).toBe('failure 2');
  });

  it('wraps a thrown non-Error', () => {
    expect(asError('boom').message).toBe('boom');
    expect(asError(42).message).toBe('non-Error thrown: 42');
    expect(asError(42).cause).toBe(42);
  });
});
