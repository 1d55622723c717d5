import {
  formatProperties,
  newClusterId,
  serverProperties,
} from '../../../../platform/kafka/local-broker/server-properties';

const input = {
  host: '127.0.0.1',
  port: 40_001,
  controllerPort: 40_002,
  logDir: '/tmp/k/data',
  kafkaVersion: '3.9.1',
};

describe('serverProperties', () => {
  it('configures one combined broker and controller on loopback with a fixed voter', () => {
    const p = serverProperties(input);
    expect(p).toMatchObject({
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': '1@127.0.0.1:40002',
      listeners: 'PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:40001',
      'controller.listener.names': 'CONTROLLER',
      'log.dirs': '/tmp/k/data',
    });
    // A fixed voter set is what lets the data dir be formatted without --standalone.
    expect(p['controller.quorum.bootstrap.servers']).toBeUndefined();
  });

  it('keeps internal topics at one replica and groups fast', () => {
    expect(serverProperties(input)).toMatchObject({
      'offsets.topic.replication.factor': '1',
      'offsets.topic.num.partitions': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      'group.min.session.timeout.ms': '1000',
      'log.cleaner.dedupe.buffer.size': '2097152',
      'auto.create.topics.enable': 'false',
    });
  });

  it('sets the share-group state topic to one replica only from Kafka 4 on', () => {
    expect(
      serverProperties(input)['share.coordinator.state.topic.replication.factor'],
    ).toBeUndefined();
    expect(
      serverProperties({ ...input, kafkaVersion: '4.1.1' })[
        'share.coordinator.state.topic.replication.factor'
      ],
    ).toBe('1');
  });

  it('lets overrides replace and add entries', () => {
    const p = serverProperties({
      ...input,
      overrides: { 'auto.create.topics.enable': 'true', 'message.max.bytes': '2000000' },
    });
    expect(p['auto.create.topics.enable']).toBe('true');
    expect(p['message.max.bytes']).toBe('2000000');
  });
});

describe('formatProperties', () => {
  it('writes key=value lines and doubles backslashes (Java properties escapes)', () => {
    const text = formatProperties({ a: '1', 'log.dirs': 'C:\\kafka' });
    expect(text.split('\n').slice(1)).toEqual(['a=1', 'log.dirs=C:\\\\kafka', '']);
  });
});

describe('newClusterId', () => {
  it('is 22 characters of URL-safe base64, different each time', () => {
    const a = newClusterId();
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newClusterId()).not.toBe(a);
  });

  it('never starts with a dash (it would read as a command-line flag)', () => {
    // 0xF8 encodes to '-' as the first base64url character.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];
    expect(newClusterId(() => draws.shift()!)).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
  });
});
