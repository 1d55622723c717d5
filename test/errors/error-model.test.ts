// The one error model (#11 §3), checked over the sources: every code of the closed set is
// used and documented in the README, every error the library throws is a KafkaStagesError,
// and no new plain `Error` appears without a reason written down here.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES, type ErrorCode } from '../../stages/index';

const ROOT = path.resolve(__dirname, '../..');

/** Every TypeScript source of the library (tests, benchmarks and tools are not the library). */
function sources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        out.push({ file: rel, text: readFileSync(path.join(ROOT, rel), 'utf8') });
      }
    }
  };
  walk('stages');
  walk('platform');
  return out;
}

const SOURCES = sources();
const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

/** Classes reaching KafkaStagesError through `extends`, read from the sources. */
function errorFamily(): Set<string> {
  const parent = new Map<string, string>();
  for (const { text } of SOURCES) {
    for (const m of text.matchAll(/class (\w+)(?:<[^>{]*>)? extends (\w+)/g)) {
      parent.set(m[1]!, m[2]!);
    }
  }
  const family = new Set<string>();
  for (const name of parent.keys()) {
    let current: string | undefined = name;
    for (let depth = 0; current !== undefined && depth < 10; depth++) {
      if (current === 'KafkaStagesError') {
        family.add(name);
        break;
      }
      current = parent.get(current);
    }
  }
  return family;
}

/**
 * Plain errors made on purpose, each with why it is not a KafkaStagesError. Keyed by file;
 * the count is how many `new Error(`/`new TypeError(`… the file holds.
 */
const PLAIN_ERRORS: Record<string, { count: number; why: string }> = {
  'platform/pipeline/retry.ts': {
    count: 1,
    why: 'wraps a non-Error value a user handler threw, kept as the failed message’s error',
  },
  'platform/pipeline/processor-step.ts': {
    count: 1,
    why: 'the error of a message failed with reason route (data on the message, not thrown)',
  },
  'platform/kafka/brokers.ts': {
    count: 1,
    why: 'a timeout racing the reachability check, caught and chained as the cause of BrokersUnreachableError',
  },
  'platform/kafka/transactions/transactional-producers.ts': {
    count: 1,
    why: 'a timeout racing the transaction check, caught and chained as the cause of KafkaTransactionError',
  },
  'platform/telemetry/message-tracing.ts': {
    count: 1,
    why: 'wraps a non-Error value to record it on a span',
  },
  'platform/apps/metrics-transform/pipeline/window-handler.ts': {
    count: 4,
    why: 'errors of failed messages (data, dead-lettered), never thrown',
  },
  'platform/apps/metrics-transform/pipeline/transform-pipeline.ts': {
    count: 1,
    why: 'the error of a failed message (data, dead-lettered), never thrown',
  },
};

/** Rejections with a plain error that never leave the library: a timeout racing a call. */
const RACE_TIMEOUTS = new Set([
  'platform/kafka/brokers.ts',
  'platform/kafka/transactions/transactional-producers.ts',
]);

/** Subclasses of Error itself allowed besides KafkaStagesError, with why. */
const PLAIN_CLASSES: Record<string, string> = {
  KafkaStagesError: 'the base of the one error model',
  PartError:
    'the error of a refused part of a message (data: dlq.error.class RejectedPart), never thrown',
};

describe('the closed set of error codes', () => {
  it('documents every code with when it happens and what to do', () => {
    for (const code of CODES) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)+$/);
      expect(ERROR_CODES[code].when.length).toBeGreaterThan(10);
      expect(ERROR_CODES[code].action.length).toBeGreaterThan(3);
    }
  });

  it('uses every code somewhere in the library', () => {
    // The table's keys are not quoted: a quoted code is a class (or a union) declaring it.
    const elsewhere = SOURCES.map((s) => s.text).join('\n');
    const unused = CODES.filter((code) => !elsewhere.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('holds every code an error class declares', () => {
    const declared = new Set<string>();
    for (const { text } of SOURCES) {
      for (const m of text.matchAll(/readonly code = '([A-Z_]+)'/g)) declared.add(m[1]!);
      for (const m of text.matchAll(/^\s*\| '([A-Z]+_[A-Z_]+)'$/gm)) declared.add(m[1]!);
    }
    expect(declared.size).toBeGreaterThan(40);
    expect([...declared].filter((c) => !(c in ERROR_CODES))).toEqual([]);
  });

  it('is the README table "Error codes", row for row', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.split(/^## Error codes$/m)[1]?.split(/^## /m)[0] ?? '';
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (.+) \| (.+) \|$/gm)].map((m) => [
      m[1],
      m[2],
      m[3],
    ]);
    expect(rows).toEqual(
      CODES.map((code) => [code, ERROR_CODES[code].when, ERROR_CODES[code].action]),
    );
  });
});

describe('option problems', () => {
  it('are written only by the one formatter (no hand-made copy of its shape)', () => {
    const copies: string[] = [];
    for (const { file, text } of SOURCES) {
      if (file === path.join('stages', 'option-problem.ts')) continue;
      // Code only: comments may show an example of the shape.
      const code = text
        .split('\n')
        .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
        .join('\n');
      for (const m of code.matchAll(/option '(?:\$\{[^}]+\}|[\w.[\]-]+)' is |: options are /g)) {
        copies.push(`${file}: ${m[0]}`);
      }
    }
    expect(copies).toEqual([]);
  });
});

describe('every error the library throws is a KafkaStagesError', () => {
  const family = errorFamily();

  it('finds the error classes of every layer in the family', () => {
    for (const name of [
      'StageError',
      'InvalidOptionError',
      'PipelineOptionsError',
      'KafkaOptionsError',
      'BrokerError',
      'TelemetryError',
      'RemoteWriteError',
      'TransformConfigError',
      'ControlError',
      'UsageError',
      'LogOptionsError',
      'WiderPauseHolds',
    ]) {
      expect(family).toContain(name);
    }
  });

  it('throws (or rejects with) only classes of the family', () => {
    const outside: string[] = [];
    for (const { file, text } of SOURCES) {
      for (const m of text.matchAll(/(?:throw|reject\()\s*new (\w+)\(/g)) {
        const raceTimeout = m[0].startsWith('reject(') && RACE_TIMEOUTS.has(file);
        if (!family.has(m[1]!) && !raceTimeout) outside.push(`${file}: ${m[0]}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('declares no other subclass of Error', () => {
    const plain: string[] = [];
    for (const { file, text } of SOURCES) {
      for (const m of text.matchAll(/class (\w+) extends (Error|TypeError|RangeError)\b/g)) {
        if (!(m[1]! in PLAIN_CLASSES)) plain.push(`${file}: ${m[1]}`);
      }
    }
    expect(plain).toEqual([]);
  });

  it('makes plain errors only where a reason is written down', () => {
    const found: Record<string, number> = {};
    for (const { file, text } of SOURCES) {
      const n = [...text.matchAll(/new (Error|TypeError|RangeError|SyntaxError|ReferenceError)\(/g)]
        .length;
      if (n > 0) found[file] = n;
    }
    expect(found).toEqual(
      Object.fromEntries(Object.entries(PLAIN_ERRORS).map(([file, { count }]) => [file, count])),
    );
  });
});
