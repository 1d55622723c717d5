import { setLabel } from '../model/sample';
import { anyValueText, sanitizeLabelName } from './otlp-names';
import type { OtlpKeyValue } from './otlp-schema';

/**
 * Labels of OTLP points, by the OpenTelemetry specification "Prometheus and OpenMetrics
 * Compatibility": resource attributes to `job`/`instance` (and `target_info` or labels),
 * scope to `otel_scope_*`, attributes sanitized, colliding keys joined with `;`. The
 * whole mapping is summed up on `otlpToSamples` (otlp-samples.ts).
 */

/**
 * What becomes of resource attributes other than `service.name`, `service.namespace` and
 * `service.instance.id` (which always give `job` and `instance`):
 * - `target_info` (default, the spec's SHOULD): one `target_info` sample of value 1 per
 *   resource and record, labelled with `job`, `instance` and those attributes, stamped
 *   with the latest point time of the resource; series carry only `job` and `instance`.
 * - `labels`: copied onto every series of the resource (the Collector's
 *   `resource_to_telemetry_conversion`); one that meets a point attribute of the same label
 *   name is joined with it by `;`, as any collision.
 * - `drop`: neither.
 */
export type ResourceAttributesMode = 'target_info' | 'labels' | 'drop';

// A label contribution before collisions are resolved: its Prometheus name, the key it
// came from (the spec orders colliding values by it) and its text.
export interface Entry {
  name: string;
  origin: string;
  value: string;
}

export interface ResourceLabels {
  /** job and instance: set last, over any attribute of the same name. */
  fixed: Record<string, string>;
  /** Resource attributes copied onto the series (mode `labels`). */
  entries: Entry[];
  /** Labels of the `target_info` sample (mode `target_info`, when there is anything). */
  info: Record<string, string> | undefined;
}

const SERVICE_KEYS = new Set(['service.name', 'service.namespace', 'service.instance.id']);

export function resourceLabels(
  attributes: OtlpKeyValue[],
  mode: ResourceAttributesMode,
): ResourceLabels {
  let name = '';
  let namespace = '';
  let instanceId = '';
  const others: Entry[] = [];
  for (const kv of attributes) {
    const text = anyValueText(kv.value);
    if (kv.key === 'service.name') name = text;
    else if (kv.key === 'service.namespace') namespace = text;
    else if (kv.key === 'service.instance.id') instanceId = text;
    if (!SERVICE_KEYS.has(kv.key)) {
      others.push({ name: sanitizeLabelName(kv.key), origin: kv.key, value: text });
    }
  }
  const fixed: Record<string, string> = {};
  const job = name === '' ? '' : namespace === '' ? name : `${namespace}/${name}`;
  if (job !== '') fixed.job = job;
  if (instanceId !== '') fixed.instance = instanceId;
  let info: Record<string, string> | undefined;
  if (mode === 'target_info' && others.length > 0) {
    info = buildLabels([], others, fixed);
    if (Object.keys(info).length === Object.keys(fixed).length) info = undefined;
  }
  return { fixed, entries: mode === 'labels' ? others : [], info };
}

export function scopeEntries(sm: { scope?: OtlpScope | null; schemaUrl?: string }): Entry[] {
  const entries: Entry[] = [];
  const scope = sm.scope;
  const reserved = ['otel_scope_name', 'otel_scope_version', 'otel_scope_schema_url'];
  if (scope?.name) entries.push({ name: reserved[0]!, origin: reserved[0]!, value: scope.name });
  if (scope?.version) {
    entries.push({ name: reserved[1]!, origin: reserved[1]!, value: scope.version });
  }
  if (sm.schemaUrl) entries.push({ name: reserved[2]!, origin: reserved[2]!, value: sm.schemaUrl });
  for (const kv of scope?.attributes ?? []) {
    const name = sanitizeLabelName(`otel_scope_${kv.key}`);
    // The spec: scope attributes that would clash with the three scope labels are dropped.
    if (reserved.includes(name)) continue;
    entries.push({ name, origin: `otel_scope_${kv.key}`, value: anyValueText(kv.value) });
  }
  return entries;
}

type OtlpScope = { name?: string; version?: string; attributes?: OtlpKeyValue[] };

/**
 * The label set of one point: attributes and shared entries, collisions joined with `;`
 * by original key, empty values left out, then `fixed` (job, instance) over all.
 */
export function buildLabels(
  attributes: OtlpKeyValue[] | undefined,
  shared: Entry[],
  fixed: Record<string, string>,
): Record<string, string> {
  const labels: Record<string, string> = {};
  let groups: Map<string, Entry[]> | undefined;
  const seen = new Map<string, Entry>();
  const add = (entry: Entry) => {
    const before = seen.get(entry.name);
    if (!before) {
      seen.set(entry.name, entry);
      return;
    }
    groups ??= new Map();
    const group = groups.get(entry.name) ?? [before];
    group.push(entry);
    groups.set(entry.name, group);
  };
  if (attributes) {
    for (const kv of attributes) {
      add({ name: sanitizeLabelName(kv.key), origin: kv.key, value: anyValueText(kv.value) });
    }
  }
  for (const entry of shared) add(entry);
  for (const [name, entry] of seen) {
    const group = groups?.get(name);
    const value = group
      ? group
          .sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0))
          .map((e) => e.value)
          .join(';')
      : entry.value;
    if (value !== '') setLabel(labels, name, value);
  }
  for (const name in fixed) setLabel(labels, name, fixed[name] as string);
  return labels;
}
