// Fuzzes the metric transformer's configuration from its schema, as an object
// (validateConfig) and as the YAML an operator writes (loadConfig): every malformed
// configuration is refused with one TransformConfigError whose first problem names the key
// path. Random and damaged YAML text is refused the same way, never with a crash.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { configSchema } from '../../platform/apps/metrics-transform/config/config-schema';
import {
  loadConfig,
  validateConfig,
} from '../../platform/apps/metrics-transform/config/load-config';
import { TransformConfigError } from '../../platform/apps/metrics-transform/errors';
import { formatPath } from '../../stages/index';
import {
  expectExampleAccepted,
  type FuzzTarget,
  newCounts,
  replacementProperty,
  report,
  siteCount,
  unknownKeyProperty,
} from './fuzz-options';
import type { Path } from './schema-sites';

const EXAMPLE = readFileSync(path.join(__dirname, '../../examples/metrics-transform.yaml'), 'utf8');

/** The documented example, plus a hashmod rule and a scale so every kind of rule is reached. */
function example(): Record<string, unknown> {
  const config = parse(EXAMPLE) as Record<string, unknown>;
  (config.relabel as unknown[]).push({
    action: 'hashmod',
    source_labels: ['instance'],
    target_label: 'shard',
    modulus: 4,
    separator: ',',
    regex: '(.+)',
    replacement: '$1',
  });
  (config.units as unknown[]).push({ names: ['temp_*'], scale: 0.1 });
  return config;
}

const common = {
  schema: configSchema,
  example,
  errorClass: TransformConfigError,
  // Messages quote the path: option 'a.b[0].c' (a problem inside names its start).
  formatPath: (p: Path) => `'${formatPath(p)}`,
  // One line per problem: the transformer lists every problem at once.
  problems: (error: Error) => error.message.split('\n'),
  listsEveryProblem: true,
};

const asObject: FuzzTarget = {
  ...common,
  name: 'transformer config (object)',
  validate: validateConfig,
};

/** YAML can only say what YAML says: values are judged after a round trip through it. */
function throughYaml(input: unknown): unknown {
  return parse(stringify(input));
}

const asYaml: FuzzTarget = {
  ...common,
  name: 'transformer config (YAML)',
  normalize: throughYaml,
  validate: (input) => loadConfig(stringify(input)),
};

describe.each([asObject, asYaml])('$name, fuzzed from the schema', (target) => {
  const counts = newCounts();
  afterAll(() => report(target, counts));

  it('accepts the example the fuzzer starts from', () => {
    expectExampleAccepted(target);
  });

  it(`refuses every malformed value at any of its ${siteCount(target)} key paths clearly`, () => {
    fc.assert(replacementProperty(target, counts), { numRuns: 300 });
    expect(counts.malformed).toBeGreaterThanOrEqual(150);
  });

  it('refuses an unknown key in any object, naming it', () => {
    fc.assert(unknownKeyProperty(target, counts), { numRuns: 60 });
    expect(counts.unknownKeys).toBe(60);
  });
});

describe('transformer config from damaged YAML text', () => {
  /** Accepted, or refused with a TransformConfigError: never another error. */
  function loadsOrRefuses(text: string): 'accepted' | 'refused' {
    try {
      loadConfig(text);
      return 'accepted';
    } catch (error) {
      if (!(error instanceof TransformConfigError)) throw error;
      expect(error.problems.length).toBeGreaterThan(0);
      expect(error.message).not.toMatch(/\n\s+at\s/);
      return 'refused';
    }
  }

  it('refuses arbitrary text clearly', () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        if (loadsOrRefuses(text) === 'refused') refused++;
      }),
      { numRuns: 200 },
    );
    expect(refused).toBeGreaterThanOrEqual(150);
  });

  it('refuses the example with characters cut, inserted or swapped', () => {
    const damage = fc.tuple(
      fc.nat({ max: EXAMPLE.length - 1 }),
      fc.nat({ max: 5 }),
      // No alias (`*a`) here: an alias without its anchor is the known bug below.
      fc.constantFrom('', ':', '- ', '\t', '{', ']', '"', '&a ', '!!binary ', '\n  '),
    );
    fc.assert(
      fc.property(damage, ([at, cut, insert]) => {
        loadsOrRefuses(EXAMPLE.slice(0, at) + insert + EXAMPLE.slice(at + cut));
      }),
      { numRuns: 200 },
    );
  });

  // yaml's toJS() throws a ReferenceError ("Unresolved alias (the anchor must be set before
  // the alias): x"); loadConfig refuses it as a YAML problem.
  it('refuses an alias whose anchor is missing', () => {
    expect(loadsOrRefuses('input: { topics: [*x] }\noutput: { topic: out }\n')).toBe('refused');
  });

  it('refuses an alias that makes the document refer to itself', () => {
    expect(loadsOrRefuses('input: &loop\n  topics: [*loop]\noutput: { topic: out }\n')).toBe(
      'refused',
    );
  });

  const minimal =
    'input: { topics: [{ name: in, format: influx }] }\noutput: { topic: out }\ndead_letter: { topic: dlq }\n';

  // Was a TypeError, "Converting circular structure to JSON", while the value was quoted.
  it('refuses a duration that refers to itself', () => {
    expect(loadsOrRefuses(`${minimal}limits: { max_future: &a [*a] }\n`)).toBe('refused');
  });

  // Was quoted whole (5 000 characters) before the one formatter of option problems.
  it('shortens a long bad regular expression in the problem', () => {
    try {
      loadConfig(`${minimal}relabel: [{ action: drop, regex: "(${'x'.repeat(5_000)}" }]\n`);
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(600);
      return;
    }
    throw new Error('accepted');
  });

  it('shortens a long bad duration in the problem', () => {
    try {
      loadConfig(`${minimal}rate: { names: [a], stale_after: ${'x'.repeat(5_000)} }\n`);
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(600);
      return;
    }
    throw new Error('accepted');
  });
});
