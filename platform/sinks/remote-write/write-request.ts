import protobuf from 'protobufjs';
import SnappyJS from 'snappyjs';

/**
 * One float sample as the sink sends it: the metric name, the value, the time in ms since
 * the epoch and the labels (without `__name__`). The metric transformer's `Sample` has this
 * shape.
 */
export interface RemoteWriteSample {
  readonly name: string;
  readonly value: number;
  readonly timestamp: number;
  readonly labels: Readonly<Record<string, string>>;
}

// Prometheus remote-write 1.0 (`prompb.WriteRequest`, types.proto and remote.proto): the
// fields a float-sample sender sets. Exemplars, histograms and metadata are not sent.
const REMOTE_WRITE_PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries {
  repeated Label labels = 1;
  repeated Sample samples = 2;
}
message Label {
  string name = 1;
  string value = 2;
}
message Sample {
  double value = 1;
  int64 timestamp = 2;
}
`;

/** The compiled `prometheus.WriteRequest` (tests decode with it too). */
export const WriteRequestType: protobuf.Type = protobuf
  .parse(REMOTE_WRITE_PROTO, { keepCase: true })
  .root.lookupType('prometheus.WriteRequest');

interface Series {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp: number }[];
}

/**
 * Encodes samples as one remote-write 1.0 `WriteRequest`: one `TimeSeries` per distinct
 * name and label set, in the order the series first appear, holding its samples in the
 * order given (so per-series order is the caller's order). Labels are sorted by name with
 * `__name__` among them, as the protocol requires; empty label values are left out (an
 * empty label is no label in Prometheus).
 */
export function encodeWriteRequest(samples: Iterable<RemoteWriteSample>): Uint8Array {
  // Label sets of one batch mostly share their names: sort each list of names once.
  const sortedNames = new Map<string, string[]>();
  const bySeries = new Map<string, Series>();
  const timeseries: Series[] = [];
  for (const s of samples) {
    const listed = Object.keys(s.labels);
    const shape = listed.join('\u00ff');
    let names = sortedNames.get(shape);
    if (!names) {
      names = listed.filter((n) => n !== '__name__').sort();
      sortedNames.set(shape, names);
    }
    let key = s.name;
    for (const n of names) {
      const v = s.labels[n] as string;
      if (v !== '') key += `\u00ff${n}\u00fe${v}`;
    }
    let series = bySeries.get(key);
    if (!series) {
      const labels: { name: string; value: string }[] = [];
      for (const n of names) {
        const v = s.labels[n] as string;
        if (v !== '') labels.push({ name: n, value: v });
      }
      labels.push({ name: '__name__', value: s.name });
      labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      series = { labels, samples: [] };
      bySeries.set(key, series);
      timeseries.push(series);
    }
    series.samples.push({ value: s.value, timestamp: s.timestamp });
  }
  return WriteRequestType.encode({ timeseries }).finish();
}

/** Snappy block compression (not the framed format), as remote-write 1.0 requires. */
export function snappyCompress(bytes: Uint8Array): Uint8Array {
  return SnappyJS.compress(bytes);
}

/** The request body: the encoded `WriteRequest`, snappy-compressed. */
export function writeRequestBody(samples: Iterable<RemoteWriteSample>): Uint8Array {
  return snappyCompress(encodeWriteRequest(samples));
}
