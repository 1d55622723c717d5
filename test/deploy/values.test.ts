import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR } from './support/helm';
import {
  documentablePaths,
  parametersTable,
  parseParams,
  TABLE_END,
  TABLE_START,
  valueAt,
} from './support/values-docs';

const valuesText = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');
const values = parse(valuesText) as Record<string, unknown>;
const params = parseParams(valuesText);
const documented = new Set(params.map((p) => p.path));

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  description?: string;
}
const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as Schema;

/** Every key path of `value` that the schema does not declare (free-form objects end the walk). */
function undeclared(value: unknown, node: Schema, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  if (node.properties === undefined) return node.additionalProperties === false ? [path] : [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = path ? `${path}.${key}` : key;
    const childSchema = node.properties?.[key];
    if (childSchema === undefined) return node.additionalProperties === false ? [childPath] : [];
    return undeclared(child, childSchema, childPath);
  });
}

describe('values.yaml', () => {
  it('documents every value with a ## @param line', () => {
    const missing = documentablePaths(values, documented).filter((p) => !documented.has(p));
    expect(missing).toEqual([]);
  });

  it('has no @param for a value that does not exist, and no @param twice', () => {
    expect(params.filter((p) => valueAt(values, p.path) === undefined).map((p) => p.path)).toEqual(
      [],
    );
    expect(documented.size).toBe(params.length);
  });

  it('puts every @param under a section', () => {
    expect(params.filter((p) => p.section === '').map((p) => p.path)).toEqual([]);
  });
});

describe('values.schema.json', () => {
  it('declares every key of values.yaml', () => {
    expect(undeclared(values, schema, '')).toEqual([]);
  });

  it('closes the top level and the chart-defined objects to unknown keys', () => {
    expect(schema.additionalProperties).toBe(false);
    for (const key of [
      'image',
      'app',
      'kafka',
      'tracing',
      'probes',
      'service',
      'serviceAccount',
      'autoscaling',
      'pdb',
      'networkPolicy',
      'serviceMonitor',
      'prometheusRule',
      'dashboard',
    ]) {
      expect({ key, additionalProperties: schema.properties?.[key]?.additionalProperties }).toEqual(
        { key, additionalProperties: false },
      );
    }
    const sasl = schema.properties?.kafka?.properties?.sasl;
    expect(sasl?.additionalProperties).toBe(false);
  });

  it('describes every top-level property', () => {
    const undocumented = Object.entries(schema.properties ?? {}).filter(
      ([, s]) => !s.description && !s.properties,
    );
    expect(undocumented.map(([k]) => k)).toEqual([]);
  });
});

describe('chart README', () => {
  it('has the parameters table generated from values.yaml', () => {
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    const actual = readme.slice(start + TABLE_START.length, end).trim();
    const expected = parametersTable(valuesText).trim();
    if (actual !== expected) {
      // Leave the right text where it can be pasted from.
      const file = join(tmpdir(), 'kafka-stages-parameters-table.md');
      writeFileSync(file, `${TABLE_START}\n${expected}\n${TABLE_END}\n`);
      throw new Error(
        `helm/kafka-stages/README.md parameters table is out of date; the expected section is in ${file}`,
      );
    }
    expect(actual.split('\n').filter((l) => l.startsWith('| `')).length).toBe(params.length);
  });
});
