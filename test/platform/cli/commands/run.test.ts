// `kafka-stages run metrics-transform`: settings from the environment are checked before
// anything starts (no broker is needed to see the error).
import { join } from 'node:path';
import { runCommand } from '../../../../platform/cli/commands/run';
import { main } from '../../../../platform/cli/main';

const CONFIG = join(__dirname, '../../../../examples/metrics-transform.yaml');

describe('kafka-stages run', () => {
  let err: string[];
  const saved = { ...process.env };
  beforeEach(() => {
    err = [];
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });

  it.each(['abc', '0', '1.5', '-3'])(
    'refuses DRAIN_TIMEOUT_MS=%s with the variable, the value and what is allowed',
    async (value) => {
      process.env.DRAIN_TIMEOUT_MS = value;
      const code = await main(['run', 'metrics-transform', '--config', CONFIG], [runCommand]);
      expect(code).toBe(2);
      expect(err.join('')).toContain(
        `kafka-stages run: option 'DRAIN_TIMEOUT_MS' is "${value}"; allowed: a whole number of milliseconds, at least 1\n`,
      );
    },
  );

  it('documents DRAIN_TIMEOUT_MS in --help', async () => {
    const out: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
    expect(await main(['run', '--help'], [runCommand])).toBe(0);
    expect(out.join('')).toContain('DRAIN_TIMEOUT_MS');
  });
});
