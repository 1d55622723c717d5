import { createPipeline } from '../../../platform/kafka/index';
import type { Message } from '../../../platform/message/message';
import { stopAfterEach } from '../../support/cleanup';
import {
  consumeAll,
  createTopic,
  deleteTopics,
  produceRecords,
  uniqueName,
} from '../../support/kafka';
import {
  client,
  committedOffsets,
  endOffsets,
  keyedRecord,
  PARTITIONS,
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
  const defer = stopAfterEach();

  it('source → processor → batcher → KafkaSink: all delivered, order kept per partition, offsets committed to the end', async () => {
    await produceRecords(
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
    defer(() => pipeline.stop());
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
    // Records were produced in ascending order, and keys decide the partition on both
    // topics (same partitioner): each output partition must hold its records in ascending
    // order, every record once, and each key on one partition only.
    const partitionOfKey = new Map<string, number>();
    const lastInPartition = new Map<number, number>();
    let outOfOrder = 0;
    const values = new Set<number>();
    for (const r of out) {
      const value = Number(r.value?.toString());
      const key = r.key!.toString();
      values.add(value);
      if ((partitionOfKey.get(key) ?? r.partition) !== r.partition) outOfOrder++;
      partitionOfKey.set(key, r.partition);
      if ((lastInPartition.get(r.partition) ?? -1) >= value) outOfOrder++;
      lastInPartition.set(r.partition, value);
    }
    expect(values.size).toBe(RECORDS);
    expect(outOfOrder).toBe(0);
    expect(lastInPartition.size).toBe(PARTITIONS);
    // Every offset was acknowledged and committed: committed equals the end offset.
    expect(await committedOffsets(groupId, input)).toEqual(await endOffsets(input));
  }, 240_000);
});
