import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

function readEnd(file: string, bytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The last `lines` lines of a log file (reading at most its last 64 KiB), each indented, for
 * error messages. Empty when the file does not exist or is empty.
 */
export function logTail(file: string, lines = 20): string {
  const text = readEnd(file, 64 * 1024).trimEnd();
  if (text === '') return '';
  return text
    .split('\n')
    .slice(-lines)
    .map((line) => `  | ${line}`)
    .join('\n');
}

/**
 * The first line of the log (its last MiB) that reports an error, with the exception lines
 * right after it (not the stack frames): a broker that fails logs the cause once and then
 * pages of orderly shutdown, so the tail alone often misses it.
 */
export function firstErrorLine(file: string): string | undefined {
  const lines = readEnd(file, 1024 * 1024).split('\n');
  const at = lines.findIndex((line) => / (ERROR|FATAL) |Exception|Error: /.test(line));
  if (at < 0) return undefined;
  const detail: string[] = [];
  for (const line of lines.slice(at + 1, at + 4)) {
    // A stack frame or the next log event ends the exception's own lines.
    if (/^\s+at |^\s*\.\.\. \d+ more|^(\d\d:\d\d|\[)/.test(line) || line.trim() === '') break;
    detail.push(line.trim());
  }
  return [lines[at]!.trim(), ...detail].join(' / ');
}
