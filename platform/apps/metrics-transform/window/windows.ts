/**
 * Event-time windows aligned to the epoch. Tumbling: `hop === size`. Hopping: `hop < size`,
 * every sample falls into `ceil(size / hop)` (or one fewer) overlapping windows.
 */
export interface WindowShape {
  /** Window length, ms (≥ 1). */
  size: number;
  /** Distance between window starts, ms (1 ≤ hop ≤ size). */
  hop: number;
}

/**
 * Starts of every window `[start, start + size)` that contains `t`, oldest first.
 * Windows start at multiples of `hop`.
 */
export function windowStarts(t: number, shape: WindowShape): number[] {
  const last = Math.floor(t / shape.hop) * shape.hop;
  const starts: number[] = [];
  for (let start = last; start > t - shape.size; start -= shape.hop) starts.push(start);
  return starts.reverse();
}
