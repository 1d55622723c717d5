// Every options parser of the library refuses a bad option the same way: a KafkaStagesError
// of its own class and code, whose message is `<component>: option '<path>' is <value>;
// allowed: <what is allowed>` (one line per problem). One bad option per parser, each asked
// through the parser's own entry point.
import { Registry } from 'prom-client';
import { validateConfig } from '../../platform/apps/metrics-transform/config/load-config';
import { TransformConfigError } from '../../platform/apps/metrics-transform/errors';
import { UsageError } from '../../platform/cli/command';
import { generateCommand } from '../../platform/cli/commands/generate';
import { parsePauseBody, parseSetBody } from '../../platform/control/control-body';
import { ControlError } from '../../platform/control/controllable';
import { httpOptionsFromEnv } from '../../platform/http/http-server';
import { clientOptionsFromEnv } from '../../platform/kafka/client/client-options';
import { KafkaOptionsError } from '../../platform/kafka/errors';
import { InvalidBrokerOptionsError } from '../../platform/kafka/local-broker/errors';
import { resolveLocalBrokerOptions } from '../../platform/kafka/local-broker/options';
import { parseOptions } from '../../platform/kafka/parse-options';
import { KafkaSink } from '../../platform/kafka/sink/kafka-sink';
import { kafkaSourceOptionsSchema } from '../../platform/kafka/source/options';
import { createLogger, LogOptionsError } from '../../platform/log/logger';
import { PipelineOptionsError } from '../../platform/pipeline/errors';
import { validatePipelineOptions } from '../../platform/pipeline/options';
import { TestSource } from '../../platform/pipeline/test-source';
import { RemoteWriteOptionsError } from '../../platform/sinks/remote-write/errors';
import { validateRemoteWriteOptions } from '../../platform/sinks/remote-write/options';
import { createTelemetry } from '../../platform/telemetry/create-telemetry';
import { TelemetryError } from '../../platform/telemetry/telemetry-errors';
import {
  type ErrorCode,
  InvalidOptionError,
  KafkaStagesError,
  Producer,
  Supervisor,
} from '../../stages/index';

/** `<component>: option '<path>' is <value>; allowed: <what>` (or `options are` for the whole). */
const SHAPE = /^(.+?): (?:option '(.+?)' is|options are) (.+); allowed: (.+)$/;

async function refusal(run: () => unknown): Promise<KafkaStagesError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof KafkaStagesError) return error;
    throw new Error(`not a KafkaStagesError: ${String(error)}`);
  }
  throw new Error('accepted');
}

const client = { brokers: ['localhost:9092'] };

