import { Writable } from 'node:stream';
import pino from 'pino';
import { DeadLetterProducer } from '../../../../platform/kafka/dead-letter';
import { KafkaSink } from '../../../../platform/kafka/sink/kafka-sink';

/** A logger at debug level whose lines land in `lines` (JSON objects). */
function capture(): { log: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split('\n')) if (text) lines.push(JSON.parse(text));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

const EOS_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';
const WARN = 40;

describe('createKafka: kafkajs log lines an operator cannot act on', () => {
  // Regression: every start logged this kafkajs warning once for the sink's producer and once
  // for the dead-letter producer (both idempotent with the client's finite retry count).
  it('logs the idempotent-producer retries warning at debug, not warn', () => {
    const { log, lines } = capture();
    const client = { brokers: ['127.0.0.1:1'], retry: { retries: 3 } };
    new KafkaSink({ client, topic: 'out' }, { logger: log });
    new DeadLetterProducer({ client, topic: 'dlq' }, { logger: log });
    const eos = lines.filter((l) => l.msg === EOS_WARNING);
    expect(eos.length).toBe(2);
    expect(eos.every((l) => l.level < WARN)).toBe(true);
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
  });
});
