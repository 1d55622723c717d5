import type { Context } from '@opentelemetry/api';
import type { Acknowledger, Message, MessageStatus } from '../../message/message';
import { acknowledge } from '../acknowledge';
import type { StatefulOutput } from './stateful-handler';

const PENDING: MessageStatus = Object.freeze({ kind: 'pending' });

/**
 * The deferred acknowledgement of a stateful stage: the records emitted in one call and
 * the input messages that call finished. Each emitted record is a message of its own whose
 * acknowledger counts down; when the last one is settled (delivered, or dead-lettered) the
 * inputs are acknowledged as successful. So an input offset is committed only after the
 * state it went into reached the sink.
 */
export function emitMessages(
  outputs: readonly StatefulOutput[],
  done: readonly Message[],
  origin: { topic: string; now: number; trace?: Context | undefined },
  onSettled?: () => void,
): Message[] {
  if (outputs.length === 0) {
    if (done.length > 0) acknowledge(done, []);
    onSettled?.();
    return [];
  }
  let pending = outputs.length;
  const acknowledger: Acknowledger = {
    ack(successful, failed) {
      pending -= successful.length + failed.length;
      if (pending !== 0) return;
      if (done.length > 0) acknowledge(done, []);
      onSettled?.();
    },
  };
  return outputs.map((o) => {
    const size = (o.key?.length ?? 0) + (o.value?.length ?? 0);
    const message: Message = {
      data: o.value,
      key: o.key === null ? null : Buffer.isBuffer(o.key) ? o.key : Buffer.from(o.key),
      topic: origin.topic,
      partition: -1,
      offset: -1,
      headers: o.headers ?? {},
      timestamp: o.timestamp ?? origin.now,
      size,
      status: PENDING,
      attempts: 0,
      acknowledger,
    };
    if (origin.trace) message.traceContext = origin.trace;
    return message;
  });
}
