import { isThenable } from '../../stages/index';
import { type Message, markFailed } from '../message/message';
import type { Telemetry } from '../telemetry/telemetry';
import { acknowledge } from './acknowledge';
import type { Batch } from './batch-accumulator';
import type { DeadLetterer } from './dead-letter';
import type { RetryOptions, SinkContext } from './options';
import { asError, backoffDelay, isTransient, type Sleep } from './retry';

/** A sink as the sink stages see it: every kind of sink is adapted to this. */
export interface Sink {
  /** Delivers the messages (never empty); resolves once they are confirmed. */
  send(messages: Message[], context: SinkContext): unknown;
  /** Label of the destination in telemetry (the output topic, or the batcher's name). */
  readonly destination: string;
}

export interface DeliverSettings {
  readonly pipeline: string;
  readonly sink: Sink;
  readonly retry: RetryOptions;
  readonly deadLetterer: DeadLetterer;
  readonly telemetry: Telemetry;
  readonly wait: Sleep;
  /** True once the pipeline stops: transient errors are then no longer retried forever. */
  readonly stopping: () => boolean;
}

/**
 * The end of the pipeline for one batch: calls the sink, retrying a throw with the retry
 * policy, then acknowledges the delivered messages and dead-letters the failed ones (those
 * failed upstream or by the sink). A transient error (one that says `retriable`, such as a
 * broker that is away) is retried without counting attempts for as long as the pipeline
 * runs: a broker outage delays messages, it does not send them to the dead-letter topic.
 */
export async function deliverBatch(batch: Batch, settings: DeliverSettings): Promise<void> {
  const { sink, retry, wait } = settings;
  const context: SinkContext = {
    pipeline: settings.pipeline,
    batcher: batch.batcher,
    batchKey: batch.key,
  };
  let todo = batch.messages.filter((m) => m.status.kind === 'pending');
  for (let attempt = 1; todo.length > 0; ) {
    for (const message of todo) message.attempts++;
    try {
      const result = sink.send(todo, context);
      if (isThenable(result)) await result;
      break;
    } catch (thrown) {
      const error = asError(thrown);
      todo = todo.filter((m) => m.status.kind === 'pending');
      if (isTransient(error) && !settings.stopping()) {
        for (const message of todo) message.attempts--;
        await wait(backoffDelay(retry, Math.min(attempt, 10)));
        continue;
      }
      if (attempt >= retry.attempts) {
        for (const message of todo) markFailed(message, 'sink', error);
        break;
      }
      await wait(backoffDelay(retry, attempt));
      attempt++;
    }
  }
  const delivered: Message[] = [];
  const failed: Message[] = [];
  for (const message of batch.messages) {
    if (message.status.kind === 'pending') {
      message.status = { kind: 'ok' };
      delivered.push(message);
    } else {
      failed.push(message);
    }
  }
  if (delivered.length > 0) {
    settings.telemetry.recordDelivered(sink.destination, delivered, Date.now());
    acknowledge(delivered, []);
  }
  if (failed.length > 0) await settings.deadLetterer.deadLetter(failed);
}
