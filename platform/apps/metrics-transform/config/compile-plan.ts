import { parseLabelMatcher } from '../filter/label-matcher';
import { nameMatcher } from '../filter/name-matcher';
import type { FilterRule } from '../filter/sample-filter';
import type { Limits } from '../model/limits';
import { compileGoRegexp } from '../relabel/go-regexp';
import type { RelabelRule } from '../relabel/relabel';
import { conversionFactor, type Unit, type UnitRule } from '../units/units';
import type { WindowAggregatorOptions } from '../window/window-aggregator';
import type { TransformConfig } from './config-schema';

/** Input formats of the topics (`input.topics[].format`). */
export type InputFormat = TransformConfig['input']['topics'][number]['format'];

/** The configuration compiled into the step functions' inputs (regexes built once). */
export interface TransformPlan {
  limits: Limits;
  formats: Map<string, { format: InputFormat; precision: 'ns' | 'us' | 'ms' | 's' }>;
  filters: FilterRule[];
  relabel: RelabelRule[];
  units: UnitRule[];
  rate: { matches: (name: string) => boolean; staleAfterMs: number } | undefined;
  aggregations: { matches: (name: string) => boolean; options: WindowAggregatorOptions }[];
  passUnaggregated: boolean;
  idleTimeoutMs: number;
  deadLetterLate: boolean;
}

const anyOf = (patterns: readonly string[]): ((name: string) => boolean) => {
  if (patterns.length === 0) return () => true;
  const matchers = patterns.map(nameMatcher);
  return (name) => matchers.some((m) => m(name));
};

/** Compiles a validated configuration. Cannot fail: the schema checked everything. */
export function compilePlan(config: TransformConfig): TransformPlan {
  const l = config.limits;
  return {
    limits: {
      maxRecordBytes: l.max_record_bytes,
      maxLineLength: l.max_line_length,
      maxLabels: l.max_labels,
      maxNameLength: l.max_name_length,
      maxLabelValueLength: l.max_label_value_length,
      maxPastMs: l.max_past,
      maxFutureMs: l.max_future,
    },
    formats: new Map(
      config.input.topics.map((t) => [t.name, { format: t.format, precision: t.precision }]),
    ),
    filters: config.filters.map((f) => ({
      action: f.action,
      names: f.names.map(nameMatcher),
      matchers: f.match.map(parseLabelMatcher),
    })),
    relabel: config.relabel.map(compileRelabelRule),
    units: config.units.map((u) => {
      const factor =
        u.from !== undefined && u.to !== undefined
          ? (conversionFactor(u.from as Unit, u.to as Unit) ?? Number.NaN)
          : (u.scale ?? 1);
      const rule: UnitRule = { matches: anyOf(u.names), factor };
      const fixed = u.rename;
      const suffix = u.replace_suffix;
      if (fixed !== undefined) rule.rename = () => fixed;
      else if (suffix) {
        rule.rename = (name) =>
          name.endsWith(suffix.from) ? name.slice(0, -suffix.from.length) + suffix.to : name;
      }
      return rule;
    }),
    rate: config.rate
      ? { matches: anyOf(config.rate.names), staleAfterMs: config.rate.stale_after }
      : undefined,
    aggregations: config.aggregations.map((a) => ({
      matches: anyOf(a.names),
      options: {
        window: a.window,
        latenessMs: a.lateness,
        groupBy: a.group_by,
        stats: a.stats,
        sketchAlpha: a.sketch_relative_accuracy,
      },
    })),
    passUnaggregated: config.unaggregated === 'pass',
    idleTimeoutMs: config.watermark.idle_timeout,
    deadLetterLate: config.dead_letter.late_samples,
  };
}

/** Compiles one validated `relabel_config` entry. */
export function compileRelabelRule(r: TransformConfig['relabel'][number]): RelabelRule {
  return {
    action: r.action,
    sourceLabels: r.source_labels,
    separator: r.separator,
    regex: compileGoRegexp(r.regex),
    targetLabel: r.target_label,
    replacement: r.replacement,
    modulus: r.modulus ?? 0,
  };
}
