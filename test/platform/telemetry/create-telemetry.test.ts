import { Registry } from 'prom-client';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import type { PartitionSnapshot } from '../../../platform/telemetry/telemetry';
import { TelemetryError } from '../../../platform/telemetry/telemetry-errors';
import { testMessage } from './test-message';

async function value(registry: Registry, name: string, labels: Record<string, string>) {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const found = values.find((v) =>
    Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return found?.value;
}

function partition(overrides: Partial<PartitionSnapshot> = {}): PartitionSnapshot {
  return {
    topic: 'in',
    partition: 0,
    highWatermark: 100,
    committed: 60,
    paused: false,
    bufferedEvents: 0,
    bufferedBytes: 0,
    lastCommitAt: 0,
    ...overrides,
  };
}

describe('createTelemetry metrics', () => {
  it('counts events in and out and observes duration and batch size per stage', async () => {
    const registry = new Registry();
    const t = createTelemetry({ pipeline: 'p', registry, defaultMetrics: false });
    t.recordBatch('processor_0', { eventsIn: 10, eventsOut: 8, seconds: 0.02 });
    t.recordBatch('processor_0', { eventsIn: 5, eventsOut: 5, seconds: 0.01 });
    t.recordBatch('sink', { eventsIn: 13, eventsOut: 13, seconds: 0.5 });
    const l = { pipeline: 'p', stage: 'processor_0' };
    expect(await value(registry, 'kafka_stages_stage_events_in_total', l)).toBe(15);
    expect(await value(registry, 'kafka_stages_stage_events_out_total', l)).toBe(13);
    expect(await value(registry, 'kafka_stages_stage_events_in_total', { stage: 'sink' })).toBe(13);
    expect(
      await value(registry, 'kafka_stages_stage_handler_duration_seconds', {
        ...l,
        le: '0.01',
      }),
    ).toBe(1);
    expect(await value(registry, 'kafka_stages_stage_batch_events', { ...l, le: '5' })).toBe(1);
    expect(await value(registry, 'kafka_stages_stage_batch_events', { ...l, le: '10' })).toBe(2);
  });

  it('counts failures by sanitised, bounded reason', async () => {
    const registry = new Registry();
    const t = createTelemetry({ pipeline: 'p', registry, defaultMetrics: false });
    t.recordBatch('proc', { eventsIn: 3, eventsOut: 3, seconds: 0, failures: { Decode: 2 } });
    t.recordBatch('proc', {
      eventsIn: 1,
      eventsOut: 1,
      seconds: 0,
      failures: { 'Unexpected token } in JSON at position 7': 1 },
    });
    const text = await registry.getSingleMetricAsString('kafka_stages_stage_failures_total');
    expect(text).toContain(
      'kafka_stages_stage_failures_total{pipeline="p",stage="proc",reason="decode"} 2',
    );
    expect(text).toContain('reason="unexpected_token_in_json_at_posi"} 1');
  });

  it('computes lag, paused and last commit age at scrape time from providers', async () => {
    const registry = new Registry();
    const t = createTelemetry({ pipeline: 'p', registry, defaultMetrics: false });
    let paused = false;
    const unregister = t.observe({
      partitions: () => [
        partition({ partition: 0, paused, lastCommitAt: Date.now() - 5000 }),
        partition({ partition: 1, committed: -1 }),
      ],
      stages: () => [{ stage: 'source', pendingDemand: 42, bufferedEvents: 7 }],
    });
    const p0 = { pipeline: 'p', topic: 'in', partition: '0' };
    expect(await value(registry, 'kafka_stages_source_lag_records', p0)).toBe(40);
    expect(await value(registry, 'kafka_stages_source_partition_paused', p0)).toBe(0);
    paused = true;
    expect(await value(registry, 'kafka_stages_source_partition_paused', p0)).toBe(1);
    const age = await value(registry, 'kafka_stages_source_last_commit_age_seconds', p0);
    expect(age).toBeGreaterThanOrEqual(5);
    expect(age).toBeLessThan(600);
    // Unknown committed offset and no commit yet: no series rather than a made-up value.
    const p1 = { partition: '1' };
    expect(await value(registry, 'kafka_stages_source_lag_records', p1)).toBeUndefined();
    expect(
      await value(registry, 'kafka_stages_source_last_commit_age_seconds', p1),
    ).toBeUndefined();
    expect(await value(registry, 'kafka_stages_stage_pending_demand', { stage: 'source' })).toBe(
      42,
    );
    expect(await value(registry, 'kafka_stages_stage_buffered_events', { stage: 'source' })).toBe(
      7,
    );
    unregister();
    expect(await value(registry, 'kafka_stages_source_lag_records', p0)).toBeUndefined();
  });

  it('records pauses, commits, rebalances, dead letters, deliveries and readiness', async () => {
    const registry = new Registry();
    const t = createTelemetry({ pipeline: 'p', registry, defaultMetrics: false });
    expect(await value(registry, 'kafka_stages_pipeline_ready', {})).toBe(0);
    t.setReady(true);
    expect(t.ready).toBe(true);
    expect(await value(registry, 'kafka_stages_pipeline_ready', {})).toBe(1);
    t.recordPause('in', 3);
    t.recordPause('in', 3);
    t.recordCommit('in', 0.003);
    t.recordRebalance();
    t.recordDeadLettered('in', 'handler', 4);
    const now = Date.now();
    t.recordDelivered(
      'out',
      [testMessage({ timestamp: now - 2000 }), testMessage({ timestamp: now - 100 })],
      now,
    );
    expect(await value(registry, 'kafka_stages_source_pauses_total', { partition: '3' })).toBe(2);
    expect(
      await value(registry, 'kafka_stages_source_commit_duration_seconds', {
        topic: 'in',
        le: '0.005',
      }),
    ).toBe(1);
    expect(await value(registry, 'kafka_stages_source_rebalances_total', {})).toBe(1);
    expect(await value(registry, 'kafka_stages_dead_lettered_total', { reason: 'handler' })).toBe(
      4,
    );
    expect(await value(registry, 'kafka_stages_sink_records_total', { topic: 'out' })).toBe(2);
    const e2e = 'kafka_stages_end_to_end_latency_seconds';
    expect(await value(registry, e2e, { le: '0.1' })).toBe(1);
    expect(await value(registry, e2e, { le: '2.5' })).toBe(2);
    expect(await value(registry, e2e, { le: '1' })).toBe(1);
  });

  it('lets two pipelines share one registry, told apart by the pipeline label', async () => {
    const registry = new Registry();
    const a = createTelemetry({ pipeline: 'a', registry });
    const b = createTelemetry({ pipeline: 'b', registry });
    a.recordBatch('s', { eventsIn: 1, eventsOut: 1, seconds: 0 });
    b.recordBatch('s', { eventsIn: 2, eventsOut: 2, seconds: 0 });
    expect(await value(registry, 'kafka_stages_stage_events_in_total', { pipeline: 'a' })).toBe(1);
    expect(await value(registry, 'kafka_stages_stage_events_in_total', { pipeline: 'b' })).toBe(2);
    // Default process metrics registered once, under their standard names.
    const text = await registry.metrics();
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
  });

  it('uses only the agreed label names on every kafka_stages_ series', async () => {
    const registry = new Registry();
    const t = createTelemetry({ pipeline: 'p', registry, defaultMetrics: false });
    t.recordBatch('s', { eventsIn: 1, eventsOut: 1, seconds: 0, failures: { x: 1 } });
    t.observe({ partitions: () => [partition({ lastCommitAt: 1 })] });
    const allowed = new Set(['pipeline', 'stage', 'topic', 'partition', 'reason', 'le']);
    const metrics = await registry.getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThan(15);
    for (const m of metrics) {
      expect(m.name.startsWith('kafka_stages_')).toBe(true);
      for (const v of m.values) {
        for (const label of Object.keys(v.labels)) expect(allowed).toContain(label);
      }
    }
  });

  it('builds the topology from providers and recorded totals', () => {
    const t = createTelemetry({ pipeline: 'p', defaultMetrics: false });
    t.observe({
      stages: () => [
        {
          stage: 'source',
          pendingDemand: 10,
          bufferedEvents: 3,
          kind: 'producer',
          eventsIn: 0,
          eventsOut: 9,
        },
        { stage: 'proc', pendingDemand: 5, bufferedEvents: 0, subscribedTo: ['source'] },
      ],
      partitions: () => [partition({ paused: true })],
    });
    t.recordBatch('proc', { eventsIn: 4, eventsOut: 3, seconds: 0, failures: { bad: 1 } });
    const topo = t.topology();
    expect(topo.pipeline).toBe('p');
    expect(topo.stages).toEqual([
      expect.objectContaining({
        stage: 'source',
        kind: 'producer',
        pendingDemand: 10,
        eventsOut: 9,
      }),
      expect.objectContaining({ stage: 'proc', eventsIn: 4, eventsOut: 3, failures: 1 }),
    ]);
    expect(topo.subscriptions).toEqual([{ from: 'source', to: 'proc' }]);
    expect(topo.partitions).toEqual([
      expect.objectContaining({ topic: 'in', partition: 0, paused: true, lag: 40 }),
    ]);
  });

  it('rejects bad options naming the component, the key, the value and what is allowed', () => {
    expect(() => createTelemetry({ pipeline: 'has space' })).toThrow(
      `telemetry: option 'pipeline' is "has space"; allowed: 1-64 characters of A-Z a-z 0-9 _ . : -`,
    );
    try {
      createTelemetry({ pipeline: 'p', registy: new Registry() } as never);
      throw new Error('accepted an unknown option');
    } catch (error) {
      expect(error).toBeInstanceOf(TelemetryError);
      expect((error as TelemetryError).code).toBe('TELEMETRY_OPTIONS_INVALID');
      expect((error as Error).message).toMatch(
        /^telemetry: option 'registy' is unknown; allowed: one of the keys pipeline, registry, /,
      );
    }
  });
});
