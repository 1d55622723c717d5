import { z } from 'zod';
import { describeValue } from '../../../../stages/index';
import { parseLabelMatcher } from '../filter/label-matcher';
import { nameMatcher } from '../filter/name-matcher';
import { DEFAULT_LIMITS } from '../model/limits';
import { compileGoRegexp, LABEL_NAME } from '../relabel/go-regexp';
import { RELABEL_ACTIONS } from '../relabel/relabel';
import { conversionFactor, UNIT_NAMES, type Unit } from '../units/units';
import { STATISTICS } from '../window/aggregate';
import { parseDuration } from './duration';

const DAY_MS = 86_400_000;

/** A strict object whose unknown-key error lists the allowed keys. */
function obj<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; allowed: ${allowed}`
        : undefined,
  });
}

/** A duration (`10s`, `500ms`, `5m`, `1h`, `1d` or a number of ms) within bounds. */
function duration(what: string, min: number, max: number) {
  return z.unknown().transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'a duration such as 500ms, 10s, 5m, 1h, 1d or a number of ms',
      });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({
        code: 'custom',
        message: `a ${what} of ${min} ms to ${max} ms`,
        params: { is: `${describeValue(value)} (${ms} ms)` },
      });
      return z.NEVER;
    }
    return ms;
  });
}

/**
 * Why the engine refused a pattern, without the pattern itself (the message shows the value,
 * shortened): V8 writes `Invalid regular expression: /<pattern>/<flags>: <reason>`.
 */
function engineReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const v8 = /^Invalid regular expression: \/[\s\S]*\/[a-z]*: ([^\n]*)$/.exec(text);
  const reason = v8 ? v8[1]! : text;
  return reason.length > 120 ? `${reason.slice(0, 117)}...` : reason;
}

/** A string that must compile with `compile`; the error names the engine's reason. */
function compiled(what: string, compile: (s: string) => unknown) {
  return z.string().superRefine((s, ctx) => {
    try {
      compile(s);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `a valid ${what} (${engineReason(error)})`,
      });
    }
  });
}

const regex = compiled('regular expression', compileGoRegexp);
const namePattern = compiled('name pattern', nameMatcher);
const labelMatcher = compiled('label matcher', parseLabelMatcher);
const labelName = z
  .string()
  .regex(LABEL_NAME, { error: 'a label name matching [a-zA-Z_][a-zA-Z0-9_]*' });
const topic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, {
  error: 'a topic name of 1-249 letters, digits, ".", "_", "-"',
});
const positiveInt = z.int().min(1);

const inputTopic = obj({
  name: topic,
  format: z.enum(['influx', 'json', 'otlp_proto', 'otlp_json']),
  precision: z.enum(['ns', 'us', 'ms', 's']).default('ns'),
});

const limits = obj({
  max_record_bytes: positiveInt.default(DEFAULT_LIMITS.maxRecordBytes),
  max_line_length: positiveInt.default(DEFAULT_LIMITS.maxLineLength),
  max_labels: positiveInt.max(1000).default(DEFAULT_LIMITS.maxLabels),
  max_name_length: positiveInt.default(DEFAULT_LIMITS.maxNameLength),
  max_label_value_length: positiveInt.default(DEFAULT_LIMITS.maxLabelValueLength),
  max_past: duration('max_past', 0, 365 * DAY_MS).default(DEFAULT_LIMITS.maxPastMs),
  max_future: duration('max_future', 0, 365 * DAY_MS).default(DEFAULT_LIMITS.maxFutureMs),
});

const filter = obj({
  action: z.enum(['keep', 'drop']),
  names: z.array(namePattern).default([]),
  match: z.array(labelMatcher).default([]),
});

// Prometheus' defaults; which fields each action needs is checked below, as Prometheus does.
/** One `relabel_config` entry, Prometheus' field names and defaults. */
export const relabelRuleSchema = obj({
  action: z.enum(RELABEL_ACTIONS).default('replace'),
  source_labels: z.array(labelName).default([]),
  separator: z.string().default(';'),
  regex: regex.default('(.*)'),
  target_label: z.string().default(''),
  replacement: z.string().default('$1'),
  modulus: z.int().min(1).optional(),
}).superRefine((r, ctx) => {
  const fail = (message: string, path: string) =>
    ctx.addIssue({ code: 'custom', message, path: [path] });
  if ((r.action === 'replace' || r.action === 'hashmod') && r.target_label === '') {
    fail(`a label name (the ${r.action} action needs a target_label)`, 'target_label');
  }
  if (r.action === 'hashmod' && r.modulus === undefined)
    fail('an integer >= 1 (the hashmod action needs a modulus)', 'modulus');
  if (r.action === 'hashmod' && r.target_label !== '' && !LABEL_NAME.test(r.target_label)) {
    fail('a label name matching [a-zA-Z_][a-zA-Z0-9_]*', 'target_label');
  }
});

const units = obj({
  names: z.array(namePattern).min(1),
  from: z.enum(UNIT_NAMES as [string, ...string[]]).optional(),
  to: z.enum(UNIT_NAMES as [string, ...string[]]).optional(),
  scale: z.number().refine(Number.isFinite, { error: 'a finite number' }).optional(),
  rename: z.string().min(1).optional(),
  replace_suffix: obj({ from: z.string().min(1), to: z.string() }).optional(),
}).superRefine((u, ctx) => {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
  if ((u.from === undefined) !== (u.to === undefined))
    fail('a rule with both from and to, or neither');
  if (u.from !== undefined && u.scale !== undefined)
    fail('a rule with either from/to or scale, not both');
  const cross =
    u.from !== undefined &&
    u.to !== undefined &&
    conversionFactor(u.from as Unit, u.to as Unit) === undefined;
  if (cross) fail(`from and to of one dimension (cannot convert ${u.from} to ${u.to})`);
  if (u.rename !== undefined && u.replace_suffix !== undefined) {
    fail('a rule with either rename or replace_suffix, not both');
  }
  const acts = [u.from, u.scale, u.rename, u.replace_suffix].some((x) => x !== undefined);
  if (!acts) fail('a rule that does something: from/to, scale, rename or replace_suffix');
});

const rate = obj({
  names: z.array(namePattern).min(1),
  stale_after: duration('stale_after', 1000, 7 * DAY_MS).default(3_600_000),
});

// `window: 10s` is shorthand for `window: { size: 10s }` (tumbling).
const windowShape = z.preprocess(
  (v) => (typeof v === 'string' || typeof v === 'number' ? { size: v } : v),
  obj({
    size: duration('window size', 1, 7 * DAY_MS),
    hop: duration('window hop', 1, 7 * DAY_MS).optional(),
  }).transform((w) => ({ size: w.size, hop: w.hop ?? w.size })),
);

const aggregation = obj({
  names: z.array(namePattern).default([]),
  window: windowShape,
  lateness: duration('lateness', 0, DAY_MS).default(0),
  group_by: z.array(labelName).optional(),
  stats: z.array(z.enum(STATISTICS)).min(1),
  sketch_relative_accuracy: z.number().min(0.0001).max(0.5).default(0.01),
}).superRefine((a, ctx) => {
  if (a.window.hop > a.window.size) {
    ctx.addIssue({
      code: 'custom',
      message: `a hop of at most the window size (${a.window.size} ms)`,
      params: { is: `${a.window.hop} ms` },
      path: ['window', 'hop'],
    });
  }
});

// Where the results go: a Kafka topic (default), or a Prometheus remote-write receiver
// (then `format` must be json, which the sink turns back into samples).
const remoteWrite = obj({
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  timeout: duration('timeout', 100, 600_000).default(30_000),
  max_samples_per_request: positiveInt.max(1_000_000).default(2_000),
  headers: z.record(z.string(), z.string()).default({}),
});
const output = obj({
  sink: z.enum(['kafka', 'prometheus_remote_write']).default('kafka'),
  topic: topic.optional(),
  format: z.enum(['influx', 'json']).default('json'),
  remote_write: remoteWrite.optional(),
}).superRefine((o, ctx) => {
  const fail = (message: string, path: string) =>
    ctx.addIssue({ code: 'custom', message, path: [path] });
  if (o.sink === 'kafka' && o.topic === undefined)
    fail('a topic name (the kafka sink needs one)', 'topic');
  if (o.sink === 'prometheus_remote_write') {
    if (!o.remote_write)
      fail('{ url } (the prometheus_remote_write sink needs remote_write.url)', 'remote_write');
    if (o.format !== 'json') fail('"json" (the prometheus_remote_write sink needs it)', 'format');
  }
});

/**
 * The metric transformer's configuration (YAML). Every key is documented in
 * `examples/metrics-transform.yaml`; durations accept `500ms`, `10s`, `5m`, `1h`, `1d`.
 */
export const configSchema = obj({
  pipeline: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/)
    .default('metrics-transform'),
  input: obj({
    topics: z.array(inputTopic).min(1),
    group_id: z.string().min(1).default('metrics-transform'),
  }),
  limits: limits.default(() => limits.parse({})),
  filters: z.array(filter).default([]),
  relabel: z.array(relabelRuleSchema).default([]),
  units: z.array(units).default([]),
  rate: rate.optional(),
  aggregations: z.array(aggregation).default([]),
  unaggregated: z.enum(['pass', 'drop']).default('pass'),
  watermark: obj({
    idle_timeout: duration('idle_timeout', 100, DAY_MS).default(30_000),
  }).default(() => ({ idle_timeout: 30_000 })),
  output,
  dead_letter: obj({
    topic,
    late_samples: z.boolean().default(false),
  }),
  // exactly_once: window results and the input offsets they cover are written in Kafka
  // transactions (read them with read_committed). Default: exactly_once to a Kafka topic,
  // at_least_once to Prometheus remote-write (HTTP has no transactions).
  processing: z.enum(['exactly_once', 'at_least_once']).optional(),
  // exactly_once: how long the input part gathers one transaction.
  commit_interval: duration('commit_interval', 10, 60_000).default(100),
  // Partitions of the internal repartition topic (created at start, or checked).
  repartition_partitions: positiveInt.max(10_000).default(6),
}).superRefine((c, ctx) => {
  if (c.processing === 'exactly_once' && c.output.sink === 'prometheus_remote_write') {
    ctx.addIssue({
      code: 'custom',
      path: ['processing'],
      message:
        '"at_least_once" with the prometheus_remote_write sink (exactly_once needs a Kafka output)',
    });
  }
});

/** The validated configuration, defaults applied. */
export type TransformConfig = z.output<typeof configSchema>;
