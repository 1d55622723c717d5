/** kafkajs error types that mean "the group is rebalancing: rejoin" (as kafkajs decides it). */
const REBALANCING = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
]);

/** True for a kafkajs protocol error after which kafkajs rejoins the group. */
export function isRebalancing(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' && REBALANCING.has(type);
}
