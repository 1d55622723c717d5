import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Message, MessageHeaders } from '../message/message';
import {
  ATTR_KAFKA_STAGES_PIPELINE,
  ATTR_KAFKA_STAGES_STAGE,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_SYSTEM_KAFKA,
  MessagingOperationType,
} from './semconv';

/** What {@link MessageTracing} needs besides a tracer. */
export interface MessageTracingOptions {
  readonly pipeline: string;
  readonly consumerGroup?: string;
  /** Per-message spans for messages whose upstream context is sampled, at most this many per batch. */
  readonly maxMessageSpansPerBatch: number;
  /** Called once per record with a malformed `traceparent`. */
  readonly onInvalidContext: () => void;
}

const TRACEPARENT = 'traceparent';
// Used directly (not through the global propagation API) so extraction works in library
// code and tests whether or not an SDK registered a global propagator.
const propagator = new W3CTraceContextPropagator();

function headerText(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}

const headerGetter: TextMapGetter<MessageHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const value = carrier[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(headerText) : headerText(value);
  },
};

const headerSetter: TextMapSetter<Record<string, string | Buffer>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function recordFailure(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
}

/**
 * Runs `fn` with `active` as the active context and ends `span` (and calls `finish`) when
 * `fn` returns, throws, or — when it returns a promise — when that promise settles.
 */
function runInSpan<T>(span: Span, active: Context, fn: () => T, finish?: () => void): T {
  let result: T;
  try {
    result = context.with(active, fn);
  } catch (error) {
    recordFailure(span, error);
    finish?.();
    span.end();
    throw error;
  }
  if (!isPromiseLike(result)) {
    finish?.();
    span.end();
    return result;
  }
  return Promise.resolve(result).then(
    (value) => {
      finish?.();
      span.end();
      return value;
    },
    (error: unknown) => {
      recordFailure(span, error);
      finish?.();
      span.end();
      throw error;
    },
  ) as T;
}

function sameSpan(a: SpanContext, b: SpanContext): boolean {
  return a.spanId === b.spanId && a.traceId === b.traceId;
}

/**
 * The tracing half of the telemetry: W3C context in and out of record headers, and the
 * messaging spans of the pipeline.
 *
 * Span shape (OpenTelemetry messaging conventions, names in `semconv.ts`):
 * - `process <topic>` (CONSUMER), one per stage batch, linked to every distinct upstream
 *   context of its messages. When all messages carry the same upstream context (one
 *   producer batch, the usual case) that context is also the span's parent, so the stage
 *   span sits in the upstream trace. Otherwise it starts a trace of its own: a batch has
 *   no single parent, the links carry the relation.
 * - Per message, where the upstream context is sampled and is not already the batch
 *   span's parent: a `process <topic>` child of that context, linked to the batch span,
 *   so every sampled trace shows every stage its event went through.
 * - `send <topic>` (PRODUCER), a child of the active context (the sink's batch span);
 *   its context is what {@link injectContext} writes into produced records.
 * - `commit <topic>` (CLIENT), a root: commits belong to no single event.
 *
 * The batch span deliberately ignores the active context: handlers of one stage are
 * triggered from another stage's code, so the async context there is a neighbour's span,
 * not this batch's parent.
 */
export class MessageTracing {
  private readonly baseAttributes: Attributes;

