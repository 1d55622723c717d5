// Walks a zod 4 schema together with a valid example value and lists every place a fuzzer
// can break: each key path the example reaches, with the schema that judges the value there.
// Reading zod's internal `_zod.def` is deliberate: the fuzzer is generated from the schemas
// themselves, so a new option is fuzzed without anyone touching these tests.
import type { z } from 'zod';

export type Path = readonly (string | number)[];

/** One place in the options where a value can be replaced, removed or given an extra key. */
export interface Site {
  readonly path: Path;
  /** The schema of the value at `path`, wrappers (optional, default, pipes) included. */
  readonly schema: z.ZodType;
  /**
   * Where a replaced value is judged: the nearest union above the site (a union decides on
   * the whole member object, and reports the problem at its own path), else the site.
   */
  readonly guard: { readonly path: Path; readonly schema: z.ZodType };
  /** For a strict object: the keys it allows (an unknown key here must be refused). */
  readonly strictKeys?: readonly string[];
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  checks?: { _zod: { def: { check: string; minimum?: number; pattern?: RegExp } } }[];
}

export function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Down through optional, default, nullable, readonly and pipes to the schema of the shape. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = defOf(current);
    if (def.innerType !== undefined) current = def.innerType;
    else if (def.type === 'pipe' && def.in && def.out) {
      // A preprocess or transform pipe: the shape is on the side that is not a transform.
      current = defOf(def.in).type === 'transform' ? def.out : def.in;
    } else return current;
  }
  return current;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);

/** Every site of `schema` that the valid `example` reaches, the root first. */
export function sitesOf(schema: z.ZodType, example: unknown): Site[] {
  const sites: Site[] = [];
  const visit = (node: z.ZodType, value: unknown, path: Path, union?: Site['guard']) => {
    const def = defOf(unwrap(node));
    const site: { -readonly [K in keyof Site]: Site[K] } = {
      path,
      schema: node,
      guard: union ?? { path, schema: node },
    };
    sites.push(site);
    const objectChildren = (objectDef: Def, inUnion: Site['guard'] | undefined) => {
      if (!objectDef.shape) return;
      if (objectDef.catchall && defOf(objectDef.catchall).type === 'never') {
        site.strictKeys = Object.keys(objectDef.shape);
      }
      if (!isPlainObject(value)) return;
      for (const [key, child] of Object.entries(objectDef.shape)) {
        // A key the example leaves out is still a site when it holds a plain value; an
        // absent nested object is skipped (there is nothing inside it to break).
        if (value[key] === undefined && defOf(unwrap(child)).type === 'object') continue;
        visit(child, value[key], [...path, key], inUnion);
      }
    };
    if (def.type === 'object') objectChildren(def, union);
    else if (def.type === 'record' && def.valueType && isPlainObject(value)) {
      for (const key of Object.keys(value)) visit(def.valueType, value[key], [...path, key], union);
    } else if (def.type === 'array' && def.element && Array.isArray(value) && value.length > 0) {
      visit(def.element, value[0], [...path, 0], union);
    } else if (def.type === 'union' && def.options) {
      // Inside a union every change is judged by the union, and reported at its path.
      const member = def.options.find((option) => option.safeParse(value).success);
      const memberDef = member ? defOf(unwrap(member)) : undefined;
      if (memberDef?.type === 'object') objectChildren(memberDef, union ?? site.guard);
    }
  };
  visit(schema, example, []);
  return sites;
}
