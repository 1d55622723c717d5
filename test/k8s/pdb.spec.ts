// The PodDisruptionBudget honoured by the real API server: evictions through the Eviction
// API (what `kubectl drain` and cluster autoscalers use), all at once, never take more pods
// than pdb.maxUnavailable allows; once the Deployment has replaced the evicted pod the budget
// allows one more. Without a budget (the minimal scenario) nothing holds an eviction back.
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
  let release: Release | undefined;
  beforeAll(async () => {
    release = await installScenario('defaults', ['--set', 'replicaCount=3']);
  });
  afterAll(async () => {
    await removeRelease(release);
  });

  it('lets one of three simultaneous evictions through, then one more after the replacement is ready', async () => {
    const ns = (release as Release).namespace;
    for (let round = 1; round <= 2; round++) {
      await waitRolledOut(ns, 3);
      const pdb = await budget(ns, 3);
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(pdb.status.disruptionsAllowed).toBe(1);
      const before = (await pods(ns)).filter(isReady);
      expect(before).toHaveLength(3);
      const answers = await Promise.all(before.map(evict));
      const statuses = answers.map((a) => a.status).sort();
      expect([round, statuses]).toEqual([round, [201, 429, 429]]);
      for (const refused of answers.filter((a) => a.status === 429))
        expect(refused.body.message).toMatch(/disruption budget/);
      // The evicted pod is gone and only two of the original three are left.
      const evicted = before[answers.findIndex((a) => a.status === 201)];
      await waitFor('the evicted pod to be deleted', async () =>
        (await api('GET', `/api/v1/namespaces/${ns}/pods/${evicted.metadata.name}`)).status === 404
          ? true
          : undefined,
      );
      const names = new Set((await pods(ns)).map((p) => p.metadata.name));
      expect(before.filter((p) => names.has(p.metadata.name))).toHaveLength(2);
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
