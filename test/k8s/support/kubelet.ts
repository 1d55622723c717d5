// The test plays kubelet for a pod the control plane scheduled onto a fake node: it starts
// what the pod's container would run, as a local process of this checkout, with the
// environment and the mounted ConfigMap/Secret files as the API server has them.
//
// The image is this checkout (the Dockerfile's final stage copies dist/ and node_modules/
// into its WORKDIR /app; `make build` makes the same dist/ here), so:
//   ENTRYPOINT + container args  -> the same argv, with `/usr/bin/tini --` left out (tini only
//                                   forwards signals and reaps; the test signals node itself)
//                                   and `node` being the Node.js running the tests
//   WORKDIR /app                 -> the repository root
//   volume mounts                -> one temporary directory per volume, holding the files
//                                   the kubelet would project; an argument or environment
//                                   value under a mount path is rewritten to that directory
// And what the pod network would give it, the only values changed (each one listed in
// `translations`, and the tests assert the rendered values they replace):
//   KAFKA_BROKERS                -> the test's broker (in the cluster: the service's DNS name)
//   HTTP_PORT                    -> a free loopback port (every pod has its own network
//                                   namespace; here the pods share one), HTTP_HOST=127.0.0.1
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../deploy/support/helm';
import { type ImageConfig, imageConfig } from './image';
import { get } from './kube';

/** A container turned into a local process, not started yet. */
export interface LocalProcess {
  podName: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Container port number by name, and the local port each one is served on. */
  ports: Map<string, { containerPort: number; localPort: number }>;
  /** Mount path in the container -> local directory. */
  mounts: Map<string, string>;
  /** What was changed from the rendered pod, as "NAME: rendered -> local". */
  translations: string[];
  /** Temporary directory holding the mounts and the log. */
  home: string;
  logFile: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Kubernetes' $(VAR) expansion: defined names are replaced, $$ escapes, others stay. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name?: string) =>
    match === '$$' ? '$' : name !== undefined && name in env ? (env[name] as string) : match,
  );
}

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are inspected freely in tests
type Obj = any;

function fieldRef(pod: Obj, path: string): string {
  const known: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': pod.spec.nodeName,
    'spec.serviceAccountName': pod.spec.serviceAccountName,
    'status.podIP': pod.status?.podIP,
    'status.hostIP': pod.status?.hostIP,
  };
  const value = known[path];
  if (value === undefined) throw new Error(`kubelet: fieldRef ${path} is not supported here`);
  return value;
}