/** [parser, how it is asked, class, code, exact first line]. */
const CASES: [
  string,
  () => unknown,
  abstract new (...args: never[]) => Error,
  ErrorCode,
  string,
][] = [
  [
    'stage',
    () =>
      new (class extends Producer<number> {
        handleDemand(): number[] {
          return [];
        }
      })({ name: 'p', bufferSize: -1 }),
    InvalidOptionError,
    'STAGE_INVALID_OPTION',
    "stage 'p': option 'bufferSize' is -1; allowed: an integer >= 0 or Infinity",
  ],
  [
    'supervisor',
    () => new Supervisor([], { name: 'sup', strategy: 'all_at_once' as never }),
    InvalidOptionError,
    'STAGE_INVALID_OPTION',
    'supervisor \'sup\': option \'strategy\' is "all_at_once"; allowed: one of "one_for_one", "rest_for_one"',
  ],
  [
    'pipeline',
    () =>
      validatePipelineOptions({
        name: 'orders',
        source: new TestSource(),
        batchers: { out: { batchSize: 0 } },
        sinks: { out: () => undefined },
      }),
    PipelineOptionsError,
    'PIPELINE_OPTIONS_INVALID',
    "Pipeline 'orders': option 'batchers.out.batchSize' is 0; allowed: a number >= 1",
  ],
  [
    'Kafka source',
    () =>
      parseOptions('KafkaSource', kafkaSourceOptionsSchema, {
        client,
        groupId: 'g',
        topics: ['t'],
        commitIntervalMs: -5,
      }),
    KafkaOptionsError,
    'KAFKA_OPTIONS_INVALID',
    "KafkaSource: option 'commitIntervalMs' is -5; allowed: a number >= 10",
  ],
  [
    'Kafka sink',
    () => new KafkaSink({ client, topic: 'out', acks: 2 as never }),
    KafkaOptionsError,
    'KAFKA_OPTIONS_INVALID',
    "KafkaSink: option 'acks' is 2; allowed: -1 (or 'all'), 1 or 0",
  ],
  [
    'Kafka client from the environment',
    () => clientOptionsFromEnv({ KAFKA_BROKERS: 'b:9092', KAFKA_SASL_MECHANISM: 'kerberos' }),
    KafkaOptionsError,
    'KAFKA_OPTIONS_INVALID',
    'KafkaClient: option \'KAFKA_SASL_MECHANISM\' is "kerberos"; allowed: one of plain, scram-sha-256, scram-sha-512 (sasl.mechanism)',
  ],
  [
    'telemetry',
    () => createTelemetry({ pipeline: 'p', registry: new Registry(), maxMessageSpansPerBatch: -1 }),
    TelemetryError,
    'TELEMETRY_OPTIONS_INVALID',
    "telemetry: option 'maxMessageSpansPerBatch' is -1; allowed: a number >= 0",
  ],
  [
    'HTTP server from the environment',
    () => httpOptionsFromEnv({ HTTP_PORT: '99999' }),
    TelemetryError,
    'HTTP_OPTIONS_INVALID',
    'http server: option \'HTTP_PORT\' is "99999"; allowed: an integer from 0 to 65535',
  ],
  [
    'local broker',
    () => resolveLocalBrokerOptions({ heap: 'lots' }, {}),
    InvalidBrokerOptionsError,
    'BROKER_OPTIONS_INVALID',
    "local broker: option 'heap' is \"lots\"; allowed: a JVM heap size like '512m' or '1g'",
  ],
  [
    'remote-write sink',
    () => validateRemoteWriteOptions({ url: 'http://h/w', maxSamplesPerRequest: 0 }),
    RemoteWriteOptionsError,
    'REMOTE_WRITE_OPTIONS_INVALID',
    "RemoteWriteSink: option 'maxSamplesPerRequest' is 0; allowed: a number >= 1",
  ],
  [
    'transformer config',
    () =>
      validateConfig({
        input: { topics: [{ name: 'in', format: 'xml' }] },
        output: { topic: 'out' },
        dead_letter: { topic: 'dlq' },
      }),
    TransformConfigError,
    'TRANSFORM_CONFIG_INVALID',
    'metrics-transform config: option \'input.topics[0].format\' is "xml"; allowed: one of "influx", "json", "otlp_proto", "otlp_json"',
  ],
  [
    'control (pause body)',
    () => parsePauseBody({ topic: 'in', partition: 'one' }, 'pause'),
    ControlError,
    'CONTROL_BAD_REQUEST',
    'POST /control/pause: option \'partition\' is "one"; allowed: an integer from 0 to 2147483647',
  ],
  [
    'control (set body)',
    () => parseSetBody({ batcher: 'out', batchSize: 0 }),
    ControlError,
    'CONTROL_BAD_REQUEST',
    "POST /control/set: option 'batchSize' is 0; allowed: an integer from 1 to 1000000",
  ],
  [
    'CLI flags',
    () => generateCommand.run(['--rate', 'fast', '--stdout']),
    UsageError,
    'CLI_USAGE',
    'kafka-stages generate: option \'--rate\' is "fast"; allowed: a number from 0.001 to 10000000',
  ],
  [
    'log level',
    () => createLogger({ level: 'loud' }),
    LogOptionsError,
    'LOG_OPTIONS_INVALID',
    'log: option \'level\' is "loud"; allowed: one of trace, debug, info, warn, error, fatal, silent (set LOG_LEVEL or --log-level)',
  ],
];

describe('one shape of option problems across every parser', () => {
  it.each(CASES)('%s', async (_name, run, errorClass, code, line) => {
    const error = await refusal(run);
    expect(error).toBeInstanceOf(errorClass);
    expect(error.code).toBe(code);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(line);
    for (const each of lines) expect(each).toMatch(SHAPE);
  });

  it('names an unknown key the same way in every parser', async () => {
    const unknown = [
      await refusal(() =>
        parseOptions('KafkaSource', kafkaSourceOptionsSchema, {
          client,
          groupId: 'g',
          topics: ['t'],
          qeue: {},
        }),
      ),
      await refusal(() =>
        validatePipelineOptions({ name: 'p', source: new TestSource(), procesors: {} }),
      ),
      await refusal(() => createTelemetry({ pipeline: 'p', tracng: true } as never)),
      await refusal(() => resolveLocalBrokerOptions({ prot: 1 } as never, {})),
      await refusal(() => parsePauseBody({ topik: 'x' }, 'resume')),
      await refusal(() =>
        validateConfig({
          input: { topics: [{ name: 'in', format: 'json' }] },
          output: { topic: 'out' },
          dead_letter: { topic: 'dlq' },
          colour: 'blue',
        }),
      ),
    ];
    for (const error of unknown) {
      expect(error.message.split('\n')[0]).toMatch(
        /^.+: option '(qeue|procesors|tracng|prot|topik|colour)' is unknown; allowed: one of the keys \w+(, \w+)+$/,
      );
    }
  });
});
