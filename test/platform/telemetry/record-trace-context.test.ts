import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import fc from 'fast-check';
import { createTelemetry } from '../../../platform/telemetry/create-telemetry';
import {
  canonicalTraceparentFlags,
  isCanonicalTraceparent,
  RecordTraceContext,
} from '../../../platform/telemetry/record-trace-context';

const propagator = new W3CTraceContextPropagator();

/** What the W3C propagator alone makes of a traceparent: the reference behaviour. */
function reference(traceparent: string) {
  const ctx = propagator.extract(
    ROOT_CONTEXT,
    { traceparent },
    { keys: (c) => Object.keys(c), get: (c, k) => c[k as 'traceparent'] },
  );
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc)
    ? { traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags }
    : undefined;
}

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
// Mostly well-formed traceparents, with single-character damage and odd versions mixed in.
const traceparents = fc.oneof(
  fc.tuple(hex(32), hex(16), hex(2)).map(([t, s, f]) => `00-${t}-${s}-${f}`),
  fc
    .tuple(hex(32), hex(16), hex(2), fc.nat(54), fc.constantFrom('-', 'g', 'A', ' ', '0', 'é'))
    .map(([t, s, f, at, c]) => {
      const v = `00-${t}-${s}-${f}`;
      return v.slice(0, at) + c + v.slice(at + 1);
    }),
  fc.constantFrom(
    `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`,
    `00-${'1'.repeat(32)}-${'0'.repeat(16)}-01`,
    `01-${'1'.repeat(32)}-${'2'.repeat(16)}-01-extra`,
    ` 00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`,
    `ff-${'1'.repeat(32)}-${'2'.repeat(16)}-01`,
  ),
  fc.string({ maxLength: 60 }),
);

describe('traceparent fast path', () => {
  it('accepts only what the W3C propagator accepts, and reads the same context', () => {
    fc.assert(
      fc.property(traceparents, fc.boolean(), (traceparent, asBuffer) => {
        const telemetry = createTelemetry({ pipeline: 'p', defaultMetrics: false });
        const raw = asBuffer ? Buffer.from(traceparent, 'latin1') : traceparent;
        const ctx = telemetry.extractContext({ traceparent: raw });
        const sc = ctx && trace.getSpanContext(ctx);
        const got = sc
          ? { traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags }
          : undefined;
        expect(got).toEqual(reference(asBuffer ? raw.toString('latin1') : traceparent));
        if (isCanonicalTraceparent(raw)) expect(reference(traceparent)).toBeDefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('knows the sampled flag and shared parents without parsing', () => {
    const a = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const b = `00-${'a'.repeat(32)}-${'c'.repeat(16)}-00`;
    expect([canonicalTraceparentFlags(a), canonicalTraceparentFlags(b)]).toEqual([1, 0]);
    expect(canonicalTraceparentFlags(`00-${'a'.repeat(32)}-${'c'.repeat(16)}-ff`)).toBe(255);
    const ca = new RecordTraceContext(Buffer.from(a), { traceparent: Buffer.from(a) }, 1);
    const ca2 = new RecordTraceContext(Buffer.from(a), { traceparent: Buffer.from(a) }, 1);
    const cb = new RecordTraceContext(b, { traceparent: b }, 0);
    expect([ca.sampled, cb.sampled]).toEqual([true, false]);
    expect(ca.sameParent(ca2)).toBe(true);
    expect(ca.sameParent(cb)).toBe(false);
    expect(trace.getSpanContext(cb)).toMatchObject({ spanId: 'c'.repeat(16), isRemote: true });
  });
});
