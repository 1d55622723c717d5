/**
 * The transformer configuration every `make bench-peers` run uses, and the same rules in
 * plain code for the Kafka Streams peer's checks: drop samples with region="ap-south-1"
 * and a 5xx code; job := service; drop the instance label; 10 s tumbling windows with 2 s
 * lateness by (name, job, method, region) with count, sum and p99 (DDSketch, α = 1 %).
 * bench/peers/src/main/java/…/StreamsPeer.java applies exactly these rules.
 */

import type { TransformConfig } from '../../platform/apps/metrics-transform/config/config-schema';
import { validateConfig } from '../../platform/apps/metrics-transform/config/load-config';
import type { Sample } from '../../platform/apps/metrics-transform/model/sample';

export const WINDOW_MS = 10_000;
export const LATENESS_MS = 2_000;
export const SKETCH_ALPHA = 0.01;

export type Guarantee = 'alo' | 'eos';

export interface PeerTopics {
  readonly pipeline: string;
  readonly input: string;
  readonly output: string;
  readonly deadLetter: string;
  readonly group: string;
  /** A second input topic (the bench's flush tail), read like the first. */
  tail?: string;
}

function raw(topics: PeerTopics) {
  return {
    pipeline: topics.pipeline,
    input: {
      topics: [topics.input, ...(topics.tail ? [topics.tail] : [])].map((name) => ({
        name,
        format: 'influx',
      })),
      group_id: topics.group,
    },
    filters: [{ action: 'drop', match: ['region="ap-south-1"', 'code=~"5.."'] }],
    relabel: [
      { source_labels: ['service'], target_label: 'job' },
      { action: 'labeldrop', regex: 'instance' },
    ],
    aggregations: [
      {
        window: '10s',
        lateness: '2s',
        group_by: ['job', 'method', 'region'],
        stats: ['count', 'sum', 'p99'],
      },
    ],
    watermark: { idle_timeout: '1d' },
    output: { topic: topics.output, format: 'json' },
    dead_letter: { topic: topics.deadLetter },
  };
}

/**
 * The config for one run. `eos` asks for `processing: exactly_once` (issue #10); when the
 * transformer's schema does not know that setting yet, the result is undefined.
 */
export function peerConfig(topics: PeerTopics, guarantee: Guarantee): TransformConfig | undefined {
  const processing = guarantee === 'eos' ? 'exactly_once' : 'at_least_once';
  try {
    return validateConfig({ ...raw(topics), processing });
  } catch (error) {
    if (guarantee === 'eos') return undefined;
    // A schema without `processing` is at-least-once.
    void error;
    return validateConfig(raw(topics));
  }
}

/** Whether the filter keeps a sample (the count the windows must add up to). */
export function keptByFilter(s: Sample): boolean {
  return !(s.labels.region === 'ap-south-1' && /^(?:5..)$/.test(s.labels.code ?? ''));
}
