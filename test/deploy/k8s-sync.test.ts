import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helm, parseManifests, ROOT, run } from './support/helm';
import { validateManifests } from './support/kube-validate';

const K8S_DIR = join(ROOT, 'k8s');
const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

describe('k8s/', () => {
  let fresh: string;
  beforeAll(() => {
    helm(['version']); // fails with "run make helm" when the pinned helm is missing
    fresh = mkdtempSync(join(tmpdir(), 'kafka-stages-k8s-'));
    const result = run('bash', [join(ROOT, 'tools', 'render-k8s.sh'), fresh]);
    if (result.status !== 0) throw new Error(`render-k8s.sh failed:\n${result.stderr}`);
  });
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it('holds exactly the files the chart renders for its default values (run make k8s when not)', () => {
    expect(yamlFiles(K8S_DIR)).toEqual(yamlFiles(fresh));
    expect(yamlFiles(fresh)).toContain('deployment.yaml');
  });

  it('has the same content as a fresh rendering, file by file (run make k8s when not)', () => {
    for (const file of yamlFiles(fresh)) {
      expect({ file, text: readFileSync(join(K8S_DIR, file), 'utf8') }).toEqual({
        file,
        text: readFileSync(join(fresh, file), 'utf8'),
      });
    }
  });

  it('is made of manifests that validate against the Kubernetes schemas', () => {
    // kustomization.yaml is kustomize's own config, not an object sent to the cluster.
    const files = yamlFiles(K8S_DIR).filter((f) => f !== 'kustomization.yaml');
    const manifests = files.flatMap((f) => parseManifests(readFileSync(join(K8S_DIR, f), 'utf8')));
    const results = validateManifests(manifests);
    expect(results.filter((r) => r.error !== '')).toEqual([]);
    expect(results.length).toBe(files.length);
  });

  it('lists every manifest file in kustomization.yaml', () => {
    const [kustomization] = parseManifests(
      readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8'),
    );
    const listed = (kustomization as unknown as { resources: string[] }).resources;
    expect(listed).toEqual(yamlFiles(K8S_DIR).filter((f) => f !== 'kustomization.yaml'));
  });
});
