// Fuzzes createTelemetry's options from their schema: every malformed set is refused with
// one TelemetryError (TELEMETRY_OPTIONS_INVALID) naming the option.
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { createTelemetry, telemetryOptionsSchema } from '../../platform/telemetry/create-telemetry';
import { TelemetryError } from '../../platform/telemetry/telemetry-errors';
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

const tracer = { startSpan: () => undefined, startActiveSpan: () => undefined };

const target: FuzzTarget = {
  name: 'telemetry',
  schema: telemetryOptionsSchema,
  example: () => ({
    pipeline: 'orders',
    // A registry of its own per run: accepted options register the metrics on it.
    registry: new Registry(),
    defaultMetrics: false,
    tracing: true,
    tracer,
    consumerGroup: 'orders',
    maxMessageSpansPerBatch: 16,
  }),
  validate: (input) => {
    try {
      return createTelemetry(input as never);
    } catch (error) {
      if (error instanceof TelemetryError) expect(error.code).toBe('TELEMETRY_OPTIONS_INVALID');
      throw error;
    }
  },
  errorClass: TelemetryError,
  // Messages quote the path: option 'a.b'.
  formatPath: (path: Path) => `'${formatPath(path)}'`,
  // One line per problem, all of them listed.
  problems: (error) => error.message.split('\n'),
  listsEveryProblem: true,
};

describe('telemetry options, fuzzed from the schema', () => {
  const counts = newCounts();
  afterAll(() => report(target, counts));

  it('accepts the example the fuzzer starts from', () => {
    expectExampleAccepted(target);
  });

  it(`refuses every malformed value at any of its ${siteCount(target)} options clearly`, () => {
    fc.assert(replacementProperty(target, counts), { numRuns: 200 });
    expect(counts.malformed).toBeGreaterThanOrEqual(100);
  });

  // Was quoted whole before the one formatter of option problems.
  it('shortens a long bad value in the message', () => {
    try {
      createTelemetry({ pipeline: 'x'.repeat(5_000) });
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(600);
      return;
    }
    throw new Error('accepted');
  });

  it('refuses an unknown option, naming it', () => {
    fc.assert(unknownKeyProperty(target, counts), { numRuns: 30 });
    expect(counts.unknownKeys).toBe(30);
  });
});
