import type { Consumer } from 'kafkajs';
import { createGatedConsumer } from '../../../../platform/kafka/source/join-gate';
import { stopAfterEach } from '../../../support/cleanup';
import { createTopic, newKafka, uniqueName } from '../../../support/kafka';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `consumer` joined its group (kafkajs's GROUP_JOIN). */
function joined(consumer: Consumer): { readonly done: boolean; readonly at: Promise<number> } {
  const state = { done: false, at: Promise.resolve(0) };
  state.at = new Promise((resolve) => {
    consumer.on(consumer.events.GROUP_JOIN, () => {
      state.done = true;
      resolve(Date.now());
    });
  });
  return state;
}

describe('createGatedConsumer', () => {
  const defer = stopAfterEach();

  it("holds the consumer's JoinGroup until the hold resolves; other consumers of the client join at once", async () => {
    const topic = uniqueName('gate');
    await createTopic(topic, 2);
    const kafka = newKafka();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holds = 0;
    const gatedOne = createGatedConsumer(kafka, { groupId: uniqueName('gate-held') }, () => {
      holds++;
      return held;
    });
    expect(gatedOne.gated).toBe(true);
    const consumer = gatedOne.consumer;
    defer(() => consumer.disconnect());
    // The client's factory is put back: a consumer made afterwards is not held.
    const plain = kafka.consumer({ groupId: uniqueName('gate-plain') });
    defer(() => plain.disconnect());
    const heldJoin = joined(consumer);
    const plainJoin = joined(plain);
    for (const c of [consumer, plain]) {
      await c.connect();
      await c.subscribe({ topics: [topic], fromBeginning: true });
    }
    const running = consumer.run({ eachBatch: async () => {} });
    await plain.run({ eachBatch: async () => {} });
    await plainJoin.at;
    await sleep(2_000);
    expect(holds).toBeGreaterThanOrEqual(1);
    expect(heldJoin.done).toBe(false);

    const releasedAt = Date.now();
    release();
    await running;
    expect(await heldJoin.at).toBeGreaterThanOrEqual(releasedAt);
  });
});
