import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Reports how late the event loop runs, for the liveness check. */
export interface EventLoopLag {
  /** The worst event-loop delay in milliseconds over roughly the last window. */
  lagMs(): number;
  stop(): void;
}

/**
 * Event-loop delay from Node's own sampler (`monitorEventLoopDelay`), as the max over the
 * previous full window and the current one, so a single stall stays visible for one to two
 * windows instead of vanishing at the next reset.
 */
export function monitorEventLoopLag(windowMs = 5000): EventLoopLag {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  let previousMaxMs = 0;
  const timer = setInterval(() => {
    previousMaxMs = histogram.max / 1e6;
    histogram.reset();
  }, windowMs);
  timer.unref();
  return {
    lagMs: () => Math.max(previousMaxMs, histogram.max / 1e6),
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
