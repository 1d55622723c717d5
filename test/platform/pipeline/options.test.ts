import type { Message } from '../../../platform/message/message';
import { PipelineOptionsError } from '../../../platform/pipeline/errors';
import { type PipelineOptions, validatePipelineOptions } from '../../../platform/pipeline/options';
import { TestSource } from '../../../platform/pipeline/test-source';

const source = { groupId: 'g', client: { brokers: ['localhost:9092'] }, topics: ['orders'] };
const sink = async () => {};

function errorOf(options: unknown): PipelineOptionsError {
  try {
    validatePipelineOptions(options);
  } catch (error) {
    if (error instanceof PipelineOptionsError) return error;
    throw error;
  }
  throw new Error('options were accepted');
}

describe('validatePipelineOptions', () => {
  it('fills in the defaults', () => {
    const valid = validatePipelineOptions({
      name: 'orders',
      source,
      batchers: { default: {} },
      sinks: { default: sink },
    } satisfies PipelineOptions);
    expect(valid.processors).toEqual({ concurrency: 1, maxDemand: 1000 });
    expect(valid.batchers?.default).toEqual({
      batchSize: 100,
      batchTimeoutMs: 1000,
      concurrency: 1,
      maxDemand: 10,
    });
    expect(valid.retry).toEqual({
      attempts: 3,
      backoff: 'exponential',
      jitter: 'equal',
      initialMs: 100,
      maxMs: 10_000,
    });
    expect(valid.drainTimeoutMs).toBe(30_000);
  });

  it('rejects a batch size of 0, naming the path, the value and what is allowed', () => {
    const error = errorOf({
      name: 'orders',
      source,
      batchers: { default: { batchSize: 0 } },
      sinks: { default: sink },
    });
    expect(error.code).toBe('PIPELINE_OPTIONS_INVALID');
    expect(error.path).toBe('batchers.default.batchSize');
    expect(error.message).toBe(
      "Pipeline 'orders': option 'batchers.default.batchSize' is 0; allowed: a number >= 1",
    );
  });

  it('rejects an unknown key and lists the keys allowed there', () => {
    const error = errorOf({
      name: 'orders',
      source,
      batchers: { default: { batchSzie: 10 } },
      sinks: { default: sink },
    });
    expect(error.message).toBe(
      "Pipeline 'orders': option 'batchers.default.batchSzie' is unknown; allowed: one of the keys " +
        'batchSize, batchBytes, batchTimeoutMs, concurrency, maxDemand, batchKey, partitionBy',
    );
  });

  it('rejects an unknown top-level key', () => {
    expect(errorOf({ name: 'orders', source, procesors: {} }).message).toBe(
      "Pipeline 'orders': option 'procesors' is unknown; allowed: one of the keys name, source, decode, processors, " +
        'batchers, route, sinks, repartition, next, processing, commitIntervalMs, retry, deadLetter, ' +
        'supervision, drainTimeoutMs, telemetry',
    );
  });

  it('rejects a non-integer concurrency and an unknown backoff', () => {
    const error = errorOf({
      name: 'orders',
      source,
      processors: { concurrency: 1.5 },
      retry: { backoff: 'linear' },
    });
    expect(error.path).toBe('processors.concurrency');
    expect(error.message).toBe(
      "Pipeline 'orders': option 'processors.concurrency' is 1.5; allowed: an integer\n" +
        'Pipeline \'orders\': option \'retry.backoff\' is "linear"; allowed: one of "exponential", "constant"',
    );
  });

  it('rejects a handler that is not a function', () => {
    expect(errorOf({ name: 'orders', source, processors: { handleMessage: 'x' } }).message).toBe(
      "Pipeline 'orders': option 'processors.handleMessage' is \"x\"; allowed: a function (message) => message | void",
    );
  });

  it('rejects a bad name without naming the pipeline', () => {
    expect(errorOf({ name: 'my orders', source }).message).toBe(
      'Pipeline: option \'name\' is "my orders"; allowed: a string matching /^[A-Za-z0-9._-]{1,100}$/',
    );
  });

  describe('contradictory options', () => {
    it('both handleMessage and handleBatch', () => {
      const error = errorOf({
        name: 'orders',
        source,
        processors: { handleMessage: () => {}, handleBatch: () => {} },
      });
      expect(error.path).toBe('processors');
      expect(error.message).toBe(
        "Pipeline 'orders': option 'processors' is given both handleMessage and handleBatch; " +
          'allowed: one of them (or neither to pass messages through)',
      );
    });

    it('two batchers without route, and a batcher without sink', () => {
      const error = errorOf({
        name: 'orders',
        source,
        batchers: { fast: {}, slow: {} },
        sinks: { fast: sink },
      });
      expect(error.message).toBe(
        "Pipeline 'orders': option 'route' is missing; allowed: a function (message) => one of fast, slow " +
          '(needed with more than one batcher)\n' +
          "Pipeline 'orders': option 'sinks.slow' is missing; allowed: a sink for every batcher (fast, slow)",
      );
    });

    it('a sink for a batcher that does not exist', () => {
      expect(errorOf({ name: 'orders', source, sinks: { default: sink } }).message).toBe(
        "Pipeline 'orders': option 'sinks.default' is a sink that names no batcher; allowed: none (define batchers first)",
      );
    });

    it('retry.initialMs above retry.maxMs', () => {
      const error = errorOf({ name: 'orders', source, retry: { initialMs: 5000, maxMs: 100 } });
      expect(error.path).toBe('retry.initialMs');
      expect(error.message).toBe(
        "Pipeline 'orders': option 'retry.initialMs' is 5000, above retry.maxMs (100); allowed: a delay <= retry.maxMs",
      );
    });

    it('a dead-letter topic the source reads', () => {
      expect(errorOf({ name: 'orders', source, deadLetter: { topic: 'orders' } }).message).toBe(
        "Pipeline 'orders': option 'deadLetter.topic' is \"orders\", a topic the source reads (a loop); allowed: any other topic",
      );
    });

    it('processors.partitionBy with a ready-made source stage', () => {
      const error = errorOf({
        name: 'orders',
        source: new TestSource(),
        processors: { partitionBy: (m: Message) => m.key },
      });
      expect(error.path).toBe('processors.partitionBy');
      expect(error.message).toBe(
        "Pipeline 'orders': option 'processors.partitionBy' is set with a ready-made source stage, which cannot " +
          'get the partition dispatcher it needs; allowed: source as KafkaSource options or as a function ({ name, dispatcher }) => stage',
      );
    });

    it('a dead-letter topic without send when the source is not Kafka', () => {
      expect(
        errorOf({ name: 'orders', source: () => new TestSource(), deadLetter: { topic: 'dlq' } })
          .message,
      ).toBe(
        "Pipeline 'orders': option 'deadLetter.send' is missing; allowed: a function (records) => Promise " +
          '(needed unless the source is KafkaSource options, whose connection the dead-letter producer reuses)',
      );
    });

    it('an empty batchers object', () => {
      expect(errorOf({ name: 'orders', source, batchers: {} }).path).toBe('batchers');
    });
  });

  it('refuses a repartition step without the part after it, and batchers beside it', () => {
    expect(
      errorOf({ name: 'orders', source, repartition: { step: 'by-key', key: () => 'k' } }).message,
    ).toBe(
      "Pipeline 'orders': option 'next' is missing; allowed: the part after the repartition hop ({ stateful | processors, batchers, sinks })",
    );
    expect(
      errorOf({
        name: 'orders',
        source,
        repartition: { step: 'by-key', key: () => 'k' },
        next: { batchers: { out: {} }, sinks: { out: () => undefined } },
        batchers: { out: {} },
        sinks: { out: () => undefined },
      }).message,
    ).toBe(
      "Pipeline 'orders': option 'batchers' is set together with repartition; allowed: batchers and sinks under next (the hop is the end of the first part)",
    );
  });

  it('refuses key and records together, and exactly_once without a stateful stage', () => {
    expect(
      errorOf({
        name: 'orders',
        source,
        repartition: { step: 'by-key', key: () => 'k', records: () => [] },
        next: { batchers: { out: {} }, sinks: { out: () => undefined } },
      }).message,
    ).toMatch(
      /^Pipeline 'orders': option 'repartition\.records' is set together with key; allowed: exactly one of key/,
    );
    expect(
      errorOf({
        name: 'orders',
        source,
        processing: 'exactly_once',
        batchers: { out: {} },
        sinks: { out: () => undefined },
      }).message,
    ).toBe(
      "Pipeline 'orders': option 'processing' is 'exactly_once'; allowed: exactly_once with repartition and next.stateful (other pipelines: at_least_once)",
    );
  });
});
