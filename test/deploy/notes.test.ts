import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHART_DIR,
  helm,
  parseManifests,
  RELEASE,
  SCENARIOS,
  type Scenario,
  scenarioFile,
} from './support/helm';

// `helm template` does not print NOTES.txt and `helm install --dry-run` needs a cluster. So
// the test renders the notes through a copy of the chart that holds one extra template:
// a ConfigMap whose data is NOTES.txt passed through `tpl`, i.e. the same text with the
// same values and helpers. (helm lint, in chart.test.ts, renders NOTES.txt itself too.)
let chartCopy: string;
beforeAll(() => {
  chartCopy = mkdtempSync(join(tmpdir(), 'kafka-stages-notes-'));
  cpSync(CHART_DIR, chartCopy, { recursive: true });
  cpSync(join(CHART_DIR, 'templates', 'NOTES.txt'), join(chartCopy, 'files', 'notes-preview.txt'));
  writeFileSync(
    join(chartCopy, 'templates', 'notes-preview.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-preview\ndata:\n  notes: |\n    {{- tpl (.Files.Get "files/notes-preview.txt") . | nindent 4 }}\n',
  );
});
afterAll(() => rmSync(chartCopy, { recursive: true, force: true }));

function notes(scenario: Scenario): string {
  const result = helm([
    'template',
    RELEASE,
    chartCopy,
    '--namespace',
    'metrics',
    '--values',
    scenarioFile(scenario),
    '--show-only',
    'templates/notes-preview.yaml',
  ]);
  if (result.status !== 0) throw new Error(result.stderr);
  const [configMap] = parseManifests(result.stdout);
  return configMap?.data?.notes ?? '';
}

describe.each(SCENARIOS)('NOTES.txt (%s)', (scenario) => {
  it('renders with every value filled in and the commands to check the release', () => {
    const text = notes(scenario);
    expect(text).not.toContain('<no value>');
    expect(text).not.toContain('%!');
    expect(text).toContain('kubectl -n metrics rollout status deployment/kafka-stages');
    expect(text).toContain('port-forward svc/kafka-stages 9464');
    expect(text).toMatch(/Brokers: \S+:\d+/);
  });
});

describe('NOTES.txt says what was chosen', () => {
  it('KEDA scaling and the ServiceMonitor labels in the keda scenario', () => {
    const text = notes('keda');
    expect(text).toContain('Replicas: 1-12 (KEDA on the lag of group metrics-transform)');
    expect(text).toContain('labels {"release":"kube-prometheus-stack"} must match');
    expect(text).toContain('(TLS, certificates from Secret kafka-client-tls)');
  });

  it('SASL with its Secret and the HPA in the sasl scenario', () => {
    const text = notes('sasl');
    expect(text).toContain('(SASL scram-sha-512, credentials from Secret kafka-credentials)');
    expect(text).toContain('Replicas: 2-8 (HPA on CPU)');
    expect(text).toContain('Kubernetes waits 75 s');
  });

  it('no ServiceMonitor in the defaults', () => {
    expect(notes('defaults')).toContain('No ServiceMonitor (serviceMonitor.enabled=false)');
  });
});
