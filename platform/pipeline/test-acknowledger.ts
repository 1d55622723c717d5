import { InternalError } from '../../stages/index';
import type { Acknowledger, Message } from '../message/message';

/** How a set of test messages ended: the ones delivered and the ones given up on. */
export interface TestAcknowledgement {
  readonly successful: Message[];
  readonly failed: Message[];
}

/**
 * An acknowledger for tests: collects acknowledgements and resolves `settled` once
 * `expected` messages were acknowledged. Acknowledging a message twice is a pipeline bug,
 * so it rejects `settled` instead of counting it again.
 */
export class TestAcknowledger implements Acknowledger {
  readonly successful: Message[] = [];
  readonly failed: Message[] = [];
  /** Resolves once `expected` messages were acknowledged. */
  readonly settled: Promise<TestAcknowledgement>;
  private readonly seen = new Set<Message>();
  private resolve!: (value: TestAcknowledgement) => void;
  private reject!: (error: Error) => void;

  constructor(private expected = 0) {
    this.settled = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A test that never awaits `settled` must not see an unhandled rejection.
    this.settled.catch(() => {});
    this.check();
  }

  /** Expects `n` more messages (used when messages are created one by one). */
  expect(n: number): void {
    this.expected += n;
  }

  ack(successful: readonly Message[], failed: readonly Message[]): void {
    for (const m of [...successful, ...failed]) {
      if (this.seen.has(m)) {
        this.reject(
          new InternalError(
            `message at offset ${m.offset} of ${m.topic}/${m.partition} was acknowledged twice`,
          ),
        );
        return;
      }
      this.seen.add(m);
    }
    this.successful.push(...successful);
    this.failed.push(...failed);
    this.check();
  }

  private check(): void {
    if (this.expected > 0 && this.seen.size >= this.expected) {
      this.resolve({ successful: this.successful, failed: this.failed });
    }
  }
}
