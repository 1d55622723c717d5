import { type Message, markFailed } from '../message/message';
import { asError } from './retry';

/**
 * Calls a user's key function (`processors.partitionBy`, a batcher's `batchKey` or
 * `partitionBy`). These run inside dispatchers and batch accumulators, where a throw would
 * stop the stage; instead the message is marked failed with `reason` (so it is
 * dead-lettered like any other failure) and takes the `undefined` key.
 */
export function keyOf(
  key: (message: Message) => unknown,
  message: Message,
  reason: 'partition-key' | 'batch-key',
): unknown {
  try {
    return key(message);
  } catch (thrown) {
    if (message.status.kind === 'pending') markFailed(message, reason, asError(thrown));
    return undefined;
  }
}
