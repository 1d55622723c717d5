import { Counter, Histogram, type Registry } from 'prom-client';

// One remote-write request: a local receiver answers in milliseconds, a remote one under load
// in seconds; the sink's default timeout is 30 s, so the last buckets show requests near it.
const SECONDS_REQUEST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The `status` label of `kafka_stages_remote_write_requests_total`: the HTTP status class
 * of the answer, or what happened instead of one. Bounded (six values).
 */
export type RemoteWriteStatus = '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'error';

/** The status class of an HTTP answer, as the `status` label writes it. */
export function statusClass(status: number): RemoteWriteStatus {
  if (status >= 200 && status < 300) return '2xx';
  if (status >= 300 && status < 400) return '3xx';
  if (status >= 400 && status < 500) return '4xx';
  return '5xx';
}

/**
 * What one remote-write sink reports, bound to its pipeline's label: called per request or
 * per batch, never per sample.
 */
export interface RemoteWriteRecorder {
  /** One HTTP request ended (answered, timed out or failed to connect) after `seconds`. */
  request(status: RemoteWriteStatus, seconds: number): void;
  /** The receiver answered 2xx for `count` samples. */
  sent(count: number): void;
  /** `count` samples were refused (4xx) and their messages dead-lettered. */
  refused(count: number): void;
  /** The same request is sent again after a retriable failure (5xx, 429, 408, timeout, network). */
  retry(): void;
}

/**
 * The `kafka_stages_remote_write_*` families of a registry (part of its metric catalogue,
 * so a pipeline's /metrics declares them whether or not it writes to Prometheus):
 *
 * - `kafka_stages_remote_write_requests_total{pipeline,status}`: HTTP requests by answer
 *   (`2xx`, `4xx`, `5xx`…, `timeout`, `error` for a connection that failed);
 * - `kafka_stages_remote_write_samples_sent_total{pipeline}`: samples answered 2xx;
 * - `kafka_stages_remote_write_samples_refused_total{pipeline}`: samples refused with a 4xx
 *   (their messages dead-lettered with reason `remote_write_refused`);
 * - `kafka_stages_remote_write_retries_total{pipeline}`: requests sent again after a
 *   retriable failure;
 * - `kafka_stages_remote_write_request_duration_seconds{pipeline}`: one request, from send
 *   to the end of the answer (or the failure).
 */
export class RemoteWriteMetrics {
  readonly requests: Counter<'pipeline' | 'status'>;
  readonly samplesSent: Counter<'pipeline'>;
  readonly samplesRefused: Counter<'pipeline'>;
  readonly retries: Counter<'pipeline'>;
  readonly requestDuration: Histogram<'pipeline'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'kafka_stages_remote_write_requests_total',
      help: 'Remote-write HTTP requests by answer: status class, timeout or error (no answer).',
      labelNames: ['pipeline', 'status'],
      registers,
    });
    this.samplesSent = new Counter({
      name: 'kafka_stages_remote_write_samples_sent_total',
      help: 'Samples the remote-write receiver accepted (answered 2xx).',
      labelNames: ['pipeline'],
      registers,
    });
    this.samplesRefused = new Counter({
      name: 'kafka_stages_remote_write_samples_refused_total',
      help: 'Samples the remote-write receiver refused with a 4xx (dead-lettered).',
      labelNames: ['pipeline'],
      registers,
    });
    this.retries = new Counter({
      name: 'kafka_stages_remote_write_retries_total',
      help: 'Remote-write requests sent again after a 5xx, 429, 408, timeout or network error.',
      labelNames: ['pipeline'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'kafka_stages_remote_write_request_duration_seconds',
      help: 'Time of one remote-write HTTP request, to the end of its answer or its failure.',
      labelNames: ['pipeline'],
      buckets: SECONDS_REQUEST,
      registers,
    });
  }

  /**
   * The recorder of one pipeline. Its counters show from the start at 0 (a sink that never
   * had a refusal still has the series, so `rate()` and alerts see it).
   */
  recorder(pipeline: string): RemoteWriteRecorder {
    const labels = { pipeline };
    const sent = this.samplesSent.labels(labels);
    const refused = this.samplesRefused.labels(labels);
    const retries = this.retries.labels(labels);
    const duration = this.requestDuration.labels(labels);
    sent.inc(0);
    refused.inc(0);
    retries.inc(0);
    this.requestDuration.zero(labels);
    this.requests.inc({ pipeline, status: '2xx' }, 0);
    return {
      request: (status, seconds) => {
        this.requests.inc({ pipeline, status });
        duration.observe(Math.max(0, seconds));
      },
      sent: (count) => {
        if (count > 0) sent.inc(count);
      },
      refused: (count) => {
        if (count > 0) refused.inc(count);
      },
      retry: () => retries.inc(),
    };
  }
}
