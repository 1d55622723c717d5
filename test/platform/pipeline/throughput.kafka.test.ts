import type { Message } from '../../../platform/message/message';
import { createPipeline } from '../../../platform/pipeline/pipeline';
import { consumeAll, createTopic, deleteTopics, uniqueName } from '../../support/kafka';
import {
  client,
  committedOffsets,
  endOffsets,
  keyedRecord,
  PARTITIONS,
  produce,
  quietLogger,
} from './pipeline-kafka';

const RECORDS = 200_000;

describe(`pipeline: ${RECORDS} records over ${PARTITIONS} partitions`, () => {
  const input = uniqueName('pipeline-in');
  const output = uniqueName('pipeline-out');
  const groupId = uniqueName('pipeline-group');

  beforeAll(async () => {
    await createTopic(input, PARTITIONS);
    await createTopic(output, PARTITIONS);
  });
  afterAll(() => deleteTopics(input, output));

  it('source → processor → batcher → KafkaSink: all delivered, order kept per partition, offsets committed to the end', async () => {
    await produce(
      input,
      Array.from({ length: RECORDS }, (_, i) => keyedRecord(i)),
    );
    const pipeline = createPipeline(
      {
        name: 'throughput',
        source: { client: client(), groupId, topics: [input] },
        processors: {
          concurrency: 2,
          // One partition's messages always go to the same processor, in order.
          partitionBy: (m) => m.partition,
          handleMessage: (m: Message) => {
            m.data = `${String(m.data)}`;
          },
        },
        batchers: {
          default: {
            batchSize: 1000,
            batchTimeoutMs: 50,
            concurrency: 2,
            batchKey: (m) => m.partition,
          },
        },
        sinks: { default: { topic: output } },
      },
      { logger: quietLogger },
    );
    const started = Date.now();
    await pipeline.start();

    const out = await consumeAll(output, RECORDS, { timeoutMs: 150_000 });
    const seconds = (Date.now() - started) / 1000;
    const report = await pipeline.stop();
    process.stdout.write(
      `pipeline throughput test: ${RECORDS} records in ${seconds.toFixed(1)} s (${Math.round(RECORDS / seconds)} msg/s incl. join and read-back)\n`,
    );

    expect(report.drained).toBe(true);
    expect(out).toHaveLength(RECORDS);
    // Keys decide the partition on both topics (same partitioner), so each output
    // partition holds exactly its input partition's records, in the same order.
    const inputOrder = await consumeAll(input, RECORDS, { timeoutMs: 60_000 });
    const sequence = (records: typeof out, p: number) =>
      records.filter((r) => r.partition === p).map((r) => Number(r.value?.toString()));
    for (let p = 0; p < PARTITIONS; p++) {
      const expected = sequence(inputOrder, p);
      const got = sequence(out, p);
      expect(got.length).toBe(expected.length);
      expect(got).toEqual(expected);
    }
    // Every offset was acknowledged and committed: committed equals the end offset.
    expect(await committedOffsets(groupId, input)).toEqual(await endOffsets(input));
  }, 240_000);
});
