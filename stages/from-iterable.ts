import { Producer, type ProducerOptions } from './producer';
import type { StopReason } from './subscription';

const FLUSH = Symbol('flush');

/**
 * A producer that emits the items of any iterable, as far as its consumers ask, then
 * finishes (stops with `'normal'` once every item was dispatched). A sync iterable is read
 * inside `handleDemand`; an async one is pulled in the background, one `next()` at a time
 * and only while there is demand, and items that arrive together are emitted as one batch.
 * If the iterator throws, the stage fails with that error as `cause`.
 *
 * ```ts
 * const lines = fromIterable(readline.createInterface({ input }), { name: 'lines' });
 * ```
 */
export function fromIterable<T>(
  source: Iterable<T> | AsyncIterable<T>,
  options: ProducerOptions<T> = {},
): Producer<T> {
  return new IterableProducer(source, options);
}

class IterableProducer<T> extends Producer<T> {
  private readonly sync: Iterator<T> | undefined;
  private readonly async: AsyncIterator<T> | undefined;
  private pending = 0;
  private pulling = false;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private batch: T[] = [];
  private flushQueued = false;

  constructor(source: Iterable<T> | AsyncIterable<T>, options: ProducerOptions<T>) {
    super(options);
    if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) {
      this.async = (source as AsyncIterable<T>)[Symbol.asyncIterator]();
    } else {
      this.sync = (source as Iterable<T>)[Symbol.iterator]();
    }
  }

  handleDemand(demand: number): T[] | undefined {
    if (this.sync) {
      const out: T[] = [];
      while (out.length < demand) {
        const next = this.sync.next();
        if (next.done) {
          this.finish();
          break;
        }
        out.push(next.value);
      }
      return out;
    }
    this.pending += demand;
    if (!this.pulling && !this.ended) void this.pull();
    return undefined;
  }

  override handleInfo(message: unknown): T[] | undefined {
    if (message !== FLUSH) return undefined;
    if (this.failure) throw this.failure.error;
    const events = this.batch;
    this.batch = [];
    if (this.ended && !this.pulling) this.finish();
    return events;
  }

  override terminate(_reason: StopReason): void {
    if (!this.ended) {
      this.ended = true;
      void Promise.resolve(this.sync?.return?.() ?? this.async?.return?.()).catch(() => undefined);
    }
  }

  private async pull(): Promise<void> {
    this.pulling = true;
    try {
      while (this.pending > 0 && !this.ended) {
        const next = await this.async!.next();
        if (next.done) {
          this.ended = true;
          break;
        }
        this.batch.push(next.value);
        this.pending--;
        this.queueFlush();
      }
    } catch (error) {
      this.failure = { error };
      this.ended = true;
    }
    this.pulling = false;
    if (this.ended) this.queueFlush();
  }

  /** Items arriving in the same turn of the event loop travel as one batch. */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.sendInfo(FLUSH);
    });
  }
}
