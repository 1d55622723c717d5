/**
 * One metric sample: the unit every transformation step takes and returns.
 *
 * `timestamp` is event time in milliseconds since the epoch. Labels never contain
 * `__name__`; the name is its own field (relabelling exposes it as `__name__`).
 */
export interface Sample {
  name: string;
  value: number;
  timestamp: number;
  labels: Record<string, string>;
}

/**
 * A stable identity for a series: the name plus the labels sorted by name. Two samples
 * with the same key belong to the same series whatever order their labels arrived in.
 * The separators (0xff, 0xfe) cannot occur in valid UTF-8 text from the parsers, so
 * distinct label sets never collide.
 */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  let key = name;
  for (const n of names) key += `\u00ff${n}\u00fe${labels[n]}`;
  return key;
}

/**
 * Label sets are plain objects (fast in V8); label names are arbitrary text, so names such
 * as `constructor` or `__proto__` must never read an inherited property or change the
 * prototype. Hence: read with {@link labelValue}, write with {@link setLabel}, copy with
 * {@link copyLabels} (spread defines own properties, `__proto__` included).
 */
export function copyLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return { ...labels };
}

/** Sets label `name` as an own property, even when it is `__proto__`. */
export function setLabel(labels: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(labels, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    labels[name] = value;
  }
}

/** The value of label `name`, only if it is the set's own (never an inherited property). */
export function labelValue(
  labels: Readonly<Record<string, string>>,
  name: string,
): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

/** Labels restricted to `names` (missing ones are left out, as Prometheus' `by` does). */
export function pickLabels(
  labels: Readonly<Record<string, string>>,
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = labelValue(labels, n);
    if (v !== undefined && v !== '') setLabel(out, n, v);
  }
  return out;
}
