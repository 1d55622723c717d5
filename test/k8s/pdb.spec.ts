// The PodDisruptionBudget honoured by the real API server: evictions through the Eviction
// API (what `kubectl drain` and cluster autoscalers use), all at once, never take more pods
// than pdb.maxUnavailable allows; once the Deployment has replaced the evicted pod the budget
// allows one more. Without a budget (the minimal scenario) nothing holds an eviction back.
import { randomBytes } from 'node:crypto';
import { api, get, waitFor } from './support/kube';
import {
  installScenario,
  isReady,
  pods,
  RELEASE,
  type Release,
  removeRelease,
  waitRolledOut,
} from './support/release';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are inspected freely in tests
type Obj = any;

function evict(pod: Obj) {
  return api(
    'POST',
    `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/eviction`,
    {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
    },
  );
}

/** Waits until the disruption controller has counted the healthy pods. */
function budget(namespace: string, healthy: number): Promise<Obj> {
  return waitFor(`the PodDisruptionBudget to count ${healthy} healthy pods`, async () => {
    const pdb = await get(
      `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/${RELEASE}`,
    );
    const s = pdb.status ?? {};
    return s.observedGeneration === pdb.metadata.generation &&
      s.currentHealthy === healthy &&
      s.expectedPods === healthy
      ? pdb
      : undefined;
  });
}

describe('the PodDisruptionBudget (defaults, 3 replicas, maxUnavailable 1)', () => {
  // A node of its own, tainted so that no other test's pods land there: the test cordons it
  // (as `kubectl drain` does) so that an evicted pod's replacement stays Pending. Otherwise
  // kwok makes the replacement Ready within milliseconds and the budget is free again.
  const id = randomBytes(3).toString('hex');
  const node = `kwok-pdb-${id}`;
  let release: Release | undefined;
  const cordon = async (unschedulable: boolean) => {
    const res = await api(
      'PATCH',
      `/api/v1/nodes/${node}`,
      { spec: { unschedulable } },
      'application/merge-patch+json',
    );
    expect(res.status).toBe(200);
  };
  beforeAll(async () => {
    const created = await api('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: node,
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
        labels: { type: 'kwok', 'kubernetes.io/hostname': node, 'kafka-stages-test': `pdb-${id}` },
      },
      spec: { taints: [{ key: 'kafka-stages-test', value: `pdb-${id}`, effect: 'NoSchedule' }] },
      status: {
        allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
        capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      },
    });
    expect(created.status).toBe(201);
    await waitFor(`node ${node} Ready`, async () => {
      const n = await get(`/api/v1/nodes/${node}`);
      return n.status?.conditions?.some(
        (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
      )
        ? true
        : undefined;
    });
    release = await installScenario('defaults', [
      '--set',
      'replicaCount=3',
      '--set-json',
      `nodeSelector={"kafka-stages-test":"pdb-${id}"}`,
      '--set-json',
      `tolerations=[{"key":"kafka-stages-test","operator":"Equal","value":"pdb-${id}","effect":"NoSchedule"}]`,
    ]);
  });
  afterAll(async () => {
    await removeRelease(release);
    await api('DELETE', `/api/v1/nodes/${node}`);
  });

  it('lets one of three simultaneous evictions through and refuses the rest until the replacement is ready', async () => {
    const ns = (release as Release).namespace;
    for (let round = 1; round <= 2; round++) {
      await waitRolledOut(ns, 3);
      const pdb = await budget(ns, 3);
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(pdb.status.disruptionsAllowed).toBe(1);
      const before = (await pods(ns)).filter(isReady);
      expect(before.map((p) => p.spec.nodeName)).toEqual([node, node, node]);
      await cordon(true);
      const answers = await Promise.all(before.map(evict));
      const statuses = answers.map((a) => a.status).sort();
      expect([round, statuses]).toEqual([round, [201, 429, 429]]);
      for (const refused of answers.filter((a) => a.status === 429))
        expect(refused.body.message).toMatch(/disruption budget/);
      const evicted = before[answers.findIndex((a) => a.status === 201)];
      await waitFor('the evicted pod to be deleted', async () =>
        (await api('GET', `/api/v1/namespaces/${ns}/pods/${evicted.metadata.name}`)).status === 404
          ? true
          : undefined,
      );
      // Its replacement cannot be scheduled: still one pod short, so still no eviction.
      const now = await pods(ns);
      expect(now.filter(isReady)).toHaveLength(2);
      expect(now.filter((p) => !p.spec.nodeName)).toHaveLength(1);
      const survivor = before.find((p) => p.metadata.name !== evicted.metadata.name);
      expect((await evict(survivor)).status).toBe(429);
      await cordon(false);
    }
  });
});

describe('no PodDisruptionBudget (minimal scenario)', () => {
  let release: Release | undefined;
  beforeAll(async () => {
    release = await installScenario('minimal');
  });
  afterAll(async () => {
    await removeRelease(release);
  });

  it('has no budget, and the only pod can be evicted', async () => {
    const ns = (release as Release).namespace;
    const list = await get(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`);
    expect(list.items).toEqual([]);
    await waitRolledOut(ns, 1);
    const [pod] = await pods(ns);
    expect((await evict(pod)).status).toBe(201);
  });
});
