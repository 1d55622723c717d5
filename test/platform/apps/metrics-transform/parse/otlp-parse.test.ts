import protobuf from 'protobufjs';
import { DEFAULT_LIMITS } from '../../../../../platform/apps/metrics-transform/model/limits';
import type { Sample } from '../../../../../platform/apps/metrics-transform/model/sample';
import {
  type OtlpParseOptions,
  parseOtlpJson,
  parseOtlpProto,
} from '../../../../../platform/apps/metrics-transform/parse/otlp-parse';
import { encodeRequest, exponentialView, nanos, sdkRequest } from './otlp-requests';

const NOW = 1_767_000_000_000;
const options: OtlpParseOptions = { limits: DEFAULT_LIMITS, defaultTimestamp: NOW };

const byName = (samples: Sample[], name: string) => samples.filter((s) => s.name === name);
const one = (samples: Sample[], name: string, labels: Record<string, string> = {}) => {
  const found = byName(samples, name).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  expect(found.map((s) => s.labels)).toHaveLength(1);
  return found[0]!;
};

const RESOURCE = {
  'service.name': 'checkout',
  'service.namespace': 'shop',
  'service.instance.id': 'pod-7',
  'host.name': 'node-3',
};

describe('OTLP requests from the OpenTelemetry SDK', () => {
  let request: Awaited<ReturnType<typeof sdkRequest>>;
  beforeAll(async () => {
    request = await sdkRequest({
      resource: RESOURCE,
      record: (meter) => {
        const requests = meter.createCounter('http.server.requests', { unit: '{request}' });
        requests.add(3, { 'http.method': 'GET' });
        requests.add(2, { 'http.method': 'GET' });
        requests.add(1, { 'http.method': 'POST' });
        const queue = meter.createUpDownCounter('queue.size');
        queue.add(5);
        queue.add(-2);
        meter
          .createGauge('system.memory.utilization', { unit: '1' })
          .record(0.25, { state: 'used' });
        const duration = meter.createHistogram('http.server.duration', {
          unit: 's',
          advice: { explicitBucketBoundaries: [0.1, 1] },
        });
        for (const v of [0.05, 0.5, 2]) duration.record(v, { route: '/pay' });
      },
    });
  });

  it.each([
    ['otlp_proto', () => parseOtlpProto(request.proto, options)],
    ['otlp_json', () => parseOtlpJson(request.json, options)],
  ])('%s: maps counters, gauges, up-down counters and histograms by the spec', (_f, parse) => {
    const { samples, rejects } = parse();
    expect(rejects).toEqual([]);
    const common = {
      job: 'shop/checkout',
      instance: 'pod-7',
      otel_scope_name: 'test-scope',
      otel_scope_version: '1.2.3',
    };
    const get = one(samples, 'http_server_requests_total', { http_method: 'GET' });
    expect(get.value).toBe(5);
    expect(get.labels).toEqual({ ...common, http_method: 'GET' });
    expect(one(samples, 'http_server_requests_total', { http_method: 'POST' }).value).toBe(1);
    expect(one(samples, 'queue_size').value).toBe(3);
    expect(one(samples, 'system_memory_utilization_ratio').labels).toEqual({
      ...common,
      state: 'used',
    });
    const base = 'http_server_duration_seconds';
    expect(one(samples, `${base}_bucket`, { le: '0.1' }).value).toBe(1);
    expect(one(samples, `${base}_bucket`, { le: '1' }).value).toBe(2);
    expect(one(samples, `${base}_bucket`, { le: '+Inf' }).value).toBe(3);
    expect(one(samples, `${base}_sum`).value).toBeCloseTo(2.55, 10);
    expect(one(samples, `${base}_count`).labels).toEqual({ ...common, route: '/pay' });
    // Other resource attributes go to target_info, not onto every series.
    expect(one(samples, 'target_info').labels).toEqual({
      job: 'shop/checkout',
      instance: 'pod-7',
      host_name: 'node-3',
    });
    for (const s of samples) {
      expect(s.timestamp).toBeGreaterThan(Date.now() - 60_000);
      expect(s.timestamp).toBeLessThanOrEqual(Date.now());
    }
  });

  it('decodes proto and JSON of one request to the same samples', () => {
    const sort = (xs: Sample[]) =>
      [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(sort(parseOtlpJson(request.json, options).samples)).toEqual(
      sort(parseOtlpProto(request.proto, options).samples),
    );
  });

  it('copies resource attributes onto the series with resourceAttributes: labels, or drops them', () => {
    const labelled = parseOtlpProto(request.proto, { ...options, resourceAttributes: 'labels' });
    expect(byName(labelled.samples, 'target_info')).toEqual([]);
    expect(one(labelled.samples, 'queue_size').labels.host_name).toBe('node-3');
    const dropped = parseOtlpProto(request.proto, { ...options, resourceAttributes: 'drop' });
    expect(byName(dropped.samples, 'target_info')).toEqual([]);
    expect(one(dropped.samples, 'queue_size').labels.host_name).toBeUndefined();
  });
});

describe('delta sums become rates; cumulative sums stay counters', () => {
  it('turns an SDK delta counter into <name>_per_second = value / interval', async () => {
    const request = await sdkRequest({
      temporality: 'delta',
      collectAfterMs: 20,
      record: (meter) => {
        meter.createCounter('jobs.done').add(12);
        meter.createUpDownCounter('workers.busy').add(-4);
      },
    });
    // The interval as the SDK wrote it, read from its JSON (not through our decoder).
    const points = JSON.parse(request.json).resourceMetrics[0].scopeMetrics[0].metrics.map(
      (m: { sum: { dataPoints: { startTimeUnixNano: string; timeUnixNano: string }[] } }) =>
        m.sum.dataPoints[0]!,
    );
    const seconds = (p: { startTimeUnixNano: string; timeUnixNano: string }) =>
      Number(BigInt(p.timeUnixNano) - BigInt(p.startTimeUnixNano)) / 1e9;
    const { samples, rejects } = parseOtlpProto(request.proto, options);
    expect(rejects).toEqual([]);
    expect(one(samples, 'jobs_done_per_second').value).toBeCloseTo(12 / seconds(points[0]), 6);
    expect(one(samples, 'workers_busy_per_second').value).toBeCloseTo(-4 / seconds(points[1]), 6);
    expect(byName(samples, 'jobs_done_total')).toEqual([]);
  });

  it('computes the rate over the point interval exactly (30 over 10 s = 3/s)', () => {
    const start = NOW - 10_000;
    const bytes = encodeRequest({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'net.io',
                  unit: 'By',
                  sum: {
                    aggregationTemporality: 1,
                    isMonotonic: true,
                    dataPoints: [
                      { startTimeUnixNano: nanos(start), timeUnixNano: nanos(NOW), asInt: '30' },
                      { timeUnixNano: nanos(NOW), asInt: '30' },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const { samples, rejects } = parseOtlpProto(bytes, options);
    expect(samples).toEqual([
      { name: 'net_io_bytes_per_second', value: 3, timestamp: NOW, labels: {} },
    ]);
    expect(rejects).toMatchObject([
      {
        reason: 'otlp_bad_time',
        detail: 'a delta sum point needs start_time_unix_nano to become a rate',
      },
    ]);
  });
});

describe('exponential histograms and summaries', () => {
  it('maps an SDK exponential histogram to classic buckets at the exponential bounds', async () => {
    const request = await sdkRequest({
      views: [exponentialView('payload.size')],
      record: (meter) => {
        const h = meter.createHistogram('payload.size', { unit: 'By' });
        for (const v of [1, 2, 4, 100]) h.record(v);
      },
    });
    const { samples, rejects } = parseOtlpProto(request.proto, options);
    expect(rejects).toEqual([]);
    const buckets = byName(samples, 'payload_size_bytes_bucket').map((s) => ({
      le: s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le),
      count: s.value,
    }));
    expect(buckets.length).toBeGreaterThan(4);
    for (let i = 1; i < buckets.length; i++) {
      expect(buckets[i]!.le).toBeGreaterThan(buckets[i - 1]!.le);
      expect(buckets[i]!.count).toBeGreaterThanOrEqual(buckets[i - 1]!.count);
    }
    // How many observations are at most x, read from the buckets around x.
    const countAtMost = (x: number) =>
      Math.max(0, ...buckets.filter((b) => b.le <= x).map((b) => b.count));
    const countUpTo = (x: number) =>
      Math.min(...buckets.filter((b) => b.le >= x).map((b) => b.count));
    expect(countAtMost(0.99)).toBe(0);
    expect(countUpTo(4 * 1.0001)).toBe(3);
    expect(countAtMost(99)).toBe(3);
    expect(one(samples, 'payload_size_bytes_bucket', { le: '+Inf' }).value).toBe(4);
    expect(one(samples, 'payload_size_bytes_count').value).toBe(4);
    expect(one(samples, 'payload_size_bytes_sum').value).toBe(107);
  });

  it('places negative, zero and positive buckets in order (scale 0: bounds are powers of 2)', () => {
    const bytes = encodeRequest({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'delta.t',
                  exponentialHistogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        timeUnixNano: nanos(NOW),
                        count: '6',
                        sum: 7,
                        scale: 0,
                        zeroCount: '1',
                        zeroThreshold: 0,
                        positive: { offset: 1, bucketCounts: ['2', '1'] },
                        negative: { offset: 0, bucketCounts: ['1', '1'] },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const { samples, rejects } = parseOtlpProto(bytes, options);
    expect(rejects).toEqual([]);
    // negative index 1 covers [-4, -2), index 0 [-2, -1); zero; positive 1 (2, 4], 2 (4, 8]
    expect(byName(samples, 'delta_t_bucket').map((s) => [s.labels.le, s.value])).toEqual([
      ['-2', 1],
      ['-1', 2],
      ['0', 3],
      ['4', 5],
      ['8', 6],
      ['+Inf', 6],
    ]);
  });

  it('maps a summary to quantile series, _sum and _count', () => {
    const bytes = encodeRequest({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'rpc.latency',
                  unit: 'ms',
                  summary: {
                    dataPoints: [
                      {
                        timeUnixNano: nanos(NOW, 999_999),
                        count: '10',
                        sum: 123.5,
                        quantileValues: [
                          { quantile: 0.99, value: 40 },
                          { quantile: 0.5, value: 11 },
                        ],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const { samples, rejects } = parseOtlpProto(bytes, options);
    expect(rejects).toEqual([]);
    expect(samples).toEqual([
      {
        name: 'rpc_latency_milliseconds',
        value: 11,
        timestamp: NOW,
        labels: { job: 'api', quantile: '0.5' },
      },
      {
        name: 'rpc_latency_milliseconds',
        value: 40,
        timestamp: NOW,
        labels: { job: 'api', quantile: '0.99' },
      },
      {
        name: 'rpc_latency_milliseconds_sum',
        value: 123.5,
        timestamp: NOW,
        labels: { job: 'api' },
      },
      { name: 'rpc_latency_milliseconds_count', value: 10, timestamp: NOW, labels: { job: 'api' } },
    ]);
  });
});

describe('labels', () => {
  it('joins attributes that collide after sanitizing with ";" in the order of the original keys', () => {
    const bytes = encodeRequest({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              scope: { name: 's', attributes: [{ key: 'team', value: { stringValue: 'pay' } }] },
              metrics: [
                {
                  name: 'up',
                  gauge: {
                    dataPoints: [
                      {
                        timeUnixNano: nanos(NOW),
                        asDouble: 1,
                        attributes: [
                          { key: 'http_method', value: { stringValue: 'b' } },
                          { key: 'http.method', value: { stringValue: 'a' } },
                          { key: '2xx', value: { intValue: '17' } },
                          { key: 'ok', value: { boolValue: true } },
                          {
                            key: 'tags',
                            value: {
                              arrayValue: { values: [{ stringValue: 'x' }, { doubleValue: 1.5 }] },
                            },
                          },
                          { key: 'empty', value: { stringValue: '' } },
                        ],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const { samples } = parseOtlpProto(bytes, options);
    expect(samples[0]!.labels).toEqual({
      http_method: 'a;b',
      key_2xx: '17',
      ok: 'true',
      tags: '["x",1.5]',
      otel_scope_name: 's',
      otel_scope_team: 'pay',
    });
  });
});

describe('bad input: refused with a named reason, the rest of the request kept', () => {
  const gauge = (name: string) => ({
    name,
    gauge: { dataPoints: [{ timeUnixNano: nanos(NOW), asDouble: 1 }] },
  });
  const request = (...metrics: object[]) => ({
    resourceMetrics: [{ scopeMetrics: [{ metrics }] }],
  });

  it('refuses a truncated protobuf whole as unparseable', async () => {
    const { proto } = await sdkRequest({ record: (m) => m.createCounter('c').add(1) });
    const result = parseOtlpProto(proto.subarray(0, proto.length - 7), options);
    expect(result.samples).toEqual([]);
    expect(result.rejects).toMatchObject([{ reason: 'unparseable' }]);
    expect(result.rejects[0]!.detail).toMatch(/^not an OTLP ExportMetricsServiceRequest: /);
  });

  it('refuses another protobuf message and random bytes as unparseable', () => {
    const other = protobuf
      .parse('syntax = "proto3"; message Other { double x = 1; string y = 2; }')
      .root.lookupType('Other');
    const otherBytes = other.encode(other.fromObject({ x: 3.5, y: 'hello' })).finish();
    for (const bytes of [otherBytes, Buffer.from('definitely not protobuf \u0000\u0001')]) {
      const result = parseOtlpProto(bytes, options);
      expect(result.samples).toEqual([]);
      expect(result.rejects).toMatchObject([{ reason: 'unparseable' }]);
    }
  });

  it('refuses a metric of a type it does not know, keeps the others (proto)', () => {
    // A metric whose data is in a field this schema does not define (a future type).
    const future = protobuf
      .parse(`syntax = "proto3";
      message R { repeated RM resource_metrics = 1; }
      message RM { repeated SM scope_metrics = 2; }
      message SM { repeated M metrics = 2; }
      message M { string name = 1; bytes future_data = 15; }`)
      .root.lookupType('R');
    const futureBytes = future
      .encode(
        future.fromObject({
          resourceMetrics: [
            {
              scopeMetrics: [{ metrics: [{ name: 'new.kind', futureData: Buffer.from([8, 1]) }] }],
            },
          ],
        }),
      )
      .finish();
    // Protobuf messages concatenate by appending repeated fields: one request, two resources.
    const bytes = Buffer.concat([encodeRequest(request(gauge('kept'))), futureBytes]);
    const { samples, rejects } = parseOtlpProto(bytes, options);
    expect(samples.map((s) => s.name)).toEqual(['kept']);
    expect(rejects).toEqual([
      {
        reason: 'otlp_unknown_type',
        detail:
          'metric "new.kind" has no data of a known type (gauge, sum, histogram, exponential_histogram, summary)',
        excerpt: 'metric "new.kind"',
      },
    ]);
  });

  it('refuses a metric of a type it does not know, keeps the others (JSON)', () => {
    const text = JSON.stringify(
      request(gauge('kept'), { name: 'new.kind', fancyGauge: { dataPoints: [] } }),
    );
    const { samples, rejects } = parseOtlpJson(text, options);
    expect(samples.map((s) => s.name)).toEqual(['kept']);
    expect(rejects).toMatchObject([{ reason: 'otlp_unknown_type' }]);
  });

  it('refuses a histogram point whose bucket counts do not match its bounds or its count', () => {
    const histogram = (bucketCounts: string[], count: string) => ({
      timeUnixNano: nanos(NOW),
      count,
      explicitBounds: [1, 2],
      bucketCounts,
    });
    const bytes = encodeRequest(
      request(gauge('kept'), {
        name: 'h',
        histogram: {
          aggregationTemporality: 2,
          dataPoints: [
            histogram(['1', '2'], '3'),
            histogram(['1', '2', '3'], '7'),
            histogram(['1', '2', '3'], '6'),
          ],
        },
      }),
    );
    const { samples, rejects } = parseOtlpProto(bytes, options);
    expect(rejects.map((r) => [r.reason, r.detail])).toEqual([
      ['otlp_bad_histogram', '2 bucket counts for 2 explicit bounds; want bounds + 1'],
      ['otlp_bad_histogram', 'bucket counts add up to 6, but count is 7'],
    ]);
    expect(
      samples.map((s) => `${s.name}${s.labels.le ? `{le=${s.labels.le}}` : ''}=${s.value}`),
    ).toEqual([
      'kept=1',
      'h_bucket{le=1}=1',
      'h_bucket{le=2}=3',
      'h_bucket{le=+Inf}=6',
      'h_count=6',
    ]);
  });

  it('refuses a sum point whose start time is after its time', () => {
    const bytes = encodeRequest(
      request({
        name: 'requests',
        sum: {
          aggregationTemporality: 2,
          isMonotonic: true,
          dataPoints: [
            { startTimeUnixNano: nanos(NOW, 1), timeUnixNano: nanos(NOW), asInt: '4' },
            { startTimeUnixNano: nanos(NOW - 1000), timeUnixNano: nanos(NOW), asInt: '5' },
          ],
        },
      }),
    );
    const { samples, rejects } = parseOtlpProto(bytes, options);
    expect(samples).toEqual([{ name: 'requests_total', value: 5, timestamp: NOW, labels: {} }]);
    expect(rejects).toMatchObject([
      {
        reason: 'otlp_bad_time',
        detail: `start_time_unix_nano ${nanos(NOW, 1)} is after time_unix_nano ${nanos(NOW)}`,
      },
    ]);
  });

  it('refuses delta histograms (the spec drops them) but keeps the rest', () => {
    const bytes = encodeRequest(
      request(gauge('kept'), {
        name: 'h',
        histogram: {
          aggregationTemporality: 1,
          dataPoints: [{ timeUnixNano: nanos(NOW), count: '1' }],
        },
      }),
    );
    const { samples, rejects } = parseOtlpProto(bytes, options);
    expect(samples.map((s) => s.name)).toEqual(['kept']);
    expect(rejects).toMatchObject([{ reason: 'otlp_unsupported' }]);
  });

  it('refuses JSON that is not an object, text that is not JSON, and records over the size limit', () => {
    expect(parseOtlpJson('[1,2]', options).rejects).toMatchObject([{ reason: 'unparseable' }]);
    expect(parseOtlpJson('{"resourceMetrics": [', options).rejects).toMatchObject([
      { reason: 'unparseable' },
    ]);
    const small = { ...options, limits: { ...options.limits, maxRecordBytes: 10 } };
    expect(parseOtlpProto(encodeRequest(request(gauge('g'))), small).rejects).toMatchObject([
      { reason: 'line_too_long' },
    ]);
  });

  it('skips points flagged "no recorded value" without refusing them', () => {
    const bytes = encodeRequest(
      request({
        name: 'g',
        gauge: { dataPoints: [{ timeUnixNano: nanos(NOW), asDouble: 5, flags: 1 }] },
      }),
    );
    expect(parseOtlpProto(bytes, options)).toEqual({ samples: [], rejects: [] });
  });
});
