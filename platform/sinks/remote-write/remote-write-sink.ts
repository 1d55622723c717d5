import { type Message, markFailed } from '../../message/message';
import { catalogueFor } from '../../telemetry/metric-catalogue';
import { type RemoteWriteRecorder, statusClass } from '../../telemetry/remote-write-metrics';
import {
  RemoteWriteInvalidSampleError,
  RemoteWriteRefusedError,
  RemoteWriteUnavailableError,
} from './errors';
import {
  type RemoteWriteOptions,
  type RemoteWriteOptionsInput,
  type SamplesOf,
  validateRemoteWriteOptions,
} from './options';
import { type RemoteWriteSample, writeRequestBody } from './write-request';

/** Failure reasons this sink puts on messages (bounded: they become metric labels). */
export const REMOTE_WRITE_REASONS = {
  /** The receiver answered 4xx for a request of only this message's samples. */
  refused: 'remote_write_refused',
  /** The message's data is not samples (see `samplesOf`). */
  invalid: 'remote_write_invalid',
} as const;

// 4xx answers that are about the samples in the request (a bad sample, out of order, too
// old, too large): splitting the request finds the refused ones. Other 4xx (401, 403, 404…)
// refuse any request alike, so splitting would only multiply them.
const SPLIT_STATUSES = new Set([400, 413, 422]);
// Answers that mean "not now": retried, never a reason to give up on the samples.
const RETRY_STATUSES = new Set([408, 429]);
const MAX_BODY_CHARS = 1_000;

/** The remote-write version header value of protocol 1.0. */
export const REMOTE_WRITE_VERSION = '0.1.0';

interface Item {
  message: Message;
  samples: readonly RemoteWriteSample[];
}

/**
 * A sink that writes metric samples to a Prometheus remote-write 1.0 receiver (Prometheus
 * with `--web.enable-remote-write-receiver`, Mimir, Thanos receive, VictoriaMetrics…).
 * Give it to a pipeline batcher as its sink; the owner closes it after the pipeline stopped.
 *
 * ```ts
 * const sink = new RemoteWriteSink({ url: 'http://127.0.0.1:9090/api/v1/write' });
 * createPipeline({ …, batchers: { prom: { batchSize: 500 } }, sinks: { prom: sink } });
 * ```
 *
 * What {@link send} guarantees:
 * - It resolves only after the receiver answered 2xx for every sample of every message not
 *   marked failed; the pipeline then acknowledges them (their offsets become committable).
 * - 5xx, 429, 408, timeouts and connection errors are retried with exponential backoff
 *   (`initialBackoffMs` doubling up to `maxBackoffMs`, a `Retry-After` respected up to that
 *   cap), without limit: a receiver that is down delays samples, it never dead-letters them.
 *   Only {@link close} ends the wait; `send` then rejects with a retriable
 *   {@link RemoteWriteUnavailableError}, leaving the messages unacknowledged.
 * - 400, 413 and 422 (a refused sample: out of order, too old, bad label; or too large):
 *   the request is split in halves, each sent again, until the refused messages stand
 *   alone; those are marked failed with reason `remote_write_refused` and a
 *   {@link RemoteWriteRefusedError} carrying the status and response body (the pipeline
 *   dead-letters them), the others are delivered. Other 4xx refuse the whole request the
 *   same way without splitting.
 * - Order: requests go one at a time, in message order, so samples of a series reach the
 *   receiver in the order of the batch; a request holds at most `maxSamplesPerRequest`
 *   samples and never splits one message.
 * - At least once: a sample is sent again after a timeout whose request did arrive, or
 *   after a restart before the offsets were committed. The receiver keeps an identical
 *   (same series, time and value) sample once; Prometheus refuses a re-sent sample older
 *   than the newest of its series as out of order (400), so such a replay is
 *   dead-lettered although the data is already stored (see the README).
 * - Metrics, with the `telemetry` option (the pipeline's): every request by status class
 *   (or `timeout`, `error`) and its duration, samples sent (2xx) and refused (4xx,
 *   dead-lettered), retries; see `platform/telemetry/remote-write-metrics.ts`.
 */
