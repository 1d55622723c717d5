/**
 * Bounds that keep absurd input from costing unbounded memory or CPU. Checked while
 * parsing (so a 10 MB line is refused before it is split) and again on the final sample.
 */
export interface Limits {
  /** Longest record (Kafka message value) in bytes; a longer one is refused whole. */
  maxRecordBytes: number;
  /** Longest line of line protocol, in characters. */
  maxLineLength: number;
  /** Most labels (tags) per sample. */
  maxLabels: number;
  /** Longest metric or label name, in characters. */
  maxNameLength: number;
  /** Longest label value, in characters. */
  maxLabelValueLength: number;
  /** How far in the past (relative to now) an event timestamp may be, in ms. */
  maxPastMs: number;
  /** How far in the future an event timestamp may be, in ms. */
  maxFutureMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxRecordBytes: 1024 * 1024,
  maxLineLength: 64 * 1024,
  maxLabels: 64,
  maxNameLength: 256,
  maxLabelValueLength: 1024,
  maxPastMs: 7 * 24 * 3600 * 1000,
  maxFutureMs: 10 * 60 * 1000,
});
