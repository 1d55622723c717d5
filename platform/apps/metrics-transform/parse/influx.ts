import { type Reject, reject } from '../model/reject';
import { copyLabels, type Sample, setLabel } from '../model/sample';
import type { ParseOptions, ParseResult } from './parse-result';

/** Unit of the line-protocol timestamp. Telegraf writes nanoseconds unless told otherwise. */
export type InfluxPrecision = 'ns' | 'us' | 'ms' | 's';

export interface InfluxParseOptions extends ParseOptions {
  precision?: InfluxPrecision;
}

const DIVISOR: Record<InfluxPrecision, bigint> = { ns: 1_000_000n, us: 1000n, ms: 1n, s: 1n };
const FLOAT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+i$/;
const UNSIGNED = /^\d+u$/;
const TIMESTAMP = /^-?\d{1,19}$/;
const TRUE = new Set(['t', 'T', 'true', 'True', 'TRUE']);
const FALSE = new Set(['f', 'F', 'false', 'False', 'FALSE']);

/**
 * Parses InfluxDB line protocol, as Telegraf's Kafka output writes it by default:
 * `measurement[,tag=value…] field=value[,field=value…] [timestamp]`, one point per line,
 * several lines per record allowed, `#` comment lines and blank lines skipped.
 *
 * Mapping to samples (the same as Telegraf's Prometheus serializer):
 * - each numeric field becomes one sample named `<measurement>_<field>`, except a field
 *   called `value`, which becomes `<measurement>`; tags become labels;
 * - floats as written, integers (`12i`) and unsigned (`12u`) as numbers, booleans as 1/0;
 * - string fields (`"…"`) are skipped: they are not samples. A line with only string
 *   fields is refused as `unparseable`.
 * - the timestamp is converted to ms (floor); without one, the record's timestamp is used.
 *
 * Escaping: in the measurement `\,` and `\ `; in tag keys, tag values and field keys also
 * `\=`; in string field values `\"` and `\\`. A backslash before anything else is itself.
 *
 * A bad line is refused with its reason; the other lines of the record still count.
 * Work is bounded: a record over `maxRecordBytes` or a line over `maxLineLength` is
 * refused before it is scanned, and scanning a line stops at the first tag over the limit.
 */
export function parseInflux(text: string, options: InfluxParseOptions): ParseResult {
  const result: ParseResult = { samples: [], rejects: [] };
  const { limits } = options;
  if (text.length > limits.maxRecordBytes) {
    result.rejects.push(
      reject(
        'line_too_long',
        `record of ${text.length} characters, more than ${limits.maxRecordBytes}`,
        text,
      ),
    );
    return result;
  }
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (line.length > limits.maxLineLength) {
      result.rejects.push(
        reject(
          'line_too_long',
          `line of ${line.length} characters, more than ${limits.maxLineLength}`,
          line,
        ),
      );
      continue;
    }
    const parsed = parseLine(line, options);
    if ('reason' in parsed) result.rejects.push(parsed);
    else for (const s of parsed) result.samples.push(s);
  }
  return result;
}

/** A cursor over one line; `read` stops at an unescaped stop character. */
class Scanner {
  pos = 0;
  constructor(readonly line: string) {}

  get done(): boolean {
    return this.pos >= this.line.length;
  }

  peek(): string | undefined {
    return this.line[this.pos];
  }

  read(stops: string, escapable: string): string {
    // Slices runs of plain characters; only escapes cost a concatenation.
    const { line } = this;
    let out = '';
    let runStart = this.pos;
    while (this.pos < line.length) {
      const c = line[this.pos] as string;
      if (
        c === '\\' &&
        this.pos + 1 < line.length &&
        escapable.includes(line[this.pos + 1] as string)
      ) {
        out += line.slice(runStart, this.pos) + line[this.pos + 1];
        this.pos += 2;
        runStart = this.pos;
        continue;
      }
      if (stops.includes(c)) break;
      this.pos++;
    }
    return out + line.slice(runStart, this.pos);
  }

