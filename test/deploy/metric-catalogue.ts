/**
 * The binding metric catalogue (agreed between the observability, platform and Helm work;
 * design.md "Names for metrics"), as data: every `kafka_stages_*` family the application
 * exports, with its type. The chart's dashboard and alerts may query only these, plus
 * prom-client's default process_ and nodejs_ metrics.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export const METRIC_CATALOGUE: Readonly<Record<string, MetricType>> = {
  // per stage (pipeline, stage)
  kafka_stages_stage_events_in_total: 'counter',
  kafka_stages_stage_events_out_total: 'counter',
  kafka_stages_stage_handler_duration_seconds: 'histogram',
  kafka_stages_stage_batch_events: 'histogram',
  kafka_stages_stage_pending_demand: 'gauge',
  kafka_stages_stage_buffered_events: 'gauge',
  kafka_stages_stage_failures_total: 'counter',
  kafka_stages_stage_restarts_total: 'counter',
  // per source partition (pipeline, topic, partition)
  kafka_stages_source_lag_records: 'gauge',
  kafka_stages_source_partition_paused: 'gauge',
  kafka_stages_source_pauses_total: 'counter',
  kafka_stages_source_commit_duration_seconds: 'histogram',
  kafka_stages_source_last_commit_age_seconds: 'gauge',
  // per pipeline
  kafka_stages_source_rebalances_total: 'counter',
  kafka_stages_dead_lettered_total: 'counter',
  kafka_stages_end_to_end_latency_seconds: 'histogram',
  kafka_stages_trace_context_invalid_total: 'counter',
  kafka_stages_pipeline_ready: 'gauge',
  kafka_stages_sink_records_total: 'counter',
  // the Prometheus remote-write sink (pipeline, + status on requests)
  kafka_stages_remote_write_requests_total: 'counter',
  kafka_stages_remote_write_samples_sent_total: 'counter',
  kafka_stages_remote_write_samples_refused_total: 'counter',
  kafka_stages_remote_write_retries_total: 'counter',
  kafka_stages_remote_write_request_duration_seconds: 'histogram',
  // the metric transformer (pipeline, + reason)
  kafka_stages_transform_samples_in_total: 'counter',
  kafka_stages_transform_samples_out_total: 'counter',
  kafka_stages_transform_samples_dropped_total: 'counter',
  kafka_stages_transform_late_samples_total: 'counter',
  kafka_stages_transform_windows_emitted_total: 'counter',
  kafka_stages_transform_open_windows: 'gauge',
  kafka_stages_transform_watermark_delay_seconds: 'gauge',
};

/** Labels the catalogue allows on kafka_stages_* series (Prometheus adds namespace, pod, ...). */
export const CATALOGUE_LABELS = [
  'pipeline',
  'stage',
  'topic',
  'partition',
  'reason',
  'status', // remote-write requests only: 2xx, 3xx, 4xx, 5xx, timeout, error
] as const;
