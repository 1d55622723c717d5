import type { Sample } from '../model/sample';

/**
 * The unit table: each unit's dimension and its size in the dimension's base unit
 * (seconds, bytes, ratio). Conversions are allowed only within one dimension.
 */
export const UNITS = {
  ns: { dimension: 'time', factor: 1e-9 },
  us: { dimension: 'time', factor: 1e-6 },
  ms: { dimension: 'time', factor: 1e-3 },
  s: { dimension: 'time', factor: 1 },
  min: { dimension: 'time', factor: 60 },
  h: { dimension: 'time', factor: 3600 },
  bit: { dimension: 'bytes', factor: 1 / 8 },
  B: { dimension: 'bytes', factor: 1 },
  kB: { dimension: 'bytes', factor: 1e3 },
  KiB: { dimension: 'bytes', factor: 1024 },
  MB: { dimension: 'bytes', factor: 1e6 },
  MiB: { dimension: 'bytes', factor: 1024 ** 2 },
  GB: { dimension: 'bytes', factor: 1e9 },
  GiB: { dimension: 'bytes', factor: 1024 ** 3 },
  percent: { dimension: 'ratio', factor: 0.01 },
  ratio: { dimension: 'ratio', factor: 1 },
} as const;
export type Unit = keyof typeof UNITS;
export const UNIT_NAMES = Object.keys(UNITS) as Unit[];

/** The factor that converts a value in `from` into `to`, or undefined across dimensions. */
export function conversionFactor(from: Unit, to: Unit): number | undefined {
  const a = UNITS[from];
  const b = UNITS[to];
  if (a.dimension !== b.dimension) return undefined;
  return a.factor / b.factor;
}

/** One compiled unit/name rule: for matching names, multiply and optionally rename. */
export interface UnitRule {
  matches: (name: string) => boolean;
  /** Multiplier applied to the value (1 when only renaming). */
  factor: number;
  /** The new name from the old one, when renaming. */
  rename?: (name: string) => string;
}

/**
 * Applies the first matching rule (rules are tried in order, so specific rules go first).
 * A sample no rule matches is returned unchanged.
 */
export function applyUnits(sample: Sample, rules: readonly UnitRule[]): Sample {
  for (const rule of rules) {
    if (!rule.matches(sample.name)) continue;
    return {
      name: rule.rename ? rule.rename(sample.name) : sample.name,
      value: sample.value * rule.factor,
      timestamp: sample.timestamp,
      labels: sample.labels,
    };
  }
  return sample;
}
