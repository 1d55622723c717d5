import type { EventEmitter } from 'node:events';
import { KafkaSourceStateError } from '../errors';
import type { SourceEvents } from './source-types';

/**
 * The source's readiness: ready while the group is joined with partitions assigned and the
 * broker answers. Emits `ready` and `not-ready` (with the reason) on every change, on the
 * source's emitter.
 */
export class SourceReadiness {
  private readyNow = false;
  /** A request timed out and nothing answered since. */
  private brokerSilent = false;

  constructor(
    private readonly events: EventEmitter<SourceEvents>,
    private readonly name: string,
  ) {}

  get ready(): boolean {
    return this.readyNow;
  }

  set(ready: boolean, reason: string): void {
    if (ready === this.readyNow) return;
    this.readyNow = ready;
    if (ready) this.events.emit('ready');
    else this.events.emit('not-ready', reason);
  }

  /**
   * The group can stay formally joined while the broker does not answer: readiness also
   * follows the requests, lost on a timeout, back on the next heartbeat or fetch.
   */
  requestTimedOut(): void {
    this.brokerSilent = true;
    this.set(false, 'broker not answering');
  }

  /** A heartbeat or fetch answered: ready again if `canBeReady` and the broker was silent. */
  answered(canBeReady: boolean): void {
    if (!this.brokerSilent) return;
    this.brokerSilent = false;
    this.set(canBeReady, 'no partitions assigned');
  }

  /** A join completed: the broker answers. */
  joined(canBeReady: boolean): void {
    this.brokerSilent = false;
    this.set(canBeReady, 'no partitions assigned');
  }

  /** Resolves when ready; rejects after `timeoutMs`. */
  whenReady(timeoutMs = 30_000): Promise<void> {
    if (this.readyNow) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('ready', onReady);
        reject(
          new KafkaSourceStateError(`KafkaSource '${this.name}': not ready after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.events.once('ready', onReady);
    });
  }
}
