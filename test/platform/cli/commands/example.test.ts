import { main } from '../../../../platform/cli/main';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  jest.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  try {
    const code = await main(argv);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    jest.restoreAllMocks();
  }
}

describe('kafka-stages example seed', () => {
  it('--limit 100 --consumers 3 --json prints the 50 even numbers, each once', async () => {
    const { code, out } = await run([
      'example',
      'seed',
      '--limit',
      '100',
      '--consumers',
      '3',
      '--json',
    ]);
    expect(code).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { consumer: string; event: number });
    expect(lines).toHaveLength(50);
    expect(lines.map((l) => l.event).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i * 2),
    );
    for (const line of lines)
      expect(['consumer-1', 'consumer-2', 'consumer-3']).toContain(line.consumer);
  });

  it('prints the lesson’s {consumer, event, state} lines', async () => {
    const { code, out } = await run(['example', 'seed', '--limit', '6']);
    expect(code).toBe(0);
    expect(out).toBe(
      '{consumer-1, 0, :state_doesnt_matter}\n{consumer-1, 2, :state_doesnt_matter}\n{consumer-1, 4, :state_doesnt_matter}\n',
    );
  });

  it('the consumers share the work', async () => {
    const { out } = await run([
      'example',
      'seed',
      '--limit',
      '20000',
      '--consumers',
      '2',
      '--json',
    ]);
    const consumers = new Set(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).consumer),
    );
    expect(consumers).toEqual(new Set(['consumer-1', 'consumer-2']));
  });

  it.each([
    [
      ['example', 'seed', '--consumers', '0'],
      'kafka-stages example: option \'--consumers\' is "0"; allowed: a whole number >= 1\n',
    ],
    [
      ['example', 'seed', '--limit', 'ten'],
      'kafka-stages example: option \'--limit\' is "ten"; allowed: a whole number >= 0\n',
    ],
    [['example', 'seed', '--fast'], "Unknown option '--fast'"],
    [['example', 'nope'], "unknown example 'nope'; examples: seed"],
    [['example'], 'name an example: seed'],
  ])('%j is a usage error naming the problem', async (argv, message) => {
    const { code, err } = await run(argv);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });

  it('--help', async () => {
    const { code, out } = await run(['example', '--help']);
    expect(code).toBe(0);
    expect(out).toContain('--consumers N');
  });
});