  constructor(
    private readonly tracer: Tracer,
    private readonly options: MessageTracingOptions,
  ) {
    this.baseAttributes = {
      [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_KAFKA,
      [ATTR_KAFKA_STAGES_PIPELINE]: options.pipeline,
      ...(options.consumerGroup
        ? { [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: options.consumerGroup }
        : {}),
    };
  }

  extractContext(headers: MessageHeaders): Context | undefined {
    if (headers[TRACEPARENT] === undefined) return undefined;
    const extracted = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    const spanContext = trace.getSpanContext(extracted);
    if (!spanContext || !isSpanContextValid(spanContext)) {
      this.options.onInvalidContext();
      return undefined;
    }
    return extracted;
  }

  injectContext(headers: Record<string, string | Buffer>, ctx?: Context): void {
    propagator.inject(ctx ?? context.active(), headers, headerSetter);
  }

  traceBatch<T>(stage: string, topic: string, messages: readonly Message[], fn: () => T): T {
    // One pass: the distinct upstream contexts (for links), and whether they are all one.
    let first: SpanContext | undefined;
    let single = true;
    let partition: number | undefined = messages[0]?.partition;
    for (const message of messages) {
      if (message.partition !== partition) partition = undefined;
      const upstream = message.traceContext;
      if (!upstream) continue;
      const sc = trace.getSpanContext(upstream);
      if (!sc) continue;
      if (!first) first = sc;
      else if (single && !sameSpan(first, sc)) single = false;
    }
    const base = trace.deleteSpan(context.active());
    const parent = first && single ? trace.setSpanContext(base, first) : base;
    const span = this.tracer.startSpan(
      `process ${topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...this.baseAttributes,
          [ATTR_MESSAGING_DESTINATION_NAME]: topic,
          [ATTR_MESSAGING_OPERATION_TYPE]: MessagingOperationType.process,
          [ATTR_MESSAGING_OPERATION_NAME]: 'process',
          [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: messages.length,
          [ATTR_KAFKA_STAGES_STAGE]: stage,
          ...(partition !== undefined
            ? { [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(partition) }
            : {}),
        },
      },
      parent,
    );
    // Links are added after the sampling decision: building them for the ~99% of batches
    // that are not recorded would be per-message work for nothing.
    if (first && span.isRecording()) span.addLinks(this.linksOf(messages));
    const messageSpans =
      first && !single ? this.startMessageSpans(stage, topic, messages, span) : undefined;
    const finish = messageSpans
      ? () => {
          for (const s of messageSpans) s.end();
        }
      : undefined;
    return runInSpan(span, trace.setSpan(base, span), fn, finish);
  }

  traceSend<T>(topic: string, count: number, fn: (ctx: Context | undefined) => T): T {
    const active = context.active();
    const span = this.tracer.startSpan(
      `send ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          ...this.baseAttributes,
          [ATTR_MESSAGING_DESTINATION_NAME]: topic,
          [ATTR_MESSAGING_OPERATION_TYPE]: MessagingOperationType.send,
          [ATTR_MESSAGING_OPERATION_NAME]: 'send',
          [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: count,
        },
      },
      active,
    );
    const inner = trace.setSpan(active, span);
    return runInSpan(span, inner, () => fn(inner));
  }

  traceCommit<T>(topic: string, fn: () => T): T {
    const base = trace.deleteSpan(context.active());
    const span = this.tracer.startSpan(
      `commit ${topic}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...this.baseAttributes,
          [ATTR_MESSAGING_DESTINATION_NAME]: topic,
          [ATTR_MESSAGING_OPERATION_TYPE]: MessagingOperationType.settle,
          [ATTR_MESSAGING_OPERATION_NAME]: 'commit',
        },
      },
      base,
    );
    return runInSpan(span, trace.setSpan(base, span), fn);
  }

  private linksOf(messages: readonly Message[]): Link[] {
    const links: Link[] = [];
    const seen = new Set<string>();
    for (const message of messages) {
      const sc = message.traceContext && trace.getSpanContext(message.traceContext);
      if (!sc || seen.has(sc.spanId)) continue;
      seen.add(sc.spanId);
      links.push({ context: sc });
    }
    return links;
  }

  private startMessageSpans(
    stage: string,
    topic: string,
    messages: readonly Message[],
    batch: Span,
  ): Span[] | undefined {
    let spans: Span[] | undefined;
    const batchLink: Link = { context: batch.spanContext() };
    for (const message of messages) {
      if (spans && spans.length >= this.options.maxMessageSpansPerBatch) break;
      const upstream = message.traceContext;
      const sc = upstream && trace.getSpanContext(upstream);
      if (!upstream || !sc || (sc.traceFlags & TraceFlags.SAMPLED) === 0) continue;
      if (this.options.maxMessageSpansPerBatch === 0) break;
      spans ??= [];
      spans.push(
        this.tracer.startSpan(
          `process ${topic}`,
          {
            kind: SpanKind.CONSUMER,
            attributes: {
              ...this.baseAttributes,
              [ATTR_MESSAGING_DESTINATION_NAME]: topic,
              [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(message.partition),
              [ATTR_MESSAGING_KAFKA_OFFSET]: message.offset,
              [ATTR_MESSAGING_OPERATION_TYPE]: MessagingOperationType.process,
              [ATTR_MESSAGING_OPERATION_NAME]: 'process',
              [ATTR_KAFKA_STAGES_STAGE]: stage,
            },
            links: [batchLink],
          },
          upstream,
        ),
      );
    }
    return spans;
  }
}
