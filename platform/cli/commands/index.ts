import type { Command } from '../command';
import { ctlCommand } from './ctl';
import { exampleCommand } from './example';
import { generateCommand } from './generate';
import { kafkaCommand } from './kafka';
import { runCommand } from './run';

/** Every subcommand, in the order `--help` lists them. Add one line per command file. */
export const commands: readonly Command[] = [
  kafkaCommand,
  runCommand,
  generateCommand,
  exampleCommand,
  ctlCommand,
];
