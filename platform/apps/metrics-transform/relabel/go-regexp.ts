/**
 * Compiles a regular expression written for Go's RE2 (as Prometheus configs are) into a
 * JavaScript RegExp, fully anchored as Prometheus anchors it: `^(?:re)$`.
 *
 * Translated: named groups `(?P<name>…)` → `(?<name>…)`, and a leading `(?i)`/`(?s)`/
 * `(?m)` flag group → RegExp flags. Everything else is passed as is; constructs JS does
 * not accept fail here, at configuration time, with the engine's message. The two engines
 * agree on the syntax used in relabelling rules (classes, groups, alternation, repetition);
 * JS backtracking is not linear-time like RE2, which is why label values are length-bounded.
 */
export function compileGoRegexp(source: string): RegExp {
  let body = source;
  let flags = '';
  const leading = /^\(\?([ims]+)\)/.exec(body);
  if (leading) {
    flags = [...new Set(leading[1])].join('');
    body = body.slice(leading[0].length);
  }
  body = body.replace(/\(\?P</g, '(?<');
  return new RegExp(`^(?:${body})$`, flags);
}

/** Prometheus' legacy label-name syntax. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Expands `template` with the groups of `match`, as Go's `Regexp.Expand` does:
 * `$1` / `${1}` is group 1, `$name` / `${name}` a named group, `$$` a literal `$`.
 * In `$name` the name is the longest run of letters, digits and `_` (so `$1x` means the
 * group named `1x`, not group 1 then `x`). A reference to a group that does not exist or
 * did not take part in the match expands to the empty string; a malformed `$` (such as
 * `${` without `}`) is kept as a literal `$`.
 */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const ref = readReference(template, i);
    if (!ref) {
      out += '$';
      continue;
    }
    i = ref.next;
    out += groupValue(match, ref.name);
  }
  return out;
}

function readReference(t: string, at: number): { name: string; next: number } | undefined {
  const brace = t[at] === '{';
  let i = brace ? at + 1 : at;
  const begin = i;
  while (i < t.length && /[A-Za-z0-9_]/.test(t[i] as string)) i++;
  if (i === begin) return undefined;
  const name = t.slice(begin, i);
  if (brace) {
    if (t[i] !== '}') return undefined;
    i++;
  }
  return { name, next: i };
}

function groupValue(match: RegExpExecArray, name: string): string {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    return n < match.length ? (match[n] ?? '') : '';
  }
  return match.groups?.[name] ?? '';
}
