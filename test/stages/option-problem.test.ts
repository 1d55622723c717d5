import {
  describeValue,
  formatOptionProblem,
  formatOptionProblems,
  formatPath,
} from '../../stages/index';

describe('formatOptionProblem: the one shape of a refused option', () => {
  it('names the component, the path, the value and what is allowed', () => {
    expect(
      formatOptionProblem('KafkaSource', {
        path: ['queue', 'lowWaterEvents'],
        value: 5000,
        allowed: 'below queue.highWaterEvents (1000)',
      }),
    ).toBe(
      "KafkaSource: option 'queue.lowWaterEvents' is 5000; allowed: below queue.highWaterEvents (1000)",
    );
  });

  it('says unknown or missing instead of a value when told, and speaks of the options as a whole at the root', () => {
    expect(
      formatOptionProblem('c', { path: 'a.b', is: 'unknown', allowed: 'one of the keys x, y' }),
    ).toBe("c: option 'a.b' is unknown; allowed: one of the keys x, y");
    expect(formatOptionProblem('c', { path: ['n'], value: undefined, allowed: 'a string' })).toBe(
      "c: option 'n' is missing; allowed: a string",
    );
    expect(formatOptionProblem('c', { path: [], value: 5, allowed: 'an object' })).toBe(
      'c: options are 5; allowed: an object',
    );
  });

  it('writes one line per problem', () => {
    expect(
      formatOptionProblems('p', [
        { path: ['a'], value: 1, allowed: 'x' },
        { path: ['b'], value: 'y', allowed: 'z' },
      ]),
    ).toBe("p: option 'a' is 1; allowed: x\np: option 'b' is \"y\"; allowed: z");
  });
});

describe('formatPath', () => {
  it('writes array indexes in brackets and quotes keys that are not identifiers', () => {
    expect(formatPath(['relabel', 1, 'regex'])).toBe('relabel[1].regex');
    expect(formatPath(['properties', 'log.retention.ms'])).toBe('properties["log.retention.ms"]');
    expect(formatPath(['headers', 'Content-Type'])).toBe('headers.Content-Type');
    expect(formatPath('subscribeTo[0].minDemand')).toBe('subscribeTo[0].minDemand');
    expect(formatPath([])).toBe('');
  });

  it('shortens a long key, as it shortens a long value', () => {
    const path = formatPath(['properties', 'k'.repeat(500)]);
    expect(path.length).toBeLessThan(80);
    expect(path).toMatch(/^properties\["k+\.\.\."\]$/);
  });
});

describe('describeValue', () => {
  it('quotes strings and shortens long ones', () => {
    expect(describeValue('abc')).toBe('"abc"');
    const long = describeValue('x'.repeat(5000));
    expect(long.length).toBe(60);
    expect(long.endsWith('...')).toBe(true);
  });

  it('shows plain data as JSON, instances by their class, and never throws', () => {
    expect(describeValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(describeValue([1, 'b'])).toBe('[1,"b"]');
    expect(describeValue(new Map())).toBe('a Map');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue(10n)).toBe('10n');
    expect(describeValue(/a+/)).toBe('/a+/');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('missing');
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(describeValue(loop)).toBe('an object');
    expect(describeValue({ big: 1n })).toBe('{"big":"1n"}');
  });

  it('never shows a secret: by the key it is under, or inside an object', () => {
    expect(describeValue('hunter2', 'password')).toBe('a string (redacted)');
    expect(describeValue('-----BEGIN PRIVATE KEY-----', 'key')).toBe('a string (redacted)');
    expect(describeValue({ username: 'alice', password: 'hunter2' })).toBe(
      '{"username":"alice","password":"<redacted>"}',
    );
    expect(
      formatOptionProblem('KafkaClient', {
        path: ['sasl', 'password'],
        value: 'hunter2',
        allowed: 'a string',
      }),
    ).not.toContain('hunter2');
  });
});
