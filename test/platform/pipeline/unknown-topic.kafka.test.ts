import { KafkaTopicNotFoundError } from '../../../platform/kafka/errors';
import { createPipeline } from '../../../platform/kafka/index';
import { stopAfterEach } from '../../support/cleanup';
import { uniqueName } from '../../support/kafka';
import { client, quietLogger } from './pipeline-kafka';

describe('pipeline: a topic that does not exist', () => {
  const defer = stopAfterEach();
  it('fails start with the source error naming the topic, and stops cleanly', async () => {
    const missing = uniqueName('missing-topic');
    const pipeline = createPipeline(
      {
        name: 'unknown-topic',
        source: { client: client(), groupId: uniqueName('g'), topics: [missing] },
        batchers: { default: {} },
        sinks: { default: async () => {} },
      },
      { logger: quietLogger },
    );
    defer(() => pipeline.stop());
    const error = await pipeline.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaTopicNotFoundError);
    expect((error as Error).message).toContain(missing);
    const report = await pipeline.stop();
    expect(report.drained).toBe(true);
    expect(await pipeline.done()).toBeInstanceOf(Error);
  }, 60_000);
});
