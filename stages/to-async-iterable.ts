import { Consumer } from './consumer';
import type { Source, StopReason, SubscribeOptions } from './subscription';

/**
 * Reads any producer's output with `for await`. A consumer subscribes to `source` (with
 * `options`, e.g. `maxDemand`) and asks for more only as the loop takes events, so a slow
 * loop slows the pipeline. The loop ends when the source finishes; it throws if the source
 * fails; leaving the loop early cancels the subscription.
 *
 * ```ts
 * for await (const event of toAsyncIterable(evens, { maxDemand: 100 })) console.log(event);
 * ```
 */
export function toAsyncIterable<T>(
  source: Source<T>,
  options: SubscribeOptions<T> & { name?: string } = {},
): AsyncIterableIterator<T> {
  const { name, ...subscribe } = options;
  const sink = new IterableSink<T>(source, subscribe, name);
  return read(sink);
}

async function* read<T>(sink: IterableSink<T>): AsyncIterableIterator<T> {
  sink.start();
  let finished = false;
  try {
    for (;;) {
      const batch = await sink.next();
      if (batch === undefined) break;
      for (const event of batch) yield event;
    }
    finished = true;
  } finally {
    if (!finished) await sink.close();
  }
}

class IterableSink<T> extends Consumer<T> {
  private batch: T[] | undefined;
  private releaseBatch: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private reason: StopReason | undefined;
  private closing = false;

  constructor(source: Source<T>, options: SubscribeOptions<T>, name: string | undefined) {
    super({ ...(name ? { name } : {}), subscribeTo: [{ producer: source, ...options }] });
    void this.done().then((reason) => {
      this.reason = reason;
      this.wake?.();
    });
  }

  /** Parks the batch until the reader takes it: the demand waits with it. */
  handleEvents(events: T[]): Promise<void> | undefined {
    // After the loop is left, events still in the mailbox are dropped on the way to stop.
    if (this.closing) return undefined;
    return new Promise<void>((resolve) => {
      this.batch = events;
      this.releaseBatch = resolve;
      this.wake?.();
    });
  }

  /** The next batch, or `undefined` at the end; throws the reason the stage failed with. */
  async next(): Promise<T[] | undefined> {
    this.releaseBatch?.();
    this.releaseBatch = undefined;
    while (this.batch === undefined && this.reason === undefined) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    const batch = this.batch;
    this.batch = undefined;
    if (batch !== undefined) return batch;
    if (this.reason instanceof Error) throw this.reason;
    return undefined;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.releaseBatch?.();
    this.releaseBatch = undefined;
    await this.stop('normal');
  }
}
