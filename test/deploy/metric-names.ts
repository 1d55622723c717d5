import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * Every metric name the chart's Grafana dashboard and Prometheus alerts query, so that they
 * can be checked against what the application really exports: against the catalogue here
 * (test/deploy/metric-names.test.ts) and against a live /metrics scrape of a running
 * pipeline (the observability tests). Names are as written in the queries: a histogram
 * appears as `<name>_bucket` (or `_sum`, `_count`).
 */
export function metricNamesUsedByChart(chartDir: string = CHART_DIR): string[] {
  return [...new Set([...dashboardMetricNames(chartDir), ...alertMetricNames(chartDir)])].sort();
}

const CHART_DIR = join(__dirname, '..', '..', 'helm', 'kafka-stages');

/** Names in the dashboard's panel queries and template-variable queries. */
export function dashboardMetricNames(chartDir: string = CHART_DIR): string[] {
  return dashboardExpressions(chartDir).flatMap(metricNamesIn);
}

/** Names in the alert rules' expressions. */
export function alertMetricNames(chartDir: string = CHART_DIR): string[] {
  return alertExpressions(chartDir).flatMap(metricNamesIn);
}

interface DashboardTarget {
  expr?: string;
}
interface DashboardPanel {
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}
interface Dashboard {
  panels: DashboardPanel[];
  templating?: { list: { type: string; query?: string | { query?: string } }[] };
}

/** Every PromQL expression of the dashboard: panel targets (rows included) and variables. */
export function dashboardExpressions(chartDir: string = CHART_DIR): string[] {
  const dashboard = JSON.parse(
    readFileSync(join(chartDir, 'files', 'dashboard.json'), 'utf8'),
  ) as Dashboard;
  const fromPanels = (panels: DashboardPanel[]): string[] =>
    panels.flatMap((p) => [
      ...(p.targets ?? []).map((t) => t.expr ?? '').filter((e) => e !== ''),
      ...fromPanels(p.panels ?? []),
    ]);
  const fromVariables = (dashboard.templating?.list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? '')))
    .map(unwrapLabelValues);
  return [...fromPanels(dashboard.panels), ...fromVariables];
}

export function alertExpressions(chartDir: string = CHART_DIR): string[] {
  const rules = parse(readFileSync(join(chartDir, 'files', 'alerts.yaml'), 'utf8')) as {
    groups: { rules: { expr: string }[] }[];
  };
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** Grafana's `label_values(<selector>, <label>)` holds a series selector: return it. */
function unwrapLabelValues(query: string): string {
  const match = /^\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/s.exec(query);
  return match?.[1] ?? query;
}

// Words of PromQL that look like identifiers but are not metric names.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'start',
  'end',
]);

/**
 * The metric names in one PromQL expression. Label matchers `{...}`, grouping clauses
 * `by (...)` and friends, range selectors `[...]` and strings are removed first; what is left
 * and is neither a keyword nor a function or aggregation (a name followed by `(`) is a metric.
 * A `{__name__="..."}` selector is not supported and throws, so nothing goes unnoticed.
 */
export function metricNamesIn(expr: string): string[] {
  if (expr.includes('__name__')) throw new Error(`__name__ selectors are not supported: ${expr}`);
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w$.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (name === undefined || call !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    names.push(name);
  }
  return names;
}
