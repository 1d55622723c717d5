// startLocalBroker's failures that need no working broker: each gives one clear message, a
// stable code, and leaves no process and no temporary folder behind.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BrokerError } from '../../../../platform/kafka/local-broker/errors';
import { startLocalBroker } from '../../../../platform/kafka/local-broker/local-broker';

function brokerDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith('kafka-stages-broker-'));
}

async function failure(run: () => Promise<unknown>): Promise<BrokerError> {
  const error = await run().then(
    () => {
      throw new Error('expected the start to fail');
    },
    (e: unknown) => e as BrokerError,
  );
  return error;
}

describe('startLocalBroker failures', () => {
  let fakeHome: string;
  beforeAll(() => {
    // A Kafka "installation" whose broker jar is an empty file: passes the jars check, and
    // java then cannot find Kafka's classes, like a broken download would.
    fakeHome = mkdtempSync(path.join(tmpdir(), 'fake-kafka-'));
    mkdirSync(path.join(fakeHome, 'libs'));
    writeFileSync(path.join(fakeHome, 'libs', 'kafka_2.13-3.9.1.jar'), '');
  });
  afterAll(() => rmSync(fakeHome, { recursive: true, force: true }));

  it('java missing (PATH without java): BROKER_JAVA_NOT_FOUND', async () => {
    const error = await failure(() =>
      startLocalBroker({ kafkaHome: fakeHome, kafkaVersion: '3.9.1' }, { PATH: '/nonexistent' }),
    );
    expect(error.code).toBe('BROKER_JAVA_NOT_FOUND');
    expect(error.message).toMatch(/^local broker: java not found in JAVA_HOME or on PATH;/);
  });

  it('jars missing: BROKER_JARS_MISSING naming make kafka-jars', async () => {
    const error = await failure(() =>
      startLocalBroker({ kafkaHome: '/nonexistent/kafka-3.9.1', kafkaVersion: '3.9.1' }),
    );
    expect(error.code).toBe('BROKER_JARS_MISSING');
    expect(error.message).toContain('run `make kafka-jars`');
  });

  it('a requested port already taken: BROKER_PORT_IN_USE, before anything starts', async () => {
    const server: Server = await new Promise((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (server.address() as { port: number }).port;
    const before = brokerDirs();
    try {
      const error = await failure(() =>
        startLocalBroker({ kafkaHome: fakeHome, kafkaVersion: '3.9.1', port }),
      );
      expect(error.code).toBe('BROKER_PORT_IN_USE');
      expect(error.message).toContain(
        `port ${port} on 127.0.0.1 (option 'port') is already in use`,
      );
      expect(brokerDirs()).toEqual(before);
    } finally {
      server.close();
    }
  });

  it('a broker that cannot start: BROKER_START_FAILED with the tail of its log, folder removed', async () => {
    const before = brokerDirs();
    const error = await failure(() =>
      startLocalBroker({ kafkaHome: fakeHome, kafkaVersion: '3.9.1' }),
    );
    expect(error.code).toBe('BROKER_START_FAILED');
    expect(error.message).toMatch(
      /^local broker: formatting .+ failed \(StorageTool exit code 1\); first error: Error: Could not find or load main class kafka\.tools\.StorageTool \/ Caused by: java\.lang\.ClassNotFoundException: kafka\.tools\.StorageTool; last lines of .+broker\.log:\n {2}\| /,
    );
    expect(brokerDirs()).toEqual(before);
  });
});
