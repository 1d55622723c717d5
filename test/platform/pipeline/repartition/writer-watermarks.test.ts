import { WriterWatermarks } from '../../../../platform/pipeline/repartition/writer-watermarks';

describe('WriterWatermarks', () => {
  it('is the minimum over the writers a partition heard from', () => {
    const w = new WriterWatermarks(1_000);
    w.report(0, 'in/0', 500, 0);
    w.report(0, 'in/1', 300, 0);
    expect(w.current(0, 10)).toBe(300);
    w.report(0, 'in/1', 700, 20);
    expect(w.current(0, 30)).toBe(500);
  });

  it('never goes back for a writer (a re-delivered record reports an older time)', () => {
    const w = new WriterWatermarks(1_000);
    w.report(0, 'in/0', 500, 0);
    w.report(0, 'in/0', 100, 1);
    expect(w.current(0, 2)).toBe(500);
  });

  it('holds at −∞ for an expected writer not heard from, until the idle timeout since assignment', () => {
    const w = new WriterWatermarks(1_000, ['in/0', 'in/1']);
    w.assign(0, 0);
    w.report(0, 'in/0', 500, 10);
    expect(w.current(0, 999)).toBe(Number.NEGATIVE_INFINITY);
    expect(w.current(0, 1_000)).toBe(500);
  });

  it('lets a writer that says it is idle, or went quiet too long, stop holding the watermark back', () => {
    const w = new WriterWatermarks(1_000);
    w.report(0, 'in/0', 500, 0);
    w.report(0, 'in/1', 900, 0);
    expect(w.current(0, 10)).toBe(500);
    w.report(0, 'in/0', 500, 20, true); // in/0 read its input to the end
    expect(w.current(0, 30)).toBe(900);
    w.report(0, 'in/0', 600, 40); // and writes again: it holds from its new progress
    expect(w.current(0, 50)).toBe(600);
    w.report(0, 'in/1', 950, 900);
    expect(w.current(0, 1_500)).toBe(950); // in/0 silent for 1 s while in/1 was heard: gone
    w.report(0, 'in/1', 960, 1_500, true); // in/1 read its input to the end
    expect(w.current(0, 1_600)).toBe(960); // every writer idle or gone: the greatest progress
  });

  it('counts nobody as gone while the reader itself hears nothing (its own stall), and gives everyone time again after it', () => {
    const w = new WriterWatermarks(1_000);
    w.report(0, 'in/0', 500, 0);
    w.report(0, 'in/1', 900, 0);
    // Nothing read for 5 s (the consumer crashed, say): the watermark holds, no window closes
    // without the records still on their way.
    expect(w.current(0, 5_000)).toBe(500);
    // Reading resumes with in/1's backlog: in/0 is not gone at once, its records follow.
    w.report(0, 'in/1', 950, 5_000);
    expect(w.current(0, 5_500)).toBe(500);
    w.report(0, 'in/0', 700, 5_600);
    expect(w.current(0, 5_700)).toBe(700);
    // A writer that stays silent while the other is heard is gone after the full time.
    w.report(0, 'in/1', 990, 6_500);
    expect(w.current(0, 6_700)).toBe(990);
  });

  it('keeps partitions apart and forgets revoked ones', () => {
    const w = new WriterWatermarks(1_000);
    w.report(0, 'in/0', 500, 0);
    w.report(1, 'in/0', 100, 0);
    expect(w.current(0, 1)).toBe(500);
    expect(w.current(1, 1)).toBe(100);
    w.revoke(1);
    expect(w.assigned()).toEqual([0]);
    expect(w.current(1, 1)).toBe(Number.NEGATIVE_INFINITY);
  });
});
