import { EventEmitter } from 'node:events';
import { keepEven } from '../../../../platform/apps/seed/evens';
import { runSeed } from '../../../../platform/apps/seed/seed-pipeline';

/** A sink that says "full" every other write and drains a little later. */
class SlowSink extends EventEmitter {
  text = '';
  writes = 0;
  write(text: string): boolean {
    this.text += text;
    if (++this.writes % 2 === 0) {
      setTimeout(() => this.emit('drain'), 1);
      return false;
    }
    return true;
  }
}

describe('seed pipeline', () => {
  it('keepEven keeps the even numbers', () => {
    expect(keepEven([0, 1, 2, 3, -4, 5])).toEqual([0, 2, -4]);
  });

  it('waits for drain when the output is full, and still prints everything once', async () => {
    const out = new SlowSink();
    const run = runSeed({ consumers: 2, limit: 5000, format: 'json', out, maxDemand: 100 });
    expect(await run.done).toEqual(['normal', 'normal']);
    const events = out.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event as number);
    expect(events.sort((a, b) => a - b)).toEqual(Array.from({ length: 2500 }, (_, i) => i * 2));
    expect(out.writes).toBeGreaterThan(10);
  });

  it('stop() ends an endless pipeline', async () => {
    const out = new SlowSink();
    const run = runSeed({ consumers: 1, limit: Number.POSITIVE_INFINITY, format: 'tuple', out });
    await new Promise((r) => setTimeout(r, 20));
    expect(await run.stop()).toEqual(['shutdown']);
  });
});
