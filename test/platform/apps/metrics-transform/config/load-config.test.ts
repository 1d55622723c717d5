import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../../../platform/apps/metrics-transform/config/load-config';
import { TransformConfigError } from '../../../../../platform/apps/metrics-transform/errors';

const EXAMPLE = join(__dirname, '../../../../../examples/metrics-transform.yaml');

const minimal = `
input: { topics: [{ name: in, format: influx }] }
output: { topic: out }
dead_letter: { topic: dlq }
`;

function problems(yaml: string): string {
  try {
    loadConfig(yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(TransformConfigError);
    expect((error as TransformConfigError).code).toBe('TRANSFORM_CONFIG_INVALID');
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('loadConfig', () => {
  it('accepts the example config, documented in the repository', () => {
    const config = loadConfig(readFileSync(EXAMPLE, 'utf8'));
    expect(config.input.topics.map((t) => t.name)).toEqual(['metrics-influx', 'metrics-json']);
    expect(config.aggregations[0]?.window).toEqual({ size: 10_000, hop: 10_000 });
    expect(config.aggregations[1]?.window).toEqual({ size: 60_000, hop: 10_000 });
    expect(config.aggregations[0]?.lateness).toBe(5_000);
  });

  it('fills Prometheus-style and documented defaults', () => {
    const config = loadConfig(`${minimal}\nrelabel: [{ target_label: x }]`);
    expect(config.relabel[0]).toEqual({
      action: 'replace',
      source_labels: [],
      separator: ';',
      regex: '(.*)',
      target_label: 'x',
      replacement: '$1',
    });
    expect(config.limits.max_labels).toBe(64);
    expect(config.output.format).toBe('json');
    expect(config.unaggregated).toBe('pass');
    expect(config.watermark.idle_timeout).toBe(30_000);
    expect(config.input.topics[0]?.precision).toBe('ns');
  });

  it('lists every problem by path in one error', () => {
    const message = problems(`
input:
  topics: [{ name: in, format: influx, compression: gzip }]
output: { topic: out }
dead_letter: { topic: dlq }
filters:
  - action: keep
    names: ['/http_(/']
    match: ['env=prod']
relabel:
  - action: labeldrop
    regex: '[a-'
aggregations:
  - window: 0ms
    lateness: 2d
    stats: [count, p95]
  - window: { size: 10s, hop: 20s }
    stats: [sum]
units:
  - names: [x_ms]
    from: ms
    to: MiB
colour: blue
`);
    expect(message).toBe(
      [
        "metrics-transform config: option 'input.topics[0].compression' is unknown; allowed: one of the keys name, format, precision",
        'metrics-transform config: option \'filters[0].names[0]\' is "/http_(/"; allowed: a valid name pattern (Unterminated group)',
        'metrics-transform config: option \'filters[0].match[0]\' is "env=prod"; allowed: a valid label matcher (not a label matcher like name="v", name!="v", name=~"re" or name!~"re")',
        'metrics-transform config: option \'relabel[0].regex\' is "[a-"; allowed: a valid regular expression (Range out of order in character class)',
        'metrics-transform config: option \'units[0]\' is {"names":["x_ms"],"from":"ms","to":"MiB"}; allowed: from and to of one dimension (cannot convert ms to MiB)',
        'metrics-transform config: option \'aggregations[0].window.size\' is "0ms" (0 ms); allowed: a window size of 1 ms to 604800000 ms',
        'metrics-transform config: option \'aggregations[0].lateness\' is "2d" (172800000 ms); allowed: a lateness of 0 ms to 86400000 ms',
        'metrics-transform config: option \'aggregations[0].stats[1]\' is "p95"; allowed: one of "count", "sum", "min", "max", "avg", "last", "p50", "p90", "p99"',
        "metrics-transform config: option 'aggregations[1].window.hop' is 20000 ms; allowed: a hop of at most the window size (10000 ms)",
        "metrics-transform config: option 'colour' is unknown; allowed: one of the keys pipeline, input, limits, filters, relabel, units, rate, aggregations, unaggregated, watermark, output, dead_letter, processing, commit_interval, repartition_partitions",
      ].join('\n'),
    );
  });

  it('names missing required sections', () => {
    expect(problems('pipeline: x')).toBe(
      [
        "metrics-transform config: option 'input' is missing; allowed: an object",
        "metrics-transform config: option 'output' is missing; allowed: an object",
        "metrics-transform config: option 'dead_letter' is missing; allowed: an object",
      ].join('\n'),
    );
  });

  it('explains a bad duration', () => {
    expect(problems(`${minimal}\nwatermark: { idle_timeout: soon }`)).toBe(
      'metrics-transform config: option \'watermark.idle_timeout\' is "soon"; allowed: a duration such as 500ms, 10s, 5m, 1h, 1d or a number of ms',
    );
  });

  it('reports YAML syntax errors with the line', () => {
    expect(problems('input: [unclosed')).toMatch(
      /^metrics-transform config: \(yaml line 1, column 17\) is not YAML: Flow sequence/,
    );
  });
});
