import { formatOptionProblem, KafkaStagesError, type OptionProblem } from '../../stages/index';

/**
 * One CLI subcommand. Each lives in its own file under `platform/cli/commands/` and is
 * listed in `commands/index.ts`; `main.ts` only dispatches.
 */
export interface Command {
  /** The word after `kafka-stages`, e.g. `kafka` or `example`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Full `--help` text: usage, options with defaults, examples. */
  readonly help: string;
  /**
   * Runs the command with the arguments after its name. Resolves to the exit code.
   * Throws {@link UsageError} for bad arguments; main prints the message and the help.
   */
  run(argv: string[]): Promise<number>;
}

/** Bad command-line input: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends KafkaStagesError {
  readonly code = 'CLI_USAGE';
}

/**
 * A refused flag (or environment variable) of `kafka-stages <command>`, in the one shape of
 * option problems: `kafka-stages generate: option '--rate' is "0"; allowed: a number …`.
 */
export function flagError(command: string, problem: OptionProblem): UsageError {
  return new UsageError(formatOptionProblem(`kafka-stages ${command}`, problem));
}
