import { PartitionWatermarks } from '../../../../../platform/apps/metrics-transform/window/partition-watermarks';

describe('PartitionWatermarks', () => {
  it('is −∞ before any data', () => {
    expect(new PartitionWatermarks(1000).current(0)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('is the minimum of the partitions’ maximum event times', () => {
    const w = new PartitionWatermarks(10_000);
    w.observe('t/0', 5_000, 0);
    w.observe('t/0', 3_000, 1); // out of order: the partition's max stays 5000
    w.observe('t/1', 4_000, 1);
    expect(w.current(2)).toBe(4_000);
    w.observe('t/1', 9_000, 3);
    expect(w.current(3)).toBe(5_000);
  });

  it('stops letting an idle partition hold the watermark, until it delivers again', () => {
    const w = new PartitionWatermarks(1_000);
    w.observe('t/0', 100, 0);
    w.observe('t/1', 50_000, 0);
    expect(w.current(500)).toBe(100);
    w.observe('t/1', 60_000, 1_200);
    expect(w.current(1_200)).toBe(60_000); // t/0 idle since 0
    w.observe('t/0', 200, 1_300);
    expect(w.current(1_300)).toBe(200);
  });

  it('lets an assigned partition hold the watermark back until it goes idle', () => {
    const w = new PartitionWatermarks(1_000);
    w.observe('t/0', 5_000, 0);
    w.assign('t/1', 0);
    expect(w.current(10)).toBe(Number.NEGATIVE_INFINITY);
    w.observe('t/0', 6_000, 1_500);
    expect(w.current(1_500)).toBe(6_000);
    expect(w.active(1_500)).toEqual(['t/0']);
  });

  it('uses the greatest when every partition is idle (input stopped), and forgets revoked ones', () => {
    const w = new PartitionWatermarks(1_000);
    w.observe('t/0', 100, 0);
    w.observe('t/1', 900, 0);
    expect(w.current(5_000)).toBe(900);
    w.revoke('t/1');
    expect(w.current(5_000)).toBe(100);
  });
});
