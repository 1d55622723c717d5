// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${1} is Prometheus template syntax, not a JS placeholder
import { compileRelabelRule } from '../../../../../platform/apps/metrics-transform/config/compile-plan';
import { relabelRuleSchema } from '../../../../../platform/apps/metrics-transform/config/config-schema';
import {
  relabel,
  relabelSample,
} from '../../../../../platform/apps/metrics-transform/relabel/relabel';

/** Rules as they would be written in YAML: Prometheus' defaults apply. */
function rules(...raw: object[]) {
  return raw.map((r) => compileRelabelRule(relabelRuleSchema.parse(r)));
}

type Case = [string, Record<string, string>, object[], Record<string, string> | 'dropped'];

// The cases of Prometheus' model/relabel/relabel_test.go (TestRelabel) for the actions
// supported here, and the examples of the relabel_config documentation.
const cases: Case[] = [
  [
    'replace with ${1} twice',
    { a: 'foo', b: 'bar', c: 'baz' },
    [{ source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch${1}-ch${1}' }],
    { a: 'foo', b: 'bar', c: 'baz', d: 'choo-choo' },
  ],
  [
    'two rules, two source labels, the second sees the first',
    { a: 'foo', b: 'bar', c: 'baz' },
    [
      {
        source_labels: ['a', 'b'],
        regex: 'f(.*);(.*)r',
        target_label: 'a',
        replacement: 'b${1}${2}m',
      },
      {
        source_labels: ['c', 'a'],
        regex: '(b).*b(.*)ba(.*)',
        target_label: 'd',
        replacement: '$1$2$2$3',
      },
    ],
    { a: 'boobam', b: 'bar', c: 'baz', d: 'boooom' },
  ],
  [
    'drop, then nothing else runs',
    { a: 'foo' },
    [
      { source_labels: ['a'], regex: '.*o.*', action: 'drop' },
      { source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch$1-ch$1' },
    ],
    'dropped',
  ],
  [
    'drop on match',
    { a: 'foo', b: 'bar' },
    [{ source_labels: ['a'], regex: '.*o.*', action: 'drop' }],
    'dropped',
  ],
  [
    'replace with a group in the middle',
    { a: 'abc' },
    [{ source_labels: ['a'], regex: '.*(b).*', target_label: 'd' }],
    { a: 'abc', d: 'b' },
  ],
  [
    'drop without a match keeps',
    { a: 'foo' },
    [{ source_labels: ['a'], regex: 'no-match', action: 'drop' }],
    { a: 'foo' },
  ],
  [
    'the regex is anchored: f|o does not match foo',
    { a: 'foo' },
    [{ source_labels: ['a'], regex: 'f|o', action: 'drop' }],
    { a: 'foo' },
  ],
  [
    'keep without a match drops',
    { a: 'foo' },
    [{ source_labels: ['a'], regex: 'no-match', action: 'keep' }],
    'dropped',
  ],
  [
    'keep on match',
    { a: 'foo' },
    [{ source_labels: ['a'], regex: 'f.*', action: 'keep' }],
    { a: 'foo' },
  ],
  [
    'no replacement without a match',
    { a: 'boo' },
    [{ source_labels: ['a'], regex: 'f', target_label: 'b', replacement: 'bar' }],
    { a: 'boo' },
  ],
  [
    'hashmod',
    { a: 'foo', b: 'bar', c: 'baz' },
    [{ source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 1000 }],
    { a: 'foo', b: 'bar', c: 'baz', d: '976' },
  ],
  [
    'hashmod of a value with a newline',
    { a: 'foo\nbar' },
    [{ source_labels: ['a'], target_label: 'b', action: 'hashmod', modulus: 1000 }],
    { a: 'foo\nbar', b: '734' },
  ],
  [
    'labelmap',
    { a: 'foo', b1: 'bar', b2: 'baz' },
    [{ regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' }],
    { a: 'foo', b1: 'bar', b2: 'baz', bar_b1: 'bar', bar_b2: 'baz' },
  ],
  [
    'labelmap of meta labels',
    { a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc' },
    [{ regex: '__meta_(my.*)', replacement: '${1}', action: 'labelmap' }],
    {
      a: 'foo',
      __meta_my_bar: 'aaa',
      __meta_my_baz: 'bbb',
      __meta_other: 'ccc',
      my_bar: 'aaa',
      my_baz: 'bbb',
    },
  ],
  [
    'the target label from a group',
    { a: 'some-name-value' },
    [
      {
        source_labels: ['a'],
        regex: 'some-([^-]+)-([^,]+)',
        replacement: '${2}',
        target_label: '${1}',
      },
    ],
    { a: 'some-name-value', name: 'value' },
  ],
  [
    'a replacement that expands to nothing sets nothing',
    { a: 'some-name-value' },
    [
      {
        source_labels: ['a'],
        regex: 'some-([^-]+)-([^,]+)',
        replacement: '${3}',
        target_label: '${1}',
      },
    ],
    { a: 'some-name-value' },
  ],
  [
    'an invalid expanded target label is skipped',
    { a: 'some-name-0' },
    [
      {
        source_labels: ['a'],
        regex: 'some-([^-]+)-([^,]+)',
        replacement: '${1}',
        target_label: '${3}',
      },
      {
        source_labels: ['a'],
        regex: 'some-([^-]+)(-[^,]+)',
        replacement: '${1}',
        target_label: '${3}',
      },
    ],
    { a: 'some-name-0' },
  ],
  [
    'a real-life service-discovery tag list',
    { __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar' },
    [
      {
        source_labels: ['__meta_sd_tags'],
        regex: '(?:.+,|^)path:(/[^,]+).*',
        replacement: '${1}',
        target_label: '__metrics_path__',
      },
      {
        source_labels: ['__meta_sd_tags'],
        regex: '(?:.+,|^)job:([^,]+).*',
        replacement: '${1}',
        target_label: 'job',
      },
      {
        source_labels: ['__meta_sd_tags'],
        regex: '(?:.+,|^)label:([^=]+)=([^,]+).*',
        replacement: '${2}',
        target_label: '${1}',
      },
    ],
    {
      __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar',
      __metrics_path__: '/secret',
      job: 'some-job',
      foo: 'bar',
    },
  ],
  [
    'labeldrop, then replace, then keep (Prometheus issue 12283)',
    {
      __meta_kubernetes_pod_container_port_name: 'foo',
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
    },
    [
      { regex: '^__meta_kubernetes_pod_container_port_name$', action: 'labeldrop' },
      {
        source_labels: ['__meta_kubernetes_pod_annotation_XXX_metrics_port'],
        regex: '(.+)',
        replacement: 'metrics',
        target_label: '__meta_kubernetes_pod_container_port_name',
      },
      {
        source_labels: ['__meta_kubernetes_pod_container_port_name'],
        regex: '^metrics$',
        action: 'keep',
      },
    ],
    {
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
      __meta_kubernetes_pod_container_port_name: 'metrics',
    },
  ],
  [
    'labelkeep',
    { a: 'foo', b1: 'bar', b2: 'baz' },
    [{ regex: '(b.*)', action: 'labelkeep' }],
    { b1: 'bar', b2: 'baz' },
  ],
  [
    'labeldrop',
    { a: 'foo', b1: 'bar', b2: 'baz' },
    [{ regex: '(b.*)', action: 'labeldrop' }],
    { a: 'foo' },
  ],
  // Documentation-style examples.
  [
    'address and path joined into one label, groups in the target label name',
    { __address__: 'localhost:9100', __metrics_path__: '/metrics' },
    [
      {
        source_labels: ['__address__', '__metrics_path__'],
        regex: '([^:]+):(\\d+);/(.*)',
        target_label: 'relabel_${2}',
        replacement: '${1}_${2}_${3}',
      },
    ],
    {
      __address__: 'localhost:9100',
      __metrics_path__: '/metrics',
      relabel_9100: 'localhost_9100_metrics',
    },
  ],
  [
    'defaults: regex (.*), replacement $1 copy a label',
    { instance: 'host-1:9100' },
    [{ source_labels: ['instance'], target_label: 'node' }],
    { instance: 'host-1:9100', node: 'host-1:9100' },
  ],
  [
    'a missing source label is the empty string; an empty result deletes the target',
    { node: 'x' },
    [{ source_labels: ['absent'], target_label: 'node' }],
    {},
  ],
  [
    'a constant replacement without source labels sets a label',
    { a: '1' },
    [{ target_label: 'env', replacement: 'prod' }],
    { a: '1', env: 'prod' },
  ],
  [
    'custom separator',
    { a: 'x', b: 'y' },
    [{ source_labels: ['a', 'b'], separator: '/', target_label: 'c' }],
    { a: 'x', b: 'y', c: 'x/y' },
  ],
  [
    'labelmap of Kubernetes node labels (documentation example)',
    { __meta_kubernetes_node_label_zone: 'eu-1', job: 'n' },
    [{ regex: '__meta_kubernetes_node_label_(.+)', action: 'labelmap' }],
    { __meta_kubernetes_node_label_zone: 'eu-1', job: 'n', zone: 'eu-1' },
  ],
  [
    'named groups and $$',
    { a: 'v1' },
    [{ source_labels: ['a'], regex: '(?P<ver>v\\d)', target_label: 'b', replacement: '$$${ver}' }],
    { a: 'v1', b: '$v1' },
  ],
  [
    '$1x is the group named 1x (empty), not group 1 then x',
    { a: 'foo' },
    [{ source_labels: ['a'], regex: '(f)oo', target_label: 'b', replacement: '$1x-${1}x' }],
    { a: 'foo', b: '-fx' },
  ],
];

describe('relabel (Prometheus relabel_config semantics)', () => {
  it.each(cases)('%s', (_name, input, raw, expected) => {
    const out = relabel(input, rules(...raw));
    expect(out ?? 'dropped').toEqual(expected);
  });

  it('does not modify its input', () => {
    const input = { a: 'foo' };
    relabel(input, rules({ regex: 'a', action: 'labeldrop' }));
    expect(input).toEqual({ a: 'foo' });
  });
});

describe('relabelSample', () => {
  const sample = {
    name: 'http_requests_total',
    value: 3,
    timestamp: 7,
    labels: { code: '500', path: '/x' },
  };

  it('exposes the name as __name__ and takes it back', () => {
    const out = relabelSample(
      sample,
      rules({
        source_labels: ['__name__'],
        regex: 'http_(.*)',
        target_label: '__name__',
        replacement: 'web_$1',
      }),
    );
    expect(out).toEqual({ ...sample, name: 'web_requests_total' });
  });

  it('drops a sample by name', () => {
    expect(
      relabelSample(
        sample,
        rules({ source_labels: ['__name__'], regex: 'http_.*', action: 'drop' }),
      ),
    ).toBeUndefined();
  });

  it('drops a sample whose name the rules removed', () => {
    expect(
      relabelSample(sample, rules({ regex: 'code|path', action: 'labelkeep' })),
    ).toBeUndefined();
  });

  it('returns the sample itself with no rules', () => {
    expect(relabelSample(sample, [])).toBe(sample);
  });
});

describe('relabel rule validation (as Prometheus refuses them)', () => {
  const messages = (raw: object) => {
    const r = relabelRuleSchema.safeParse(raw);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('needs a target_label for replace and hashmod, and a modulus for hashmod', () => {
    expect(messages({ source_labels: ['a'] })).toEqual([
      'target_label: a label name (the replace action needs a target_label)',
    ]);
    expect(messages({ action: 'hashmod', source_labels: ['a'] })).toEqual([
      'target_label: a label name (the hashmod action needs a target_label)',
      'modulus: an integer >= 1 (the hashmod action needs a modulus)',
    ]);
  });

  it("refuses a bad regular expression with the engine's reason (the config error quotes it)", () => {
    expect(messages({ regex: '(unclosed', action: 'labeldrop' })).toEqual([
      'regex: a valid regular expression (Unterminated group)',
    ]);
  });

  it('refuses an unknown action and lists the allowed ones', () => {
    expect(messages({ action: 'lowercase', target_label: 'x' })).toEqual([
      'action: Invalid option: expected one of "replace"|"keep"|"drop"|"labeldrop"|"labelkeep"|"labelmap"|"hashmod"',
    ]);
  });
});
