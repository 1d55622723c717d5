import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { firstErrorLine, logTail } from '../../../../platform/kafka/local-broker/log-tail';

describe('logTail', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tail-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the last lines, indented', () => {
    const file = path.join(dir, 'log');
    writeFileSync(file, Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') + '\n');
    expect(logTail(file, 3)).toBe('  | line 47\n  | line 48\n  | line 49');
  });

  it('is empty for a missing or empty file', () => {
    expect(logTail(path.join(dir, 'missing'))).toBe('');
    writeFileSync(path.join(dir, 'empty'), '');
    expect(logTail(path.join(dir, 'empty'))).toBe('');
  });

  it('finds the first line that reports an error', () => {
    const file = path.join(dir, 'log');
    writeFileSync(
      file,
      [
        '[main] INFO kafka.Kafka - starting',
        '[main] ERROR kafka.network.DataPlaneAcceptor - Unable to start acceptor',
        'org.apache.kafka.common.KafkaException: Socket server failed to bind: Address already in use.',
        '\tat kafka.network.Acceptor.openServerSocket(SocketServer.scala:734)',
        '[main] INFO kafka.Kafka - shut down',
      ].join('\n'),
    );
    expect(firstErrorLine(file)).toBe(
      '[main] ERROR kafka.network.DataPlaneAcceptor - Unable to start acceptor / org.apache.kafka.common.KafkaException: Socket server failed to bind: Address already in use.',
    );
    writeFileSync(file, '[main] INFO all good\n');
    expect(firstErrorLine(file)).toBeUndefined();
  });
});
