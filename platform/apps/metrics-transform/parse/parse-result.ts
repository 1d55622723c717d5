import type { Reject } from '../model/reject';
import type { Sample } from '../model/sample';

/** What a parser made of one record: the samples it could read and what it refused. */
export interface ParseResult {
  samples: Sample[];
  rejects: Reject[];
}

/** Options shared by the parsers. */
export interface ParseOptions {
  /** Bounds checked while parsing, before the expensive work. */
  limits: {
    maxRecordBytes: number;
    maxLineLength: number;
    maxLabels: number;
    maxNameLength: number;
    maxLabelValueLength: number;
  };
  /** Used when a line or object carries no timestamp: the Kafka record's timestamp, in ms. */
  defaultTimestamp: number;
}
