import { execFileSync } from 'node:child_process';
import path from 'node:path';
import protobuf from 'protobufjs';
import { otlpRoot } from '../../../../../platform/apps/metrics-transform/parse/otlp-schema';

// The decoder's definitions are written in this project (no npm package ships them for our
// dependency set); this test holds them to the official opentelemetry-proto files, resolved
// from Maven Central by tools/otlp-proto.sh.
const ROOT = path.resolve(__dirname, '../../../../..');
const DIR = path.join(ROOT, '.tools/otlp-proto');

function officialRoot(): protobuf.Root {
  execFileSync('bash', [path.join(ROOT, 'tools/otlp-proto.sh'), DIR], { stdio: 'inherit' });
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(DIR, target);
  root.loadSync(['opentelemetry/proto/collector/metrics/v1/metrics_service.proto'], {
    keepCase: false,
  });
  root.resolveAll();
  return root;
}

function types(ns: protobuf.NamespaceBase): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) out.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) {
      out.push(...types(nested));
    }
  }
  return out;
}

// `otlp.ExponentialHistogramDataPoint.Buckets` → `ExponentialHistogramDataPoint.Buckets`
const localName = (t: protobuf.ReflectionObject) => t.fullName.replace(/^\.otlp\./, '');

describe('OTLP definitions of the decoder', () => {
  const official = officialRoot();
  const byLocalName = new Map<string, protobuf.Type>();
  for (const t of types(official)) {
    byLocalName.set(t.fullName.replace(/^\.opentelemetry\.proto\.[a-z.]+\.v1\./, ''), t);
  }
  const ours = types(otlpRoot);

  it('covers the messages of ExportMetricsServiceRequest', () => {
    expect(ours.map(localName).sort()).toEqual(
      expect.arrayContaining([
        'ExportMetricsServiceRequest',
        'ResourceMetrics',
        'ScopeMetrics',
        'Metric',
        'NumberDataPoint',
        'HistogramDataPoint',
        'ExponentialHistogramDataPoint',
        'ExponentialHistogramDataPoint.Buckets',
        'SummaryDataPoint',
        'SummaryDataPoint.ValueAtQuantile',
        'KeyValue',
        'AnyValue',
      ]),
    );
  });

  it.each(types(otlpRoot).map((t) => [localName(t), t] as const))(
    '%s: every field has the official number, type and label',
    (name, type) => {
      const theirs = byLocalName.get(name);
      expect(theirs).toBeDefined();
      for (const field of type.fieldsArray) {
        const other = theirs!.fields[field.name];
        expect({ name: field.name, found: other !== undefined }).toEqual({
          name: field.name,
          found: true,
        });
        field.resolve();
        const describe = (f: protobuf.Field) => ({
          field: f.name,
          id: f.id,
          type: f.resolvedType
            ? localName(f.resolvedType).replace(/^\.opentelemetry\.proto\.[a-z.]+\.v1\./, '')
            : f.type,
          repeated: f.repeated,
          oneof: f.partOf?.name.replace(/^_/, 'synthetic:') ?? null,
        });
        expect(describe(field)).toEqual(describe(other!));
      }
    },
  );

  it('has the official enum values of AggregationTemporality', () => {
    const ours = otlpRoot.lookupEnum('otlp.AggregationTemporality').values;
    const theirs = official.lookupEnum(
      'opentelemetry.proto.metrics.v1.AggregationTemporality',
    ).values;
    expect(ours).toEqual(theirs);
  });
});
