import { loadConfig } from '../../platform/apps/metrics-transform/config/load-config';
import { findManifest, renderScenario, SCENARIOS } from './support/helm';

// The ConfigMap the chart mounts must be a configuration the job accepts: the metric
// transformer's own loader reads it here as it would at start (unknown keys, bad durations
// and regular expressions are refused there).
describe.each(SCENARIOS)('pipeline config rendered for scenario %s', (scenario) => {
  it('is accepted by the metrics-transform config loader', () => {
    const manifests = renderScenario(scenario);
    const [container] = findManifest(manifests, 'Deployment').spec.template.spec.containers;
    expect(container.args.slice(0, 2)).toEqual(['run', 'metrics-transform']);
    const text = findManifest(manifests, 'ConfigMap', 'kafka-stages').data?.['pipeline.yaml'] ?? '';
    const config = loadConfig(text);
    expect(config.input.topics.length).toBeGreaterThan(0);
    expect(config.output.topic).not.toBe('');
  });
});

describe('the config loader', () => {
  it('refuses a config the chart could be given by mistake (so the test above can fail)', () => {
    expect(() => loadConfig('source:\n  topics: [a]\n')).toThrow(/source/);
  });
});
