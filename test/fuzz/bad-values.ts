// Values to put where a valid option was: fixed troublemakers (wrong types, edges, values
// that break naive formatting), values just outside the bounds the schema declares, and
// anything fast-check can make. Which of them are malformed is decided by the schema.
import fc from 'fast-check';
import type { z } from 'zod';
import { defOf, unwrap } from './schema-sites';

/** Marks "remove the key" (distinct from setting it to undefined, which is the same to zod). */
export const REMOVE = Symbol('remove the key');

class WithThrowingGetter {
  get value(): never {
    throw new Error('getter that throws');
  }
}

function cyclic(): Record<string, unknown> {
  const node: Record<string, unknown> = { name: 'loop' };
  node.self = node;
  return node;
}

/** Wrong types and edge values that every schema must turn into a clear refusal. */
export function troublemakers(): unknown[] {
  return [
    REMOVE,
    null,
    true,
    false,
    0,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53,
    -(2 ** 31),
    '',
    ' ',
    'not valid: spaces, commas, and ] brackets',
    '-1',
    'x'.repeat(5_000),
    '\u0000\u202e',
    [],
    [null],
    {},
    { bogus: 1 },
    () => 1,
    new Date(0),
    /re/,
    10n,
    Symbol('option'),
    Object.create(null),
    new Map([['a', 1]]),
    new WithThrowingGetter(),
    cyclic(),
  ];
}

/** Values just past the bounds a schema states: below its minimum, above its maximum. */
export function edgesOf(schema: z.ZodType): unknown[] {
  const inner = unwrap(schema) as z.ZodType & {
    minValue?: number | null;
    maxValue?: number | null;
    minLength?: number | null;
    maxLength?: number | null;
  };
  const def = defOf(inner);
  const out: unknown[] = [];
  if (def.type === 'number') {
    if (typeof inner.minValue === 'number' && Number.isFinite(inner.minValue)) {
      out.push(inner.minValue - 1, inner.minValue - 0.5);
    }
    if (typeof inner.maxValue === 'number' && Number.isFinite(inner.maxValue)) {
      out.push(inner.maxValue + 1);
    }
  }
  if (def.type === 'string') {
    if (typeof inner.minLength === 'number' && inner.minLength > 0) {
      out.push('a'.repeat(inner.minLength - 1));
    }
    if (typeof inner.maxLength === 'number') out.push('a'.repeat(inner.maxLength + 1));
  }
  for (const check of def.checks ?? []) {
    const { check: kind, minimum } = check._zod.def;
    if (def.type === 'array' && kind === 'min_length' && typeof minimum === 'number') {
      out.push([]);
    }
  }
  if (def.type === 'enum') out.push('not-one-of-them', 'NOT-ONE-OF-THEM');
  return out;
}

/** A value for a site: a troublemaker, an edge of its schema, or anything at all. */
export function badValue(schema: z.ZodType): fc.Arbitrary<unknown> {
  const fixed = [...troublemakers(), ...edgesOf(schema)];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...fixed) },
    {
      weight: 1,
      arbitrary: fc.anything({
        maxDepth: 2,
        withBigInt: true,
        withDate: true,
        withMap: true,
        withNullPrototype: true,
        withObjectString: true,
        withBoxedValues: true,
        withSparseArray: true,
      }),
    },
  );
}

/** A key no strict object of the options knows. */
export function unknownKey(allowed: readonly string[]): fc.Arbitrary<string> {
  return fc
    .stringMatching(/^[a-z][A-Za-z0-9_]{0,11}$/)
    .filter((key) => !allowed.includes(key) && !['__proto__', 'constructor'].includes(key));
}
