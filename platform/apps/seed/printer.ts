import { Consumer, type ConsumerOptions } from '../../../stages';

/** Where the printer writes: returns false when the reader is behind (as a stream does). */
export interface LineSink {
  write(text: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** How a printed line looks: the lesson's `{consumer, event, state}` tuple, or JSON. */
export type LineFormat = 'tuple' | 'json';

/**
 * The lesson's consumer: prints `{consumer, event, state}` for every event, one write per
 * batch. When the output cannot keep up it waits for 'drain' before taking the next batch,
 * so a slow terminal or pipe slows the whole pipeline down to the counter.
 */
export class Printer extends Consumer<number> {
  private readonly state = 'state_doesnt_matter';

  constructor(
    private readonly out: LineSink,
    private readonly format: LineFormat,
    options: ConsumerOptions<number> = {},
  ) {
    super(options);
  }

  handleEvents(events: number[]): Promise<void> | undefined {
    let text = '';
    for (const event of events) {
      text +=
        this.format === 'json'
          ? `${JSON.stringify({ consumer: this.name, event, state: this.state })}\n`
          : `{${this.name}, ${event}, :${this.state}}\n`;
    }
    if (this.out.write(text)) return undefined;
    return new Promise((resolve) => this.out.once('drain', () => resolve()));
  }
}
