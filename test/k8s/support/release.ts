// Installing the chart's ci/ scenarios into the local control plane: one namespace per
// release, the Secrets a scenario refers to as "existing" made first (as an operator would),
// helm with the project's kubeconfig. Everything is removed again by `removeRelease`.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHART_DIR,
  type Manifest,
  parseManifests,
  ROOT,
  type RunResult,
  run,
  type Scenario,
  scenarioFile,
} from '../../deploy/support/helm';
import { api, get, KUBECONFIG, waitFor } from './kube';

export const K8S_BIN = join(ROOT, '.tools', 'k8s', 'bin');
const HELM = join(ROOT, '.tools', 'bin', 'helm');

/** The release name: the chart's full name is then just `kafka-stages`, as in k8s/. */
export const RELEASE = 'kafka-stages';

/** helm against the local cluster; throws with helm's output unless it exits 0. */
export function helmK8s(args: readonly string[]): RunResult {
  const result = run(HELM, [...args, '--kubeconfig', KUBECONFIG]);
  if (result.status !== 0)
    throw new Error(`helm ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  return result;
}

/** A new namespace, ready for pods (its default ServiceAccount exists). */
export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const res = await api('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  if (res.status !== 201) throw new Error(`cannot create namespace ${name}: ${res.status}`);
  await waitFor(`the default ServiceAccount of ${name}`, async () =>
    (await api('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200
      ? true
      : undefined,
  );
  return name;
}

/** PEM material for Secrets that hold certificates: a CA and a certificate it signed. */
function pemFiles(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-test-pki-'));
  try {
    const result = run(join(K8S_BIN, 'local-pki'), ['-dir', dir]);
    if (result.status !== 0) throw new Error(`local-pki failed: ${result.stderr}`);
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    return { ca: read('ca.crt'), cert: read('apiserver.crt'), key: read('apiserver.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Which keys of which Secrets the rendered objects read (volumes, env, KEDA's auth). */
export function referencedSecrets(manifests: readonly Manifest[]): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const add = (name: string, key?: string) => {
    const keys = found.get(name) ?? new Set<string>();
    if (key) keys.add(key);
    found.set(name, keys);
  };
  for (const m of manifests) {
    if (m.kind === 'Deployment') {
      const pod = m.spec.template.spec;
      for (const v of pod.volumes ?? []) if (v.secret) add(v.secret.secretName);
      for (const c of pod.containers)
        for (const e of c.env ?? [])
          if (e.valueFrom?.secretKeyRef)
            add(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    }
    if (m.kind === 'TriggerAuthentication')
      for (const ref of m.spec.secretTargetRef ?? []) add(ref.name, ref.key);
  }
  // Keys a mounted Secret must have: the files the env points into it.
  for (const m of manifests.filter((x) => x.kind === 'Deployment')) {
    const pod = m.spec.template.spec;
    const container = pod.containers[0];
    for (const mount of container.volumeMounts ?? []) {
      const secret = pod.volumes.find((v: { name: string }) => v.name === mount.name)?.secret;
      if (!secret) continue;
      for (const e of container.env ?? [])
        if (typeof e.value === 'string' && e.value.startsWith(`${mount.mountPath}/`))
          add(secret.secretName, e.value.slice(mount.mountPath.length + 1));
    }
  }
  return found;
}

/**
 * Creates the Secrets the scenario expects to exist: certificate keys get real PEM (a CA, a
 * certificate and its key), other keys a random value.
 */
export async function createReferencedSecrets(
  manifests: readonly Manifest[],
  namespace: string,
): Promise<string[]> {
  const secrets = referencedSecrets(manifests);
  if (secrets.size === 0) return [];
  const pem = pemFiles();
  for (const [name, keys] of secrets) {
    const data: Record<string, string> = {};
    for (const key of keys) {
      const value = /ca\.crt$/.test(key)
        ? pem.ca
        : /\.crt$/.test(key)
          ? pem.cert
          : /\.key$/.test(key)
            ? pem.key
            : randomBytes(8).toString('hex');
      data[key] = Buffer.from(value ?? '').toString('base64');
    }
    const res = await api('POST', `/api/v1/namespaces/${namespace}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      data,
    });
    if (res.status !== 201) throw new Error(`cannot create Secret ${name}: ${res.status}`);
  }
  return [...secrets.keys()];
}

