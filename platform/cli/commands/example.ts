import { parseArgs } from 'node:util';
import { runSeed } from '../../apps/seed/seed-pipeline';
import { type Command, flagError, UsageError } from '../command';

const HELP = `Usage: kafka-stages example seed [options]

Runs the GenStage lesson's pipeline in-process, without Kafka: a counter producer emits
0, 1, 2, …; a producer-consumer keeps the even numbers; consumers print one line per
event, {consumer, event, state}. Events flow only as far as the consumers ask for them
(maxDemand 1000), so a slow terminal slows the counter down.

Options:
  --consumers N   consumers sharing the work (default 1)
  --limit N       emit exactly 0 … N-1, then exit once all are printed (default: run
                  until Ctrl-C)
  --json          print one JSON object per line: {"consumer","event","state"}

Examples:
  kafka-stages example seed --limit 20 --consumers 2
  kafka-stages example seed --limit 100 --consumers 3 --json
`;

const EXAMPLES = ['seed'];

function count(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw flagError('example', {
      path: `--${flag}`,
      value: raw,
      allowed: `a whole number >= ${min}`,
    });
  }
  return n;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        consumers: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export const exampleCommand: Command = {
  name: 'example',
  summary: 'Run an in-process example pipeline (seed: counter -> evens -> consumers)',
  help: HELP,
  async run(argv) {
    const parsed = parse(argv);
    const [example, ...extra] = parsed.positionals;
    if (example === undefined) throw new UsageError(`name an example: ${EXAMPLES.join(', ')}`);
    if (!EXAMPLES.includes(example)) {
      throw new UsageError(`unknown example '${example}'; examples: ${EXAMPLES.join(', ')}`);
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const consumers = count('consumers', parsed.values.consumers, 1, 1);
    const limit = count('limit', parsed.values.limit, Number.POSITIVE_INFINITY, 0);
    const run = runSeed({
      consumers,
      limit,
      format: parsed.values.json ? 'json' : 'tuple',
      out: process.stdout,
    });
    const interrupt = () => void run.stop();
    // `example seed | head`: the reader left; stop quietly instead of crashing on EPIPE.
    const closed = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') void run.kill();
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    process.stdout.on('error', closed);
    try {
      const reasons = await run.done;
      const failure = reasons.find((r) => r instanceof Error);
      if (failure) throw failure;
      return 0;
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      process.stdout.off('error', closed);
    }
  },
};
