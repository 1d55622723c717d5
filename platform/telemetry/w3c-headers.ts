import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { MessageHeaders } from '../message/message';

/**
 * The W3C trace-context propagator, used directly rather than through the global
 * propagation API, so that extraction works in library code and tests whether or not an
 * SDK registered a global propagator.
 */
export const w3cPropagator = new W3CTraceContextPropagator();

function headerText(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}

/** Reads kafkajs record headers (Buffers, possibly repeated) for the propagator. */
export const headerGetter: TextMapGetter<MessageHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const value = carrier[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(headerText) : headerText(value);
  },
};

/** Writes headers of a record about to be produced. */
export const headerSetter: TextMapSetter<Record<string, string | Buffer>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};
