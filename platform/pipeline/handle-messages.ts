import { isThenable } from '../../stages/index';
import { isFailed, type Message, markFailed } from '../message/message';
import type { Decode, HandleBatch, HandleMessage, RetryOptions } from './options';
import { asError, backoffDelay, type Sleep } from './retry';

/** What a processor does to the messages of one call, as set by the pipeline options. */
export interface HandleSettings {
  readonly decode?: Decode | undefined;
  readonly handleMessage?: HandleMessage | undefined;
  readonly handleBatch?: HandleBatch | undefined;
  readonly retry: RetryOptions;
  readonly wait: Sleep;
  /** Keeps a message's value as it arrived, for its dead-letter record (only with decode). */
  readonly keepRaw: (message: Message, raw: unknown) => void;
}

/**
 * The processors' work on one batch of messages, in place: decode, then the handler with
 * retries. Afterwards each message is either still `pending` (handled: on to the batchers)
 * or `failed` with reason `decode` (never retried: decoding again gives the same result),
 * `handler` (threw on every attempt) or the handler's own reason (marked failed by it, a
 * permanent failure: not retried). Never rejects.
 *
 * A retry calls the handler again with `data` as it was before the failed attempt, after the
 * backoff; the processor waits meanwhile (its queue fills, and back-pressure does the rest).
 */
export function handleMessages(
  messages: Message[],
  settings: HandleSettings,
): Promise<void> | undefined {
  const { decode, handleMessage, handleBatch } = settings;
  if (decode) decodeAll(messages, decode, settings.keepRaw);
  if (handleMessage) return handleEach(messages, handleMessage, settings);
  if (handleBatch) return handleTogether(messages, handleBatch, settings);
  return undefined;
}

function decodeAll(messages: Message[], decode: Decode, keepRaw: HandleSettings['keepRaw']): void {
  for (const message of messages) {
    const raw = message.data;
    keepRaw(message, raw);
    try {
      message.data = decode(raw, message);
    } catch (error) {
      markFailed(message, 'decode', asError(error));
    }
  }
}

async function handleEach(
  messages: Message[],
  handle: HandleMessage,
  settings: HandleSettings,
): Promise<void> {
  const { retry, wait } = settings;
  for (const message of messages) {
    if (message.status.kind !== 'pending') continue;
    const data = message.data;
    for (let attempt = 1; ; attempt++) {
      message.attempts++;
      try {
        // Synchronous handlers are not awaited: an await per message would cost more than
        // most handlers do.
        const result = handle(message);
        if (isThenable(result)) await result;
        break;
      } catch (error) {
        if (isFailed(message)) break;
        message.data = data;
        if (attempt >= retry.attempts) {
          markFailed(message, 'handler', asError(error));
          break;
        }
        await wait(backoffDelay(retry, attempt));
      }
    }
  }
}

async function handleTogether(
  messages: Message[],
  handle: HandleBatch,
  settings: HandleSettings,
): Promise<void> {
  const { retry, wait } = settings;
  let todo = messages.filter((m) => m.status.kind === 'pending');
  const before = new Map(todo.map((m) => [m, m.data]));
  for (let attempt = 1; todo.length > 0; attempt++) {
    for (const message of todo) message.attempts++;
    try {
      const result = handle(todo);
      if (isThenable(result)) await result;
      return;
    } catch (error) {
      // Messages the handler marked failed before throwing keep their own reason.
      todo = todo.filter((m) => m.status.kind === 'pending');
      for (const message of todo) message.data = before.get(message);
      if (attempt >= retry.attempts) {
        const reason = asError(error);
        for (const message of todo) markFailed(message, 'handler', reason);
        return;
      }
      await wait(backoffDelay(retry, attempt));
    }
  }
}
