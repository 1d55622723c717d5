import { createPipeline } from '../../../platform/kafka/index';
import type { KafkaSource } from '../../../platform/kafka/source/kafka-source';
import type { RevocationReport } from '../../../platform/kafka/source/revocation';
import type { Pipeline } from '../../../platform/pipeline/index';
import { stopAfterEach } from '../../support/cleanup';
import { createTopic, deleteTopics, produceRecords, uniqueName } from '../../support/kafka';
import {
  client,
  committedOffsets,
  endOffsets,
  keyedRecord,
  PARTITIONS,
  quietLogger,
  tally,
  waitUntil,
} from './pipeline-kafka';

const RECORDS = 60_000;

describe('pipeline: members joining and leaving the group during a run', () => {
  const input = uniqueName('rebalance-in');
  const groupId = uniqueName('rebalance-group');

  beforeAll(() => createTopic(input, PARTITIONS));
  afterAll(() => deleteTopics(input));
  const defer = stopAfterEach();

  it('two instances, a third joins, one leaves: nothing lost, duplicates counted', async () => {
    await produceRecords(
      input,
      Array.from({ length: RECORDS }, (_, i) => keyedRecord(i)),
    );
    // Every delivery of every instance, in one list: duplicates across rebalances show here.
    const delivered: number[] = [];
    const byInstance = new Map<string, number>();
    const instance = (name: string): Pipeline =>
      createPipeline(
        {
          name,
          source: {
            client: { ...client(), clientId: name },
            groupId,
            topics: [input],
            queue: { highWaterEvents: 500 },
            session: {
              sessionTimeoutMs: 6_000,
              heartbeatIntervalMs: 500,
              rebalanceTimeoutMs: 10_000,
            },
            commitIntervalMs: 200,
            rebalanceDrainTimeoutMs: 2_000,
          },
          processors: { maxDemand: 200 },
          batchers: { default: { batchSize: 100, batchTimeoutMs: 20 } },
          sinks: {
            default: async (messages) => {
              // ~0.1 ms per record: the run lasts long enough for members to come and go.
              await new Promise((resolve) => setTimeout(resolve, 10));
              for (const m of messages) delivered.push(Number(String(m.data)));
              byInstance.set(name, (byInstance.get(name) ?? 0) + messages.length);
            },
          },
        },
        { logger: quietLogger },
      );
    const a = instance('member-a');
    const b = instance('member-b');
    const c = instance('member-c');
    for (const p of [a, b, c]) defer(() => p.stop());
    let rebalances = 0;
    const revocations: (RevocationReport & { member: string })[] = [];
    for (const [member, p] of [
      ['a', a],
      ['b', b],
      ['c', c],
    ] as const) {
      const events = (p.source as unknown as KafkaSource).events;
      events.on('assigned', () => rebalances++);
      events.on('revoked', (r) => revocations.push({ ...r, member }));
    }
    await Promise.all([a.start(), b.start()]);

    await waitUntil(
      () => delivered.length >= RECORDS / 4,
      120_000,
      () => `${delivered.length} delivered before c joins`,
    );
    await c.start();
    await waitUntil(
      () => delivered.length >= RECORDS / 2,
      120_000,
      () => `${delivered.length} delivered before a leaves`,
    );
    const leaving = await a.stop();
    await waitUntil(
      () => tally(delivered).unique >= RECORDS,
      120_000,
      () => `${tally(delivered).unique} of ${RECORDS} distinct records delivered`,
    );
    await Promise.all([b.stop(), c.stop()]);

    const { unique, duplicates } = tally(delivered);
    // What the lost assignments (and the leaving member's stop) had handed out above their
    // last confirmed commit: nothing else can be delivered twice.
    const exposed = revocations.reduce((sum, r) => sum + r.exposure, 0);
    const causes = revocations.map((r) => `${r.member}:${r.cause}:${r.exposure}`).join(' ');
    process.stdout.write(
      `rebalance: ${RECORDS} records, ${unique} distinct delivered, ${duplicates} duplicates ` +
        `(${((100 * duplicates) / RECORDS).toFixed(2)}%), ${rebalances} assignments, ` +
        `${revocations.length} revocations (member:cause:exposure ${causes}), ` +
        `${(duplicates / Math.max(1, revocations.length)).toFixed(1)} duplicates per revocation, ` +
        `exposed ${exposed}, per instance ${JSON.stringify(Object.fromEntries(byInstance))}, ` +
        `leaving member drained: ${leaving.drained}\n`,
    );
    expect(unique).toBe(RECORDS);
    expect([...tally(delivered).counts.keys()].every((v) => v >= 0 && v < RECORDS)).toBe(true);
    // Every member got work, and the group did rebalance (join and leave).
    for (const name of ['member-a', 'member-b', 'member-c'])
      expect(byInstance.get(name)).toBeGreaterThan(0);
    expect(rebalances).toBeGreaterThanOrEqual(4);
    expect(duplicates).toBeLessThanOrEqual(exposed);
    // A graceful leave drains and commits: it re-delivers at most what was in flight.
    expect(leaving.drained).toBe(true);
    expect(await committedOffsets(groupId, input)).toEqual(await endOffsets(input));
  }, 240_000);
});
