import { createLogger } from '../../../platform/log/logger';
import { exitOnSignals } from '../../../platform/pipeline/shutdown';

const logger = createLogger({ level: 'silent' });

// The handlers are tested with a signal name that nothing else in the test process uses,
// emitted on `process` (no real signal is sent).
const SIGNAL = 'SIGUSR2' as const;

describe('exitOnSignals', () => {
  it('stops every target, then exits 0', async () => {
    const order: string[] = [];
    const exited = new Promise<number>((resolve) => {
      const remove = exitOnSignals(
        [{ stop: async () => void order.push('a') }, { stop: async () => void order.push('b') }],
        {
          signals: [SIGNAL],
          logger,
          beforeStop: () => order.push('before'),
          exit: (code) => {
            remove();
            resolve(code);
          },
        },
      );
    });
    process.emit(SIGNAL, SIGNAL);
    expect(await exited).toBe(0);
    expect(order).toEqual(['before', 'a', 'b']);
  });

  it('exits 1 when a stop fails, after the other targets stopped', async () => {
    let otherStopped = false;
    const exited = new Promise<number>((resolve) => {
      const remove = exitOnSignals(
        [
          {
            stop: async () => {
              throw new Error('commit failed');
            },
          },
          {
            stop: async () => {
              otherStopped = true;
            },
          },
        ],
        {
          signals: [SIGNAL],
          logger,
          exit: (code) => {
            remove();
            resolve(code);
          },
        },
      );
    });
    process.emit(SIGNAL, SIGNAL);
    expect(await exited).toBe(1);
    expect(otherStopped).toBe(true);
  });

  it('a second signal while stopping exits 1 at once', async () => {
    const codes: number[] = [];
    let finish!: () => void;
    const remove = exitOnSignals(
      [
        {
          stop: () =>
            new Promise<void>((resolve) => {
              finish = resolve;
            }),
        },
      ],
      { signals: [SIGNAL], logger, exit: (code) => codes.push(code) },
    );
    process.emit(SIGNAL, SIGNAL);
    await new Promise((r) => setImmediate(r));
    process.emit(SIGNAL, SIGNAL);
    expect(codes).toEqual([1]);
    finish();
    await new Promise((r) => setImmediate(r));
    expect(codes).toEqual([1, 0]);
    remove();
  });
});
