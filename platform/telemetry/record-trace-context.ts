import { type Context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { MessageHeaders } from '../message/message';
import { headerGetter, w3cPropagator } from './w3c-headers';

// Canonical version-00 traceparent: `00-<32 hex>-<16 hex>-<2 hex>`, 55 characters.
const LENGTH = 55;
const DASHES = [2, 35, 52];
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) HEX_VALUE['0123456789abcdef'.charCodeAt(c)] = c;
const ZERO = 48; // '0'

function codeAt(value: Buffer | string, i: number): number {
  return typeof value === 'string' ? value.charCodeAt(i) : value[i]!;
}

/**
 * True when `value` is a canonical version-00 `traceparent` that the W3C propagator
 * accepts: lower-case hex, non-zero trace and span ids. Everything else (other versions,
 * surrounding spaces, upper case, garbage) is left to the propagator itself.
 */
export function isCanonicalTraceparent(value: Buffer | string): boolean {
  if (value.length !== LENGTH) return false;
  if (codeAt(value, 0) !== ZERO || codeAt(value, 1) !== ZERO) return false;
  let traceNonZero = false;
  let spanNonZero = false;
  for (let i = 3; i < LENGTH; i++) {
    const c = codeAt(value, i);
    if (i === DASHES[1] || i === DASHES[2]) {
      if (c !== 45) return false; // '-'
      continue;
    }
    if (c >= 128 || HEX_VALUE[c]! < 0) return false;
    if (c !== ZERO) {
      if (i < DASHES[1]!) traceNonZero = true;
      else if (i < DASHES[2]!) spanNonZero = true;
    }
  }
  return codeAt(value, DASHES[0]!) === 45 && traceNonZero && spanNonZero;
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

  constructor(
    /** A canonical traceparent (see {@link isCanonicalTraceparent}). */
    readonly traceparent: Buffer | string,
    private readonly headers: MessageHeaders,
  ) {}

  /** The W3C `sampled` flag, read from the last hex digit. */
  get sampled(): boolean {
    return (HEX_VALUE[codeAt(this.traceparent, LENGTH - 1)]! & 1) === 1;
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
