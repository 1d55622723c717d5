import type { Command } from '../command';
import { generateCommand } from './generate';
import { kafkaCommand } from './kafka';

/** Every subcommand, in the order `--help` lists them. Add one line per command file. */
export const commands: readonly Command[] = [kafkaCommand, generateCommand];