export class RemoteWriteSink {
  readonly options: RemoteWriteOptions;
  /** For telemetry: where the samples go (`host:port` of the receiver). */
  readonly destination: string;
  private readonly samplesOf: SamplesOf;
  private readonly headers: Record<string, string>;
  private readonly abort = new AbortController();
  private readonly sleepers = new Set<() => void>();
  /** The `kafka_stages_remote_write_*` series of the pipeline, when `telemetry` was given. */
  private readonly metrics: RemoteWriteRecorder | undefined;
  private closed = false;

  constructor(options: RemoteWriteOptionsInput) {
    this.options = validateRemoteWriteOptions(options);
    this.destination = new URL(this.options.url).host;
    this.samplesOf = this.options.samplesOf ?? defaultSamplesOf;
    const telemetry = this.options.telemetry;
    this.metrics = telemetry
      ? catalogueFor(telemetry.registry).remoteWrite.recorder(telemetry.pipeline)
      : undefined;
    this.headers = {
      ...this.options.headers,
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': REMOTE_WRITE_VERSION,
      'User-Agent': 'kafka-stages-remote-write',
    };
  }

  /** Delivers the samples of `messages` (never empty); see the class for what it guarantees. */
  async send(messages: readonly Message[]): Promise<void> {
    this.throwIfClosed();
    const items: Item[] = [];
    for (const message of messages) {
      if (message.status.kind !== 'pending') continue;
      try {
        items.push({ message, samples: this.samplesOf(message) });
      } catch (error) {
        // samplesOf is the user's: what it throws becomes the cause of the sink's own error.
        const invalid =
          error instanceof RemoteWriteInvalidSampleError
            ? error
            : new RemoteWriteInvalidSampleError(
                error instanceof Error ? error.message : String(error),
                { cause: error },
              );
        markFailed(message, REMOTE_WRITE_REASONS.invalid, invalid);
      }
    }
    for (const chunk of chunks(items, this.options.maxSamplesPerRequest)) await this.deliver(chunk);
  }

  /**
   * Stops retrying: a `send` waiting for the receiver rejects at once with a retriable
   * {@link RemoteWriteUnavailableError}, as do later calls. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  /** Sends one chunk until it is answered 2xx, or split and refused parts marked failed. */
  private async deliver(chunk: readonly Item[]): Promise<void> {
    const samples = chunk.flatMap((item) => item.samples);
    if (samples.length === 0) return;
    const body = writeRequestBody(samples);
    let lastProblem = '';
    for (let attempt = 1; ; attempt++) {
      this.throwIfClosed(lastProblem);
      if (attempt > 1) this.metrics?.retry();
      let response: Awaited<ReturnType<RemoteWriteSink['post']>> | undefined;
      const started = performance.now();
      try {
        response = await this.post(body);
      } catch (error) {
        // Aborted by close(): not an answer of the receiver, so not counted as a request.
        this.throwIfClosed(lastProblem);
        const seconds = (performance.now() - started) / 1000;
        this.metrics?.request(isTimeout(error) ? 'timeout' : 'error', seconds);
        lastProblem = describeError(error);
      }
      if (response) {
        const { status } = response;
        this.metrics?.request(statusClass(status), (performance.now() - started) / 1000);
        if (status >= 200 && status < 300) {
          this.metrics?.sent(samples.length);
          return;
        }
        if (status < 500 && !RETRY_STATUSES.has(status)) {
          if (SPLIT_STATUSES.has(status) && chunk.length > 1) {
            const half = Math.ceil(chunk.length / 2);
            await this.deliver(chunk.slice(0, half));
            await this.deliver(chunk.slice(half));
            return;
          }
          const error = new RemoteWriteRefusedError(status, response.body, this.options.url);
          for (const item of chunk) markFailed(item.message, REMOTE_WRITE_REASONS.refused, error);
          this.metrics?.refused(samples.length);
          return;
        }
        lastProblem = `HTTP ${status}: ${response.body}`;
      }
      await this.sleep(this.backoff(attempt, response?.retryAfterMs));
    }
  }

