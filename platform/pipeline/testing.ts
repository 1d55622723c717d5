// Testing a pipeline without a broker, in the spirit of Broadway's test helpers: build the
// pipeline with a TestSource, push test messages and await how each of them ended.
import type { Message } from '../message/message';
import { PipelineStateError } from './errors';
import type { Pipeline } from './pipeline';
import { type TestAcknowledgement, TestAcknowledger } from './test-acknowledger';
import { type TestMessageOptions, testBatch } from './test-message';
import { TestSource } from './test-source';

export { type TestAcknowledgement, TestAcknowledger } from './test-acknowledger';
export { acknowledgerOf, type TestMessageOptions, testBatch, testMessage } from './test-message';
export { TestSource } from './test-source';

/**
 * Pushes `data` (each element becomes one message, consecutive offsets of one partition)
 * or ready-made messages into a pipeline whose source is a {@link TestSource}, and resolves
 * once every one of them was acknowledged: `successful` were delivered, `failed` were given
 * up on (their status says why). Ready-made messages must share one TestAcknowledger.
 *
 * ```ts
 * const pipeline = createPipeline({ name: 't', source: (o) => new TestSource(o), ... });
 * await pipeline.start();
 * const { successful, failed } = await sendTestMessages(pipeline, ['{"a":1}', 'oops']);
 * ```
 */
export function sendTestMessages(
  pipeline: Pipeline,
  data: readonly unknown[] | readonly Message[],
  options: TestMessageOptions = {},
): Promise<TestAcknowledgement> {
  const source = pipeline.source;
  if (!(source instanceof TestSource)) {
    throw new PipelineStateError(
      `sendTestMessages: pipeline '${pipeline.name}' has no TestSource; build it with source: (o) => new TestSource(o)`,
    );
  }
  const messages = data.every(isMessage)
    ? (data as Message[])
    : testBatch(data, {
        ...options,
        acknowledger: options.acknowledger ?? new TestAcknowledger(data.length),
      });
  if (messages.length === 0) return Promise.resolve({ successful: [], failed: [] });
  const acknowledger = messages[0]!.acknowledger;
  if (!(acknowledger instanceof TestAcknowledger)) {
    throw new PipelineStateError(
      'sendTestMessages: messages need a TestAcknowledger (testMessage/testBatch)',
    );
  }
  source.push(messages);
  return acknowledger.settled;
}

function isMessage(value: unknown): value is Message {
  return (
    typeof value === 'object' &&
    value !== null &&
    'acknowledger' in value &&
    'status' in value &&
    'offset' in value
  );
}
