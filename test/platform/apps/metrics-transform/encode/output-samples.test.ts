import {
  aggregateToJson,
  sampleToJson,
} from '../../../../../platform/apps/metrics-transform/encode/encode';
import { outputToSamples } from '../../../../../platform/apps/metrics-transform/encode/output-samples';

describe('outputToSamples: the transformer JSON output as remote-write samples', () => {
  it('keeps a passed-through sample as it is', () => {
    const s = { name: 'up', value: 1, timestamp: 1_000, labels: { job: 'a' } };
    expect(outputToSamples(sampleToJson(s))).toEqual([s]);
    expect(outputToSamples(Buffer.from(sampleToJson(s)))).toEqual([s]);
  });

  it('gives one sample per statistic of a window, stamped at the window end', () => {
    const json = aggregateToJson({
      name: 'cpu_usage',
      labels: { host: 'h1' },
      start: 10_000,
      end: 20_000,
      values: { count: 4, avg: 0.5, p99: 0.9 },
    });
    expect(outputToSamples(json)).toEqual([
      { name: 'cpu_usage_count', value: 4, timestamp: 20_000, labels: { host: 'h1' } },
      { name: 'cpu_usage_avg', value: 0.5, timestamp: 20_000, labels: { host: 'h1' } },
      { name: 'cpu_usage_p99', value: 0.9, timestamp: 20_000, labels: { host: 'h1' } },
    ]);
  });

  it('throws on influx text or other JSON, naming the problem', () => {
    expect(() => outputToSamples('cpu,host=a value=1 1000')).toThrow(SyntaxError);
    expect(() => outputToSamples('{"name":"x"}')).toThrow(
      'output record x is neither a sample nor a window result',
    );
    expect(() => outputToSamples(42)).toThrow('an output record must be JSON text');
  });
});
