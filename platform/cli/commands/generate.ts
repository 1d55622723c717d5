import { parseArgs } from 'node:util';
import { parseDuration } from '../../apps/metrics-transform/config/duration';
import { kafkaSender } from '../../apps/metrics-transform/generator/kafka-send';
import {
  type GeneratedRecord,
  runGenerator,
} from '../../apps/metrics-transform/generator/run-generator';
import { parseBrokerList } from '../../kafka/brokers';
import { logger } from '../../log/logger';
import { type Command, flagError, UsageError } from '../command';

const HELP = `Usage: kafka-stages generate [options]

Produces realistic metric samples for the metric transformer: counters
(http_requests_total, with rare resets), gauges (process_resident_memory_bytes,
cpu_usage_ratio) and latency observations (http_request_duration_ms), with labels of
realistic cardinality (service, instance, region, method, code), event-time jitter, and
some out-of-order and late samples. The same --seed gives the same samples.

Options:
  --rate R              samples per second (default 1000)
  --series S            distinct series (default 500)
  --duration D          how long: 30s, 5m, 1h…; 0 runs until Ctrl-C (default 0)
  --format F            influx (line protocol, Telegraf's default) or json (default influx)
  --topic T             topic to produce to (default metrics-influx; it must exist)
  --samples-per-record N  samples per record: lines of line protocol or a JSON array (default 1)
  --seed N              random seed (default 1)
  --out-of-order X      share of out-of-order samples, 0..1 (default 0.05)
  --late X              share of late samples (a minute old), 0..1 (default 0.01)
  --stdout              print the records, one per line, instead of producing to Kafka

Environment:
  KAFKA_BROKERS         brokers to produce to; for the local broker:
                        export KAFKA_BROKERS=$(kafka-stages kafka status --bootstrap)

Examples:
  kafka-stages generate --stdout --rate 10 --duration 2s --format json
  kafka-stages generate --rate 5000 --series 2000 --duration 5m --topic metrics-influx
`;

function number(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw flagError('generate', {
      path: `--${name}`,
      value: raw,
      allowed: `a number from ${min} to ${max}`,
    });
  }
  return n;
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Produce realistic metric samples (Influx line protocol or JSON) to Kafka or stdout',
  help: HELP,
  async run(argv) {
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args: argv,
        strict: true,
        options: {
          rate: { type: 'string' },
          series: { type: 'string' },
          duration: { type: 'string' },
          format: { type: 'string' },
          topic: { type: 'string' },
          'samples-per-record': { type: 'string' },
          seed: { type: 'string' },
          'out-of-order': { type: 'string' },
          late: { type: 'string' },
          stdout: { type: 'boolean' },
        },
      }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const format = (values.format as string | undefined) ?? 'influx';
    if (format !== 'influx' && format !== 'json') {
      throw flagError('generate', { path: '--format', value: format, allowed: 'influx or json' });
    }
    const durationMs = parseDuration(
      values.duration === undefined ? 0 : (values.duration as string),
    );
    if (durationMs === undefined) {
      throw flagError('generate', {
        path: '--duration',
        value: values.duration,
        allowed: 'a duration like 30s, 5m, 1h or 0',
      });
    }
    const options = {
      rate: number('rate', values.rate as string | undefined, 1000, 0.001, 10_000_000),
      series: Math.floor(number('series', values.series as string | undefined, 500, 1, 10_000_000)),
      durationMs,
      format: format as 'influx' | 'json',
      seed: Math.floor(number('seed', values.seed as string | undefined, 1, 0, 2 ** 32 - 1)),
      samplesPerRecord: Math.floor(
        number(
          'samples-per-record',
          values['samples-per-record'] as string | undefined,
          1,
          1,
          10_000,
        ),
      ),
      outOfOrder: number('out-of-order', values['out-of-order'] as string | undefined, 0.05, 0, 1),
      late: number('late', values.late as string | undefined, 0.01, 0, 1),
    };
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      if (values.stdout) {
        const send = async (records: GeneratedRecord[]) => {
          // Multi-line records (line protocol) are printed as they are, one record after another.
          const text = records.map((r) => `${r.value}\n`).join('');
          if (!process.stdout.write(text))
            await new Promise((r) => process.stdout.once('drain', r));
        };
        await runGenerator({ ...options, send, signal: abort.signal });
        return 0;
      }
      const raw = process.env.KAFKA_BROKERS;
      if (raw === undefined || raw.trim() === '') {
        throw flagError('generate', {
          path: 'KAFKA_BROKERS',
          is: 'missing',
          allowed:
            'the brokers: start one (kafka-stages kafka up; export KAFKA_BROKERS=$(kafka-stages kafka status --bootstrap)), or use --stdout',
        });
      }
      const topic = (values.topic as string | undefined) ?? 'metrics-influx';
      const log = logger();
      const sender = await kafkaSender(parseBrokerList(raw), topic, log);
      const started = Date.now();
      try {
        const sent = await runGenerator({ ...options, send: sender.send, signal: abort.signal });
        const seconds = (Date.now() - started) / 1000;
        log.info(
          { topic, samples: sent, seconds, rate: Math.round(sent / seconds) },
          'generate: done',
        );
      } finally {
        await sender.stop();
      }
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
