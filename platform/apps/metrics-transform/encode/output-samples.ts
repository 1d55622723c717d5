import { TransformRecordError } from '../errors';
import type { Sample } from '../model/sample';
import { STATISTICS, type Statistic } from '../window/aggregate';

const STATS = new Set<string>(STATISTICS);

/**
 * The transformer's JSON output records (`output.format: json`) as samples, for a sink that
 * writes samples rather than records (the remote-write sink's `samplesOf`):
 *
 * - a sample passed through (`{name, value, timestamp, labels}`, `sampleToJson`) is itself;
 * - a window result (`{name, labels, start, end, <stat>…}`, `aggregateToJson`) gives one
 *   sample per statistic, named `<name>_<stat>` (`cpu_usage_p99`, `requests_per_second_avg`),
 *   with the group's labels, stamped at the window end (the first instant the result is
 *   complete, as a recording rule evaluated then would stamp it).
 *
 * Throws on anything else, naming what is wrong (the sink then fails that message).
 */
export function outputToSamples(value: unknown): Sample[] {
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  if (typeof text !== 'string')
    throw new TransformRecordError('an output record must be JSON text');
  const o = JSON.parse(text) as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || typeof o.name !== 'string') {
    throw new TransformRecordError('an output record must be a JSON object with a name');
  }
  const labels = (o.labels ?? {}) as Record<string, string>;
  if (typeof o.value === 'number' && typeof o.timestamp === 'number') {
    return [{ name: o.name, value: o.value, timestamp: o.timestamp, labels }];
  }
  if (typeof o.end !== 'number') {
    throw new TransformRecordError(
      `output record ${o.name} is neither a sample nor a window result`,
    );
  }
  const samples: Sample[] = [];
  for (const key of Object.keys(o)) {
    if (!STATS.has(key) || typeof o[key] !== 'number') continue;
    samples.push({
      name: `${o.name}_${key as Statistic}`,
      value: o[key] as number,
      timestamp: o.end,
      labels,
    });
  }
  return samples;
}
