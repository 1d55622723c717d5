import type { TransformPlan } from './config/compile-plan';
import { passesFilters } from './filter/sample-filter';
import type { Reject } from './model/reject';
import type { Sample } from './model/sample';
import { validateSample } from './model/validate';
import { parseInflux } from './parse/influx';
import { parseJson } from './parse/json';
import { parseOtlpJson, parseOtlpProto } from './parse/otlp-parse';
import type { ParseResult } from './parse/parse-result';
import { relabelSample } from './relabel/relabel';
import { applyUnits } from './units/units';

/** One input record, as the Kafka source hands it over. */
export interface InputRecord {
  topic: string;
  partition: number;
  value: Buffer | string | null;
  /** The record's timestamp, ms: used for samples that carry none. */
  timestamp: number;
}

/** What the stateless steps made of one record. */
export interface Prepared {
  /** Samples that passed validation, filters and relabelling, units converted. */
  readonly samples: Sample[];
  /** Lines or samples refused (parse errors, invalid values, limits). */
  readonly rejects: Reject[];
  /** Samples parsed from the record (valid or not). */
  readonly parsed: number;
  readonly filtered: number;
  readonly relabelDropped: number;
  /** Greatest event time of the valid samples (−∞ when none): the record's progress. */
  readonly maxEventTime: number;
}

/**
 * The stateless half of the transformation, per record: parse (per topic format) →
 * validate → filter → relabel → units. Everything here depends on one record only, so it
 * runs wherever the record is read; what needs all samples of a series or group (rates,
 * windows) comes after the repartition hop.
 */
export function prepareRecord(plan: TransformPlan, record: InputRecord, now: number): Prepared {
  const parsed = parse(plan, record);
  const rejects = [...parsed.rejects];
  const samples: Sample[] = [];
  let filtered = 0;
  let relabelDropped = 0;
  let maxEventTime = Number.NEGATIVE_INFINITY;
  for (const raw of parsed.samples) {
    const bad = validateSample(raw, plan.limits, now);
    if (bad) {
      rejects.push(bad);
      continue;
    }
    if (raw.timestamp > maxEventTime) maxEventTime = raw.timestamp;
    if (!passesFilters(raw, plan.filters)) {
      filtered++;
      continue;
    }
    const relabelled = relabelSample(raw, plan.relabel);
    if (!relabelled) {
      relabelDropped++;
      continue;
    }
    samples.push(applyUnits(relabelled, plan.units));
  }
  return {
    samples,
    rejects,
    parsed: parsed.samples.length,
    filtered,
    relabelDropped,
    maxEventTime,
  };
}

function parse(plan: TransformPlan, record: InputRecord): ParseResult {
  const input = plan.formats.get(record.topic);
  const options = { limits: plan.limits, defaultTimestamp: record.timestamp };
  if (record.value === null) {
    return {
      samples: [],
      rejects: [{ reason: 'unparseable', detail: 'empty record', excerpt: '' }],
    };
  }
  if (record.value.length > plan.limits.maxRecordBytes) {
    const detail = `record of ${record.value.length} bytes, more than ${plan.limits.maxRecordBytes}`;
    const excerpt = record.value.slice(0, 200).toString();
    return { samples: [], rejects: [{ reason: 'line_too_long', detail, excerpt }] };
  }
  const text = typeof record.value === 'string' ? record.value : record.value.toString('utf8');
  if (!input) {
    const detail = `topic '${record.topic}' has no input format configured`;
    return {
      samples: [],
      rejects: [{ reason: 'unparseable', detail, excerpt: text.slice(0, 200) }],
    };
  }
  switch (input.format) {
    case 'influx':
      return parseInflux(text, { ...options, precision: input.precision });
    case 'json':
      return parseJson(text, options);
    case 'otlp_proto':
      return parseOtlpProto(record.value, options); // bytes: not through the text above
    case 'otlp_json':
      return parseOtlpJson(text, options);
  }
}
