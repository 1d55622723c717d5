import { Consumer, Producer, ProducerConsumer } from '../../stages';

// The A → B → C example at the top of stages/index.ts, as written there (printing into an
// array instead of the console): it must run and end as described.
describe('the how-to example of stages/index.ts', () => {
  it('runs A → B → C, and stopping A stops B and C after the events in flight', async () => {
    const printed: number[] = [];
    class A extends Producer<number> {
      private next = 0;
      handleDemand(demand: number): number[] {
        return Array.from({ length: demand }, () => this.next++);
      }
    }
    class B extends ProducerConsumer<number, number> {
      handleEvents(events: number[]): number[] {
        return events.map((n) => n * 2);
      }
    }
    class C extends Consumer<number> {
      async handleEvents(events: number[]): Promise<void> {
        for (const n of events) printed.push(n);
      }
    }
    const a = new A().start();
    const b = new B({ subscribeTo: [a] }).start();
    const c = new C({ subscribeTo: [{ producer: b, maxDemand: 10 }] }).start();
    await new Promise((r) => setTimeout(r, 5));
    await a.stop();
    expect(await c.done()).toBe('normal');
    expect(await b.done()).toBe('normal');
    expect(printed.length).toBeGreaterThan(0);
    expect(printed).toEqual(printed.map((_, i) => i * 2));
    expect(b.stats().producers).toEqual([]);
  });
});
