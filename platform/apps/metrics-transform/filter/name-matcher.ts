import { compileGoRegexp } from '../relabel/go-regexp';

/**
 * A metric-name pattern, in one of three spellings:
 * - exact: `http_requests_total`;
 * - glob: `http_*` (`*` any run of characters, `?` one character; nothing else special);
 * - regular expression: `/http_.*_total/`, fully anchored like every Prometheus regex.
 * Returns a predicate; throws `SyntaxError` for a bad regular expression (the config
 * schema turns that into a message with the path).
 */
export function nameMatcher(pattern: string): (name: string) => boolean {
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    const re = compileGoRegexp(pattern.slice(1, -1));
    return (name) => re.test(name);
  }
  if (pattern.includes('*') || pattern.includes('?')) {
    const re = globToRegExp(pattern);
    return (name) => re.test(name);
  }
  return (name) => name === pattern;
}

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const c of glob) {
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
