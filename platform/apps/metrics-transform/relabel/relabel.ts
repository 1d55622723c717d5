import { createHash } from 'node:crypto';
import { copyLabels, labelValue, type Sample, setLabel } from '../model/sample';
import { expandTemplate, LABEL_NAME } from './go-regexp';

/** The relabel actions supported, with Prometheus' meaning. */
export const RELABEL_ACTIONS = [
  'replace',
  'keep',
  'drop',
  'labeldrop',
  'labelkeep',
  'labelmap',
  'hashmod',
] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

/**
 * One compiled rule. Built by the config schema with Prometheus' defaults already in
 * place: action `replace`, separator `;`, regex `(.*)` anchored, replacement `$1`.
 */
export interface RelabelRule {
  action: RelabelAction;
  sourceLabels: readonly string[];
  separator: string;
  /** Anchored (`^(?:…)$`), see `compileGoRegexp`. */
  regex: RegExp;
  targetLabel: string;
  replacement: string;
  modulus: number;
}

/** The name of the label that carries the metric name during relabelling. */
export const NAME_LABEL = '__name__';

/**
 * Applies the rules in order to one label set (which includes `__name__`), with
 * Prometheus' `relabel_config` semantics. Returns the new label set, or `undefined` when a
 * `keep`/`drop` rule dropped it. A label set to the empty string is removed, as in
 * Prometheus. The input is not modified.
 */
export function relabel(
  labels: Readonly<Record<string, string>>,
  rules: readonly RelabelRule[],
): Record<string, string> | undefined {
  const lb = copyLabels(labels);
  for (const rule of rules) {
    if (!applyRule(lb, rule)) return undefined;
  }
  return lb;
}

/**
 * Relabels a sample: its name is `__name__` while the rules run. Returns `undefined` when
 * it was dropped, or when the rules removed its name.
 */
export function relabelSample(sample: Sample, rules: readonly RelabelRule[]): Sample | undefined {
  if (rules.length === 0) return sample;
  const labels = copyLabels(sample.labels);
  labels[NAME_LABEL] = sample.name;
  const out = relabel(labels, rules);
  if (!out) return undefined;
  const name = labelValue(out, NAME_LABEL);
  if (name === undefined || name === '') return undefined;
  delete out[NAME_LABEL];
  return { name, value: sample.value, timestamp: sample.timestamp, labels: out };
}

function set(lb: Record<string, string>, name: string, value: string): void {
  if (value === '') delete lb[name];
  else setLabel(lb, name, value);
}

function applyRule(lb: Record<string, string>, rule: RelabelRule): boolean {
  const value = joinSources(lb, rule);
  switch (rule.action) {
    case 'drop':
      return !rule.regex.test(value);
    case 'keep':
      return rule.regex.test(value);
    case 'replace': {
      const match = rule.regex.exec(value);
      if (!match) return true; // no match: no replacement
      const target = expandTemplate(rule.targetLabel, match);
      if (!LABEL_NAME.test(target)) return true;
      set(lb, target, expandTemplate(rule.replacement, match));
      return true;
    }
    case 'hashmod': {
      // Prometheus: md5 of the joined values, the digest's last 8 bytes as a big-endian
      // uint64, modulo `modulus` (the last 8 for compatibility with its earlier versions).
      const digest = createHash('md5').update(value).digest();
      const mod = digest.readBigUInt64BE(8) % BigInt(rule.modulus);
      set(lb, rule.targetLabel, mod.toString());
      return true;
    }
    case 'labelmap':
      for (const [name, v] of Object.entries(lb)) {
        const match = rule.regex.exec(name);
        if (match) set(lb, expandTemplate(rule.replacement, match), v);
      }
      return true;
    case 'labeldrop':
      for (const name of Object.keys(lb)) if (rule.regex.test(name)) delete lb[name];
      return true;
    case 'labelkeep':
      for (const name of Object.keys(lb)) if (!rule.regex.test(name)) delete lb[name];
      return true;
  }
}

function joinSources(lb: Record<string, string>, rule: RelabelRule): string {
  const names = rule.sourceLabels;
  if (names.length === 1) return labelValue(lb, names[0] as string) ?? '';
  let value = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) value += rule.separator;
    value += labelValue(lb, names[i] as string) ?? '';
  }
  return value;
}
