import { createPipeline } from '../../../platform/kafka/index';
import { DEAD_LETTER_HEADERS } from '../../../platform/pipeline/dead-letter';
import { stopAfterEach } from '../../support/cleanup';
import {
  consumeAll,
  createTopic,
  deleteTopics,
  produceRecords,
  type TestRecord,
  uniqueName,
} from '../../support/kafka';
import { client, committedOffsets, endOffsets, PARTITIONS, quietLogger } from './pipeline-kafka';

const RECORDS = 20_000;
// 1% undecodable (not JSON) and 1% that make the handler throw on every attempt.
const undecodable = (i: number) => i % 100 === 7;
const failing = (i: number) => i % 100 === 42;

function record(i: number): TestRecord {
  const value = undecodable(i) ? `{broken ${i}` : JSON.stringify({ i, fail: failing(i) });
  return { key: `key-${i % 97}`, value };
}

describe('pipeline: undecodable records and handler failures', () => {
  const input = uniqueName('dlq-in');
  const output = uniqueName('dlq-out');
  const deadLetters = uniqueName('dlq-dead');
  const groupId = uniqueName('dlq-group');

  beforeAll(async () => {
    await createTopic(input, PARTITIONS);
    await createTopic(output, PARTITIONS);
    await createTopic(deadLetters, 1);
  });
  afterAll(() => deleteTopics(input, output, deadLetters));
  const defer = stopAfterEach();

  it('1% undecodable and 1% failing records end in the dead-letter topic with origin headers; the rest is delivered', async () => {
    await produceRecords(
      input,
      Array.from({ length: RECORDS }, (_, i) => record(i)),
    );
    let handlerCalls = 0;
    const pipeline = createPipeline(
      {
        name: 'dlq',
        source: { client: client(), groupId, topics: [input] },
        decode: (value) => JSON.parse(String(value)),
        processors: {
          concurrency: 2,
          handleMessage: (m) => {
            handlerCalls++;
            const data = m.data as { i: number; fail: boolean };
            if (data.fail) throw new RangeError(`record ${data.i} refused`);
          },
        },
        batchers: { default: { batchSize: 500, batchTimeoutMs: 50 } },
        sinks: { default: { topic: output } },
        retry: { attempts: 3, initialMs: 1, maxMs: 5 },
        deadLetter: { topic: deadLetters },
      },
      { logger: quietLogger },
    );
    defer(() => pipeline.stop());
    await pipeline.start();
    const expectedDead = Array.from({ length: RECORDS }, (_, i) => i).filter(
      (i) => undecodable(i) || failing(i),
    );
    const delivered = await consumeAll(output, RECORDS - expectedDead.length, {
      timeoutMs: 120_000,
    });
    const dead = await consumeAll(deadLetters, expectedDead.length, { timeoutMs: 60_000 });
    const report = await pipeline.stop();
    expect(report.drained).toBe(true);

    // Every other record delivered, once.
    const deliveredIds = delivered.map((r) => (JSON.parse(String(r.value)) as { i: number }).i);
    expect(new Set(deliveredIds).size).toBe(deliveredIds.length);
    expect(deliveredIds.length).toBe(RECORDS - expectedDead.length);
    expect(deliveredIds.some((i) => undecodable(i) || failing(i))).toBe(false);

    // Each failure in the dead-letter topic, with its origin, reason, error and attempts.
    expect(dead).toHaveLength(expectedDead.length);
    const header = (r: (typeof dead)[number], name: string) => r.headers?.[name]?.toString();
    const origin = new Set<string>();
    for (const r of dead) {
      const value = String(r.value);
      const i = Number(/(\d+)/.exec(value)![1]);
      origin.add(
        `${header(r, DEAD_LETTER_HEADERS.originPartition)}/${header(r, DEAD_LETTER_HEADERS.originOffset)}`,
      );
      expect(header(r, DEAD_LETTER_HEADERS.originTopic)).toBe(input);
      expect(r.key?.toString()).toBe(`key-${i % 97}`);
      if (undecodable(i)) {
        expect(value).toBe(`{broken ${i}`);
        expect(header(r, DEAD_LETTER_HEADERS.reason)).toBe('decode');
        expect(header(r, DEAD_LETTER_HEADERS.errorClass)).toBe('SyntaxError');
        expect(header(r, DEAD_LETTER_HEADERS.attempts)).toBe('0');
      } else {
        expect(failing(i)).toBe(true);
        expect(JSON.parse(value)).toEqual({ i, fail: true });
        expect(header(r, DEAD_LETTER_HEADERS.reason)).toBe('handler');
        expect(header(r, DEAD_LETTER_HEADERS.errorClass)).toBe('RangeError');
        expect(header(r, DEAD_LETTER_HEADERS.errorMessage)).toBe(`record ${i} refused`);
        expect(header(r, DEAD_LETTER_HEADERS.attempts)).toBe('3');
      }
    }
    // Origins are distinct records of the input (partition/offset pairs).
    expect(origin.size).toBe(expectedDead.length);
    // Handler: once per decodable record, 3 times per failing one.
    const failingCount = expectedDead.filter(failing).length;
    expect(handlerCalls).toBe(RECORDS - expectedDead.length + 3 * failingCount);
    // Dead-lettered records were acknowledged too: the whole input is committed.
    expect(await committedOffsets(groupId, input)).toEqual(await endOffsets(input));
  }, 240_000);
});
