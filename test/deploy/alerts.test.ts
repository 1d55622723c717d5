import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CHART_DIR, findManifest, ROOT, renderScenario, run } from './support/helm';

const ALERTS_FILE = join(CHART_DIR, 'files', 'alerts.yaml');
const PROMTOOL_TESTS = join(ROOT, 'test', 'deploy', 'alerts.promtool.yml');

interface Rule {
  alert?: string;
  expr: string;
}
interface RulesFile {
  groups: { name: string; rules: Rule[] }[];
}
interface PromtoolTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

function promtool(args: string[]) {
  let result: ReturnType<typeof run>;
  try {
    result = run('promtool', args);
  } catch (error) {
    throw new Error(
      `promtool is missing: run make test-tools (Debian package prometheus). ${String(error)}`,
    );
  }
  return { ...result, output: result.stdout + result.stderr };
}

const alertNames = (rules: RulesFile) =>
  rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).filter(Boolean);

describe('alert rules (helm/kafka-stages/files/alerts.yaml)', () => {
  const rules = parse(readFileSync(ALERTS_FILE, 'utf8')) as RulesFile;

  it('pass promtool check rules', () => {
    const result = promtool(['check', 'rules', ALERTS_FILE]);
    expect(result.output).toContain(`SUCCESS: ${alertNames(rules).length} rules found`);
    expect(result.status).toBe(0);
  });

  it('pass promtool test rules (test/deploy/alerts.promtool.yml)', () => {
    const result = promtool(['test', 'rules', PROMTOOL_TESTS]);
    expect(result.output).not.toContain('FAILED');
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
    const tests = parse(readFileSync(PROMTOOL_TESTS, 'utf8')) as PromtoolTests;
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    process.stdout.write(
      `promtool test rules: SUCCESS, ${tests.tests.length} test groups, ${cases.length} alert evaluations (${cases.filter((c) => c.exp_alerts.length > 0).length} firing, ${cases.filter((c) => c.exp_alerts.length === 0).length} not firing)\n`,
    );
  });

  it('are the file promtool tests, and cover lag, pauses, dead letters, errors, progress and readiness', () => {
    const tests = parse(readFileSync(PROMTOOL_TESTS, 'utf8')) as PromtoolTests;
    expect(tests.rule_files).toEqual(['../../helm/kafka-stages/files/alerts.yaml']);
    expect(alertNames(rules).sort()).toEqual([
      'KafkaStagesConsumerLagGrowing',
      'KafkaStagesDeadLetterRate',
      'KafkaStagesNoProgress',
      'KafkaStagesPartitionPausedTooLong',
      'KafkaStagesPipelineNotReady',
      'KafkaStagesStageErrorRate',
    ]);
  });

  it.each(alertNames(rules))(
    '%s has a promtool case where it fires and one where it does not',
    (alert) => {
      const tests = parse(readFileSync(PROMTOOL_TESTS, 'utf8')) as PromtoolTests;
      const cases = tests.tests
        .flatMap((t) => t.alert_rule_test ?? [])
        .filter((c) => c.alertname === alert);
      expect(cases.some((c) => c.exp_alerts.length > 0)).toBe(true);
      expect(cases.some((c) => c.exp_alerts.length === 0)).toBe(true);
    },
  );

  it('reach the PrometheusRule unchanged, and promtool accepts the rendered copy too', () => {
    const rendered = findManifest(renderScenario('keda'), 'PrometheusRule');
    expect(rendered.spec).toEqual(rules);
    const dir = mkdtempSync(join(tmpdir(), 'kafka-stages-rules-'));
    try {
      const file = join(dir, 'rendered-rules.yaml');
      writeFileSync(file, stringify(rendered.spec));
      const result = promtool(['check', 'rules', file]);
      expect(result.output).toContain('SUCCESS');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
