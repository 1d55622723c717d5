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
    expect((error as TransformConfigError).code).toBe('ERR_TRANSFORM_CONFIG');
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
        'metrics-transform config: 10 problems:',
        "  - input.topics[0]: unknown key 'compression'; allowed: name, format, precision",
        '  - filters[0].names[0]: name pattern "/http_(/" is invalid: Invalid regular expression: /^(?:http_()$/: Unterminated group',
        `  - filters[0].match[0]: label matcher "env=prod" is invalid: 'env=prod' is not a label matcher like name="v", name!="v", name=~"re" or name!~"re"`,
        '  - relabel[0].regex: regular expression "[a-" is invalid: Invalid regular expression: /^(?:[a-)$/: Range out of order in character class',
        '  - units[0]: cannot convert ms to MiB: different dimensions',
        '  - aggregations[0].window.size: window size "0ms" (0 ms) is out of range; allowed: 1 ms to 604800000 ms',
        '  - aggregations[0].lateness: lateness "2d" (172800000 ms) is out of range; allowed: 0 ms to 86400000 ms',
        '  - aggregations[0].stats[1]: Invalid option: expected one of "count"|"sum"|"min"|"max"|"avg"|"last"|"p50"|"p90"|"p99"',
        '  - aggregations[1].window.hop: hop 20000 ms is longer than the window size 10000 ms; allowed: hop ≤ size',
        "  - (root): unknown key 'colour'; allowed: pipeline, input, limits, filters, relabel, units, rate, aggregations, unaggregated, watermark, output, dead_letter, processing, commit_interval, repartition_partitions",
      ].join('\n'),
    );
  });

  it('names missing required sections', () => {
    expect(problems('pipeline: x')).toBe(
      [
        'metrics-transform config: 3 problems:',
        '  - input: Invalid input: expected object, received undefined',
        '  - output: Invalid input: expected object, received undefined',
        '  - dead_letter: Invalid input: expected object, received undefined',
      ].join('\n'),
    );
  });

  it('explains a bad duration', () => {
    expect(problems(`${minimal}\nwatermark: { idle_timeout: soon }`)).toBe(
      'metrics-transform config: 1 problem:\n' +
        '  - watermark.idle_timeout: "soon" is not a duration; use e.g. 500ms, 10s, 5m, 1h, 1d or a number of ms',
    );
  });

  it('reports YAML syntax errors with the line', () => {
    expect(problems('input: [unclosed')).toMatch(
      /^metrics-transform config: 1 problem:\n {2}- \(yaml line 1, column 17\): Flow sequence/,
    );
  });
});
