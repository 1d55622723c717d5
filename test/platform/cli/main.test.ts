import { type Command, UsageError } from '../../../platform/cli/command';
import { main } from '../../../platform/cli/main';

function fake(run: Command['run']): Command {
  return { name: 'demo', summary: 'a demo command', help: 'Usage: kafka-stages demo', run };
}

describe('cli main', () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  });
  afterEach(() => jest.restoreAllMocks());

  it('lists the commands on --help and exits 0', async () => {
    expect(await main(['--help'], [fake(async () => 0)])).toBe(0);
    expect(out.join('')).toMatch(/demo\s+a demo command/);
  });

  it('names the unknown command and the known ones', async () => {
    expect(await main(['nope'], [fake(async () => 0)])).toBe(2);
    expect(err.join('')).toContain("unknown command 'nope'. Commands: demo.");
  });

  it('prints a usage error with a pointer to --help, exit 2', async () => {
    const code = await main(
      ['demo', '--x'],
      [
        fake(async () => {
          throw new UsageError('--x is not an option');
        }),
      ],
    );
    expect(code).toBe(2);
    expect(err.join('')).toBe(
      'kafka-stages demo: --x is not an option\nSee kafka-stages demo --help.\n',
    );
  });

  it('returns the command exit code', async () => {
    expect(await main(['demo'], [fake(async () => 7)])).toBe(7);
  });
});
