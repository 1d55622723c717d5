// Transactional producers against a real broker: a new owner's `prepare` fences the old
// owner at once (before it writes anything itself), and a cluster that cannot run
// transactions is one clear error from `check`, not endless retries.
import { Kafka, logLevel } from 'kafkajs';
import { KafkaFencedError, KafkaTransactionError } from '../../../../platform/kafka/errors';
import { startLocalBroker } from '../../../../platform/kafka/local-broker/local-broker';
import { TransactionalProducers } from '../../../../platform/kafka/transactions/transactional-producers';
import { createLogger } from '../../../../platform/log/logger';
import { stopAfterEach } from '../../../support/cleanup';
import { consumeAll, createTopic, newKafka, uniqueName } from '../../../support/kafka';

const log = createLogger({ level: 'silent' });

describe('TransactionalProducers (real broker)', () => {
  const defer = stopAfterEach();

  it("fences the previous owner on prepare: the zombie's open transaction never becomes visible", async () => {
    const topic = uniqueName('txn-fence');
    await createTopic(topic, 1);
    const prefix = uniqueName('txn-fence-app');
    const told: string[] = [];
    const zombie = new TransactionalProducers(newKafka(), prefix, log, undefined, (t, p) =>
      told.push(`${t}/${p}`),
    );
    const owner = new TransactionalProducers(newKafka(), prefix, log);
    defer(() => zombie.stop());
    defer(() => owner.stop());

    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let opened: () => void = () => {};
    const open = new Promise<void>((r) => {
      opened = r;
    });
    // The zombie writes in a transaction, then stalls (as if frozen) before committing.
    const zombieRun = zombie.run(topic, 0, async (txn) => {
      await txn.send({ topic, messages: [{ value: 'from the zombie' }] });
      opened();
      await held;
    });
    await open;
    // The new owner takes the partition: preparing its producer bumps the epoch.
    await owner.prepare([{ topic, partition: 0 }]);
    release();
    await expect(zombieRun).rejects.toBeInstanceOf(KafkaFencedError);
    // Fenced stays fenced: trying again must not initialise a new producer (that would in
    // turn fence the owner) until the zombie is assigned the partition again.
    await expect(
      zombie.run(topic, 0, async (txn) => {
        await txn.send({ topic, messages: [{ value: 'zombie again' }] });
      }),
    ).rejects.toBeInstanceOf(KafkaFencedError);
    await owner.run(topic, 0, async (txn) => {
      await txn.send({ topic, messages: [{ value: 'from the owner' }] });
    });
    // The zombie was told once, so that it can rejoin its group and learn its assignment.
    expect(told).toEqual([`${topic}/0`]);
    // read_committed (kafkajs's default): only the owner's record.
    const seen = await consumeAll(topic, 1, { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    const all = await consumeAll(topic, seen.length, { timeoutMs: 30_000 });
    expect(all.map((m) => String(m.value))).toEqual(['from the owner']);
  }, 120_000);

  it('an instance that gets a partition back writes again (its producer from before was fenced meanwhile)', async () => {
    const topic = uniqueName('txn-back');
    await createTopic(topic, 1);
    const prefix = uniqueName('txn-back-app');
    const x = new TransactionalProducers(newKafka(), prefix, log);
    const y = new TransactionalProducers(newKafka(), prefix, log);
    defer(() => x.stop());
    defer(() => y.stop());
    const write = (owner: TransactionalProducers, value: string) =>
      owner.run(topic, 0, async (txn) => {
        await txn.send({ topic, messages: [{ value }] });
      });
    await x.prepare([{ topic, partition: 0 }]);
    await write(x, 'x1');
    await y.prepare([{ topic, partition: 0 }]); // a rebalance gives it to y…
    await write(y, 'y1');
    await x.prepare([{ topic, partition: 0 }]); // …and the next one back to x
    await write(x, 'x2');
    await expect(write(y, 'y2')).rejects.toBeInstanceOf(KafkaFencedError);
    const seen = await consumeAll(topic, 3, { timeoutMs: 30_000 });
    expect(seen.map((m) => String(m.value))).toEqual(['x1', 'y1', 'x2']);
  }, 120_000);

  it('check() names the transaction log when the cluster cannot run transactions', async () => {
    // One broker whose transaction log wants three replicas: it can never be created.
    const broker = await startLocalBroker({
      properties: { 'transaction.state.log.replication.factor': '3' },
    });
    defer(() => broker.stop());
    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    const producers = new TransactionalProducers(kafka, uniqueName('txn-check'), log);
    defer(() => producers.stop());
    const started = Date.now();
    const error = (await producers.check(20_000).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(KafkaTransactionError);
    expect(error.message).toContain('exactly_once: the brokers cannot run transactions');
    expect(error.message).toContain('transaction.state.log.replication.factor');
    expect(Date.now() - started).toBeLessThan(25_000);
  }, 120_000);

  it('check() passes on a broker that runs transactions', async () => {
    const producers = new TransactionalProducers(newKafka(), uniqueName('txn-ok'), log);
    defer(() => producers.stop());
    await expect(producers.check(30_000)).resolves.toBeUndefined();
  }, 60_000);
});
