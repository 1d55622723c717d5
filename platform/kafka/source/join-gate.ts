import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';

/**
 * What a gated consumer's JoinGroup requests wait for. Resolves at once when there is
 * nothing to wait for; never rejects; must be bounded (the group waits for this member).
 */
export type JoinHold = () => Promise<void>;

/** A kafkajs consumer and whether its joins are gated. */
export interface GatedConsumer {
  readonly consumer: Consumer;
  /**
   * False when kafkajs's internals were not where this version of kafkajs keeps them: the
   * consumer then rejoins at once, as plain kafkajs does.
   */
  readonly gated: boolean;
}

/** kafkajs keeps the factory of a client's clusters under a private symbol of this name. */
const CREATE_CLUSTER = 'private:Kafka:createCluster';
const GATED = Symbol('kafka-stages:join-gated');

interface ClusterLike {
  findGroupCoordinator(...args: unknown[]): Promise<BrokerLike>;
}
interface BrokerLike {
  joinGroup(...args: unknown[]): Promise<unknown>;
  [GATED]?: true;
}

/**
 * Creates a kafkajs consumer whose JoinGroup requests first wait for `hold()`.
 *
 * Why: kafkajs rejoins the moment a heartbeat in its fetch loop answers "rebalance in
 * progress", with the messages handed out in the old generation still unacknowledged; they
 * are all delivered again to the partitions' next owners. The Java client instead calls
 * `onPartitionsRevoked` before it rejoins. While this member has not rejoined, the group
 * coordinator still takes its commits in the old generation (the group waits, up to the
 * rebalance timeout, for every member to rejoin), so holding the JoinGroup until in-flight
 * work is acknowledged and committed turns those re-deliveries into commits.
 *
 * How: kafkajs has no hook before the join. Its client builds one cluster per consumer
 * through a factory under a private symbol; the factory is wrapped for the duration of
 * `kafka.consumer()` so that the group coordinator this cluster finds has a `joinGroup`
 * that awaits `hold()` first. Only JoinGroup waits: commits, heartbeats and fetches go
 * through unchanged. kafkajs 2.2.4 is its last release, so these internals do not move;
 * if they are not found, the consumer is returned ungated (`gated: false`).
 */
export function createGatedConsumer(
  kafka: Kafka,
  config: ConsumerConfig,
  hold: JoinHold,
): GatedConsumer {
  const client = kafka as unknown as Record<symbol, unknown>;
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === CREATE_CLUSTER);
  const create = key === undefined ? undefined : client[key];
  if (key === undefined || typeof create !== 'function') {
    return { consumer: kafka.consumer(config), gated: false };
  }
  let gated = false;
  client[key] = (...args: unknown[]) => {
    const cluster = create.apply(kafka, args) as ClusterLike;
    gated = gateCluster(cluster, hold);
    return cluster;
  };
  try {
    const consumer = kafka.consumer(config);
    return { consumer, gated };
  } finally {
    client[key] = create;
  }
}

function gateCluster(cluster: ClusterLike, hold: JoinHold): boolean {
  const find = cluster.findGroupCoordinator;
  if (typeof find !== 'function') return false;
  cluster.findGroupCoordinator = async function (this: ClusterLike, ...args: unknown[]) {
    let broker: BrokerLike;
    try {
      broker = await find.apply(this, args);
    } catch (error) {
      throw brokerAway(error);
    }
    gateBroker(broker, hold);
    return broker;
  };
  return true;
}

/** The coordinator broker's joinGroup waits for `hold()` (once per broker object). */
function gateBroker(broker: BrokerLike, hold: JoinHold): void {
  if (broker[GATED] || typeof broker.joinGroup !== 'function') return;
  const join = broker.joinGroup;
  broker.joinGroup = async function (this: BrokerLike, ...args: unknown[]) {
    await hold();
    return join.apply(this, args);
  };
  broker[GATED] = true;
}

/**
 * `hold`, or `ms` at most: the coordinator drops a member that does not rejoin within the
 * rebalance timeout, or that sends no heartbeat for a session timeout (none is sent while
 * the join is held), and then takes none of its commits anyway.
 */
export function atMost(hold: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([hold, limit]).finally(() => clearTimeout(timer));
}

/**
 * kafkajs gives up looking for the group coordinator after its retries with an error it
 * does not retry, and its consumer then crashes for good (`restart: false`), although the
 * broker is merely away (stopped, restarting: seen in make reliability's broker-stop row).
 * Marked retriable on its root cause, where kafkajs looks, the consumer restarts after its
 * backoff instead, as for any other outage.
 */
function brokerAway(error: unknown): unknown {
  let root = error as { cause?: unknown; name?: unknown; retriable?: unknown } | undefined;
  while (root?.cause && typeof root.cause === 'object') root = root.cause as typeof root;
  if (root && /GroupCoordinatorNotFound|Connection|BrokerNotFound/.test(String(root.name))) {
    root.retriable = true;
  }
  return error;
}
