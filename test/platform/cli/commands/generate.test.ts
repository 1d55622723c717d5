import { UsageError } from '../../../../platform/cli/command';
import { generateCommand } from '../../../../platform/cli/commands/generate';
import { runCommand } from '../../../../platform/cli/commands/run';

describe('kafka-stages generate', () => {
  let out: string[];
  beforeEach(() => {
    out = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  });
  afterEach(() => jest.restoreAllMocks());

  it('prints rate × duration samples with --stdout, deterministic for a seed', async () => {
    const args = [
      '--stdout',
      '--rate',
      '50',
      '--duration',
      '200ms',
      '--format',
      'json',
      '--seed',
      '3',
    ];
    expect(await generateCommand.run(args)).toBe(0);
    const first = out.join('').trim().split('\n');
    expect(first).toHaveLength(10);
    for (const line of first)
      expect(Object.keys(JSON.parse(line))).toEqual(['name', 'value', 'timestamp', 'labels']);
    out = [];
    await generateCommand.run(args);
    const second = out.join('').trim().split('\n');
    // Same samples (names, labels, values); timestamps follow the wall clock.
    const strip = (l: string) => {
      const { timestamp: _t, ...rest } = JSON.parse(l);
      return rest;
    };
    expect(second.map(strip)).toEqual(first.map(strip));
  });

  it.each([
    [
      ['--format', 'xml'],
      'kafka-stages generate: option \'--format\' is "xml"; allowed: influx or json',
    ],
    [
      ['--rate', '0'],
      'kafka-stages generate: option \'--rate\' is "0"; allowed: a number from 0.001 to 10000000',
    ],
    [
      ['--duration', 'soon'],
      'kafka-stages generate: option \'--duration\' is "soon"; allowed: a duration like 30s, 5m, 1h or 0',
    ],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j', async (args, message) => {
    await expect(generateCommand.run([...args, '--stdout'])).rejects.toThrow(UsageError);
    await expect(generateCommand.run([...args, '--stdout'])).rejects.toThrow(message);
  });
});

describe('kafka-stages run', () => {
  it.each([
    [[], 'missing application: metrics-transform'],
    [['other'], "unknown application 'other': metrics-transform"],
    [
      ['metrics-transform'],
      "kafka-stages run: option '--config' is missing; allowed: the path of the configuration file",
    ],
    [
      ['metrics-transform', '--config', 'x.yaml', '--from', 'middle'],
      'kafka-stages run: option \'--from\' is "middle"; allowed: committed, earliest or latest',
    ],
  ])('refuses %j', async (args, message) => {
    await expect(runCommand.run(args)).rejects.toThrow(new UsageError(message));
  });
});
