import type { Sample } from '../../../../platform/apps/metrics-transform/model/sample';
import type { Statistic } from '../../../../platform/apps/metrics-transform/window/aggregate';

/**
 * The reference computation: windowed aggregation written the plainest way, to check the
 * streaming aggregator against. No sketches, no incremental state, no shared code with
 * the implementation beyond the types.
 *
 * Input is the arrival sequence: samples (each with the watermark in force when it
 * arrived) and watermark steps. A sample goes into window [s, s+size) (s a multiple of
 * hop, s ≤ t < s+size) iff the watermark at its arrival was below s+size+lateness.
 */
export type RefEvent<H> =
  | { kind: 'message'; handle: H; samples: Sample[] }
  | { kind: 'advance'; watermark: number };

export interface RefOptions {
  size: number;
  hop: number;
  latenessMs: number;
  groupBy: readonly string[] | undefined;
  stats: readonly Statistic[];
}

export interface RefWindow<H> {
  name: string;
  labels: Record<string, string>;
  start: number;
  end: number;
  /** The values, in arrival order, with their timestamps. */
  points: { value: number; timestamp: number }[];
  /** Index (in the event list) of the advance that emits it; Infinity: only the final flush. */
  emittedAt: number;
  handles: Set<H>;
}

export function groupLabels(
  labels: Record<string, string>,
  groupBy: readonly string[] | undefined,
) {
  if (!groupBy) return { ...labels };
  const out: Record<string, string> = {};
  for (const n of groupBy) if (labels[n] !== undefined && labels[n] !== '') out[n] = labels[n];
  return out;
}

export function refKey(name: string, start: number, labels: Record<string, string>): string {
  return JSON.stringify([name, start, Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))]);
}

/** Every window the input produces, keyed by `refKey`, plus when each handle is done. */
export function referenceWindows<H>(events: RefEvent<H>[], o: RefOptions) {
  const windows = new Map<string, RefWindow<H>>();
  // Per window start (all groups of a window close together): the events index that closes it.
  let watermark = Number.NEGATIVE_INFINITY;
  const handleWindows = new Map<H, Set<number>>();
  const handleArrival = new Map<H, number>();
  const late: Sample[] = [];
  events.forEach((e, index) => {
    if (e.kind === 'advance') {
      watermark = Math.max(watermark, e.watermark);
      return;
    }
    handleArrival.set(e.handle, index);
    const starts = handleWindows.get(e.handle) ?? new Set<number>();
    handleWindows.set(e.handle, starts);
    for (const s of e.samples) {
      let accepted = 0;
      // Every multiple of hop in (t - size, t]; written as a plain scan from far below.
      const first = Math.floor((s.timestamp - o.size) / o.hop) * o.hop;
      for (let start = first; start <= s.timestamp; start += o.hop) {
        if (!(start <= s.timestamp && s.timestamp < start + o.size)) continue;
        if (!(watermark < start + o.size + o.latenessMs)) continue;
        accepted++;
        starts.add(start);
        const labels = groupLabels(s.labels, o.groupBy);
        const key = refKey(s.name, start, labels);
        let w = windows.get(key);
        if (!w) {
          w = {
            name: s.name,
            labels,
            start,
            end: start + o.size,
            points: [],
            emittedAt: Infinity,
            handles: new Set(),
          };
          windows.set(key, w);
        }
        w.points.push({ value: s.value, timestamp: s.timestamp });
        w.handles.add(e.handle);
      }
      if (accepted === 0) late.push(s);
    }
  });
  // When is each window emitted: the first advance whose running max reaches end + lateness.
  for (const w of windows.values()) {
    let wm = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as RefEvent<H>;
      if (e.kind !== 'advance') continue;
      wm = Math.max(wm, e.watermark);
      if (wm >= w.end + o.latenessMs) {
        w.emittedAt = i;
        break;
      }
    }
  }
  // A handle is done at its arrival if it entered no window, else when its last window is emitted.
  const handleDone = new Map<H, number>();
  for (const [h, starts] of handleWindows) {
    if (starts.size === 0) {
      handleDone.set(h, handleArrival.get(h) as number);
      continue;
    }
    let last = -1;
    for (const w of windows.values()) if (w.handles.has(h)) last = Math.max(last, w.emittedAt);
    handleDone.set(h, last);
  }
  return { windows, handleDone, late };
}

/** The statistics of one window, computed from all its points at once. */
export function referenceStats(
  points: { value: number; timestamp: number }[],
  stats: readonly Statistic[],
) {
  const values = points.map((p) => p.value);
  const sorted = [...values].sort((a, b) => a - b);
  const q = (x: number) => sorted[Math.floor(x * (sorted.length - 1))] as number;
  let last = points[0] as { value: number; timestamp: number };
  for (const p of points) if (p.timestamp >= last.timestamp) last = p;
  const all: Record<Statistic, number> = {
    count: values.length,
    sum: values.reduce((a, b) => a + b, 0),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    avg: values.reduce((a, b) => a + b, 0) / values.length,
    last: last.value,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
  };
  const out: Partial<Record<Statistic, number>> = {};
  for (const s of stats) out[s] = all[s];
  return out;
}

/** Asserts streaming `actual` equals reference `expected`: exact, sums to 1e-9, quantiles within alpha. */
export function expectStatsMatch(
  actual: Partial<Record<Statistic, number>>,
  expected: Partial<Record<Statistic, number>>,
  alpha: number,
): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [k, e] of Object.entries(expected) as [Statistic, number][]) {
    const a = actual[k] as number;
    if (k === 'p50' || k === 'p90' || k === 'p99') {
      if (Math.abs(a - e) > alpha * Math.abs(e) * (1 + 1e-9) + 1e-9) {
        throw new Error(`${k}: ${a} is not within ${alpha} of ${e}`);
      }
    } else if (k === 'sum' || k === 'avg') {
      if (Math.abs(a - e) > 1e-9 * Math.max(1, Math.abs(e))) throw new Error(`${k}: ${a} ≠ ${e}`);
    } else if (a !== e) {
      throw new Error(`${k}: ${a} ≠ ${e}`);
    }
  }
}
