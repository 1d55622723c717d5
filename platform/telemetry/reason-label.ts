/** Longest `reason` label value kept; longer ones are cut (reasons are words, not messages). */
export const MAX_REASON_LENGTH = 32;
/** Distinct `reason` values per registry; later new ones are reported as `other`. */
export const MAX_DISTINCT_REASONS = 16;

/**
 * Keeps the `reason` label bounded, whatever reasons applications invent.
 *
 * A reason is sanitised to Prometheus-friendly `[a-z0-9_]` (lower-cased, anything else
 * becomes `_`), cut to {@link MAX_REASON_LENGTH} characters, `unknown` when empty. The first
 * {@link MAX_DISTINCT_REASONS} distinct values are kept as they are; every later new value
 * becomes `other`, so an error message passed as a reason by mistake cannot blow up the
 * series count. The platform's own reasons (`decode`, `handler`, `invalid`, `filter`,
 * `relabel`, `late`, `retries_exhausted` …) fit easily.
 */
export class ReasonLabel {
  private readonly cache = new Map<string, string>();
  private readonly kept = new Set<string>();

  constructor(private readonly limit = MAX_DISTINCT_REASONS) {}

  /** The label value to use for `reason`. */
  of(reason: string): string {
    const cached = this.cache.get(reason);
    if (cached !== undefined) return cached;
    const clean = sanitizeReason(reason);
    let value = 'other';
    if (this.kept.has(clean)) value = clean;
    else if (this.kept.size < this.limit) {
      this.kept.add(clean);
      value = clean;
    }
    // Remember raw inputs only while the table is small, so the cache is bounded too.
    if (this.cache.size < this.limit * 4) this.cache.set(reason, value);
    return value;
  }
}

/** `[a-z0-9_]`, at most {@link MAX_REASON_LENGTH} characters, `unknown` when empty. */
export function sanitizeReason(reason: string): string {
  const clean = reason
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_REASON_LENGTH);
  return clean === '' ? 'unknown' : clean;
}
