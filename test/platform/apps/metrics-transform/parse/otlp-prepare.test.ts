import { compilePlan } from '../../../../../platform/apps/metrics-transform/config/compile-plan';
import { validateConfig } from '../../../../../platform/apps/metrics-transform/config/load-config';
import { prepareRecord } from '../../../../../platform/apps/metrics-transform/prepare';
import { sdkRequest } from './otlp-requests';

// The transformer's stateless half with OTLP topics: the format switch picks the OTLP
// parsers, proto records are read as bytes (not through text), relabelling applies.
const plan = compilePlan(
  validateConfig({
    input: {
      topics: [
        { name: 'otlp-bin', format: 'otlp_proto' },
        { name: 'otlp-text', format: 'otlp_json' },
      ],
    },
    relabel: [{ action: 'labeldrop', regex: 'otel_scope_.*' }],
    output: { topic: 'out' },
    dead_letter: { topic: 'dlq' },
  }),
);

describe('OTLP input topics in the transformer', () => {
  it('decodes otlp_proto and otlp_json records into the same relabelled samples', async () => {
    const request = await sdkRequest({
      resource: { 'service.name': 'api' },
      record: (meter) => meter.createCounter('jobs.done').add(4, { queue: 'q1' }),
    });
    const now = Date.now();
    const proto = prepareRecord(
      plan,
      { topic: 'otlp-bin', partition: 0, value: Buffer.from(request.proto), timestamp: now },
      now,
    );
    const json = prepareRecord(
      plan,
      { topic: 'otlp-text', partition: 0, value: Buffer.from(request.json), timestamp: now },
      now,
    );
    expect(proto.rejects).toEqual([]);
    expect(proto.samples.map((s) => [s.name, s.value, s.labels])).toEqual([
      ['jobs_done_total', 4, { job: 'api', queue: 'q1' }],
    ]);
    expect(json.samples).toEqual(proto.samples);
  });

  it('dead-letters a truncated otlp_proto record as unparseable', async () => {
    const request = await sdkRequest({ record: (meter) => meter.createCounter('c').add(1) });
    const now = Date.now();
    const prepared = prepareRecord(
      plan,
      {
        topic: 'otlp-bin',
        partition: 0,
        value: Buffer.from(request.proto.subarray(0, 9)),
        timestamp: now,
      },
      now,
    );
    expect(prepared.samples).toEqual([]);
    expect(prepared.rejects).toMatchObject([{ reason: 'unparseable' }]);
  });

  it('refuses an unknown input format in the config, listing the allowed ones', () => {
    expect(() =>
      validateConfig({
        input: { topics: [{ name: 't', format: 'otlp' }] },
        output: { topic: 'out' },
        dead_letter: { topic: 'dlq' },
      }),
    ).toThrow(/input\.topics\[0\]\.format.*otlp_proto.*otlp_json/s);
  });
});
