// Setup file of the jest project `kafka` (runs in each test file's module registry, before
// the file): records every kafkajs client a test connects and every local broker it starts,
// whoever creates them (the test, a helper, or platform code such as a pipeline's source),
// in the registry that kafka-environment.ts checks when each test and each file ends.
import { Kafka } from 'kafkajs';
import * as localBroker from '../../platform/kafka/local-broker/local-broker';
import { callerFrame, type Resource, registryOf } from './leak-registry';

const registry = registryOf(globalThis);
const PATCHED = Symbol.for('kafka-stages:leak-patched');

type Client = { connect(): Promise<void>; disconnect(): Promise<void> };
type Factory = (this: Kafka, ...args: unknown[]) => Client;

/** Wraps a client's connect/disconnect so a connected, not disconnected client is recorded. */
function track(kind: string, client: Client, where: string): void {
  const connect = client.connect.bind(client);
  const disconnect = client.disconnect.bind(client);
  const resource: Resource = { kind, owner: undefined, where, stop: () => disconnect() };
  client.connect = async () => {
    // Owned by whoever connects it: a client made in beforeAll but connected in a test is
    // that test's to stop.
    resource.owner = registry.currentTest;
    registry.open.add(resource);
    try {
      await connect();
    } catch (error) {
      // A failed connect leaves kafkajs's reconnect machinery idle; nothing to stop.
      registry.open.delete(resource);
      throw error;
    }
  };
  client.disconnect = async () => {
    registry.open.delete(resource);
    await disconnect();
  };
}

const proto = Kafka.prototype as unknown as Record<string | symbol, unknown>;
if (!proto[PATCHED]) {
  proto[PATCHED] = true;
  for (const kind of ['producer', 'consumer', 'admin'] as const) {
    const original = proto[kind] as Factory;
    proto[kind] = function (this: Kafka, ...args: unknown[]): Client {
      const client = original.apply(this, args);
      track(kind, client, callerFrame());
      return client;
    };
  }
}

// startLocalBroker is reached through the module's exports object (also from index.ts's
// re-export getter), so replacing the export there records every broker a test starts.
const brokers = localBroker as unknown as Record<string | symbol, unknown>;
if (!brokers[PATCHED]) {
  brokers[PATCHED] = true;
  const start = localBroker.startLocalBroker;
  brokers.startLocalBroker = async (...args: Parameters<typeof start>) => {
    const where = callerFrame();
    const owner = registry.currentTest;
    const broker = await start(...args);
    const resource: Resource = {
      kind: 'local broker',
      owner,
      where,
      stop: () => {
        try {
          // A test that froze it (SIGSTOP) and failed before thawing it.
          process.kill(broker.pid, 'SIGCONT');
        } catch {
          // Already gone.
        }
        return broker.stop();
      },
    };
    registry.open.add(resource);
    const stop = broker.stop;
    return Object.assign(broker, {
      stop: () => {
        registry.open.delete(resource);
        return stop();
      },
    });
  };
}
