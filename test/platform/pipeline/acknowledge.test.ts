import { acknowledge } from '../../../platform/pipeline/acknowledge';
import { TestAcknowledger } from '../../../platform/pipeline/test-acknowledger';
import { testBatch } from '../../../platform/pipeline/test-message';

describe('acknowledge', () => {
  it('makes one call per acknowledger, keeping the order of the messages', () => {
    const a = new TestAcknowledger(3);
    const b = new TestAcknowledger(2);
    const fromA = testBatch([1, 2, 3], { acknowledger: a });
    const fromB = testBatch([4, 5], { acknowledger: b });
    const calls: string[] = [];
    for (const [name, ack] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const original = ack.ack.bind(ack);
      ack.ack = (ok, failed) => {
        calls.push(`${name}:${ok.map((m) => m.data)}|${failed.map((m) => m.data)}`);
        original(ok, failed);
      };
    }
    acknowledge([fromA[0]!, fromB[0]!, fromA[2]!], [fromB[1]!, fromA[1]!]);
    expect(calls).toEqual(['a:1,3|2', 'b:4|5']);
  });

  it('does nothing for no messages', () => {
    expect(() => acknowledge([], [])).not.toThrow();
  });
});

describe('TestAcknowledger', () => {
  it('resolves once the expected messages were acknowledged', async () => {
    const messages = testBatch(['x', 'y']);
    const ack = messages[0]!.acknowledger as TestAcknowledger;
    ack.ack([messages[0]!], []);
    ack.ack([], [messages[1]!]);
    const settled = await ack.settled;
    expect(settled.successful.map((m) => m.data)).toEqual(['x']);
    expect(settled.failed.map((m) => m.data)).toEqual(['y']);
  });

  it('rejects when a message is acknowledged twice', async () => {
    const messages = testBatch(['x', 'y']);
    const ack = messages[0]!.acknowledger as TestAcknowledger;
    ack.ack([messages[0]!], []);
    ack.ack([messages[0]!], []);
    await expect(ack.settled).rejects.toThrow(
      'message at offset 0 of test/0 was acknowledged twice',
    );
  });
});
