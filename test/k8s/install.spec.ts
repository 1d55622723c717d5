// Every ci/ scenario of the chart installed into the local control plane with
// `helm install --wait`: the API server accepts each object (CRD schemas included, unknown
// fields refused), the controllers roll the Deployment out onto kwok's fake nodes, the
// scheduler spreads the pods, the HPA controller acts on the HPA, and the ServiceMonitor
// finds the Service's port by name.
import { type Manifest, SCENARIOS, type Scenario } from '../deploy/support/helm';
import { api, collectionPath, get, selectorOf, waitFor } from './support/kube';
import {
  deployment,
  helmK8s,
  installScenario,
  isReady,
  pods,
  RELEASE,
  type Release,
  releaseManifests,
  removeRelease,
  waitRolledOut,
} from './support/release';

/** Replicas each scenario must end with, and why. */
const EXPECTED_REPLICAS: Record<Scenario, number> = {
  defaults: 2, // replicaCount
  minimal: 1, // replicaCount
  sasl: 2, // no replicas in the Deployment; the HPA controller raises 1 to minReplicas
  keda: 1, // no replicas in the Deployment and no KEDA operator here: the API default
};

describe.each(SCENARIOS)('scenario %s installed into the local control plane', (scenario) => {
  let release: Release | undefined;
  let manifests: Manifest[] = [];

  beforeAll(async () => {
    release = await installScenario(scenario);
    manifests = releaseManifests(release);
  });
  afterAll(async () => {
    await removeRelease(release);
  });

  const ns = () => (release as Release).namespace;
  const find = (kind: string) => manifests.find((m) => m.kind === kind);

  it('helm install --wait returns with the release deployed', () => {
    const status = JSON.parse(
      helmK8s(['status', RELEASE, '--namespace', ns(), '-o', 'json']).stdout,
    );
    expect(status.info.status).toBe('deployed');
    expect(status.version).toBe(1);
  });

  it('every object exists and passes a strict server-side dry run (schemas, unknown fields)', async () => {
    expect(manifests.length).toBeGreaterThan(2);
    for (const m of manifests) {
      const path = `${collectionPath(m.apiVersion, m.kind, ns())}/${m.metadata.name}`;
      expect([m.kind, (await api('GET', path)).status]).toEqual([m.kind, 200]);
      // Server-side apply, dry run, strict: validation and CRD schemas run again on exactly
      // what helm sent, and a field the API does not know is an error instead of being dropped.
      const res = await api(
        'PATCH',
        `${path}?dryRun=All&fieldValidation=Strict&fieldManager=k8s-test&force=true`,
        m,
        'application/apply-patch+yaml',
      );
      expect([m.kind, res.status, res.body?.message]).toEqual([m.kind, 200, undefined]);
    }
  });

  it('rolls the Deployment out onto the kwok nodes, every pod Running and Ready', async () => {
    const replicas = EXPECTED_REPLICAS[scenario];
    await waitRolledOut(ns(), replicas);
    const running = await pods(ns());
    expect(running).toHaveLength(replicas);
    const nodes = await get('/api/v1/nodes?labelSelector=type%3Dkwok');
    const kwokNodes = new Set(
      nodes.items.map((n: { metadata: { name: string } }) => n.metadata.name),
    );
    for (const pod of running) {
      expect(kwokNodes.has(pod.spec.nodeName)).toBe(true);
      expect(pod.status.phase).toBe('Running');
      expect(isReady(pod)).toBe(true);
    }
    if (replicas > 1) {
      // The chart's soft anti-affinity: the real scheduler puts replicas on different nodes.
      expect(new Set(running.map((p) => p.spec.nodeName)).size).toBe(replicas);
    }
  });

  it('the Service selects the pods: its EndpointSlice lists each ready pod on port http', async () => {
    const replicas = EXPECTED_REPLICAS[scenario];
    const slices = await waitFor('an EndpointSlice with every pod', async () => {
      const list = await get(
        `/apis/discovery.k8s.io/v1/namespaces/${ns()}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D${RELEASE}`,
      );
      const ready = list.items.flatMap((s: { endpoints?: { conditions: { ready: boolean } }[] }) =>
        (s.endpoints ?? []).filter((e) => e.conditions.ready),
      );
      return ready.length === replicas ? list.items : undefined;
    });
    const ports = slices.flatMap((s: { ports: { name: string; port: number }[] }) => s.ports);
    expect(ports).toContainEqual(expect.objectContaining({ name: 'http', port: 9464 }));
  });

  const monitored = scenario === 'keda' || scenario === 'sasl';
  if (monitored)
    it('the ServiceMonitor selects the Service and names its port', async () => {
      const sm = await get(
        `${collectionPath('monitoring.coreos.com/v1', 'ServiceMonitor', ns())}/${RELEASE}`,
      );
      expect(sm.spec.namespaceSelector.matchNames).toEqual([ns()]);
      // The Services the operator would scrape: those its selector matches in those namespaces.
      const services = await get(
        `/api/v1/namespaces/${ns()}/services?labelSelector=${encodeURIComponent(selectorOf(sm.spec.selector.matchLabels))}`,
      );
      expect(services.items.map((s: { metadata: { name: string } }) => s.metadata.name)).toEqual([
        RELEASE,
      ]);
      const portNames = services.items[0].spec.ports.map((p: { name: string }) => p.name);
      for (const endpoint of sm.spec.endpoints) expect(portNames).toContain(endpoint.port);
      expect(sm.spec.endpoints[0].path).toBe('/metrics');
    });

  if (scenario === 'sasl')
    it('the HPA is taken up by the HPA controller, which scales the Deployment to minReplicas', async () => {
      const hpa = find('HorizontalPodAutoscaler');
      expect(hpa?.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: RELEASE,
      });
      const live = await waitFor('the HPA controller to report on the HPA', async () => {
        const h = await get(
          `/apis/autoscaling/v2/namespaces/${ns()}/horizontalpodautoscalers/${RELEASE}`,
        );
        return h.status?.desiredReplicas === hpa?.spec.minReplicas &&
          h.status?.currentReplicas === hpa?.spec.minReplicas
          ? h
          : undefined;
      });
      const able = live.status.conditions.find((c: { type: string }) => c.type === 'AbleToScale');
      expect(able?.status).toBe('True');
      // The chart sets no replicas when an autoscaler is on: this count is the HPA's doing.
      expect(find('Deployment')?.spec.replicas).toBeUndefined();
      expect((await deployment(ns())).spec.replicas).toBe(hpa?.spec.minReplicas);
    });

  if (scenario === 'keda')
    it('the ScaledObject and its TriggerAuthentication are stored as rendered, aimed at the Deployment', async () => {
      const so = await get(
        `${collectionPath('keda.sh/v1alpha1', 'ScaledObject', ns())}/${RELEASE}`,
      );
      expect(so.spec.scaleTargetRef.name).toBe(RELEASE);
      await get(`/apis/apps/v1/namespaces/${ns()}/deployments/${so.spec.scaleTargetRef.name}`);
      expect(so.spec.triggers[0].type).toBe('kafka');
      expect(so.spec.triggers[0].authenticationRef.name).toBe(RELEASE);
      const ta = await get(
        `${collectionPath('keda.sh/v1alpha1', 'TriggerAuthentication', ns())}/${RELEASE}`,
      );
      // Every Secret key KEDA would read exists in the namespace.
      for (const ref of ta.spec.secretTargetRef) {
        const secret = await get(`/api/v1/namespaces/${ns()}/secrets/${ref.name}`);
        expect([ref.name, ref.key, ref.key in secret.data]).toEqual([ref.name, ref.key, true]);
      }
      expect(find('ScaledObject')?.spec).toEqual(so.spec);
    });
});
