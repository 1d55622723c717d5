/**
 * A readable, stable series identity for output record keys: `name{a="x",b="y"}` with the
 * labels sorted (PromQL's notation). Records of one series share the key, so Kafka keeps
 * them in one partition and in order.
 */
export function seriesId(name: string, labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}
