import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { formatOptionProblem, KafkaStagesError } from '../../stages/index';

export type { Logger } from 'pino';

/** Where log lines go and how they look. */
export interface LoggerSettings {
  /** `trace` … `fatal`, or `silent`. Default: `LOG_LEVEL`, else `info`. */
  level?: string;
  /**
   * `pretty` for people (colour, one line per event), `json` for machines.
   * Default: `LOG_FORMAT`, else `pretty` when stderr is a terminal and `json` otherwise.
   */
  format?: 'pretty' | 'json';
  /** Component name put on every line. */
  name?: string;
  /**
   * Where JSON lines go instead of stderr (tests read them back). With a destination the
   * format is always JSON.
   */
  destination?: DestinationStream;
}

/**
 * Fields never written out, whatever logs them: SASL passwords and TLS private keys of
 * client options (at the top, or under `client`, `sasl`, `ssl`, `options`, `config`), and
 * authorization headers. Pino replaces their values with `[redacted]`. Messages are not
 * scanned: code must not put secrets into message strings (tests grep for that).
 */
export const REDACTED_PATHS: readonly string[] = (() => {
  const secrets = ['password', 'sasl.password', 'ssl.key', 'ssl.passphrase', 'token'];
  const parents = ['', 'client.', 'options.', 'config.', 'source.', 'sink.', '*.', '*.client.'];
  const paths = parents.flatMap((parent) => secrets.map((secret) => `${parent}${secret}`));
  return [...paths, 'headers.authorization', 'req.headers.authorization', 'authorization'];
})();

/** The log settings were refused (a level pino does not know). */
export class LogOptionsError extends KafkaStagesError {
  readonly code = 'LOG_OPTIONS_INVALID';
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/**
 * Creates the process logger. Logs go to stderr so that commands whose stdout is data
 * (`example seed --json`, `generate`) stay pipeable.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const level = settings.level ?? process.env.LOG_LEVEL ?? 'info';
  if (!LEVELS.has(level)) {
    throw new LogOptionsError(
      formatOptionProblem('log', {
        path: 'level',
        value: level,
        allowed: `one of ${[...LEVELS].join(', ')} (set LOG_LEVEL or --log-level)`,
      }),
    );
  }
  const envFormat = process.env.LOG_FORMAT;
  const format =
    settings.format ??
    (envFormat === 'json' || envFormat === 'pretty' ? envFormat : undefined) ??
    (process.stderr.isTTY ? 'pretty' : 'json');
  const options: LoggerOptions = {
    level,
    base: settings.name ? { name: settings.name } : {},
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  if (settings.destination) return pino(options, settings.destination);
  if (format === 'pretty') {
    return pino(
      options,
      pretty({
        destination: 2,
        colorize: process.stderr.isTTY,
        sync: true,
        ignore: 'pid,hostname',
      }),
    );
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}

let root: Logger | undefined;

/** The shared process logger, created on first use from the environment. */
export function logger(): Logger {
  root ??= createLogger();
  return root;
}

/** Replaces the shared logger (the CLI does this once it has parsed `--log-level`). */
export function setLogger(next: Logger): void {
  root = next;
}
