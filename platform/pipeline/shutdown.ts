import type { Logger } from '../log/logger';
import { logger as rootLogger } from '../log/logger';

/** Anything that can be stopped gracefully: a pipeline, or several behind one function. */
export interface Stoppable {
  /** Stops fetching, drains in-flight work within its own timeout, commits, leaves the group. */
  stop(): Promise<unknown>;
}

export interface ShutdownOptions {
  /** Default: SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  /** Default: `process.exit`. Tests pass a spy. */
  exit?: (code: number) => void;
  logger?: Logger;
  /** Called before stopping, e.g. to close the HTTP server's readiness. */
  beforeStop?: () => unknown;
}

/**
 * Installs the graceful-shutdown handlers an application needs: on the first SIGTERM or
 * SIGINT every target is stopped (all at once: each drains within its own timeout), then the
 * process exits 0, or 1 if a stop failed. A second signal while stopping exits 1 at once,
 * for the operator who does not want to wait. Returns a function that removes the handlers.
 */
export function exitOnSignals(
  targets: readonly Stoppable[],
  options: ShutdownOptions = {},
): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = options.logger ?? rootLogger();
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal while stopping: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    log.info({ signal }, 'stopping: draining in-flight messages');
    void (async () => {
      try {
        await options.beforeStop?.();
        const results = await Promise.allSettled(targets.map((t) => t.stop()));
        const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        for (const failure of failures) log.error({ err: failure.reason }, 'stop failed');
        log.info({ failures: failures.length }, 'stopped');
        exit(failures.length > 0 ? 1 : 0);
      } catch (error) {
        log.error({ err: error }, 'stop failed');
        exit(1);
      }
    })();
  };

  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
