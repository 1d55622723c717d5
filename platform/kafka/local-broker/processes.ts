import { readFileSync } from 'node:fs';

/** True while `pid` runs (a zombie, dead but not yet reaped, counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces, the state follows ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * True when `pid` runs and its command line contains `marker`: guards against signalling an
 * unrelated process that reused the pid of a broker recorded long ago. Without /proc, only
 * whether it runs is checked.
 */
export function isOurs(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
  } catch {
    return true;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing to do.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops a watchdog wrapper and its JVM: SIGTERM to the wrapper (which stops the JVM in
 * order), and if either still runs after `graceMs`, SIGKILL to the wrapper's process group
 * and to the JVM. Resolves once both are gone.
 */
export async function terminate(
  wrapperPid: number,
  jvmPid: number,
  graceMs: number,
): Promise<void> {
  const gone = () => !isAlive(wrapperPid) && (jvmPid <= 0 || !isAlive(jvmPid));
  signal(isAlive(wrapperPid) ? wrapperPid : jvmPid, 'SIGTERM');
  const deadline = Date.now() + graceMs + 500;
  while (!gone() && Date.now() < deadline) await sleep(50);
  if (gone()) return;
  signal(-wrapperPid, 'SIGKILL');
  signal(wrapperPid, 'SIGKILL');
  if (jvmPid > 0) signal(jvmPid, 'SIGKILL');
  const hard = Date.now() + 5_000;
  while (!gone() && Date.now() < hard) await sleep(50);
}
