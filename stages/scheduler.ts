import { performance } from 'node:perf_hooks';
import { Queue } from './queue';

/** What the scheduler runs: a stage with messages in its mailbox. */
export interface Runnable {
  /** True while in the run queue, so a stage is queued at most once. */
  queued: boolean;
  /** Runs up to `budget` mailbox messages. */
  runSlice(budget: number): void;
}

// Messages per stage per turn: keeps stages fair without a queue operation per message.
const SLICE = 64;
// Longest run of work on the microtask queue before yielding to timers and I/O. Stages are
// cooperative: a busy synchronous pipeline must still let `setTimeout` and sockets run.
const MAX_CHAIN_MS = 8;

const runQueue = new Queue<Runnable>();
let scheduled = false;
let chainOpen = false;
let chainStart = 0;

function closeChain(): void {
  chainOpen = false;
}

function flush(): void {
  const started = performance.now();
  let turns = 0;
  try {
    while (runQueue.length > 0) {
      const stage = runQueue.shift()!;
      stage.queued = false;
      stage.runSlice(SLICE);
      if ((++turns & 15) === 0 && performance.now() - started > MAX_CHAIN_MS) break;
    }
  } finally {
    // Even if something outside a handler threw (it surfaces as an uncaught exception),
    // the other stages keep running.
    scheduled = false;
    if (runQueue.length > 0) requestFlush();
  }
}

function requestFlush(): void {
  if (scheduled) return;
  scheduled = true;
  if (!chainOpen) {
    // One setImmediate per macrotask turn marks where the microtask chain ends; if it has
    // not run after MAX_CHAIN_MS, we are starving the event loop and yield to it.
    chainOpen = true;
    chainStart = performance.now();
    setImmediate(closeChain);
    queueMicrotask(flush);
  } else if (performance.now() - chainStart < MAX_CHAIN_MS) {
    queueMicrotask(flush);
  } else {
    setImmediate(flush);
  }
}

/** Puts a stage with pending messages in the run queue. */
export function schedule(stage: Runnable): void {
  if (stage.queued) return;
  stage.queued = true;
  runQueue.push(stage);
  requestFlush();
}
