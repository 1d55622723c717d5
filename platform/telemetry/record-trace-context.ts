import { type Context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { MessageHeaders } from '../message/message';
import { headerGetter, w3cPropagator } from './w3c-headers';

// Canonical version-00 traceparent: `00-<32 hex>-<16 hex>-<2 hex>`, 55 characters.
const LENGTH = 55;
const TRACE_END = 35; // index of the dash after the trace id
const SPAN_END = 52; // index of the dash after the span id
const DASH = 45;
const ZERO = 48;
/** Value of a lower-case hex digit by character code, -1 for anything else. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let c = 0; c < 16; c++) HEX_VALUE['0123456789abcdef'.charCodeAt(c)] = c;

/** [from, to) of `b`: 0 when not all lower-case hex, 1 when all `0`, 2 otherwise. */
function hexRun(b: Buffer | string, from: number, to: number): 0 | 1 | 2 {
  return typeof b === 'string' ? hexRunString(b, from, to) : hexRunBytes(b, from, to);
}

// Two monomorphic loops: this check runs for every consumed record.
function hexRunBytes(b: Buffer, from: number, to: number): 0 | 1 | 2 {
  let nonZero = 0;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (HEX_VALUE[c]! < 0) return 0;
    nonZero |= c ^ ZERO;
  }
  return nonZero === 0 ? 1 : 2;
}

function hexRunString(b: string, from: number, to: number): 0 | 1 | 2 {
  let nonZero = 0;
  for (let i = from; i < to; i++) {
    const c = b.charCodeAt(i);
    if (c > 255 || HEX_VALUE[c]! < 0) return 0;
    nonZero |= c ^ ZERO;
  }
  return nonZero === 0 ? 1 : 2;
}

function codeAt(value: Buffer | string, i: number): number {
  return typeof value === 'string' ? value.charCodeAt(i) : value[i]!;
}

/**
 * The trace flags of `value` when it is a canonical version-00 `traceparent` that the W3C
 * propagator accepts (lower-case hex, non-zero trace and span ids), else -1. Everything
 * else (other versions, surrounding spaces, upper case, garbage) is left to the propagator.
 */
export function canonicalTraceparentFlags(value: Buffer | string): number {
  if (value.length !== LENGTH) return -1;
  if (codeAt(value, 0) !== ZERO || codeAt(value, 1) !== ZERO || codeAt(value, 2) !== DASH) {
    return -1;
  }
  if (codeAt(value, TRACE_END) !== DASH || codeAt(value, SPAN_END) !== DASH) return -1;
  if (
    hexRun(value, 3, TRACE_END) !== 2 ||
    hexRun(value, TRACE_END + 1, SPAN_END) !== 2 ||
    hexRun(value, SPAN_END + 1, LENGTH) === 0
  ) {
    return -1;
  }
  return HEX_VALUE[codeAt(value, SPAN_END + 1)]! * 16 + HEX_VALUE[codeAt(value, SPAN_END + 2)]!;
}

/** True when `value` is a canonical traceparent (see {@link canonicalTraceparentFlags}). */
export function isCanonicalTraceparent(value: Buffer | string): boolean {
  return canonicalTraceparentFlags(value) >= 0;
}

/**
 * The trace context of one consumed record, parsed only when someone reads it.
 *
 * Extracting a context for every record is the largest per-record cost of tracing, and
 * with 1% sampling almost none is ever used as a parent or link. This context keeps the
 * validated header and knows the two things the batch span needs from every message
 * without parsing: the sampled flag, and whether two records share one parent. Reading any
 * value (as `trace.getSpanContext` does) parses the headers once with the W3C propagator
 * (so `tracestate` is honoured), and from then on it behaves as the propagator's context.
 */
export class RecordTraceContext implements Context {
  private parsed: Context | undefined;

  /** The W3C `sampled` flag. */
  readonly sampled: boolean;

  constructor(
    /** A canonical traceparent (see {@link canonicalTraceparentFlags}). */
    readonly traceparent: Buffer | string,
    private readonly headers: MessageHeaders,
    /** Its trace flags, as {@link canonicalTraceparentFlags} returned them. */
    flags: number,
  ) {
    this.sampled = (flags & 1) === 1;
  }

  /** True when both records name the same parent span (same trace id, span id and flags). */
  sameParent(other: RecordTraceContext): boolean {
    const a = this.traceparent;
    const b = other.traceparent;
    if (typeof a === 'string' || typeof b === 'string') return String(a) === String(b);
    return a.equals(b);
  }

  private context(): Context {
    this.parsed ??= w3cPropagator.extract(ROOT_CONTEXT, this.headers, headerGetter);
    return this.parsed;
  }

  getValue(key: symbol): unknown {
    return this.context().getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.context().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.context().deleteValue(key);
  }
}
