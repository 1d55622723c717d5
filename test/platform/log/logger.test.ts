import { Writable } from 'node:stream';
import { createLogger } from '../../../platform/log/logger';

/** A logger writing JSON lines into an array. */
function captured(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger({ level: 'trace', destination }) };
}

const PASSWORD = 'pw-logger-7f3a9c';
const KEY = '-----BEGIN PRIVATE KEY-----logger-test-----END PRIVATE KEY-----';

describe('logger redaction', () => {
  it('never writes SASL passwords or TLS keys of client options, wherever they are logged', () => {
    const { lines, log } = captured();
    const client = {
      brokers: ['b:9092'],
      sasl: { mechanism: 'scram-sha-256', username: 'alice', password: PASSWORD },
      ssl: { ca: 'CA', key: KEY },
    };
    log.info(client, 'client at the top');
    log.info({ client }, 'client under client');
    log.info({ options: { client } }, 'client under options');
    log.info({ source: { client } }, 'client under source');
    log.info({ sasl: client.sasl, password: PASSWORD }, 'sasl alone');
    log.child({ component: 'kafkajs' }).warn({ anything: { client } }, 'nested one level');
    expect(lines).toHaveLength(6);
    for (const line of lines) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(KEY);
    }
    // What is not secret stays, so the lines remain useful.
    expect(JSON.parse(lines[1]!).client.sasl).toEqual({
      mechanism: 'scram-sha-256',
      username: 'alice',
      password: '[redacted]',
    });
  });

  it('leaves lines without secrets unchanged', () => {
    const { lines, log } = captured();
    log.info({ brokers: ['b:9092'], user: 'alice' }, 'connected');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      brokers: ['b:9092'],
      user: 'alice',
      msg: 'connected',
    });
  });
});
