import type { Sample } from '../model/sample';
import type { Aggregate } from '../window/aggregate';

/** Output formats of the transformer. */
export type OutputFormat = 'json' | 'influx';

/**
 * A sample as one JSON object `{name, value, timestamp, labels}` (the input format, so
 * output can be fed back in).
 */
export function sampleToJson(s: Sample): string {
  return JSON.stringify({ name: s.name, value: s.value, timestamp: s.timestamp, labels: s.labels });
}

/**
 * A window's result as JSON: the group's name and labels, the window bounds (ms, end
 * exclusive) and one field per configured statistic.
 */
export function aggregateToJson(a: Aggregate): string {
  return JSON.stringify({
    name: a.name,
    labels: a.labels,
    start: a.start,
    end: a.end,
    ...a.values,
  });
}

/** A sample as one line of line protocol: `name,labels value=<v> <ns>`. */
export function sampleToInflux(s: Sample): string {
  return `${measurementAndTags(s.name, s.labels)} value=${float(s.value)} ${nanos(s.timestamp)}`;
}

/**
 * A window's result as one line: the statistics as fields (`count` as an integer), the
 * window end as the timestamp, and the window start as the `window_start_ms` field.
 */
export function aggregateToInflux(a: Aggregate): string {
  const fields = Object.entries(a.values).map(([k, v]) =>
    k === 'count' ? `count=${v}i` : `${escapeKey(k)}=${float(v)}`,
  );
  fields.push(`window_start_ms=${a.start}i`);
  return `${measurementAndTags(a.name, a.labels)} ${fields.join(',')} ${nanos(a.end)}`;
}

function measurementAndTags(name: string, labels: Readonly<Record<string, string>>): string {
  let out = name.replace(/[, ]/g, (c) => `\\${c}`);
  // Influx wants tags sorted by key for the best write performance; it also makes
  // the output deterministic.
  for (const k of Object.keys(labels).sort()) {
    const v = labels[k] as string;
    if (v === '') continue; // line protocol has no empty tag values
    out += `,${escapeKey(k)}=${escapeKey(v)}`;
  }
  return out;
}

function escapeKey(s: string): string {
  return s.replace(/[,= ]/g, (c) => `\\${c}`);
}

function float(v: number): string {
  // Line protocol floats: plain decimal or exponent form, never NaN/Inf (validated away).
  return String(v);
}

function nanos(ms: number): string {
  return `${BigInt(Math.trunc(ms)) * 1_000_000n}`;
}
