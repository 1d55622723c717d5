import { type Reject, reject } from '../model/reject';
import { type Sample, setLabel } from '../model/sample';
import type { ParseOptions, ParseResult } from './parse-result';

/**
 * Parses JSON samples: one object `{name, value, timestamp?, labels?}` or an array of
 * them. `timestamp` is milliseconds since the epoch (the record's timestamp when absent);
 * `value` is a number, or one of the strings `"NaN"`, `"+Inf"`, `"-Inf"`, `"Inf"` (JSON
 * cannot spell them otherwise, and they must reach validation to be refused with
 * `value_not_finite` rather than `unparseable`); label values are strings.
 *
 * Bounded: the record length is checked before `JSON.parse`, and label counting stops at
 * the first label over the limit.
 */
export function parseJson(text: string, options: ParseOptions): ParseResult {
  const result: ParseResult = { samples: [], rejects: [] };
  if (text.length > options.limits.maxRecordBytes) {
    result.rejects.push(
      reject(
        'line_too_long',
        `record of ${text.length} characters, more than ${options.limits.maxRecordBytes}`,
        text,
      ),
    );
    return result;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    result.rejects.push(reject('unparseable', `not JSON: ${(error as Error).message}`, text));
    return result;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  for (const item of items) {
    const one = toSample(item, options);
    if ('reason' in one) result.rejects.push(one);
    else result.samples.push(one);
  }
  return result;
}

const SPECIAL: Record<string, number> = {
  NaN: Number.NaN,
  Inf: Number.POSITIVE_INFINITY,
  '+Inf': Number.POSITIVE_INFINITY,
  '-Inf': Number.NEGATIVE_INFINITY,
};

function toSample(item: unknown, options: ParseOptions): Sample | Reject {
  const { limits } = options;
  const excerpt = () => JSON.stringify(item)?.slice(0, 200) ?? String(item);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return reject('unparseable', 'a sample must be a JSON object', excerpt());
  }
  const o = item as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name === '') {
    return reject('no_name', 'the sample has no string "name"', excerpt());
  }
  let value: number;
  if (typeof o.value === 'number') value = o.value;
  else if (typeof o.value === 'string' && o.value in SPECIAL) value = SPECIAL[o.value] as number;
  else return reject('unparseable', '"value" must be a number', excerpt());
  let timestamp = options.defaultTimestamp;
  if (o.timestamp !== undefined) {
    if (typeof o.timestamp !== 'number' || !Number.isInteger(o.timestamp)) {
      return reject('unparseable', '"timestamp" must be an integer (ms)', excerpt());
    }
    timestamp = o.timestamp;
  }
  const labels: Record<string, string> = {};
  if (o.labels !== undefined) {
    if (typeof o.labels !== 'object' || o.labels === null || Array.isArray(o.labels)) {
      return reject('unparseable', '"labels" must be an object of strings', excerpt());
    }
    let count = 0;
    for (const key in o.labels) {
      if (++count > limits.maxLabels) {
        return reject('too_many_labels', `more than ${limits.maxLabels} labels`, excerpt());
      }
      if (!Object.hasOwn(o.labels, key)) continue;
      const v = (o.labels as Record<string, unknown>)[key];
      if (typeof v !== 'string') {
        return reject('unparseable', `label '${key.slice(0, 64)}' must be a string`, excerpt());
      }
      if (key === '__name__') continue;
      setLabel(labels, key, v);
    }
  }
  return { name: o.name, value, timestamp, labels };
}
