import type { Limits } from './limits';
import { type Reject, reject } from './reject';
import type { Sample } from './sample';

/**
 * Checks one parsed sample against the limits. Returns `undefined` when it is fine, else
 * the reason. Never throws; cost is linear in the number of labels, which the parsers
 * have already bounded.
 */
export function validateSample(sample: Sample, limits: Limits, now: number): Reject | undefined {
  const where = () => describe(sample);
  if (sample.name === '') return reject('no_name', 'the sample has no metric name', where());
  if (sample.name.length > limits.maxNameLength) {
    return reject(
      'label_too_long',
      `metric name is ${sample.name.length} characters, more than ${limits.maxNameLength}`,
      where(),
    );
  }
  if (!Number.isFinite(sample.value)) {
    return reject('value_not_finite', `value ${sample.value} is not a finite number`, where());
  }
  const ts = sample.timestamp;
  if (!Number.isFinite(ts) || ts < now - limits.maxPastMs || ts > now + limits.maxFutureMs) {
    return reject(
      'timestamp_out_of_range',
      `timestamp ${ts} is outside [now - ${limits.maxPastMs} ms, now + ${limits.maxFutureMs} ms] (now ${now})`,
      where(),
    );
  }
  let count = 0;
  for (const name in sample.labels) {
    count++;
    if (count > limits.maxLabels) {
      return reject('too_many_labels', `more than ${limits.maxLabels} labels`, where());
    }
    if (name.length > limits.maxNameLength) {
      return reject(
        'label_too_long',
        `label name of ${name.length} characters, more than ${limits.maxNameLength}`,
        where(),
      );
    }
    const value = sample.labels[name] as string;
    if (value.length > limits.maxLabelValueLength) {
      return reject(
        'label_too_long',
        `label '${name.slice(0, 64)}' value of ${value.length} characters, more than ${limits.maxLabelValueLength}`,
        where(),
      );
    }
  }
  return undefined;
}

function describe(sample: Sample): string {
  return `${sample.name.slice(0, 100)} ${String(sample.value)} @${sample.timestamp}`;
}
