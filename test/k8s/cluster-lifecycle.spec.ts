// tools/k8s/cluster.sh itself, on a second control plane with its own state directory and
// ports (the suite's cluster keeps running): a taken port is refused with the variable that
// moves it; nothing is left running when the watched process dies, when `down` is asked,
// or when the supervisor itself is killed with SIGKILL (the kernel's parent-death signal).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../deploy/support/helm';
import { waitFor } from './support/kube';

const SCRIPT = join(ROOT, 'tools', 'k8s', 'cluster.sh');
const PORT_VARS = [
  'K8S_API_PORT',
  'K8S_ETCD_PORT',
  'K8S_ETCD_PEER_PORT',
  'K8S_KCM_PORT',
  'K8S_SCHEDULER_PORT',
  'K8S_KWOK_PORT',
];

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;

/** Free ports for every component (found by binding, then released). */
async function freePorts(): Promise<Record<string, string>> {
  const servers = await Promise.all(PORT_VARS.map(() => listen()));
  const env = Object.fromEntries(
    PORT_VARS.map((v, i) => [v, String(portOf(servers[i] as Server))]),
  );
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return env;
}

function cluster(env: Record<string, string>, ...args: string[]) {
  return spawnSync('bash', [SCRIPT, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 240_000,
  });
}

/** The pids the supervisor and its components wrote. */
function pids(dir: string): Map<string, number> {
  const found = new Map<string, number>();
  const pidDir = join(dir, 'pids');
  if (!existsSync(pidDir)) return found;
  for (const name of readdirSync(pidDir))
    found.set(name, Number(readFileSync(join(pidDir, name), 'utf8').trim()));
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('tools/k8s/cluster.sh', () => {
  const dirs: string[] = [];
  const others: ChildProcess[] = [];
  const newEnv = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-lifecycle-'));
    dirs.push(dir);
    return { dir, env: { ...(await freePorts()), K8S_DIR: dir, K8S_NODES: '1' } };
  };
  afterAll(() => {
    for (const dir of dirs) {
      cluster({ K8S_DIR: dir }, 'down');
      rmSync(dir, { recursive: true, force: true });
    }
    for (const p of others) p.kill('SIGKILL');
  });

  it('refuses a taken port, naming the component and the variable that moves it', async () => {
    const { env } = await newEnv();
    const taken = await listen();
    try {
      const result = cluster({ ...env, K8S_API_PORT: String(portOf(taken)) }, 'up', '--detach');
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        `port ${portOf(taken)} on 127.0.0.1 (kube-apiserver) is taken by another process: stop it, or set K8S_API_PORT to a free port`,
      );
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('stops every component when the watched process dies', async () => {
    const { dir, env } = await newEnv();
    const watched = spawn('sleep', ['600']);
    others.push(watched);
    const up = cluster(env, 'up', '--watch', String(watched.pid));
    if (up.status !== 0) throw new Error(`cluster.sh up failed:\n${up.stdout}\n${up.stderr}`);
    const running = pids(dir);
    expect([...running.keys()].sort()).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
      'supervisor',
    ]);
    for (const pid of running.values()) expect(alive(pid)).toBe(true);
    watched.kill('SIGKILL');
    await waitFor('every process to stop', async () =>
      [...running.values()].every((pid) => !alive(pid)) ? true : undefined,
    );
    expect(cluster(env, 'status').status).toBe(1);
  });

  it('a detached cluster outlives its caller; down stops it, even after a SIGKILL of the supervisor', async () => {
    const { dir, env } = await newEnv();
    const up = cluster(env, 'up', '--detach');
    if (up.status !== 0) throw new Error(`cluster.sh up failed:\n${up.stdout}\n${up.stderr}`);
    const first = pids(dir);
    for (const pid of first.values()) expect(alive(pid)).toBe(true);
    const down = cluster(env, 'down');
    expect(down.stdout).toContain('k8s: stopped');
    for (const pid of first.values()) expect(alive(pid)).toBe(false);

    expect(cluster(env, 'up', '--detach').status).toBe(0);
    const second = pids(dir);
    process.kill(second.get('supervisor') as number, 'SIGKILL');
    // Each component gets SIGTERM from the kernel as its parent (the supervisor) dies.
    await waitFor('the components to stop after the supervisor was killed', async () =>
      [...second.values()].every((pid) => !alive(pid)) ? true : undefined,
    );
    expect(cluster(env, 'down').stdout).toContain('k8s: not running');
  });
});
