import {
  type OutRecord,
  TransformStage,
} from '../../../../../platform/apps/metrics-transform/app/transform-stage';
import { validateConfig } from '../../../../../platform/apps/metrics-transform/config/load-config';
import { MetricTransformer } from '../../../../../platform/apps/metrics-transform/transformer';
import type { Message } from '../../../../../platform/message/message';
import { DEAD_LETTER_HEADERS } from '../../../../../platform/pipeline/dead-letter';
import { TestAcknowledger } from '../../../../../platform/pipeline/test-acknowledger';
import { testBatch } from '../../../../../platform/pipeline/test-message';
import { fromIterable } from '../../../../../stages';

const NOW = 1_700_000_000_000;
const ns = (ms: number) => `${ms}000000`;

function setup(lines: string[], generations?: number[], offsets?: number[]) {
  const config = validateConfig({
    input: { topics: [{ name: 'in', format: 'influx' }] },
    aggregations: [{ window: '10s', stats: ['count', 'sum'] }],
    output: { topic: 'out' },
    dead_letter: { topic: 'dlq' },
  });
  const acknowledger = new TestAcknowledger(0);
  const messages = testBatch<Buffer | string | null>(
    lines.map((l) => Buffer.from(l)),
    { topic: 'in', acknowledger, timestamp: NOW },
  );
  messages.forEach((m, i) => {
    if (generations) Object.assign(m, { generation: generations[i] });
    if (offsets) Object.assign(m, { offset: offsets[i] });
  });
  const log: string[] = [];
  const ack = acknowledger.ack.bind(acknowledger);
  acknowledger.ack = (successful, failed) => {
    log.push(`ack ${successful.map((m) => m.offset).join(',')}`);
    ack(successful, failed);
  };
  const outputs: OutRecord[] = [];
  const deadLetters: OutRecord[] = [];
  const source = fromIterable(messages, { name: 'test-source' });
  const stage = new TransformStage({
    transformer: new MetricTransformer<Message<Buffer | string | null>>(config),
    pipeline: 'p',
    outputTopic: 'out',
    deadLetterTopic: 'dlq',
    now: () => NOW,
    // Confirmations take a turn of the event loop, so an early ack would show in the log.
    send: async (records) => {
      await new Promise((r) => setImmediate(r));
      outputs.push(...records);
      log.push(`output ${records.length}`);
    },
    sendDeadLetters: async (records) => {
      await new Promise((r) => setImmediate(r));
      deadLetters.push(...records);
      log.push(`dead-letter ${records.length}`);
    },
    subscribeTo: [{ producer: source, maxDemand: 10 }],
  });
  return { source, stage, log, outputs, deadLetters, acknowledger, messages };
}

describe('TransformStage', () => {
  it('acknowledges a message only after its windows were emitted and confirmed; holds the rest', async () => {
    const { source, stage, log, outputs, deadLetters, acknowledger, messages } = setup([
      `m value=1 ${ns(NOW + 1_000)}`,
      `m value=2 ${ns(NOW + 2_000)}`,
      'm value=oops',
      `m value=5 ${ns(NOW + 25_000)}`,
    ]);
    stage.start();
    source.start();
    await stage.done();
    // Done at once (the refused line) first, then those the tick released; all after both sends.
    expect(log).toEqual(['output 1', 'dead-letter 1', 'ack 2,0,1']);
    expect(JSON.parse(outputs[0]?.value as string)).toEqual({
      name: 'm',
      labels: {},
      start: NOW,
      end: NOW + 10_000,
      count: 2,
      sum: 3,
    });
    expect(outputs[0]).toMatchObject({ topic: 'out', key: 'm' });
    expect(deadLetters[0]).toMatchObject({
      topic: 'dlq',
      value: 'm value=oops',
      headers: {
        [DEAD_LETTER_HEADERS.reason]: 'unparseable',
        [DEAD_LETTER_HEADERS.originOffset]: '2',
        [DEAD_LETTER_HEADERS.errorMessage]: "field 'value' has no valid value: 'oops'",
      },
    });
    // The message in the open window is held: not acknowledged, and its bytes released.
    expect(acknowledger.successful.map((m) => m.offset).sort()).toEqual([0, 1, 2]);
    expect(messages[3]?.data).toBeNull();
  });
});

describe('TransformStage across a rebalance', () => {
  it('starts over on a newer generation and skips messages of an older one', async () => {
    const { source, stage, outputs, acknowledger } = setup(
      [
        `m value=1 ${ns(NOW + 1_000)}`, // generation 1
        `m value=1 ${ns(NOW + 1_000)}`, // the same record delivered again after a rebalance
        `m value=7 ${ns(NOW + 2_000)}`, // a late straggler of generation 1
        `m value=5 ${ns(NOW + 25_000)}`,
      ],
      [1, 2, 1, 2],
      [0, 0, 1, 1],
    );
    stage.start();
    source.start();
    await stage.done();
    expect(outputs.map((o) => JSON.parse(o.value as string))).toEqual([
      { name: 'm', labels: {}, start: NOW, end: NOW + 10_000, count: 1, sum: 1 },
    ]);
    // Only the generation-2 copy is acknowledged; generation-1 messages are not.
    expect(acknowledger.successful.map((m) => (m as { generation?: number }).generation)).toEqual([
      2,
    ]);
  });
});
