import { atMost } from '../../../../platform/kafka/source/join-gate';

describe('atMost', () => {
  it('resolves when the hold does', async () => {
    const started = Date.now();
    await atMost(Promise.resolve(), 60_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('resolves after the limit when the hold never does', async () => {
    const started = Date.now();
    await atMost(new Promise<void>(() => {}), 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});
