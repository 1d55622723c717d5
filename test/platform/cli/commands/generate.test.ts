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
    [['--format', 'xml'], "--format must be influx or json, got 'xml'"],
    [['--rate', '0'], "--rate must be a number from 0.001 to 10000000, got '0'"],
    [['--duration', 'soon'], "--duration must be a duration like 30s, 5m, 1h or 0, got 'soon'"],
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
    [['metrics-transform'], '--config <file> is required'],
    [
      ['metrics-transform', '--config', 'x.yaml', '--from', 'middle'],
      "--from must be committed, earliest or latest, got 'middle'",
    ],
  ])('refuses %j', async (args, message) => {
    await expect(runCommand.run(args)).rejects.toThrow(new UsageError(message));
  });
});
