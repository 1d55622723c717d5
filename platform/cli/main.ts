import { type Command, UsageError } from './command';
import { commands } from './commands/index';

const USAGE = `kafka-stages: GenStage's demand-driven stages with Kafka at both ends

Usage: kafka-stages <command> [options]
       kafka-stages <command> --help

Commands:
{{commands}}

Environment:
  KAFKA_BROKERS   comma-separated broker list; when unset, commands that need Kafka use
                  the local broker (kafka-stages kafka up)
  LOG_LEVEL       trace, debug, info (default), warn, error, fatal, silent
  LOG_FORMAT      pretty (default on a terminal) or json
`;

function usage(list: readonly Command[]): string {
  const width = Math.max(0, ...list.map((c) => c.name.length)) + 2;
  const lines = list.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return USAGE.replace('{{commands}}', lines.join('\n'));
}

/** Dispatches `argv` (without node and script) to a subcommand; resolves to the exit code. */
export async function main(argv: string[], list: readonly Command[] = commands): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage(list));
    return name === undefined ? 2 : 0;
  }
  const command = list.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(
      `kafka-stages: unknown command '${name}'. Commands: ${list.map((c) => c.name).join(', ')}. See kafka-stages --help.\n`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      // A flag problem names its command already (`kafka-stages run: option '--from' is …`).
      const own = `kafka-stages ${name}: `;
      const text = error.message.startsWith(own) ? error.message : `${own}${error.message}`;
      process.stderr.write(`${text}\nSee kafka-stages ${name} --help.\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`kafka-stages ${name}: ${message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`kafka-stages: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
