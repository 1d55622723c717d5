import { randomBytes } from 'node:crypto';
import type { SecurityProtocol } from './security';

/** What the broker's configuration depends on. */
export interface ServerPropertiesInput {
  /** Interface both listeners bind and advertise (loopback). */
  host: string;
  /** Client (PLAINTEXT) listener port. */
  port: number;
  /** KRaft controller listener port. */
  controllerPort: number;
  /** The KRaft log directory (topic data and the metadata log). */
  logDir: string;
  /** Kafka release, e.g. `3.9.1`: some settings exist only from 4.0 on. */
  kafkaVersion: string;
  /** Protocol of the client listener (named after it). Default PLAINTEXT. */
  protocol?: SecurityProtocol;
  /** Entries that secure the client listener (see `securityProperties`). */
  security?: Record<string, string>;
  /** Entries that replace or add to the built-in ones. */
  overrides?: Record<string, string>;
}

/**
 * The settings of a single-node test broker: combined broker and controller with a fixed
 * voter set (so the data dir is formatted without `--standalone`), internal topics with one
 * replica and one partition, no group join delay, small buffers and few threads (the test
 * machines have two cores). Topics are not created on demand: tests and the applications
 * create theirs, and a typo fails loudly instead of making a new topic.
 */
export function serverProperties(input: ServerPropertiesInput): Record<string, string> {
  const { host, port, controllerPort } = input;
  const major = Number(input.kafkaVersion.split('.')[0]);
  const client = input.protocol ?? 'PLAINTEXT';
  const properties: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${host}:${controllerPort}`,
    listeners: `${client}://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `${client}://${host}:${port}`,
    'listener.security.protocol.map': `${client}:${client},CONTROLLER:PLAINTEXT`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': client,
    'log.dirs': input.logDir,
    'num.partitions': '1',
    'default.replication.factor': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '1',
    'group.initial.rebalance.delay.ms': '0',
    'group.min.session.timeout.ms': '1000',
    'log.cleaner.dedupe.buffer.size': '2097152',
    'auto.create.topics.enable': 'false',
    'delete.topic.enable': 'true',
    'num.network.threads': '2',
    'num.io.threads': '2',
    'num.recovery.threads.per.data.dir': '1',
    'background.threads': '2',
    'log.cleaner.threads': '1',
  };
  if (major >= 4) {
    // Kafka 4 adds share groups, whose state topic would otherwise want three replicas.
    properties['share.coordinator.state.topic.replication.factor'] = '1';
    properties['share.coordinator.state.topic.min.isr'] = '1';
  }
  return { ...properties, ...input.security, ...input.overrides };
}

/** The properties as a `server.properties` file (`key=value` lines, keys in order). */
export function formatProperties(properties: Record<string, string>): string {
  // Java properties treat `\` as an escape: double it so paths and values stay literal.
  const lines = Object.entries(properties).map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`);
  return `# Written by kafka-stages' local broker launcher; rewritten on every start.\n${lines.join('\n')}\n`;
}

/**
 * A new KRaft cluster id: 16 random bytes in URL-safe base64 without padding (22
 * characters), as Kafka's `Uuid` prints them. Kafka never hands out ids that start with
 * `-` (they would read as command-line flags), so neither does this.
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
