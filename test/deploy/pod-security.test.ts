// Every pod the chart renders, in every ci/ scenario, meets the Kubernetes "restricted"
// Pod Security Standard: non-root, read-only root filesystem, every capability dropped, no
// privilege escalation, RuntimeDefault seccomp, nothing of the host. Checked on every
// container of every pod-bearing object (init and sidecar containers included), with the
// container's settings taking precedence over the pod's as the kubelet applies them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHART_DIR,
  type Manifest,
  parseManifests,
  renderScenario,
  SCENARIOS,
  type Scenario,
  template,
} from './support/helm';

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML is inspected by path
type Any = any;

/** The pod spec of an object that runs pods, else undefined. */
function podSpecOf(manifest: Manifest): Any | undefined {
  const spec = manifest.spec as Any;
  switch (manifest.kind) {
    case 'Pod':
      return spec;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return spec?.template?.spec;
    case 'CronJob':
      return spec?.jobTemplate?.spec?.template?.spec;
    default:
      return undefined;
  }
}

/** One problem per line, `<kind>/<name> <container>: <what>`; empty when all is well. */
function restrictedProblems(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  for (const manifest of manifests) {
    const pod = podSpecOf(manifest);
    if (!pod) continue;
    const where = `${manifest.kind}/${manifest.metadata.name}`;
    for (const host of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
      if (pod[host] === true) problems.push(`${where}: ${host} is true`);
    }
    for (const volume of pod.volumes ?? []) {
      if (volume.hostPath) problems.push(`${where}: volume ${volume.name} is a hostPath`);
    }
    const podContext = pod.securityContext ?? {};
    const containers = [
      ...(pod.initContainers ?? []),
      ...(pod.containers ?? []),
      ...(pod.ephemeralContainers ?? []),
    ];
    if (containers.length === 0) problems.push(`${where}: no containers`);
    for (const container of containers) {
      const at = `${where} ${container.name}`;
      const own = container.securityContext ?? {};
      // The container's setting wins; runAs* and seccomp fall back to the pod's.
      const effective = (key: string) => (own[key] !== undefined ? own[key] : podContext[key]);
      if (effective('runAsNonRoot') !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (effective('runAsUser') === 0) problems.push(`${at}: runAsUser is 0 (root)`);
      if (own.readOnlyRootFilesystem !== true) {
        problems.push(`${at}: readOnlyRootFilesystem is not true`);
      }
      if (own.allowPrivilegeEscalation !== false) {
        problems.push(`${at}: allowPrivilegeEscalation is not false`);
      }
      if (own.privileged === true) problems.push(`${at}: privileged`);
      const drop: string[] = own.capabilities?.drop ?? [];
      if (!drop.includes('ALL')) problems.push(`${at}: capabilities.drop lacks ALL`);
      const add: string[] = own.capabilities?.add ?? [];
      if (add.length > 0) problems.push(`${at}: capabilities.add ${add.join(',')}`);
      if (effective('seccompProfile')?.type !== 'RuntimeDefault') {
        problems.push(`${at}: seccompProfile is not RuntimeDefault`);
      }
      for (const port of container.ports ?? []) {
        if (port.hostPort) problems.push(`${at}: hostPort ${port.hostPort}`);
      }
    }
  }
  return problems;
}

describe('pod security of the chart', () => {
  it('tests every scenario under ci/', () => {
    const files = readdirSync(join(CHART_DIR, 'ci')).filter((f) => f.endsWith('-values.yaml'));
    const scenarios = files.map((f) => f.replace(/-values\.yaml$/, ''));
    expect([...scenarios].sort()).toEqual([...SCENARIOS].sort());
  });

  describe.each(SCENARIOS)('scenario %s', (scenario: Scenario) => {
    it('runs every container non-root, read-only, with all capabilities dropped', () => {
      const manifests = renderScenario(scenario);
      const pods = manifests.filter((m) => podSpecOf(m) !== undefined);
      expect(pods.length).toBeGreaterThan(0);
      expect(restrictedProblems(manifests)).toEqual([]);
    });
  });

  it('keeps the other restrictions when one security setting is overridden', () => {
    // Helm merges maps from --set-json with the defaults: changing the user must not drop
    // readOnlyRootFilesystem or the capabilities.
    const result = template([], ['containerSecurityContext={"runAsUser":2000,"runAsGroup":2000}']);
    expect(result.status).toBe(0);
    const manifests = parseManifests(result.stdout);
    expect(restrictedProblems(manifests)).toEqual([]);
    const deployment = manifests.find((m) => m.kind === 'Deployment')!;
    expect((deployment.spec as Any).template.spec.containers[0].securityContext.runAsUser).toBe(
      2000,
    );
  });

  it('finds a container that would run as root or writable (the check can fail)', () => {
    const result = template(
      [],
      [
        'containerSecurityContext={"runAsNonRoot":false,"readOnlyRootFilesystem":false,"capabilities":{"drop":[],"add":["NET_ADMIN"]}}',
      ],
    );
    expect(result.status).toBe(0);
    const problems = restrictedProblems(parseManifests(result.stdout));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/runAsNonRoot is not true$/),
        expect.stringMatching(/readOnlyRootFilesystem is not true$/),
        expect.stringMatching(/capabilities.drop lacks ALL$/),
        expect.stringMatching(/capabilities.add NET_ADMIN$/),
      ]),
    );
  });
});
