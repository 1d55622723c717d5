import { connect } from 'node:net';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';

/** How waitUntilReady gives up early. */
export interface ReadyWatch {
  /** Checked between attempts: a reason to stop waiting (e.g. the process exited), or null. */
  failure(): string | null;
  /** When to give up. */
  deadline: number;
}

/** Why waiting ended without a ready broker. */
export type NotReady = { kind: 'failed'; reason: string } | { kind: 'timeout'; lastError: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether something accepts TCP connections on `host:port` (cheap, before any Kafka client). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1_000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * Polls `bootstrap` with an admin client's describeCluster until it answers with
 * `clusterId` (so a different process on a re-used port is not mistaken for ours) and its
 * group coordinator answers. Resolves to null when ready, else to why not.
 */
export async function waitUntilReady(
  bootstrap: string,
  clusterId: string,
  watch: ReadyWatch,
  /** How the probe authenticates and what it trusts, on a secured listener. */
  security: Pick<KafkaConfig, 'sasl' | 'ssl'> = {},
): Promise<NotReady | null> {
  const kafka = new Kafka({
    ...security,
    clientId: 'kafka-stages-local-broker-probe',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const [host = '', port = ''] = bootstrap.split(':');
  let lastError = 'no attempt yet';
  for (;;) {
    const failure = watch.failure();
    if (failure !== null) return { kind: 'failed', reason: failure };
    if (Date.now() >= watch.deadline) return { kind: 'timeout', lastError };
    // Until the listener is up, probe with plain TCP: cheaper than a failing kafkajs connect.
    if (!(await accepts(host, Number(port)))) {
      lastError = `nothing listens on ${bootstrap} yet`;
      await sleep(100);
      continue;
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.clusterId !== clusterId || cluster.brokers.length === 0) {
        lastError = `cluster id ${cluster.clusterId} answered, expected ${clusterId}`;
      } else {
        // The first group request makes the broker create __consumer_offsets; until that has
        // a leader, consumers get "group coordinator not available" and kafkajs logs errors.
        // Ready therefore means ready for consumer groups too.
        await admin.describeGroups(['kafka-stages-readiness-probe']);
        return null;
      }
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(200);
  }
}
