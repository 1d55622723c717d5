import { DEFAULT_LIMITS } from '../../../../../platform/apps/metrics-transform/model/limits';
import { parseJson } from '../../../../../platform/apps/metrics-transform/parse/json';

const options = { limits: DEFAULT_LIMITS, defaultTimestamp: 5 };

describe('parseJson', () => {
  it('reads one object', () => {
    expect(
      parseJson('{"name":"up","value":1,"timestamp":10,"labels":{"job":"a"}}', options),
    ).toEqual({
      samples: [{ name: 'up', value: 1, timestamp: 10, labels: { job: 'a' } }],
      rejects: [],
    });
  });

  it('reads an array, defaulting timestamp and labels', () => {
    const r = parseJson('[{"name":"a","value":1},{"name":"b","value":2.5}]', options);
    expect(r.samples).toEqual([
      { name: 'a', value: 1, timestamp: 5, labels: {} },
      { name: 'b', value: 2.5, timestamp: 5, labels: {} },
    ]);
  });

  it('passes NaN and infinities on as numbers, for validation to refuse', () => {
    const r = parseJson('[{"name":"a","value":"NaN"},{"name":"b","value":"-Inf"}]', options);
    expect(r.samples.map((s) => s.value)).toEqual([Number.NaN, Number.NEGATIVE_INFINITY]);
  });

  it.each([
    ['not JSON', '{"name":', 'unparseable'],
    ['not an object', '42', 'unparseable'],
    ['no name', '{"value":1}', 'no_name'],
    ['empty name', '{"name":"","value":1}', 'no_name'],
    ['string value', '{"name":"a","value":"12"}', 'unparseable'],
    ['fractional timestamp', '{"name":"a","value":1,"timestamp":1.5}', 'unparseable'],
    ['numeric label', '{"name":"a","value":1,"labels":{"x":1}}', 'unparseable'],
    ['labels as array', '{"name":"a","value":1,"labels":[]}', 'unparseable'],
  ])('refuses %s', (_what, text, reason) => {
    const r = parseJson(text, options);
    expect(r.samples).toEqual([]);
    expect(r.rejects.map((x) => x.reason)).toEqual([reason]);
  });

  it('refuses too many labels', () => {
    const labels = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, 'v']));
    const r = parseJson(JSON.stringify({ name: 'a', value: 1, labels }), options);
    expect(r.rejects[0]).toMatchObject({
      reason: 'too_many_labels',
      detail: 'more than 64 labels',
    });
  });

  it('refuses a record over the size limit before parsing it', () => {
    const r = parseJson(`[${'1,'.repeat(100)}1]`, {
      ...options,
      limits: { ...DEFAULT_LIMITS, maxRecordBytes: 100 },
    });
    expect(r.rejects[0]).toMatchObject({ reason: 'line_too_long' });
  });
});