export interface Release {
  scenario: Scenario;
  namespace: string;
  /** Seconds `helm install --wait` took. */
  installSeconds: number;
}

/** `helm template` of a scenario with the release name and namespace it is installed with. */
export function renderFor(
  scenario: Scenario,
  namespace: string,
  extra: readonly string[] = [],
): Manifest[] {
  const result = run(HELM, [
    'template',
    RELEASE,
    CHART_DIR,
    '--namespace',
    namespace,
    '--values',
    scenarioFile(scenario),
    ...extra,
  ]);
  if (result.status !== 0) throw new Error(`helm template ${scenario}: ${result.stderr}`);
  return parseManifests(result.stdout);
}

/**
 * A namespace, the Secrets the scenario refers to, then `helm install --wait`: helm returns
 * only once the Deployment's pods are Ready on the fake nodes.
 */
export async function installScenario(
  scenario: Scenario,
  extra: readonly string[] = [],
): Promise<Release> {
  const namespace = await createNamespace(`ks-${scenario}`);
  await createReferencedSecrets(renderFor(scenario, namespace, extra), namespace);
  const started = Date.now();
  helmK8s([
    'install',
    RELEASE,
    CHART_DIR,
    '--namespace',
    namespace,
    '--values',
    scenarioFile(scenario),
    ...extra,
    '--wait',
    '--timeout',
    '180s',
  ]);
  return { scenario, namespace, installSeconds: (Date.now() - started) / 1000 };
}

/** helm uninstall and the namespace deleted (not waited for). */
export async function removeRelease(release: Release | undefined): Promise<void> {
  if (!release) return;
  run(HELM, ['uninstall', RELEASE, '--namespace', release.namespace, '--kubeconfig', KUBECONFIG]);
  await api('DELETE', `/api/v1/namespaces/${release.namespace}`);
}

/** The objects of the release as helm recorded them (`helm get manifest`). */
export function releaseManifests(release: Release): Manifest[] {
  return parseManifests(
    helmK8s(['get', 'manifest', RELEASE, '--namespace', release.namespace]).stdout,
  );
}

/** The release's Deployment, as the API server has it now. */
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are inspected freely in tests
export function deployment(namespace: string): Promise<any> {
  return get(`/apis/apps/v1/namespaces/${namespace}/deployments/${RELEASE}`);
}

/** The release's pods (not being deleted), as the API server has them now. */
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are inspected freely in tests
export async function pods(namespace: string): Promise<any[]> {
  const list = await get(
    `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${RELEASE}`)}`,
  );
  // biome-ignore lint/suspicious/noExplicitAny: as above
  return list.items.filter((p: any) => !p.metadata.deletionTimestamp);
}

/** Is the pod Ready (condition Ready=True)? */
// biome-ignore lint/suspicious/noExplicitAny: as above
export function isReady(pod: any): boolean {
  return (pod.status?.conditions ?? []).some(
    (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
  );
}

/** Waits until the Deployment has `replicas` updated, ready and available pods and no others. */
export async function waitRolledOut(namespace: string, replicas: number): Promise<void> {
  await waitFor(
    `the Deployment in ${namespace} rolled out with ${replicas} replicas`,
    async () => {
      const d = await deployment(namespace);
      const s = d.status ?? {};
      const done =
        s.observedGeneration === d.metadata.generation &&
        d.spec.replicas === replicas &&
        s.replicas === replicas &&
        s.updatedReplicas === replicas &&
        s.readyReplicas === replicas &&
        s.availableReplicas === replicas;
      if (!done) return undefined;
      return (await pods(namespace)).filter(isReady).length === replicas ? true : undefined;
    },
    120_000,
  );
}
