import { parseLabelMatcher } from '../../../../../platform/apps/metrics-transform/filter/label-matcher';
import { nameMatcher } from '../../../../../platform/apps/metrics-transform/filter/name-matcher';
import {
  type FilterRule,
  passesFilters,
} from '../../../../../platform/apps/metrics-transform/filter/sample-filter';

const s = (name: string, labels: Record<string, string> = {}) => ({
  name,
  value: 1,
  timestamp: 0,
  labels,
});

describe('nameMatcher', () => {
  it.each([
    ['http_requests_total', 'http_requests_total', true],
    ['http_requests_total', 'http_requests', false],
    ['http_*', 'http_requests_total', true],
    ['http_*', 'xhttp_requests', false],
    ['cpu?', 'cpu0', true],
    ['cpu?', 'cpu10', false],
    ['a.b*', 'aXb', false],
    ['/http_.*_total/', 'http_requests_total', true],
    ['/http_.*_total/', 'http_requests_total_x', false],
    ['/requests/', 'http_requests_total', false],
  ])('%s matches %s: %p', (pattern, name, expected) => {
    expect(nameMatcher(pattern)(name)).toBe(expected);
  });

  it('throws on a bad regular expression', () => {
    expect(() => nameMatcher('/(/')).toThrow(SyntaxError);
  });
});

describe('label matchers (PromQL: anchored, missing label = "")', () => {
  it.each([
    ['env="prod"', { env: 'prod' }, true],
    ['env="prod"', { env: 'production' }, false],
    ['env!="prod"', { env: 'dev' }, true],
    ['env!="prod"', {}, true],
    ['env=""', {}, true],
    ['env!=""', {}, false],
    ['code=~"5.."', { code: '503' }, true],
    ['code=~"5.."', { code: '5030' }, false],
    ['code!~"5.."', { code: '200' }, true],
    ['code!~"5.."', { code: '500' }, false],
    ['path="a\\"b"', { path: 'a"b' }, true],
    ['  env = "x" ', { env: 'x' }, true],
  ])('%s on %j → %p', (text, labels, expected) => {
    const m = parseLabelMatcher(text);
    const rule: FilterRule = { action: 'keep', names: [], matchers: [m] };
    expect(passesFilters(s('m', labels), [rule])).toBe(expected);
  });

  it('says what a matcher looks like', () => {
    expect(() => parseLabelMatcher('env=prod')).toThrow(
      'not a label matcher like name="v", name!="v", name=~"re" or name!~"re"',
    );
  });
});

describe('passesFilters', () => {
  const rules: FilterRule[] = [
    { action: 'keep', names: [nameMatcher('http_*'), nameMatcher('cpu')], matchers: [] },
    { action: 'drop', names: [], matchers: [parseLabelMatcher('env="test"')] },
  ];

  it('keeps what every keep rule matches and no drop rule does', () => {
    expect(passesFilters(s('http_x', { env: 'prod' }), rules)).toBe(true);
    expect(passesFilters(s('cpu'), rules)).toBe(true);
    expect(passesFilters(s('mem'), rules)).toBe(false);
    expect(passesFilters(s('http_x', { env: 'test' }), rules)).toBe(false);
  });

  it('keeps everything with no rules', () => {
    expect(passesFilters(s('anything'), [])).toBe(true);
  });

  it('lets a matcher on __name__ test the metric name', () => {
    const rule: FilterRule = {
      action: 'drop',
      names: [],
      matchers: [parseLabelMatcher('__name__=~"go_.*"')],
    };
    expect(passesFilters(s('go_gc'), [rule])).toBe(false);
    expect(passesFilters(s('http'), [rule])).toBe(true);
  });
});

describe('a matcher on a label named like an Object.prototype property', () => {
  it('treats the missing label as "" (regression: inherited constructor was seen as a value)', () => {
    const m = parseLabelMatcher('constructor=""');
    expect(passesFilters(s('m', {}), [{ action: 'keep', names: [], matchers: [m] }])).toBe(true);
  });
});
