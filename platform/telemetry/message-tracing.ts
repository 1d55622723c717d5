import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { isThenable } from '../../stages/index';
import type { Message, MessageHeaders } from '../message/message';
import { canonicalTraceparentFlags, RecordTraceContext } from './record-trace-context';
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
import { headerGetter, headerSetter, w3cPropagator } from './w3c-headers';

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
  if (!isThenable(result)) {
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

/** `ctx` without its span (allocates only when there is one to remove). */
function withoutSpan(ctx: Context): Context {
  return trace.getSpan(ctx) ? trace.deleteSpan(ctx) : ctx;
}

function isSampled(upstream: Context): boolean {
  if (upstream instanceof RecordTraceContext) return upstream.sampled;
  const sc = trace.getSpanContext(upstream);
  return sc !== undefined && (sc.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** Same parent span? Compares the raw headers of records, so nothing is parsed for it. */
function sameUpstream(a: Context, b: Context): boolean {
  if (a === b) return true;
  if (a instanceof RecordTraceContext && b instanceof RecordTraceContext) return a.sameParent(b);
  const x = trace.getSpanContext(a);
  const y = trace.getSpanContext(b);
  return x !== undefined && y !== undefined && x.spanId === y.spanId && x.traceId === y.traceId;
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
    const raw = headers[TRACEPARENT];
    if (raw === undefined) return undefined;
    // The usual case, checked without parsing; the context parses itself when read.
    const flags = Array.isArray(raw) ? -1 : canonicalTraceparentFlags(raw);
    if (flags >= 0) return new RecordTraceContext(raw as Buffer | string, headers, flags);
    const extracted = w3cPropagator.extract(ROOT_CONTEXT, headers, headerGetter);
    const spanContext = trace.getSpanContext(extracted);
    if (!spanContext || !isSpanContextValid(spanContext)) {
      this.options.onInvalidContext();
      return undefined;
    }
    return extracted;
  }

  injectContext(headers: Record<string, string | Buffer>, ctx?: Context): void {
    w3cPropagator.inject(ctx ?? context.active(), headers, headerSetter);
  }

  traceBatch<T>(stage: string, topic: string, messages: readonly Message[], fn: () => T): T {
    // One pass, parsing nothing: is there one shared upstream context, any sampled one?
    let first: Context | undefined;
    let single = true;
    let sampled: Message[] | undefined;
    let partition: number | undefined = messages[0]?.partition;
    for (const message of messages) {
      if (message.partition !== partition) partition = undefined;
      const upstream = message.traceContext;
      if (!upstream) continue;
      if (!first) first = upstream;
      else if (single && !sameUpstream(first, upstream)) single = false;
      if (isSampled(upstream)) {
        sampled ??= [];
        sampled.push(message);
      }
    }
    const shared = first && single ? trace.getSpanContext(first) : undefined;
    const base = withoutSpan(context.active());
    const parent = shared ? trace.setSpanContext(base, shared) : base;
    const span = this.start(`process ${topic}`, SpanKind.CONSUMER, parent, () => ({
      [ATTR_MESSAGING_DESTINATION_NAME]: topic,
      [ATTR_MESSAGING_OPERATION_TYPE]: MessagingOperationType.process,
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
      [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: messages.length,
      [ATTR_KAFKA_STAGES_STAGE]: stage,
      ...(partition !== undefined
        ? { [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(partition) }
        : {}),
    }));
    // Links are added after the sampling decision: building them for the ~99% of batches
    // that are not recorded would be per-message work for nothing.
    if (first && span.isRecording()) span.addLinks(this.linksOf(messages));
    const messageSpans =
      sampled && !shared ? this.startMessageSpans(stage, topic, sampled, span) : undefined;
    const finish = messageSpans
      ? () => {
          for (const s of messageSpans) s.end();
        }
      : undefined;
    return runInSpan(span, trace.setSpan(base, span), fn, finish);
  }

  traceSend<T>(topic: string, count: number, fn: (ctx: Context | undefined) => T): T {
    const active = context.active();
    const span = this.start(`send ${topic}`, SpanKind.PRODUCER, active, () => ({
      [ATTR_MESSAGING_DESTINATION_NAME]: topic,
      [ATTR_MESSAGING_OPERATION_TYPE]: MessagingOperationType.send,
      [ATTR_MESSAGING_OPERATION_NAME]: 'send',
      [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: count,
    }));
    const inner = trace.setSpan(active, span);
    return runInSpan(span, inner, () => fn(inner));
  }

  traceCommit<T>(topic: string, fn: () => T): T {
    const base = withoutSpan(context.active());
    const span = this.start(`commit ${topic}`, SpanKind.CLIENT, base, () => ({
      [ATTR_MESSAGING_DESTINATION_NAME]: topic,
      [ATTR_MESSAGING_OPERATION_TYPE]: MessagingOperationType.settle,
      [ATTR_MESSAGING_OPERATION_NAME]: 'commit',
    }));
    return runInSpan(span, trace.setSpan(base, span), fn);
  }

  /**
   * Starts a span; its attributes are built and set only when it is recorded. Our samplers
   * (parent-based, ratio) decide without attributes, and for the ~99% of spans that are not
   * recorded, building and sanitising attribute objects was most of the per-batch cost.
   */
  private start(name: string, kind: SpanKind, parent: Context, attributes: () => Attributes): Span {
    const span = this.tracer.startSpan(name, { kind }, parent);
    if (span.isRecording()) {
      span.setAttributes(this.baseAttributes);
      span.setAttributes(attributes());
    }
    return span;
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

  /** Per-message spans for `sampled` (messages whose upstream context is sampled). */
  private startMessageSpans(
    stage: string,
    topic: string,
    sampled: readonly Message[],
    batch: Span,
  ): Span[] | undefined {
    const limit = Math.min(sampled.length, this.options.maxMessageSpansPerBatch);
    if (limit === 0) return undefined;
    const links: Link[] = [{ context: batch.spanContext() }];
    const spans: Span[] = [];
    for (let i = 0; i < limit; i++) {
      const message = sampled[i]!;
      // Recorded (the parent is sampled): attributes and link given at creation.
      const span = this.tracer.startSpan(
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
          links,
        },
        message.traceContext!,
      );
      spans.push(span);
    }
    return spans;
  }
}
