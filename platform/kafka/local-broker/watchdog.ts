import { type ChildProcess, spawn } from 'node:child_process';

/** `$0` of the wrapper shell: how its processes are recognised in `ps` and /proc. */
export const WATCHDOG_NAME = 'kafka-stages-watchdog';

/**
 * The shell wrapper every JVM of the launcher runs under. It starts the command in the
 * background, writes its pid to a file, and stops it (SIGTERM, SIGKILL after the grace
 * period) when
 * - the wrapper gets SIGTERM, SIGINT or SIGHUP (how `stop()` and `kafka down` stop it), or
 * - the watched parent is gone: its parent pid changed (the parent died, even by SIGKILL,
 *   and the wrapper was re-parented) or, where /proc is missing, `kill -0` fails.
 *   Once the detach file exists the parent is no longer watched: a detached broker (the
 *   CLI's `kafka up`) is watched while it starts, so a Ctrl-C then leaves nothing behind.
 * Then it removes the directory it was given (a temporary broker home), and exits with
 * the command's status. Parent 0 means "watch no parent" (a detached broker).
 *
 * Arguments: parent pid, grace in tenths of a second, pid file, directory to remove ('' for
 * none), detach file ('' for none), then the command.
 */
export const WATCHDOG_SCRIPT = `
parent=$1 grace=$2 pid_file=$3 remove_dir=$4 detach_file=$5
shift 5
"$@" &
child=$!
echo "$child" > "$pid_file"
parent_alive() {
  if [ -r "/proc/$$/stat" ]; then
    read -r _ _ _ ppid _ < "/proc/$$/stat"
    [ "$ppid" = "$parent" ]
  else
    kill -0 "$parent" 2>/dev/null
  fi
}
stop_child() {
  kill -TERM "$child" 2>/dev/null
  n=0
  while kill -0 "$child" 2>/dev/null; do
    if [ "$n" -ge "$grace" ]; then kill -KILL "$child" 2>/dev/null; break; fi
    sleep 0.1
    n=$((n + 1))
  done
}
finish() {
  wait "$child" 2>/dev/null
  status=$?
  if [ -n "$remove_dir" ]; then rm -rf "$remove_dir"; fi
  exit "$status"
}
trap 'stop_child; finish' TERM INT HUP
while kill -0 "$child" 2>/dev/null; do
  if [ -n "$detach_file" ] && [ -e "$detach_file" ]; then parent=0; fi
  if [ "$parent" != 0 ] && ! parent_alive; then
    stop_child
    break
  fi
  sleep 0.5 &
  wait $!
done
finish
`;

/** How to run one command under the watchdog. */
export interface WatchdogSpec {
  /** The command and its arguments (e.g. java and the JVM arguments). */
  command: readonly string[];
  /** Where the wrapper writes the command's pid. */
  pidFile: string;
  /** Removed by the wrapper once the command ended; omit to keep everything. */
  removeDir?: string;
  /** SIGTERM to SIGKILL, in milliseconds. */
  graceMs: number;
  /**
   * Once this file exists, the command keeps running after this process exits (the CLI's
   * `kafka up` creates it when the broker is ready). Omit to always stop with this process.
   */
  detachFile?: string;
  /** File descriptor that receives the command's stdout and stderr. */
  outputFd: number;
  /** Working directory. */
  cwd: string;
}

/** The `/bin/sh` arguments that run `spec.command` under the watchdog (pure). */
export function watchdogArgs(spec: WatchdogSpec, parentPid: number): string[] {
  return [
    '-c',
    WATCHDOG_SCRIPT,
    WATCHDOG_NAME,
    String(parentPid),
    String(Math.ceil(spec.graceMs / 100)),
    spec.pidFile,
    spec.removeDir ?? '',
    spec.detachFile ?? '',
    ...spec.command,
  ];
}

/**
 * Starts the wrapper in its own process group (so a terminal's Ctrl-C reaches only this
 * process, which then stops the broker in order, and so the whole group can be killed at
 * once as a last resort).
 */
export function spawnUnderWatchdog(spec: WatchdogSpec): ChildProcess {
  const child = spawn('/bin/sh', watchdogArgs(spec, process.pid), {
    cwd: spec.cwd,
    detached: true,
    stdio: ['ignore', spec.outputFd, spec.outputFd],
  });
  return child;
}
