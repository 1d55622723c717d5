import { type PartitionerArgs, Partitioners } from 'kafkajs';
import { samePartitionOnRetry } from '../../../../platform/kafka/sink/kafka-producer';

const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({
  partitionId,
  leader: 1,
  partitionErrorCode: 0,
  replicas: [1],
  isr: [1],
  offlineReplicas: [],
})) as PartitionerArgs['partitionMetadata'];

describe('samePartitionOnRetry', () => {
  it('gives a record without a key the partition of its first attempt on every retry', () => {
    const pick = samePartitionOnRetry(Partitioners.DefaultPartitioner());
    const messages = Array.from({ length: 6 }, (_, i) => ({ key: null, value: `v${i}` }));
    const first = messages.map((message) => pick({ topic: 't', partitionMetadata, message }));
    // Round robin underneath: the first attempt spreads the records over the partitions.
    expect(new Set(first).size).toBe(4);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(messages.map((message) => pick({ topic: 't', partitionMetadata, message }))).toEqual(
        first,
      );
    }
    // The plain partitioner moves the same records on a retry (what this guards against).
    const plain = Partitioners.DefaultPartitioner();
    const once = messages.map((message) => plain({ topic: 't', partitionMetadata, message }));
    const again = messages.map((message) => plain({ topic: 't', partitionMetadata, message }));
    expect(again).not.toEqual(once);
  });

  it('leaves keyed and explicitly placed records where the partitioner puts them', () => {
    const pick = samePartitionOnRetry(Partitioners.DefaultPartitioner());
    const plain = Partitioners.DefaultPartitioner();
    for (let i = 0; i < 20; i++) {
      const message = { key: `key-${i}`, value: 'x' };
      expect(pick({ topic: 't', partitionMetadata, message })).toBe(
        plain({ topic: 't', partitionMetadata, message }),
      );
    }
    expect(pick({ topic: 't', partitionMetadata, message: { value: 'x', partition: 3 } })).toBe(3);
  });
});
