import type { TransformPlan } from '../config/compile-plan';
import { pickLabels, type Sample, seriesKey } from '../model/sample';

/**
 * The key a sample crosses the repartition hop with: its name and the labels that every
 * aggregation it matches groups by (the intersection of their `group_by`; all labels for an
 * aggregation without one). Every group of every matching aggregation is then a union of
 * whole keys, so all samples of a group — and of a series, whose labels include the group's
 * — meet in one partition, whatever key the input had. A sample no aggregation takes is
 * keyed by its series.
 */
export function routingKey(plan: TransformPlan, sample: Sample): string {
  let common: Set<string> | undefined;
  let everyLabel = true;
  for (const a of plan.aggregations) {
    if (!a.matches(sample.name)) continue;
    const by = a.options.groupBy;
    if (by === undefined) continue;
    everyLabel = false;
    common = common ? new Set(by.filter((l) => common!.has(l))) : new Set(by);
  }
  if (everyLabel || !common) return seriesKey(sample.name, sample.labels);
  return seriesKey(sample.name, pickLabels(sample.labels, [...common].sort()));
}
