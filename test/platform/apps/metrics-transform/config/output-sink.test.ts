import { validateConfig } from '../../../../../platform/apps/metrics-transform/config/load-config';

const base = {
  input: { topics: [{ name: 'in', format: 'json' }] },
  dead_letter: { topic: 'dlq' },
};
const problems = (output: unknown): string => {
  try {
    validateConfig({ ...base, output });
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('output.sink', () => {
  it('defaults to kafka, which needs a topic', () => {
    expect(validateConfig({ ...base, output: { topic: 'out' } }).output).toEqual({
      sink: 'kafka',
      topic: 'out',
      format: 'json',
    });
    expect(problems({ format: 'json' })).toContain(
      "metrics-transform config: option 'output.topic' is missing; allowed: a topic name (the kafka sink needs one)",
    );
  });

  it('prometheus_remote_write takes remote_write settings with defaults, and no topic', () => {
    const config = validateConfig({
      ...base,
      output: {
        sink: 'prometheus_remote_write',
        remote_write: { url: 'http://127.0.0.1:9090/api/v1/write', timeout: '5s' },
      },
    });
    expect(config.output).toEqual({
      sink: 'prometheus_remote_write',
      format: 'json',
      remote_write: {
        url: 'http://127.0.0.1:9090/api/v1/write',
        timeout: 5_000,
        max_samples_per_request: 2_000,
        headers: {},
      },
    });
  });

  it('refuses prometheus_remote_write without a URL, with influx, or with a URL that is not http(s)', () => {
    expect(problems({ sink: 'prometheus_remote_write' })).toContain(
      "metrics-transform config: option 'output.remote_write' is missing; allowed: { url } (the prometheus_remote_write sink needs remote_write.url)",
    );
    expect(
      problems({
        sink: 'prometheus_remote_write',
        format: 'influx',
        remote_write: { url: 'http://h/w' },
      }),
    ).toContain(
      'metrics-transform config: option \'output.format\' is "influx"; allowed: "json" (the prometheus_remote_write sink needs it)',
    );
    expect(
      problems({ sink: 'prometheus_remote_write', remote_write: { url: 'ftp://h/w' } }),
    ).toContain(
      'metrics-transform config: option \'output.remote_write.url\' is "ftp://h/w"; allowed: an http:// or https:// URL',
    );
  });
});
