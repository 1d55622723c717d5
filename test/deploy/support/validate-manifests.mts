// Validates Kubernetes manifests against the schemas of kubernetes-models (core API) and of
// the prometheus-operator and KEDA CRDs. The model packages are ESM-only (their `exports`
// have only an `import` condition), which jest's CommonJS runtime cannot load, so the tests
// run this file in a child Node process (Node strips the types): it reads a JSON array of
// manifests on stdin and prints one JSON array of results, in the same order, on stdout.
//
// An apiVersion/kind that no package models is an error, never a skip.

interface Manifest {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown };
}

export interface ValidationResult {
  apiVersion: string;
  kind: string;
  name: string;
  /** Empty when the manifest is valid. */
  error: string;
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** Which package models which API group; the core group ("v1") has no group part. */
const PACKAGE_BY_GROUP: Record<string, string> = {
  '': 'kubernetes-models',
  apps: 'kubernetes-models',
  autoscaling: 'kubernetes-models',
  batch: 'kubernetes-models',
  policy: 'kubernetes-models',
  'networking.k8s.io': 'kubernetes-models',
  'rbac.authorization.k8s.io': 'kubernetes-models',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'keda.sh': '@kubernetes-models/keda',
};

async function modelFor(apiVersion: string, kind: string): Promise<ModelClass> {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const pkg = PACKAGE_BY_GROUP[group];
  if (pkg === undefined) {
    throw new Error(`no schema package for API group '${group}' (apiVersion ${apiVersion})`);
  }
  if (!/^[A-Za-z0-9./-]+$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    throw new Error(`malformed apiVersion '${apiVersion}' or kind '${kind}'`);
  }
  let exported: Record<string, unknown>;
  try {
    exported = (await import(`${pkg}/${apiVersion}/${kind}`)) as Record<string, unknown>;
  } catch {
    throw new Error(`${pkg} has no model for ${apiVersion} ${kind}`);
  }
  // A nested type (DeploymentSpec) has a class too, but no apiVersion/kind of its own.
  const model = exported[kind] as (ModelClass & { apiVersion?: string; kind?: string }) | undefined;
  if (typeof model !== 'function' || model.apiVersion !== apiVersion || model.kind !== kind) {
    throw new Error(
      `${pkg}/${apiVersion}/${kind} is not a resource model for ${apiVersion} ${kind}`,
    );
  }
  return model;
}

async function validateOne(manifest: Manifest): Promise<ValidationResult> {
  const apiVersion = typeof manifest.apiVersion === 'string' ? manifest.apiVersion : '';
  const kind = typeof manifest.kind === 'string' ? manifest.kind : '';
  const name = typeof manifest.metadata?.name === 'string' ? manifest.metadata.name : '';
  const result = { apiVersion, kind, name, error: '' };
  try {
    if (!apiVersion || !kind) throw new Error('apiVersion and kind are required');
    if (!name) throw new Error('metadata.name is required');
    const Model = await modelFor(apiVersion, kind);
    new Model(manifest).validate();
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  }
  return result;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const manifests = JSON.parse(await readStdin()) as Manifest[];
const results: ValidationResult[] = [];
for (const manifest of manifests) results.push(await validateOne(manifest));
process.stdout.write(JSON.stringify(results));
