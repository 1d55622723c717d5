import { Producer, type ProducerOptions } from '../../stages/index';
import type { Message } from '../message/message';

const PUSHED = Symbol('pushed');

/**
 * A producer stage that emits the messages pushed into it, as far as its consumers ask
 * (Broadway's dummy producer): the source of pipelines under test. Nothing is discarded:
 * pushed messages wait in its own queue until there is demand.
 *
 * ```ts
 * const pipeline = createPipeline({ name: 'p', source: (o) => new TestSource(o), ... });
 * await pipeline.start();
 * const { successful, failed } = await sendTestMessages(pipeline, ['a', 'b']);
 * ```
 */
export class TestSource extends Producer<Message> {
  private readonly queue: Message[] = [];
  private head = 0;
  private wanted = 0;

  constructor(options: ProducerOptions<Message> = {}) {
    super({ name: 'test-source', ...options });
  }

  /** Queues messages for emission; they go out in this order as demand allows. */
  push(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    this.queue.push(...messages);
    this.sendInfo(PUSHED);
  }

  /** Messages pushed and not yet emitted. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  override handleDemand(demand: number): Message[] {
    this.wanted += demand;
    return this.take();
  }

  override handleInfo(message: unknown): Message[] | undefined {
    return message === PUSHED ? this.take() : undefined;
  }

  private take(): Message[] {
    const n = Math.min(this.wanted, this.queue.length - this.head);
    if (n === 0) return [];
    const out = this.queue.slice(this.head, this.head + n);
    this.head += n;
    this.wanted -= n;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    return out;
  }
}