  /** A double-quoted string; the cursor is on the opening quote. Undefined if unclosed. */
  readQuoted(): string | undefined {
    const { line } = this;
    let out = '';
    this.pos++;
    while (this.pos < line.length) {
      const c = line[this.pos] as string;
      if (c === '\\' && (line[this.pos + 1] === '"' || line[this.pos + 1] === '\\')) {
        out += line[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (c === '"') {
        this.pos++;
        return out;
      }
      out += c;
      this.pos++;
    }
    return undefined;
  }
}

function parseLine(line: string, options: InfluxParseOptions): Sample[] | Reject {
  const { limits } = options;
  const s = new Scanner(line);
  const measurement = s.read(', ', ', ');
  if (measurement === '') return reject('no_name', 'the line has no measurement', line);
  if (measurement.length > limits.maxNameLength) {
    return reject(
      'label_too_long',
      `measurement of ${measurement.length} characters, more than ${limits.maxNameLength}`,
      line,
    );
  }
  const labels: Record<string, string> = {};
  let tagCount = 0;
  while (s.peek() === ',') {
    s.pos++;
    const key = s.read('=, ', ',= ');
    if (s.peek() !== '=' || key === '') {
      return reject('unparseable', `tag at column ${s.pos} is not key=value`, line);
    }
    s.pos++;
    const value = s.read(', ', ',= ');
    tagCount++;
    if (tagCount > limits.maxLabels) {
      return reject('too_many_labels', `more than ${limits.maxLabels} tags`, line);
    }
    if (key.length > limits.maxNameLength || value.length > limits.maxLabelValueLength) {
      return reject('label_too_long', `tag '${key.slice(0, 64)}' is too long`, line);
    }
    setLabel(labels, key, value);
  }
  if (s.peek() !== ' ') return reject('unparseable', 'no fields after the measurement', line);
  while (s.peek() === ' ') s.pos++;

  const fields: [string, number][] = [];
  let stringFields = 0;
  for (;;) {
    const key = s.read('=, ', ',= ');
    if (s.peek() !== '=' || key === '') {
      return reject('unparseable', `field at column ${s.pos} is not key=value`, line);
    }
    s.pos++;
    if (s.peek() === '"') {
      if (s.readQuoted() === undefined) {
        return reject('unparseable', `unclosed string in field '${key}'`, line);
      }
      stringFields++;
    } else {
      const raw = s.read(', ', '');
      const value = fieldValue(raw);
      if (value === undefined) {
        return reject(
          'unparseable',
          `field '${key}' has no valid value: '${raw.slice(0, 40)}'`,
          line,
        );
      }
      fields.push([key, value]);
    }
    if (s.peek() === ',') {
      s.pos++;
      continue;
    }
    break;
  }
  while (s.peek() === ' ') s.pos++;
  let timestamp = options.defaultTimestamp;
  if (!s.done) {
    const raw = line.slice(s.pos).trimEnd();
    if (!TIMESTAMP.test(raw))
      return reject('unparseable', `bad timestamp '${raw.slice(0, 40)}'`, line);
    timestamp = Number(BigInt(raw) / DIVISOR[options.precision ?? 'ns']);
    if (options.precision === 's') timestamp *= 1000;
  }
  if (fields.length === 0) {
    return reject(
      'unparseable',
      stringFields > 0 ? 'only string fields; strings are not samples' : 'no fields',
      line,
    );
  }
  return fields.map(([field, value]) => ({
    name: field === 'value' ? measurement : `${measurement}_${field}`,
    value,
    timestamp,
    labels: copyLabels(labels),
  }));
}

function fieldValue(raw: string): number | undefined {
  if (FLOAT.test(raw)) return Number(raw);
  if (INTEGER.test(raw) || UNSIGNED.test(raw)) return Number(raw.slice(0, -1));
  if (TRUE.has(raw)) return 1;
  if (FALSE.has(raw)) return 0;
  return undefined;
}
