import type { Sample } from '../model/sample';

/**
 * A sample on the repartition topic: compact JSON (`n` name, `v` value, `t` event time ms,
 * `l` labels). Written and read only by this application's two parts.
 */
export function encodeSample(sample: Sample): string {
  return JSON.stringify({ n: sample.name, v: sample.value, t: sample.timestamp, l: sample.labels });
}

/** The sample in a repartition record, or undefined when the record is not one. */
export function decodeSample(value: unknown): Sample | undefined {
  if (value === null || value === undefined) return undefined;
  try {
    const o = JSON.parse(String(value)) as { n?: unknown; v?: unknown; t?: unknown; l?: unknown };
    if (typeof o.n !== 'string' || typeof o.v !== 'number' || typeof o.t !== 'number') {
      return undefined;
    }
    const labels = typeof o.l === 'object' && o.l !== null ? (o.l as Record<string, string>) : {};
    return { name: o.n, value: o.v, timestamp: o.t, labels };
  } catch {
    return undefined;
  }
}
