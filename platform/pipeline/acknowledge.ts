import type { Acknowledger, Message } from '../message/message';

/**
 * Settles messages with their acknowledgers: one `ack` call per acknowledger, the messages in
 * the order given. Messages of one pipeline usually share one acknowledger (the source's),
 * so this is one call in the common case.
 */
export function acknowledge(successful: readonly Message[], failed: readonly Message[]): void {
  const first = successful[0]?.acknowledger ?? failed[0]?.acknowledger;
  if (!first) return;
  if (
    successful.every((m) => m.acknowledger === first) &&
    failed.every((m) => m.acknowledger === first)
  ) {
    first.ack(successful, failed);
    return;
  }
  const groups = new Map<Acknowledger, { ok: Message[]; failed: Message[] }>();
  const group = (m: Message) => {
    let entry = groups.get(m.acknowledger);
    if (!entry) {
      entry = { ok: [], failed: [] };
      groups.set(m.acknowledger, entry);
    }
    return entry;
  };
  for (const m of successful) group(m).ok.push(m);
  for (const m of failed) group(m).failed.push(m);
  for (const [acknowledger, entry] of groups) acknowledger.ack(entry.ok, entry.failed);
}
