/**
 * The regular-expression engine of config schemas (`pattern`, `patternProperties`, `propertyNames`), given to ajv as
 * its `code.regExp` option, so that a schema pattern never backtracks catastrophically on a config value.
 *
 * - A pattern of a form that cannot backtrack more than linearly in JavaScript's engine runs natively (fast): it is
 *   anchored with `^`, has no alternation, no quantified group, no lookaround or backreference, at most one
 *   unbounded quantifier (`*`, `+`, `{n,}`) and bounded repeats adding up to at most 1,000 (`^[a-z][a-z0-9_]*$`).
 * - Every other pattern runs in RE2JS (the `re2js` package: a pure-JavaScript port of RE2), whose matching time is
 *   linear in the input whatever the pattern (`^(a+)+$` on 40 characters: under a millisecond instead of minutes).
 * - A pattern that needs lookaround or backreferences (which RE2 does not have) and is not of the native form is
 *   refused when the policy is loaded: it could not be run in bounded time.
 *
 * Semantics follow JavaScript (`u` flag, as ajv uses): `.` does not match line terminators, `\s`/`\S` outside a
 * character class mean JavaScript's whitespace; inside a character class `\s` is RE2's ASCII whitespace.
 */
import { RE2JS } from 're2js';
import type { RegExpEngine, RegExpLike } from 'ajv/dist/types/index.js';

/** Thrown (at schema compile time) for a pattern that cannot be evaluated in linear time. */
export class UnboundedPatternError extends Error {
  readonly code = 'E_SCHEMA_PATTERN';
  constructor(readonly pattern: string, reason: string) {
    super(`schema pattern ${JSON.stringify(pattern)} ${reason}`);
    this.name = 'UnboundedPatternError';
  }
}

/** Largest sum of bounded repeat counts a natively run pattern may have. */
const NATIVE_MAX_BOUNDED = 1000;

interface Shape {
  anchored: boolean;
  alternation: boolean;
  quantifiedGroup: boolean;
  lookaroundOrBackref: boolean;
  unbounded: number;
  bounded: number;
}

/** One pass over the pattern's syntax (escapes and character classes skipped), counting what matters for backtracking. */
function shapeOf(p: string): Shape {
  const s: Shape = { anchored: p.startsWith('^'), alternation: false, quantifiedGroup: false, lookaroundOrBackref: false, unbounded: 0, bounded: 0 };
  let inClass = false;
  let prevCloseGroup = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    const closeGroup = prevCloseGroup;
    prevCloseGroup = false;
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(n) || n === 'k')) s.lookaroundOrBackref = true;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (p[i + 1] === '^') i++;
      if (p[i + 1] === ']') i++; // `[]` or `[^]`: JavaScript's empty / any class
      continue;
    }
    if (c === '(') {
      if (p.startsWith('(?=', i) || p.startsWith('(?!', i) || p.startsWith('(?<=', i) || p.startsWith('(?<!', i)) s.lookaroundOrBackref = true;
      continue;
    }
    if (c === ')') {
      prevCloseGroup = true;
      continue;
    }
    if (c === '|') s.alternation = true;
    else if (c === '*' || c === '+') {
      s.unbounded++;
      if (closeGroup) s.quantifiedGroup = true;
    } else if (c === '?') {
      if (closeGroup) s.quantifiedGroup = true;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
      if (m) {
        if (closeGroup) s.quantifiedGroup = true;
        if (m[2] !== undefined && m[3] === '') s.unbounded++;
        else s.bounded += Number(m[3] ?? m[1]);
        i += m[0].length - 1;
      }
    }
  }
  return s;
}

/** True when the pattern is of the form that runs natively in linear time (see the module comment). */
export function isNativeLinear(pattern: string): boolean {
  const s = shapeOf(pattern);
  return s.anchored && !s.alternation && !s.quantifiedGroup && !s.lookaroundOrBackref && s.unbounded <= 1 && s.bounded <= NATIVE_MAX_BOUNDED;
}

const JS_SPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** JavaScript meanings of `.`, `\s` and `\S` outside character classes, in syntax RE2JS reads after `translateRegExp`. */
function jsSemantics(p: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      if (!inClass && n === 's') out += `[${JS_SPACE}]`;
      else if (!inClass && n === 'S') out += `[^${JS_SPACE}]`;
      else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') out += p[++i];
      continue;
    }
    out += c === '.' ? '[^\\n\\r\\u2028\\u2029]' : c;
  }
  return out;
}

const cache = new Map<string, RegExpLike>();

/** Compile one schema pattern: natively when its form is linear, else with RE2JS; refuse what neither can bound. */
function compile(pattern: string, flags: string): RegExpLike {
  const key = `${flags}/${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const native = new RegExp(pattern, flags); // an invalid pattern fails as it always did
  let out: RegExpLike;
  if (isNativeLinear(pattern)) out = native;
  else {
    if (shapeOf(pattern).lookaroundOrBackref) {
      throw new UnboundedPatternError(pattern, 'uses lookaround or a backreference, which the linear-time regex engine cannot run, and is not of a form that is linear in JavaScript: rewrite it without them');
    }
    let re: RE2JS;
    try {
      re = RE2JS.compile(RE2JS.translateRegExp(jsSemantics(pattern)));
    } catch (err) {
      throw new UnboundedPatternError(pattern, `cannot be run by the linear-time regex engine (${err instanceof Error ? err.message : String(err)})`);
    }
    // ajv keys its compiled patterns by `toString()`: each pattern needs its own (RegExp's is `/source/flags`).
    const id = `re2js:/${pattern}/${flags}`;
    out = { test: (s: string) => re.test(s), toString: () => id } as RegExpLike;
  }
  if (cache.size >= 1000) cache.clear();
  cache.set(key, out);
  return out;
}

/** ajv's `code.regExp` engine for config schemas. */
export const linearRegExp: RegExpEngine = Object.assign(compile, { code: 'confgateLinearRegExp' });