  private async post(
    body: Uint8Array,
  ): Promise<{ status: number; body: string; retryAfterMs: number | undefined }> {
    const signal = AbortSignal.any([
      this.abort.signal,
      AbortSignal.timeout(this.options.timeoutMs),
    ]);
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers: this.headers,
      body,
      signal,
    });
    // Read the body in every case: it frees the connection for the next request.
    const text = (await response.text()).slice(0, MAX_BODY_CHARS).trim();
    return {
      status: response.status,
      body: text,
      retryAfterMs: retryAfter(response.headers.get('retry-after')),
    };
  }

  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    const { initialBackoffMs, maxBackoffMs } = this.options;
    const exponential = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(attempt - 1, 30));
    // Equal jitter: many sinks failing together do not retry in lock step.
    const delay = exponential / 2 + (Math.random() * exponential) / 2;
    return Math.min(maxBackoffMs, Math.max(delay, retryAfterMs ?? 0));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private throwIfClosed(problem = ''): void {
    if (!this.closed) return;
    throw new RemoteWriteUnavailableError(
      `remote write to ${this.options.url}: sink closed before the receiver accepted the samples${problem ? ` (last problem: ${problem})` : ''}`,
    );
  }
}

/**
 * The request's own timeout fired: AbortSignal.timeout rejects with a `TimeoutError`
 * DOMException (told by its name: a DOMException of another realm is no `Error` there).
 */
function isTimeout(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'TimeoutError';
}

/** An error with its cause: fetch says only "fetch failed", the cause says why. */
function describeError(error: unknown): string {
  const e = error as Error & { cause?: unknown };
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}

/** `Retry-After` as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Consecutive messages grouped so a chunk holds at most `max` samples (or one message). */
function* chunks(items: readonly Item[], max: number): Generator<Item[]> {
  let chunk: Item[] = [];
  let count = 0;
  for (const item of items) {
    if (chunk.length > 0 && count + item.samples.length > max) {
      yield chunk;
      chunk = [];
      count = 0;
    }
    chunk.push(item);
    count += item.samples.length;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * The default `samplesOf`: `message.data` is one sample `{name, value, timestamp, labels}`
 * or an array of them. Anything else throws, naming what is wrong.
 */
export const defaultSamplesOf: SamplesOf = (message) => {
  const data = message.data;
  const list = Array.isArray(data) ? data : [data];
  list.forEach(checkSample);
  return list as RemoteWriteSample[];
};

function checkSample(value: unknown, index: number): void {
  const where = `sample ${index}`;
  if (typeof value !== 'object' || value === null) {
    throw new RemoteWriteInvalidSampleError(
      `${where} is ${value === null ? 'null' : typeof value}, not {name, value, timestamp, labels}`,
    );
  }
  const s = value as Record<string, unknown>;
  if (typeof s.name !== 'string' || s.name === '') {
    throw new RemoteWriteInvalidSampleError(`${where} has no name`);
  }
  if (typeof s.value !== 'number')
    throw new RemoteWriteInvalidSampleError(`${where} (${s.name}) value is not a number`);
  if (typeof s.timestamp !== 'number' || !Number.isInteger(s.timestamp)) {
    throw new RemoteWriteInvalidSampleError(
      `${where} (${s.name}) timestamp is not an integer (ms)`,
    );
  }
  if (typeof s.labels !== 'object' || s.labels === null) {
    throw new RemoteWriteInvalidSampleError(`${where} (${s.name}) labels is not an object`);
  }
  for (const [k, v] of Object.entries(s.labels)) {
    if (typeof v !== 'string')
      throw new RemoteWriteInvalidSampleError(`${where} (${s.name}) label ${k} is not a string`);
  }
}
