import {
  CHART_DIR,
  findManifest,
  helm,
  type Manifest,
  parseManifests,
  renderScenario,
  SCENARIOS,
  type Scenario,
  scenarioFile,
  template,
} from './support/helm';
import { validateManifests } from './support/kube-validate';

// Rendering is the slow part (a helm process each): render every scenario once.
const rendered = new Map<Scenario, Manifest[]>();
function manifestsOf(scenario: Scenario): Manifest[] {
  let manifests = rendered.get(scenario);
  if (!manifests) {
    manifests = renderScenario(scenario);
    rendered.set(scenario, manifests);
  }
  return manifests;
}

function kinds(manifests: readonly Manifest[]): string[] {
  return manifests.map((m) => m.kind).sort();
}

describe.each(SCENARIOS)('scenario %s', (scenario) => {
  it('passes helm lint --strict', () => {
    const result = helm(['lint', '--strict', CHART_DIR, '--values', scenarioFile(scenario)]);
    expect(result.stderr + result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it('renders manifests that all validate against the Kubernetes and CRD schemas', () => {
    const manifests = manifestsOf(scenario);
    expect(manifests.length).toBeGreaterThan(0);
    const results = validateManifests(manifests);
    const invalid = results.filter((r) => r.error !== '');
    expect(invalid).toEqual([]);
    // One line per scenario in the test log: how many objects were checked, of which kinds.
    process.stdout.write(
      `chart scenario ${scenario}: ${results.length} manifests validated (${kinds(manifests).join(', ')})\n`,
    );
  });

  it('gives the Deployment the secure defaults, probes and a grace period above the drain', () => {
    const deployment = findManifest(manifestsOf(scenario), 'Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const tmp = pod.volumes.find((v: { name: string }) => v.name === 'tmp');
    expect(tmp.emptyDir).toBeDefined();
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.resources.requests).toBeDefined();
    const env = new Map<string, string>(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    const drainMs = Number(env.get('DRAIN_TIMEOUT_MS'));
    expect(drainMs).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs);
    expect(env.get('KAFKA_BROKERS')).toMatch(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/);
    expect(container.args.slice(0, 4)).toEqual([
      'run',
      'metrics-transform',
      '--config',
      '/etc/kafka-stages/pipeline.yaml',
    ]);
    expect(deployment.spec.template.metadata.annotations['checksum/config']).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });
});

describe('defaults', () => {
  it('render the workload, its Service, ServiceAccount, PDB, NetworkPolicy, config and dashboard', () => {
    expect(kinds(manifestsOf('defaults'))).toEqual([
      'ConfigMap',
      'ConfigMap',
      'Deployment',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
  });

  it('have readiness on /readyz and a startup probe', () => {
    const [container] = findManifest(manifestsOf('defaults'), 'Deployment').spec.template.spec
      .containers;
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.startupProbe.httpGet.path).toBe('/healthz');
  });

  it('ship the pipeline config from values in the ConfigMap the pod mounts', () => {
    const manifests = manifestsOf('defaults');
    const config = findManifest(manifests, 'ConfigMap', 'kafka-stages');
    expect(config.data?.['pipeline.yaml']).toContain('pipeline: metrics-transform');
    const pod = findManifest(manifests, 'Deployment').spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'config', configMap: { name: 'kafka-stages' } });
  });

  it('ship the dashboard in a ConfigMap labelled grafana_dashboard', () => {
    const dashboard = findManifest(manifestsOf('defaults'), 'ConfigMap', 'kafka-stages-dashboard');
    expect(dashboard.metadata.labels?.grafana_dashboard).toBe('1');
    expect(JSON.parse(dashboard.data?.['kafka-stages.json'] ?? '').uid).toBe('kafka-stages');
  });

  it('open the NetworkPolicy to the HTTP port, DNS and the Kafka ports only', () => {
    const policy = findManifest(manifestsOf('defaults'), 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
    const egressPorts = policy.spec.egress.flatMap((rule: { ports: { port: number }[] }) =>
      rule.ports.map((p) => p.port),
    );
    expect(egressPorts.sort()).toEqual([53, 53, 9092, 9093]);
  });
});

describe('a changed pipeline config', () => {
  it('changes the checksum annotation, so the pods roll', () => {
    const checksum = (manifests: Manifest[]) =>
      findManifest(manifests, 'Deployment').spec.template.metadata.annotations['checksum/config'];
    const changed = template([], ['config.sink={"topic":"other"}']);
    expect(changed.stderr).toBe('');
    expect(checksum(parseManifests(changed.stdout))).not.toBe(checksum(manifestsOf('defaults')));
  });
});

describe('keda scenario', () => {
  it('scales on consumer lag with the TLS material from the existing Secret, and no HPA of its own', () => {
    const manifests = manifestsOf('keda');
    expect(manifests.some((m) => m.kind === 'HorizontalPodAutoscaler')).toBe(false);
    const scaled = findManifest(manifests, 'ScaledObject');
    expect(scaled.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'kafka-stages',
    });
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe('kafka');
    expect(trigger.metadata).toMatchObject({
      consumerGroup: 'metrics-transform',
      topic: 'metrics-influx',
      tls: 'enable',
    });
    expect(trigger.authenticationRef).toEqual({ name: 'kafka-stages' });
    const auth = findManifest(manifests, 'TriggerAuthentication');
    expect(
      auth.spec.secretTargetRef.map(
        (r: { parameter: string; name: string }) => `${r.parameter}:${r.name}`,
      ),
    ).toEqual(['ca:kafka-client-tls', 'cert:kafka-client-tls', 'key:kafka-client-tls']);
    // The autoscaler owns the replica count.
    expect(findManifest(manifests, 'Deployment').spec.replicas).toBeUndefined();
  });

  it('labels the ServiceMonitor and the PrometheusRule for the Prometheus selectors', () => {
    const manifests = manifestsOf('keda');
    expect(findManifest(manifests, 'ServiceMonitor').metadata.labels?.release).toBe(
      'kube-prometheus-stack',
    );
    expect(findManifest(manifests, 'PrometheusRule').metadata.labels?.release).toBe(
      'kube-prometheus-stack',
    );
    expect(findManifest(manifests, 'ServiceMonitor').spec.endpoints[0]).toMatchObject({
      port: 'http',
      path: '/metrics',
    });
  });
});

describe('KEDA with SASL', () => {
  it.each([
    ['plain', 'plaintext'],
    ['scram-sha-256', 'scram_sha256'],
    ['scram-sha-512', 'scram_sha512'],
  ])(
    'passes SASL %s to the Kafka scaler as %s, with the credentials by reference',
    (mechanism, keda) => {
      const result = template(
        [],
        [
          'autoscaling.keda.enabled=true',
          'kafka.sasl.enabled=true',
          'kafka.sasl.existingSecret="kafka-credentials"',
          `kafka.sasl.mechanism="${mechanism}"`,
        ],
      );
      expect(result.stderr).toBe('');
      const manifests = parseManifests(result.stdout);
      expect(findManifest(manifests, 'ScaledObject').spec.triggers[0].metadata.sasl).toBe(keda);
      expect(findManifest(manifests, 'TriggerAuthentication').spec.secretTargetRef).toEqual([
        { parameter: 'username', name: 'kafka-credentials', key: 'username' },
        { parameter: 'password', name: 'kafka-credentials', key: 'password' },
      ]);
      expect(validateManifests(manifests).filter((r) => r.error !== '')).toEqual([]);
    },
  );
});

describe('sasl scenario', () => {
  it('reads the SASL credentials and the CA from existing Secrets, never from values', () => {
    const manifests = manifestsOf('sasl');
    const [container] = findManifest(manifests, 'Deployment').spec.template.spec.containers;
    const env = Object.fromEntries(container.env.map((e: { name: string }) => [e.name, e]));
    expect(env.KAFKA_SASL_MECHANISM.value).toBe('scram-sha-512');
    expect(env.KAFKA_SASL_USERNAME.valueFrom).toEqual({
      secretKeyRef: { name: 'kafka-credentials', key: 'username' },
    });
    expect(env.KAFKA_SASL_PASSWORD.valueFrom).toEqual({
      secretKeyRef: { name: 'kafka-credentials', key: 'password' },
    });
    expect(env.KAFKA_TLS.value).toBe('true');
    expect(env.KAFKA_TLS_CA_FILE.value).toBe('/etc/kafka-tls/ca.crt');
    expect(env.KAFKA_TLS_CERT_FILE).toBeUndefined();
    expect(manifests.some((m) => m.kind === 'Secret')).toBe(false);
    expect(container.image).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it('limits Kafka egress to the given peers and appends the extra egress rules', () => {
    const policy = findManifest(manifestsOf('sasl'), 'NetworkPolicy');
    expect(policy.spec.egress[1]).toEqual({
      ports: [{ port: 9096, protocol: 'TCP' }],
      to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
    });
    expect(policy.spec.egress[2].ports).toEqual([{ port: 8081, protocol: 'TCP' }]);
    expect(policy.spec.egress).toHaveLength(3); // DNS, Kafka, extra: tracing is off
  });

  it('scales on CPU with an HPA and no ScaledObject', () => {
    const manifests = manifestsOf('sasl');
    expect(findManifest(manifests, 'HorizontalPodAutoscaler').spec.maxReplicas).toBe(8);
    expect(manifests.some((m) => m.kind === 'ScaledObject')).toBe(false);
  });
});

describe('minimal scenario', () => {
  it('renders only the Deployment, its Service and its config', () => {
    expect(kinds(manifestsOf('minimal'))).toEqual(['ConfigMap', 'Deployment', 'Service']);
    expect(
      findManifest(manifestsOf('minimal'), 'Deployment').spec.template.spec.serviceAccountName,
    ).toBe('default');
  });
});

describe('validateManifests', () => {
  it('rejects a broken Deployment, an unknown kind and an unknown API group (never skips them)', () => {
    const results = validateManifests([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'broken' },
        spec: { replicas: 'two' },
      },
      { apiVersion: 'apps/v1', kind: 'DeploymentSpec', metadata: { name: 'nested-type' } },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'fine' } },
    ]);
    expect(results.map((r) => r.error)).toEqual([
      expect.stringContaining('data/spec must have required property selector'),
      'kubernetes-models/apps/v1/DeploymentSpec is not a resource model for apps/v1 DeploymentSpec',
      "no schema package for API group 'example.com' (apiVersion example.com/v1)",
      '',
    ]);
  });
});
