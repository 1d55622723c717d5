import { type CancelMode, Consumer, type StopReason, type Subscription } from '../../stages';
import { Collector, Counter, eventually, range, settle } from './helpers';

class Watcher extends Consumer<number> {
  readonly cancels: StopReason[] = [];
  handleEvents(): Promise<void> {
    // slow, so the endless counter does not spin while the test waits
    return new Promise((resolve) => setTimeout(resolve, 1));
  }
  override handleCancel(reason: StopReason): undefined {
    this.cancels.push(reason);
    return undefined;
  }
  cancelled(): Promise<void> {
    return eventually(() => this.cancels.length > 0);
  }
}

async function outcome(mode: CancelMode, reason: StopReason): Promise<string> {
  const producer = new Counter().start();
  const watcher = new Watcher({ subscribeTo: [{ producer, cancel: mode }] }).start();
  await settle();
  await producer.stop(reason);
  await watcher.cancelled();
  await settle(1);
  expect(watcher.cancels).toEqual([reason]);
  const result = watcher.status;
  await watcher.stop();
  return result;
}

// Generous: these tests wait for conditions, and the machine may be busy.
jest.setTimeout(20_000);

describe('cancel modes', () => {
  const failure = new Error('producer failed');
  it.each([
    ['permanent', 'normal', 'stopped'],
    ['permanent', failure, 'stopped'],
    ['transient', 'normal', 'running'],
    ['transient', 'shutdown', 'running'],
    ['transient', failure, 'stopped'],
    ['temporary', failure, 'running'],
  ] as const)('%s consumer, producer stops with %p: consumer %s', async (mode, reason, status) => {
    expect(await outcome(mode, reason)).toBe(status);
  });

  it('a permanent consumer stops with its producer’s reason', async () => {
    const producer = new Counter().start();
    const sink = new Collector<number>({ subscribeTo: [producer] }).start();
    await settle();
    const error = new Error('gone');
    await producer.stop(error);
    expect(await sink.done()).toBe(error);
  });

  it('cancel() from the consumer: the producer forgets it; temporary keeps the consumer running', async () => {
    const producer = new Counter().start();
    class Once extends Consumer<number> {
      sub?: Subscription;
      override handleSubscribe(_kind: 'producer' | 'consumer', sub: Subscription): undefined {
        this.sub = sub;
        return undefined;
      }
      handleEvents(): void {}
    }
    const consumer = new Once({ subscribeTo: [{ producer, cancel: 'temporary' }] }).start();
    await settle();
    expect(producer.stats().consumers).toHaveLength(1);
    consumer.cancel(consumer.sub!);
    await settle();
    expect(producer.stats().consumers).toHaveLength(0);
    expect(consumer.status).toBe('running');
    // and it can subscribe again at run time
    const again = consumer.subscribe(producer);
    await settle();
    expect(producer.stats().consumers.map((c) => c.id)).toEqual([again.id]);
    await producer.stop();
    await consumer.stop();
  });

  it('finish(): every event reaches the end, then the pipeline stops stage by stage', async () => {
    const producer = new Counter(1234).start();
    const sink = new Collector<number>({ subscribeTo: [{ producer, maxDemand: 100 }] }).start();
    expect(await sink.done()).toBe('normal');
    expect(await producer.done()).toBe('normal');
    expect(sink.events).toEqual(range(0, 1234));
  });
});
