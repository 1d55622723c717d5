import { parse } from 'yaml';

/** One `## @param <path> <description>` line of values.yaml, under its `## @section`. */
export interface ValueParam {
  path: string;
  description: string;
  section: string;
}

/** The documented parameters, in file order. */
export function parseParams(valuesText: string): ValueParam[] {
  const params: ValueParam[] = [];
  let section = '';
  for (const line of valuesText.split('\n')) {
    const sectionMatch = /^\s*## @section (.+)$/.exec(line);
    if (sectionMatch?.[1]) section = sectionMatch[1].trim();
    const paramMatch = /^\s*## @param (\S+) (.+)$/.exec(line);
    if (paramMatch?.[1] && paramMatch[2]) {
      params.push({ path: paramMatch[1], description: paramMatch[2].trim(), section });
    }
  }
  return params;
}

type Values = Record<string, unknown>;
const isObject = (v: unknown): v is Values =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The key paths that need a `@param`: every leaf, where a documented key counts as a leaf
 * (a free-form object such as `config` or `resources` is documented as a whole) and an
 * empty object or any array is a leaf.
 */
export function documentablePaths(
  values: Values,
  documented: ReadonlySet<string>,
  prefix = '',
): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (documented.has(path) || !isObject(value) || Object.keys(value).length === 0)
      paths.push(path);
    else paths.push(...documentablePaths(value, documented, path));
  }
  return paths;
}

export function valueAt(values: Values, path: string): unknown {
  let node: unknown = values;
  for (const key of path.split('.')) node = isObject(node) ? node[key] : undefined;
  return node;
}

/** The default as the table shows it: scalars plain (empty string as ""), the rest as JSON. */
function formatDefault(value: unknown): string {
  if (value === '') return '`""`';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return `\`${value}\``;
  return `\`${JSON.stringify(value)}\``;
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|');

/** The README's parameters section, generated from values.yaml: one table per section. */
export function parametersTable(valuesText: string): string {
  const values = parse(valuesText) as Values;
  const lines: string[] = [];
  let section: string | undefined;
  for (const param of parseParams(valuesText)) {
    if (param.section !== section) {
      section = param.section;
      lines.push(
        '',
        `### ${section}`,
        '',
        '| Name | Description | Default |',
        '| --- | --- | --- |',
      );
    }
    lines.push(
      `| \`${param.path}\` | ${escapeCell(param.description)} | ${escapeCell(formatDefault(valueAt(values, param.path)))} |`,
    );
  }
  return `${lines.join('\n').trim()}\n`;
}

export const TABLE_START =
  '<!-- parameters:start (generated from values.yaml; test/deploy/values.test.ts checks it) -->';
export const TABLE_END = '<!-- parameters:end -->';
