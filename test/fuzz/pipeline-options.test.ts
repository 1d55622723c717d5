// Fuzzes validatePipelineOptions from the pipeline's own schema, for a pipeline with two
// batchers and for one with a repartition hop: every malformed option set is refused with
// one PipelineOptionsError naming the key path, never a crash or a stack trace.
import fc from 'fast-check';
import { PipelineOptionsError } from '../../platform/pipeline/errors';
import { pipelineOptionsSchema, validatePipelineOptions } from '../../platform/pipeline/options';
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

const source = () => ({
  groupId: 'orders',
  client: { brokers: ['localhost:9092'] },
  topics: ['orders'],
});
const sink = async () => {};

/** `a.b[0]`, the way the pipeline's messages write paths (the keys here are identifiers). */
/** Messages quote the path: option 'batchers.default.batchSize'. */
const pipelinePath = (path: Path) => `'${formatPath(path)}`;

const common = {
  schema: pipelineOptionsSchema,
  validate: validatePipelineOptions,
  errorClass: PipelineOptionsError,
  formatPath: pipelinePath,
  // Every problem is a line of its own, all of them listed.
  problems: (error: Error) => error.message.split('\n'),
  listsEveryProblem: true,
};

const batched: FuzzTarget = {
  ...common,
  name: 'pipeline with batchers',
  example: () => ({
    name: 'orders',
    source: source(),
    decode: (value: unknown) => value,
    processors: { concurrency: 2, maxDemand: 100, handleMessage: (m: unknown) => m },
    batchers: {
      fast: { batchSize: 10, batchBytes: 4096, batchTimeoutMs: 50, concurrency: 2, maxDemand: 5 },
      slow: { batchSize: 1000, batchTimeoutMs: 1000, batchKey: () => 'k', partitionBy: () => 1 },
    },
    route: () => 'fast',
    sinks: { fast: sink, slow: sink },
    retry: { attempts: 3, backoff: 'constant', jitter: 'none', initialMs: 10, maxMs: 100 },
    deadLetter: { topic: 'orders-dead-letter', send: async () => {} },
    drainTimeoutMs: 1_000,
    telemetry: {},
  }),
};

const repartitioned: FuzzTarget = {
  ...common,
  name: 'pipeline with a repartition hop',
  example: () => ({
    name: 'metrics',
    source: source(),
    processors: { handleBatch: () => undefined, partitionBy: () => 'k' },
    repartition: {
      step: 'by-series',
      partitions: 3,
      replicationFactor: 1,
      key: () => 'k',
      idleTimeoutMs: 1_000,
    },
    next: {
      stateful: { create: () => ({}), tickIntervalMs: 100, maxDemand: 100 },
      batchers: { out: { batchSize: 10 } },
      sinks: { out: sink },
    },
    deadLetter: { topic: 'metrics-dead-letter' },
  }),
};

describe.each([batched, repartitioned])('$name, fuzzed from the schema', (target) => {
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
