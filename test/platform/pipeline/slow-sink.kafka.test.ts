import { createPipeline } from '../../../platform/kafka/index';
import type { KafkaSource } from '../../../platform/kafka/source/kafka-source';
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

const RECORDS = 12_000;
const HIGH_WATER = 100;
const FETCH_BYTES = 4_096;
// A queue holds at most its high-water mark plus one fetched batch. The broker always
// returns a whole record batch, however small maxBytesPerPartition is, and the test records
// were produced 2 000 per request (test/support/kafka), so one fetched batch holds at most
// 2 000 records: across all partitions the source never holds more than this.
const PRODUCED_PER_REQUEST = 2_000;
const BUFFER_BOUND = PARTITIONS * HIGH_WATER + PRODUCED_PER_REQUEST;

describe('pipeline: a sink slowed to 1 ms per event', () => {
  const input = uniqueName('slow-in');
  const groupId = uniqueName('slow-group');

  beforeAll(() => createTopic(input, PARTITIONS));
  afterAll(() => deleteTopics(input));
  const defer = stopAfterEach();

  it('pauses partitions, keeps the source buffer bounded, loses nothing and keeps its group membership', async () => {
    await produceRecords(
      input,
      Array.from({ length: RECORDS }, (_, i) => keyedRecord(i)),
    );
    const seen: number[] = [];
    const pipeline = createPipeline(
      {
        name: 'slow',
        source: {
          client: client(),
          groupId,
          topics: [input],
          queue: { highWaterEvents: HIGH_WATER, lowWaterEvents: HIGH_WATER / 2 },
          fetch: { maxBytesPerPartition: FETCH_BYTES, maxWaitTimeMs: 100 },
          // Short session: a member that stopped heartbeating would be evicted within the run.
          session: {
            sessionTimeoutMs: 6_000,
            heartbeatIntervalMs: 1_000,
            rebalanceTimeoutMs: 10_000,
          },
        },
        processors: { maxDemand: 100 },
        batchers: { default: { batchSize: 50, batchTimeoutMs: 20, maxDemand: 2 } },
        sinks: {
          default: async (messages) => {
            await new Promise((resolve) => setTimeout(resolve, messages.length));
            for (const m of messages) seen.push(Number(String(m.data)));
          },
        },
      },
      { logger: quietLogger },
    );
    const source = pipeline.source as unknown as KafkaSource;
    let assignments = 0;
    let notReady = 0;
    source.events.on('assigned', () => assignments++);
    source.events.on('not-ready', () => notReady++);
    let maxBuffered = 0;
    let maxPartitionBuffered = 0;
    const sampler = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, source.bufferedEvents);
      for (const p of source.snapshot()) {
        maxPartitionBuffered = Math.max(maxPartitionBuffered, p.bufferedEvents);
      }
    }, 10);
    defer(() => clearInterval(sampler));
    defer(() => pipeline.stop());

    const started = Date.now();
    await pipeline.start();
    await waitUntil(
      () => seen.length >= RECORDS,
      120_000,
      () => `${seen.length} of ${RECORDS} delivered`,
    );
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    const { pauses, resumes } = source.pauseCounts();
    const notReadyBeforeStop = notReady;
    const report = await pipeline.stop();
    process.stdout.write(
      `slow sink: ${RECORDS} records in ${seconds.toFixed(1)} s, ${pauses} pauses, ${resumes} resumes, ` +
        `max buffered ${maxBuffered} (bound ${BUFFER_BOUND}), max in one partition ${maxPartitionBuffered} ` +
        `(high-water mark ${HIGH_WATER}), assignments ${assignments}\n`,
    );

    expect(pauses).toBeGreaterThan(0);
    expect(resumes).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(BUFFER_BOUND);
    expect(maxPartitionBuffered).toBeLessThanOrEqual(HIGH_WATER + PRODUCED_PER_REQUEST);
    // Nothing lost (and with no rebalance, nothing delivered twice either).
    const { unique, duplicates } = tally(seen);
    expect(unique).toBe(RECORDS);
    expect(duplicates).toBe(0);
    // Never evicted: one assignment for the whole run, never not-ready before stopping.
    expect(assignments).toBe(1);
    expect(notReadyBeforeStop).toBe(0);
    expect(seconds).toBeGreaterThan(10);
    expect(report.drained).toBe(true);
    expect(await committedOffsets(groupId, input)).toEqual(await endOffsets(input));
  }, 240_000);
});
