// helm upgrade and rollback against the real controllers: a changed pipeline config changes
// the pod template's checksum/config annotation, so the Deployment controller rolls a new
// ReplicaSet; a change that does not touch the config or the pod template rolls nothing; a
// rollback brings the first ReplicaSet back with the first config.

import { CHART_DIR, scenarioFile } from '../deploy/support/helm';
import { get } from './support/kube';
import {
  deployment,
  helmK8s,
  installScenario,
  pods,
  RELEASE,
  type Release,
  removeRelease,
  waitRolledOut,
} from './support/release';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are inspected freely in tests
type Obj = any;

describe('helm upgrade and rollback (defaults scenario)', () => {
  let release: Release | undefined;
  beforeAll(async () => {
    release = await installScenario('defaults');
  });
  afterAll(async () => {
    await removeRelease(release);
  });

  const ns = () => (release as Release).namespace;
  const upgrade = (...args: string[]) =>
    helmK8s([
      'upgrade',
      RELEASE,
      CHART_DIR,
      '--namespace',
      ns(),
      '--values',
      scenarioFile('defaults'),
      ...args,
      '--wait',
      '--timeout',
      '180s',
    ]);
  async function replicaSets(): Promise<Obj[]> {
    return (await get(`/apis/apps/v1/namespaces/${ns()}/replicasets`)).items;
  }
  async function state() {
    const d = await deployment(ns());
    const sets = await replicaSets();
    const active = sets.filter((rs) => rs.spec.replicas > 0);
    const cm = await get(`/api/v1/namespaces/${ns()}/configmaps/${RELEASE}`);
    return {
      checksum: d.spec.template.metadata.annotations['checksum/config'] as string,
      revision: d.metadata.annotations['deployment.kubernetes.io/revision'] as string,
      active: active.map((rs) => rs.metadata.name as string),
      hashes: (await pods(ns())).map((p) => p.metadata.labels['pod-template-hash'] as string),
      config: cm.data['pipeline.yaml'] as string,
      sets: sets.length,
    };
  }

  it('rolls a new ReplicaSet for a config change, none for a non-template change, and rolls back', async () => {
    await waitRolledOut(ns(), 2);
    const first = await state();
    expect(first.active).toHaveLength(1);
    const firstSet = first.active[0] as string;
    expect(first.hashes).toEqual([firstSet.split('-').pop(), firstSet.split('-').pop()]);

    // 1. The pipeline config changes: new checksum, new ReplicaSet, old one scaled to 0.
    upgrade('--set', 'config.output.topic=metrics-aggregated-v2');
    await waitRolledOut(ns(), 2);
    const second = await state();
    expect(second.config).toContain('metrics-aggregated-v2');
    expect(second.checksum).not.toBe(first.checksum);
    expect(second.active).toHaveLength(1);
    expect(second.active[0]).not.toBe(firstSet);
    const secondHash = (second.active[0] as string).split('-').pop();
    expect(second.hashes).toEqual([secondHash, secondHash]);
    expect(second.sets).toBe(2); // the old one is kept (revisionHistoryLimit), at 0 replicas

    // 2. Only the Service changes: the pod template is the same, so no rollout.
    upgrade(
      '--set',
      'config.output.topic=metrics-aggregated-v2',
      '--set',
      'service.annotations.note=unchanged-pods',
    );
    await waitRolledOut(ns(), 2);
    const third = await state();
    expect(third.checksum).toBe(second.checksum);
    expect(third.active).toEqual(second.active);
    expect(third.revision).toBe(second.revision);
    const service = await get(`/api/v1/namespaces/${ns()}/services/${RELEASE}`);
    expect(service.metadata.annotations.note).toBe('unchanged-pods');

    // 3. Back to the first release: the first config, its checksum and its ReplicaSet.
    helmK8s(['rollback', RELEASE, '1', '--namespace', ns(), '--wait', '--timeout', '180s']);
    await waitRolledOut(ns(), 2);
    const back = await state();
    expect(back.config).toBe(first.config);
    expect(back.checksum).toBe(first.checksum);
    expect(back.active).toEqual([firstSet]);
    const history = JSON.parse(
      helmK8s(['history', RELEASE, '--namespace', ns(), '-o', 'json']).stdout,
    );
    expect(
      history.map((h: { revision: number; status: string }) => [h.revision, h.status]),
    ).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'superseded'],
      [4, 'deployed'],
    ]);
  });
});