/** Prepares a pod's (first) container as a local process: files written, env resolved. */
export async function preparePod(
  pod: Obj,
  options: { brokers: string; image?: ImageConfig },
): Promise<LocalProcess> {
  const image = options.image ?? imageConfig();
  const ns = pod.metadata.namespace;
  const container = pod.spec.containers[0];
  const home = mkdtempSync(join(tmpdir(), `pod-${pod.metadata.name}-`));
  const translations: string[] = [];
  const secrets = new Map<string, Obj>();
  const configMaps = new Map<string, Obj>();
  const secret = async (name: string) => {
    if (!secrets.has(name))
      secrets.set(name, await get(`/api/v1/namespaces/${ns}/secrets/${name}`));
    return secrets.get(name);
  };
  const configMap = async (name: string) => {
    if (!configMaps.has(name))
      configMaps.set(name, await get(`/api/v1/namespaces/${ns}/configmaps/${name}`));
    return configMaps.get(name);
  };

  // Volumes, as the kubelet projects them: one file per key (or per listed item).
  const mounts = new Map<string, string>();
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.spec.volumes.find((v: Obj) => v.name === mount.name);
    if (!volume) throw new Error(`kubelet: volumeMount ${mount.name} has no volume`);
    const dir = join(home, 'volumes', mount.name);
    mkdirSync(dir, { recursive: true });
    let files: [string, Buffer][] = [];
    let mode = 0o644;
    if (volume.configMap) {
      const cm = await configMap(volume.configMap.name);
      files = Object.entries((cm.data ?? {}) as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v),
      ]);
      mode = volume.configMap.defaultMode ?? mode;
    } else if (volume.secret) {
      const s = await secret(volume.secret.secretName);
      files = Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64'),
      ]);
      mode = volume.secret.defaultMode ?? mode;
    } else if (!volume.emptyDir) {
      throw new Error(`kubelet: volume ${mount.name} of a kind not supported here`);
    }
    const items = volume.configMap?.items ?? volume.secret?.items;
    if (items) {
      const byKey = new Map(files);
      files = items.map((i: { key: string; path: string }) => [i.path, byKey.get(i.key) as Buffer]);
    }
    for (const [name, content] of files)
      writeFileSync(join(dir, name), content, { mode: mode | 0o600 });
    mounts.set(mount.mountPath, dir);
  }
  const local = (value: string) => {
    for (const [mountPath, dir] of mounts)
      if (value === mountPath || value.startsWith(`${mountPath}/`))
        return dir + value.slice(mountPath.length);
    return value;
  };

  // Environment: the image's, then the container's in order ($(VAR) sees earlier ones).
  const env: Record<string, string> = { ...image.env };
  for (const from of container.envFrom ?? []) {
    const source = from.configMapRef
      ? await configMap(from.configMapRef.name)
      : await secret(from.secretRef.name);
    for (const [k, v] of Object.entries((source.data ?? {}) as Record<string, string>))
      env[(from.prefix ?? '') + k] = from.secretRef ? Buffer.from(v, 'base64').toString() : v;
  }
  for (const e of container.env ?? []) {
    let value: string;
    if (e.value !== undefined) value = expand(e.value, env);
    else if (e.valueFrom?.fieldRef) value = fieldRef(pod, e.valueFrom.fieldRef.fieldPath);
    else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const data = (await secret(ref.name)).data?.[ref.key];
      if (data === undefined) throw new Error(`kubelet: Secret ${ref.name} has no key ${ref.key}`);
      value = Buffer.from(data, 'base64').toString();
    } else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      value = (await configMap(ref.name)).data?.[ref.key];
    } else throw new Error(`kubelet: env ${e.name} of a kind not supported here`);
    env[e.name] = value;
  }
  for (const [k, v] of Object.entries(env)) {
    const l = local(v);
    if (l !== v) {
      env[k] = l;
      translations.push(`${k}: ${v} -> ${l}`);
    }
  }

  // The pod network, as far as the process can tell.
  const ports = new Map<string, { containerPort: number; localPort: number }>();
  for (const p of container.ports ?? [])
    ports.set(p.name, { containerPort: p.containerPort, localPort: await freePort() });
  const http = ports.get('http');
  if (http) {
    if (env.HTTP_PORT !== String(http.containerPort))
      throw new Error(
        `kubelet: HTTP_PORT=${env.HTTP_PORT} but the container port http is ${http.containerPort}`,
      );
    env.HTTP_PORT = String(http.localPort);
    env.HTTP_HOST = '127.0.0.1';
    translations.push(
      `HTTP_PORT: ${http.containerPort} -> ${http.localPort} (HTTP_HOST 127.0.0.1)`,
    );
  }
  translations.push(`KAFKA_BROKERS: ${env.KAFKA_BROKERS} -> ${options.brokers}`);
  env.KAFKA_BROKERS = options.brokers;
  env.HOME = mounts.get('/tmp') ?? home;
  env.TMPDIR = mounts.get('/tmp') ?? home;
  env.PATH = process.env.PATH ?? '/usr/bin:/bin';

  // The command line: ENTRYPOINT unless the container has a command; CMD unless it has args.
  const command: string[] = container.command ?? image.entrypoint;
  const args: string[] = container.args ?? (container.command ? [] : image.cmd);
  let argv = [...command, ...args].map((a) => local(expand(a, env)));
  if (argv[0] === '/usr/bin/tini' && argv[1] === '--') argv = argv.slice(2);
  if (argv[0] === 'node') argv[0] = process.execPath;
  const cwd = image.workdir === '/app' ? ROOT : image.workdir;
  return {
    podName: pod.metadata.name,
    argv,
    env,
    cwd,
    ports,
    mounts,
    translations,
    home,
    logFile: join(home, 'container.log'),
  };
}

/** Starts the process (stdout and stderr to its log file). */
export function start(proc: LocalProcess): ChildProcess {
  const fd = openSync(proc.logFile, 'a');
  try {
    return spawn(proc.argv[0] as string, proc.argv.slice(1), {
      cwd: proc.cwd,
      env: proc.env,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
}

/** One HTTP probe as the kubelet does it: success is a status from 200 to 399. */
export async function probe(
  proc: LocalProcess,
  httpGet: { path: string; port: string | number },
  timeoutSeconds: number,
): Promise<number | undefined> {
  const port =
    typeof httpGet.port === 'number'
      ? [...proc.ports.values()].find((p) => p.containerPort === httpGet.port)?.localPort
      : proc.ports.get(httpGet.port)?.localPort;
  if (port === undefined) throw new Error(`probe port ${httpGet.port} is not a container port`);
  try {
    const res = await fetch(`http://127.0.0.1:${port}${httpGet.path}`, {
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

/** Removes the pod's temporary directory. */
export function cleanup(proc: LocalProcess | undefined): void {
  if (proc) rmSync(proc.home, { recursive: true, force: true });
}
