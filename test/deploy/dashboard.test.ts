import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR } from './support/helm';

interface Target {
  refId: string;
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
  gridPos: { h: number; w: number; x: number; y: number };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown }[] };
}

const dashboard = JSON.parse(
  readFileSync(join(CHART_DIR, 'files', 'dashboard.json'), 'utf8'),
) as Dashboard;
const panels = dashboard.panels.filter((p) => p.type !== 'row');
// Grafana's own variable syntax, not a JavaScript template.
const DATASOURCE_UID = ['$', '{datasource}'].join('');
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

// Grafana unit ids and the words a title must then show in its "(...)" suffix.
const UNIT_WORDS: Record<string, RegExp> = {
  ops: /\/s\)$/,
  s: /\(seconds\)$/,
  bytes: /\(bytes\)$/,
  short: /\([a-z -]+(, [a-z/ -]+)?\)$/,
};

describe('Grafana dashboard (helm/kafka-stages/files/dashboard.json)', () => {
  it('has a Prometheus datasource variable that every panel and query uses', () => {
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const panel of panels) {
      expect({ title: panel.title, uid: panel.datasource?.uid }).toEqual({
        title: panel.title,
        uid: DATASOURCE_UID,
      });
      for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe(DATASOURCE_UID);
    }
  });

  it('gives every panel a title with its unit in parentheses, matching the unit it is drawn in', () => {
    for (const panel of panels) {
      const unit = panel.fieldConfig?.defaults?.unit ?? '';
      expect({ title: panel.title, unit, known: unit in UNIT_WORDS }).toEqual({
        title: panel.title,
        unit,
        known: true,
      });
      expect(panel.title).toMatch(UNIT_WORDS[unit] as RegExp);
    }
  });

  it('uses $__rate_interval in every rate() and increase()', () => {
    const ranged = exprs.flatMap((e) => [
      ...e.matchAll(/\b(rate|increase|irate|deriv|delta)\([^[]*\[([^\]]*)\]/g),
    ]);
    expect(ranged.length).toBeGreaterThan(10);
    for (const [call, , window] of ranged)
      expect({ call, window }).toEqual({ call, window: '$__rate_interval' });
  });

  it('filters every kafka_stages_ query by the namespace and pipeline variables', () => {
    for (const expr of exprs.filter((e) => e.includes('kafka_stages_'))) {
      for (const selector of expr.match(/kafka_stages_\w+\{[^}]*\}/g) ?? []) {
        expect(selector).toContain('namespace=~"$namespace"');
        expect(selector).toContain('pipeline=~"$pipeline"');
      }
      expect(expr).toMatch(/kafka_stages_\w+\{/);
    }
  });

  it('has the panels the issue asks for', () => {
    const titles = panels.map((p) => p.title);
    for (const wanted of [
      /^Stage throughput/,
      /^Handler duration p50 \/ p99/,
      /^Buffered events/,
      /^Pending demand/,
      /^Consumer lag per partition/,
      /^Paused partitions/,
      /^Dead-letter rate/,
      /rebalances/i,
      /^Event-loop lag/,
    ]) {
      expect({ wanted: String(wanted), found: titles.some((t) => wanted.test(t)) }).toEqual({
        wanted: String(wanted),
        found: true,
      });
    }
    const p99 = panels.find((p) => p.title.startsWith('Handler duration'));
    expect(p99?.targets?.map((t) => t.expr.slice(0, 24))).toEqual([
      'histogram_quantile(0.5, ',
      'histogram_quantile(0.99,',
    ]);
  });

  it('has unique panel ids and query refIds, and panels inside the 24-column grid', () => {
    const ids = dashboard.panels.map((p) => (p as unknown as { id: number }).id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
    }
  });
});
