import { compilePlan } from '../../../../../platform/apps/metrics-transform/config/compile-plan';
import { validateConfig } from '../../../../../platform/apps/metrics-transform/config/load-config';
import type { Sample } from '../../../../../platform/apps/metrics-transform/model/sample';
import { newCounts } from '../../../../../platform/apps/metrics-transform/pipeline/transform-pipeline';
import { WindowHandler } from '../../../../../platform/apps/metrics-transform/pipeline/window-handler';
import type { Message } from '../../../../../platform/message/message';
import { testMessage } from '../../../../../platform/pipeline/test-message';

/**
 * WindowHandler with `samplesOf` (make bench-transform's variant without the hop): a message
 * of several samples is done only once every window it went into was emitted.
 */
const config = validateConfig({
  input: { topics: [{ name: 'in', format: 'influx' }], group_id: 'g' },
  aggregations: [{ window: '10s', lateness: '0s', group_by: ['job'], stats: ['count', 'sum'] }],
  output: { topic: 'out', format: 'json' },
  dead_letter: { topic: 'dlq' },
});
const sample = (job: string, value: number, timestamp: number): Sample => ({
  name: 'm',
  value,
  timestamp,
  labels: { job },
});

describe('WindowHandler with samplesOf', () => {
  it('holds a record until the last window of its samples is emitted, and counts each sample', () => {
    const counts = newCounts();
    const of = new Map<Message, Sample[]>();
    const handler = new WindowHandler(compilePlan(config), 'json', counts, (m) => of.get(m));
    // Two samples in the window [0, 10 s), one in [10 s, 20 s).
    const record = testMessage('raw', { partition: 0, offset: 0 });
    of.set(record, [sample('a', 1, 1_000), sample('b', 2, 2_000), sample('a', 4, 11_000)]);

    const handled = handler.handle([record]);
    expect(handled.emit).toEqual([]);
    expect(handled.done).toEqual([]);

    const first = handler.advance(() => 10_000, [0]);
    expect(first.emit.map((e) => JSON.parse(String(e.value)).count)).toEqual([1, 1]);
    expect(first.done).toEqual([]);

    const second = handler.advance(() => 20_000, [0]);
    expect(second.emit.map((e) => JSON.parse(String(e.value)).sum)).toEqual([4]);
    expect(second.done).toEqual([record]);
    expect(handler.heldMessages).toBe(0);
  });

  it('marks a message without samples failed (dead-lettered), never done', () => {
    const handler = new WindowHandler(compilePlan(config), 'json', newCounts(), () => undefined);
    const record = testMessage('raw', { partition: 0, offset: 0 });
    const handled = handler.handle([record]);
    expect(handled.done).toEqual([]);
    expect(record.status.kind).toBe('failed');
  });
});
