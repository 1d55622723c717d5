import { performance } from 'node:perf_hooks';
import { isThenable } from '../../stages/index';
import { type Message, type MessageStatus, markFailed } from '../message/message';
import type { Telemetry } from '../telemetry/telemetry';
import { acknowledge } from './acknowledge';
import type { DeadLetterer } from './dead-letter';
import { type HandleSettings, handleMessages } from './handle-messages';
import { isMarker } from './repartition/hop-headers';
import { asError } from './retry';

const OK: MessageStatus = Object.freeze({ kind: 'ok' });

/** What one processor stage does per call, besides the handlers. */
export interface ProcessorStepSettings extends HandleSettings {
  readonly stage: string;
  readonly telemetry: Telemetry;
  readonly deadLetterer: DeadLetterer;
  /**
   * With several batchers: the batcher of each handled message. A name that is not a
   * batcher fails the message with reason `route`.
   */
  readonly route?: ((message: Message) => string) | undefined;
  readonly batchers?: ReadonlySet<string> | undefined;
  /** Remembers the route of a message for the dispatcher. */
  readonly setRoute?: ((message: Message, batcher: string) => void) | undefined;
  /** No batchers: the processors are the end, and acknowledge what they handled. */
  readonly terminal: boolean;
  /** The input is a repartition topic: its watermark markers are acknowledged and dropped. */
  readonly hopInput?: boolean;
}

/**
 * One processor call: decode and handle the messages (with retries), dead-letter the ones
 * that failed (and wait for that), and return the rest for the batchers; or, at the end of
 * a pipeline without batchers, acknowledge them. Reported to telemetry as one batch, traced
 * as one `process` span. Synchronous when nothing in it is asynchronous.
 */
export function processorStep(
  input: Message[],
  settings: ProcessorStepSettings,
): Message[] | Promise<Message[]> {
  const started = performance.now();
  const messages = settings.hopInput ? dropMarkers(input) : input;
  if (messages.length === 0) return messages;
  const { telemetry, stage } = settings;
  const handled = telemetry.traceBatch(stage, messages[0]!.topic, messages, () =>
    handleMessages(messages, settings),
  );
  if (isThenable(handled)) {
    return Promise.resolve(handled).then(() => finish(messages, settings, started));
  }
  return finish(messages, settings, started);
}

function finish(
  messages: Message[],
  settings: ProcessorStepSettings,
  started: number,
): Message[] | Promise<Message[]> {
  const { route } = settings;
  let ok = messages;
  let failed: Message[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.status.kind === 'pending' && route) routeOne(message, route, settings);
    if (message.status.kind !== 'pending') {
      // Copy lazily: the common case (nothing failed) passes the array on as it is.
      if (!failed) {
        failed = [];
        ok = messages.slice(0, i);
      }
      failed.push(message);
    } else if (failed) ok.push(message);
  }
  if (settings.terminal && ok.length > 0) {
    for (const message of ok) message.status = OK;
    settings.telemetry.recordDelivered(settings.stage, ok, Date.now());
    acknowledge(ok, []);
  }
  settings.telemetry.recordBatch(settings.stage, {
    eventsIn: messages.length,
    eventsOut: ok.length,
    seconds: (performance.now() - started) / 1000,
    failures: failed && countReasons(failed),
  });
  const parts = ok.filter((m) => m.rejectedParts !== undefined);
  if (!failed && parts.length === 0) return ok;
  return Promise.all([
    failed ? settings.deadLetterer.deadLetter(failed) : undefined,
    parts.length > 0 ? settings.deadLetterer.deadLetterParts(parts) : undefined,
  ]).then(() => ok);
}

/** Picks the message's batcher; an unknown name or a throwing route fails the message. */
function routeOne(
  message: Message,
  route: (message: Message) => string,
  settings: ProcessorStepSettings,
): void {
  const known = settings.batchers;
  let batcher: string;
  try {
    batcher = route(message);
  } catch (error) {
    markFailed(message, 'route', asError(error));
    return;
  }
  if (known?.has(batcher)) {
    settings.setRoute?.(message, batcher);
    return;
  }
  const names = [...(known ?? [])].join(', ');
  markFailed(
    message,
    'route',
    new Error(`route returned ${JSON.stringify(batcher)}; batchers: ${names}`),
  );
}

function countReasons(messages: readonly Message[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of messages) {
    const reason = m.status.kind === 'failed' ? m.status.reason : m.status.kind;
    counts[reason] = (counts[reason] ?? 0) + 1;
  }
  return counts;
}

/** Watermark markers carry no work for processors: acknowledged at once, not handled. */
function dropMarkers(messages: Message[]): Message[] {
  const markers = messages.filter(isMarker);
  if (markers.length === 0) return messages;
  acknowledge(markers, []);
  return messages.filter((m) => !isMarker(m));
}
