import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The last `lines` lines of a log file (reading at most its last 64 KiB), each indented, for
 * error messages. Empty when the file does not exist or is empty.
 */
export function logTail(file: string, lines = 30): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').trimEnd();
    if (text === '') return '';
    return text
      .split('\n')
      .slice(-lines)
      .map((line) => `  | ${line}`)
      .join('\n');
  } finally {
    closeSync(fd);
  }
}
