/**
 * CPU time and peak resident memory of another process, from /proc (Linux): the same
 * measure for the JVM and for child Node processes.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux x86-64). */
const TICKS = 100;

export interface ProcSnapshot {
  /** User + system CPU seconds of the whole process (all threads). */
  readonly cpuSeconds: number;
  /** Peak resident set (VmHWM), MiB. */
  readonly peakRssMiB: number;
}

/** Reads the process's CPU time and peak RSS now; undefined once it is gone. */
export function procSnapshot(pid: number): ProcSnapshot | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return {
      cpuSeconds: (utime + stime) / TICKS,
      peakRssMiB: hwm ? Number(hwm[1]) / 1024 : Number.NaN,
    };
  } catch {
    return undefined;
  }
}
