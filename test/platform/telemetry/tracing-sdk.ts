import { context, propagation, ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** A real trace SDK recording into memory, plus the async context manager Node needs. */
export function inMemoryTracing(sampler: Sampler = new AlwaysOnSampler()) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    sampler,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return {
    exporter,
    provider,
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    async close(): Promise<void> {
      await provider.shutdown();
      context.disable();
      propagation.disable();
    },
  };
}

/** `traceparent` (and `tracestate`) headers carrying `span`'s context, as an upstream producer writes them. */
export function headersOf(span: Span): Record<string, string> {
  const headers: Record<string, string> = {};
  new W3CTraceContextPropagator().inject(trace.setSpan(ROOT_CONTEXT, span), headers, {
    set: (carrier, key, value) => {
      carrier[key] = value;
    },
  });
  return headers;
}
