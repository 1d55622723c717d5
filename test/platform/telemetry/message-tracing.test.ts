import { context, SpanKind, trace } from '@opentelemetry/api';
import { AlwaysOffSampler, ParentBasedSampler, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Registry } from 'prom-client';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import { testMessage } from './test-message';
import { headersOf, inMemoryTracing } from './tracing-sdk';

let sdk: ReturnType<typeof inMemoryTracing>;
afterEach(async () => {
  await sdk?.close();
});

function setup() {
  sdk = inMemoryTracing();
  const registry = new Registry();
  const telemetry = createTelemetry({
    pipeline: 'p',
    registry,
    defaultMetrics: false,
    tracerProvider: sdk.provider,
    consumerGroup: 'g',
  });
  const upstreamTracer = sdk.provider.getTracer('upstream');
  return { telemetry, registry, upstreamTracer };
}

function byName(spans: ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((s) => s.name === name);
}

describe('telemetry tracing with a real SDK', () => {
  it('parents a batch on the shared upstream context, links it, with messaging attributes', () => {
    const { telemetry, upstreamTracer } = setup();
    const upstream = upstreamTracer.startSpan('send in', { kind: SpanKind.PRODUCER });
    upstream.end();
    const headers = headersOf(upstream);
    const messages = [0, 1, 2].map((offset) =>
      testMessage({
        offset,
        partition: 4,
        headers,
        traceContext: telemetry.extractContext(headers),
      }),
    );
    const result = telemetry.traceBatch('processor_0', 'in', messages, () => {
      return trace.getActiveSpan()?.spanContext().spanId;
    });
    const [batch] = byName(sdk.spans(), 'process in');
    expect(batch).toBeDefined();
    expect(result).toBe(batch!.spanContext().spanId); // the span is active while fn runs
    expect(batch!.kind).toBe(SpanKind.CONSUMER);
    expect(batch!.spanContext().traceId).toBe(upstream.spanContext().traceId);
    expect(batch!.parentSpanContext?.spanId).toBe(upstream.spanContext().spanId);
    expect(batch!.links.map((l) => l.context.spanId)).toEqual([upstream.spanContext().spanId]);
    expect(batch!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'in',
      'messaging.destination.partition.id': '4',
      'messaging.consumer.group.name': 'g',
      'messaging.batch.message_count': 3,
      'messaging.operation.type': 'process',
      'kafka_stages.stage': 'processor_0',
    });
    // Already a child of the one upstream context: no per-message duplicates.
    expect(sdk.spans()).toHaveLength(2);
  });

  it('links a batch of several traces and adds per-message spans in each sampled trace', () => {
    const { telemetry, upstreamTracer } = setup();
    const a = upstreamTracer.startSpan('a');
    const b = upstreamTracer.startSpan('b');
    a.end();
    b.end();
    const messages = [a, b, a].map((s, offset) => {
      const headers = headersOf(s);
      return testMessage({
        offset,
        partition: offset,
        headers,
        traceContext: telemetry.extractContext(headers),
      });
    });
    telemetry.traceBatch('batcher', 'in', messages, () => undefined);
    const spans = byName(sdk.spans(), 'process in');
    const batch = spans.find((s) => s.attributes['messaging.batch.message_count'] === 3)!;
    expect(batch.parentSpanContext).toBeUndefined();
    expect(batch.attributes['messaging.destination.partition.id']).toBeUndefined();
    expect(batch.links.map((l) => l.context.spanId).sort()).toEqual(
      [a.spanContext().spanId, b.spanContext().spanId].sort(),
    );
    const perMessage = spans.filter((s) => s !== batch);
    expect(perMessage).toHaveLength(3);
    expect(perMessage.map((s) => s.parentSpanContext?.spanId)).toEqual([
      a.spanContext().spanId,
      b.spanContext().spanId,
      a.spanContext().spanId,
    ]);
    expect(perMessage.map((s) => s.spanContext().traceId)).toEqual([
      a.spanContext().traceId,
      b.spanContext().traceId,
      a.spanContext().traceId,
    ]);
    for (const s of perMessage) {
      expect(s.links[0]?.context.spanId).toBe(batch.spanContext().spanId);
    }
  });

  it('makes no per-message spans for unsampled upstream contexts', () => {
    sdk = inMemoryTracing(new ParentBasedSampler({ root: new AlwaysOffSampler() }));
    const telemetry = createTelemetry({
      pipeline: 'p',
      defaultMetrics: false,
      tracerProvider: sdk.provider,
    });
    const tracer = sdk.provider.getTracer('up');
    const unsampled = [tracer.startSpan('a'), tracer.startSpan('b')];
    const messages = unsampled.map((s) => {
      const headers = headersOf(s);
      expect(headers.traceparent).toMatch(/-00$/);
      return testMessage({ headers, traceContext: telemetry.extractContext(headers) });
    });
    telemetry.traceBatch('s', 'in', messages, () => undefined);
    expect(sdk.spans()).toHaveLength(0);
  });

  it('ends the span when a returned promise settles, and records a rejection', async () => {
    const { telemetry } = setup();
    let release!: () => void;
    const pending = telemetry.traceBatch('s', 'in', [testMessage()], async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return trace.getActiveSpan()?.spanContext().spanId;
    });
    expect(sdk.spans()).toHaveLength(0); // not ended while fn is still running
    release();
    const activeInside = await pending;
    expect(sdk.spans()).toHaveLength(1);
    expect(activeInside).toBe(sdk.spans()[0]!.spanContext().spanId);

    await expect(
      telemetry.traceCommit('in', async () => {
        throw new Error('broker went away');
      }),
    ).rejects.toThrow('broker went away');
    const [commit] = byName(sdk.spans(), 'commit in');
    expect(commit!.kind).toBe(SpanKind.CLIENT);
    expect(commit!.status.code).toBe(2); // ERROR
    expect(commit!.events.map((e) => e.name)).toContain('exception');
    expect(commit!.attributes['messaging.operation.type']).toBe('settle');
  });

  it('nests send under the sink batch and injects its context into produced records', () => {
    const { telemetry, upstreamTracer } = setup();
    const upstream = upstreamTracer.startSpan('send in');
    upstream.end();
    const headers = headersOf(upstream);
    const message = testMessage({ headers, traceContext: telemetry.extractContext(headers) });
    const produced: Record<string, string | Buffer> = {};
    telemetry.traceBatch('sink', 'in', [message], () =>
      telemetry.traceSend('out', 1, (ctx) => telemetry.injectContext(produced, ctx)),
    );
    const [send] = byName(sdk.spans(), 'send out');
    const [processSpan] = byName(sdk.spans(), 'process in');
    expect(send!.kind).toBe(SpanKind.PRODUCER);
    expect(send!.parentSpanContext?.spanId).toBe(processSpan!.spanContext().spanId);
    expect(send!.attributes).toMatchObject({
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'out',
      'messaging.batch.message_count': 1,
    });
    const sc = send!.spanContext();
    expect(produced.traceparent).toBe(`00-${sc.traceId}-${sc.spanId}-01`);
    expect(sc.traceId).toBe(upstream.spanContext().traceId);
  });

  it('ignores a neighbouring stage span leaking in through the async context', () => {
    const { telemetry } = setup();
    const other = sdk.provider.getTracer('x').startSpan('another stage');
    context.with(trace.setSpan(context.active(), other), () =>
      telemetry.traceBatch('s', 'in', [testMessage()], () => undefined),
    );
    other.end();
    const [batch] = byName(sdk.spans(), 'process in');
    expect(batch!.parentSpanContext).toBeUndefined();
  });

  it('counts a malformed traceparent, starts a new trace and never throws', async () => {
    const { telemetry, registry } = setup();
    const bad = [
      '00-zzzz-0000-01',
      '00-00000000000000000000000000000000-0000000000000000-01',
      Buffer.from('garbage'),
      ['not', 'valid'],
    ];
    for (const traceparent of bad) {
      const headers = { traceparent };
      const ctx = telemetry.extractContext(headers);
      expect(ctx).toBeUndefined();
      const message = testMessage({ headers, traceContext: ctx });
      telemetry.traceBatch('s', 'in', [message], () => undefined);
      expect(message.status.kind).toBe('pending');
    }
    expect(telemetry.extractContext({})).toBeUndefined(); // absent is not malformed
    const counter = await registry
      .getSingleMetric('kafka_stages_trace_context_invalid_total')!
      .get();
    expect(counter.values[0]?.value).toBe(bad.length);
    const batches = byName(sdk.spans(), 'process in');
    expect(batches).toHaveLength(bad.length);
    expect(new Set(batches.map((s) => s.spanContext().traceId)).size).toBe(bad.length);
    expect(batches.every((s) => s.parentSpanContext === undefined && s.links.length === 0)).toBe(
      true,
    );
  });

  it('reads a Buffer traceparent as kafkajs delivers it', () => {
    const { telemetry, upstreamTracer } = setup();
    const upstream = upstreamTracer.startSpan('up');
    const headers = { traceparent: Buffer.from(headersOf(upstream).traceparent!) };
    const ctx = telemetry.extractContext(headers);
    expect(trace.getSpanContext(ctx!)?.spanId).toBe(upstream.spanContext().spanId);
  });

  it('with tracing off parses nothing and still runs fn', () => {
    const telemetry = createTelemetry({ pipeline: 'p', defaultMetrics: false, tracing: false });
    expect(telemetry.extractContext({ traceparent: 'garbage' })).toBeUndefined();
    expect(telemetry.traceBatch('s', 't', [], () => 7)).toBe(7);
    expect(telemetry.traceSend('t', 1, (ctx) => ctx)).toBeUndefined();
  });
});
