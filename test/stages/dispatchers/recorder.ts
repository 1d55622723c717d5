import type { DispatchContext, DispatchKey } from '../../../stages';

/** A DispatchContext that records what a dispatcher sends, re-asks and owes. */
export function recorder<T>(): DispatchContext<T> & {
  sent: [DispatchKey, T[]][];
  asks: [DispatchKey, number][];
  demands: number[];
} {
  const sent: [DispatchKey, T[]][] = [];
  const asks: [DispatchKey, number][] = [];
  const demands: number[] = [];
  return {
    sent,
    asks,
    demands,
    send: (key, events) => sent.push([key, events]),
    ask: (key, n) => asks.push([key, n]),
    demand: (n) => demands.push(n),
  };
}

export const opts = { maxDemand: 1000 };
