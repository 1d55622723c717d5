import type { DispatchContext, DispatchKey } from '../../../stages';

/** A DispatchContext that records what a dispatcher sends and re-asks. */
export function recorder<T>(): DispatchContext<T> & {
  sent: [DispatchKey, T[]][];
  asks: [DispatchKey, number][];
} {
  const sent: [DispatchKey, T[]][] = [];
  const asks: [DispatchKey, number][] = [];
  return {
    sent,
    asks,
    send: (key, events) => sent.push([key, events]),
    ask: (key, n) => asks.push([key, n]),
  };
}

export const opts = { maxDemand: 1000 };
