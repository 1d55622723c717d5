import type { Sample } from '../model/sample';
import { type LabelMatcher, matchesLabel } from './label-matcher';

/** One filter rule: all its conditions must hold for it to match. */
export interface FilterRule {
  action: 'keep' | 'drop';
  /** Name predicates (any of them may match); empty means any name. */
  names: ((name: string) => boolean)[];
  /** Label matchers, all must hold. */
  matchers: LabelMatcher[];
}

/**
 * Applies the rules in order: a sample survives when every `keep` rule matches it and no
 * `drop` rule does. With no rules everything is kept.
 */
export function passesFilters(sample: Sample, rules: readonly FilterRule[]): boolean {
  for (const rule of rules) {
    const matched = ruleMatches(sample, rule);
    if (rule.action === 'keep' ? !matched : matched) return false;
  }
  return true;
}

function ruleMatches(sample: Sample, rule: FilterRule): boolean {
  if (rule.names.length > 0 && !rule.names.some((n) => n(sample.name))) return false;
  for (const m of rule.matchers) {
    const labels = m.name === '__name__' ? { __name__: sample.name } : sample.labels;
    if (!matchesLabel(labels, m)) return false;
  }
  return true;
}
