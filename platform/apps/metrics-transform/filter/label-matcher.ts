import { InvalidArgumentError } from '../../../../stages/index';
import { labelValue } from '../model/sample';
import { compileGoRegexp } from '../relabel/go-regexp';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** A Prometheus label matcher: `name="value"`, `name!="v"`, `name=~"re"`, `name!~"re"`. */
export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
  /** For `=~` and `!~`: the anchored expression. */
  regex?: RegExp;
}

const SYNTAX = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

/**
 * Parses `name op "value"` (double-quoted, `\"` and `\\` escapes). Regexes are anchored
 * at both ends, as in PromQL. Throws `InvalidArgumentError` with what was expected (not the text: callers show it).
 */
export function parseLabelMatcher(text: string): LabelMatcher {
  const m = SYNTAX.exec(text);
  if (!m) {
    throw new InvalidArgumentError(
      'not a label matcher like name="v", name!="v", name=~"re" or name!~"re"',
    );
  }
  const name = m[1] as string;
  const op = m[2] as MatchOp;
  const value = (m[3] as string).replace(/\\(.)/g, '$1');
  if (op === '=~' || op === '!~') return { name, op, value, regex: compileGoRegexp(value) };
  return { name, op, value };
}

/**
 * True when the labels satisfy the matcher. As in Prometheus a missing label has the
 * value `""`, so `env=""` matches samples without `env` and `env!=""` requires it.
 */
export function matchesLabel(labels: Readonly<Record<string, string>>, m: LabelMatcher): boolean {
  const v = labelValue(labels, m.name) ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return (m.regex as RegExp).test(v);
    case '!~':
      return !(m.regex as RegExp).test(v);
  }
}
