// A small client of the local control plane's REST API (tools/k8s/cluster.sh): enough for
// the tests to read what the controllers did, evict pods and dry-run objects, without a
// client library. It reads the kubeconfig that cluster.sh writes (one cluster, one token).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../deploy/support/helm';

/** Where the tests find the cluster: KUBECONFIG, else the project's .k8s/kubeconfig. */
export const KUBECONFIG = process.env.KUBECONFIG ?? join(ROOT, '.k8s', 'kubeconfig');

/** The kubectl and helm the Makefile builds. */
export const KUBECTL = join(ROOT, '.tools', 'k8s', 'bin', 'kubectl');

interface Connection {
  server: URL;
  ca: Buffer;
  token: string;
}

let connection: Connection | undefined;

function connect(): Connection {
  if (connection) return connection;
  let text: string;
  try {
    text = readFileSync(KUBECONFIG, 'utf8');
  } catch {
    throw new Error(
      `no kubeconfig at ${KUBECONFIG}: the k8s tests run with \`make test-k8s\`, which starts the local control plane (or start it with make k8s-up)`,
    );
  }
  const config = parse(text) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  const cluster = config.clusters[0]?.cluster;
  const token = config.users[0]?.user.token;
  if (!cluster || !token) throw new Error(`${KUBECONFIG} has no cluster or no token user`);
  connection = {
    server: new URL(cluster.server),
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64'),
    token,
  };
  return connection;
}

/** An answer of the API server: the status code and the parsed body. */
export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are inspected freely in tests
  body: any;
}

/** One request; never throws for an HTTP error status (the tests assert on it). */
export function api(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiResponse> {
  const { server, ca, token } = connect();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: server.hostname,
        port: server.port,
        path,
        method,
        ca,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            // Not JSON (e.g. /readyz answers "ok"): keep the text.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** GET that must succeed. */
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are inspected freely in tests
export async function get(path: string): Promise<any> {
  const res = await api('GET', path);
  if (res.status !== 200)
    throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body?.message ?? res.body)}`);
  return res.body;
}

/** The REST path of a kind in a namespace (the kinds the chart renders, and a few more). */
export function collectionPath(apiVersion: string, kind: string, namespace?: string): string {
  const plural: Record<string, string> = {
    ConfigMap: 'configmaps',
    Deployment: 'deployments',
    HorizontalPodAutoscaler: 'horizontalpodautoscalers',
    NetworkPolicy: 'networkpolicies',
    Pod: 'pods',
    PodDisruptionBudget: 'poddisruptionbudgets',
    PrometheusRule: 'prometheusrules',
    ReplicaSet: 'replicasets',
    ScaledObject: 'scaledobjects',
    Secret: 'secrets',
    Service: 'services',
    ServiceAccount: 'serviceaccounts',
    ServiceMonitor: 'servicemonitors',
    TriggerAuthentication: 'triggerauthentications',
  };
  const resource = plural[kind];
  if (!resource) throw new Error(`collectionPath: no plural known for kind ${kind}`);
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${prefix}/namespaces/${namespace}/${resource}` : `${prefix}/${resource}`;
}

/**
 * Creates the object with `dryRun=All` and `fieldValidation=Strict`: the API server runs
 * defaulting, validation, the CRD's OpenAPI schema and admission, and refuses any field it
 * does not know (a normal create would silently drop unknown fields of a custom resource).
 */
export function dryRunCreate(
  object: { apiVersion: string; kind: string },
  namespace: string,
): Promise<ApiResponse> {
  return api(
    'POST',
    `${collectionPath(object.apiVersion, object.kind, namespace)}?dryRun=All&fieldValidation=Strict`,
    object,
  );
}

/** Polls `probe` until it returns a value other than undefined, or fails with `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Label selector text of `matchLabels`. */
export function selectorOf(matchLabels: Record<string, string>): string {
  return Object.entries(matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
