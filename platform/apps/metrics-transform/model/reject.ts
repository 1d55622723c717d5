/**
 * Why a record or line was refused. A closed set: each value is also the `reason` on the
 * dead-letter record and a bounded metric label value.
 */
export type RejectReason =
  | 'unparseable'
  | 'value_not_finite'
  | 'no_name'
  | 'timestamp_out_of_range'
  | 'too_many_labels'
  | 'label_too_long'
  | 'line_too_long'
  // OTLP input (parse/otlp-samples.ts): no known data type; bucket counts that do not match
  // the bounds or the count; a start time after the time; delta histograms and the like.
  | 'otlp_unknown_type'
  | 'otlp_bad_histogram'
  | 'otlp_bad_time'
  | 'otlp_unsupported';

/** A refused input: the reason, a human-readable detail, and a bounded excerpt of it. */
export interface Reject {
  reason: RejectReason;
  detail: string;
  /** At most 200 characters of the offending input, for the dead-letter headers. */
  excerpt: string;
}

const EXCERPT_CHARS = 200;

export function reject(reason: RejectReason, detail: string, input: string): Reject {
  return {
    reason,
    detail,
    excerpt: input.length > EXCERPT_CHARS ? `${input.slice(0, EXCERPT_CHARS)}…` : input,
  };
}
