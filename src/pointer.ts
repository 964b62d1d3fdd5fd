/**
 * JSON Pointer (RFC 6901) helpers and policy path patterns.
 *
 * Patterns are JSON Pointers in which a segment `*` matches exactly one segment and a segment `**`
 * matches any number of segments (zero included). `/` alone (or the empty string) is the root.
 */
import type { JsonValue } from './types.js';

/** Escape one segment for a JSON Pointer. */
export function escapeSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Build a JSON Pointer from segments (`[]` gives `''`, the root). */
export function encodePointer(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const s of segments) out += '/' + escapeSegment(s);
  return out;
}

/**
 * Split a JSON Pointer into unescaped segments (RFC 6901): `''` is the root (`[]`), `'/'` is the member whose key
 * is the empty string (`['']`). A pointer without a leading `/` is read as if it had one.
 */
export function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  const body = pointer.startsWith('/') ? pointer.slice(1) : pointer;
  return body.split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at a JSON Pointer, or `undefined` when it does not exist. Own properties only. */
export function getAtPointer(value: JsonValue | undefined, pointer: string | readonly string[]): JsonValue | undefined {
  const segments = typeof pointer === 'string' ? decodePointer(pointer) : pointer;
  let cur: JsonValue | undefined = value;
  for (const seg of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
      cur = cur[seg];
    }
  }
  return cur;
}

/** A compiled path pattern. */
export interface PathPattern {
  readonly source: string;
  /** True when the concrete pointer (or its segments) matches the pattern. */
  matches(pointer: string | readonly string[]): boolean;
  /** True when the pointer could be an ancestor of a match (used to prune walks). */
  couldMatchBelow(segments: readonly string[]): boolean;
}

/** Compile a path pattern (`/rules/*\/expression`, `/dnssec/**`). */
export function compilePattern(pattern: string): PathPattern {
  // In policy patterns `/` alone means the root document.
  const parts = pattern === '/' ? [] : decodePointer(pattern);
  const hasDeep = parts.includes('**');
  const matchFrom = (segs: readonly string[], pi: number, si: number): boolean => {
    while (pi < parts.length) {
      const p = parts[pi]!;
      if (p === '**') {
        if (pi === parts.length - 1) return true;
        for (let k = si; k <= segs.length; k++) if (matchFrom(segs, pi + 1, k)) return true;
        return false;
      }
      if (si >= segs.length) return false;
      if (p !== '*' && p !== segs[si]) return false;
      pi++;
      si++;
    }
    return si === segs.length;
  };
  return {
    source: pattern,
    matches(pointer) {
      const segs = typeof pointer === 'string' ? decodePointer(pointer) : pointer;
      if (!hasDeep && segs.length !== parts.length) return false;
      return matchFrom(segs, 0, 0);
    },
    couldMatchBelow(segs) {
      for (let i = 0; i < segs.length; i++) {
        const p = parts[i];
        if (p === undefined) return false;
        if (p === '**') return true;
        if (p !== '*' && p !== segs[i]) return false;
      }
      return true;
    },
  };
}

/** A match of a pattern in a value. */
export interface PatternMatch {
  pointer: string;
  segments: string[];
  value: JsonValue;
}

/**
 * Every location in `value` matching `pattern`, in document order. Iterative (no recursion), so a
 * deeply nested value cannot overflow the stack.
 */
export function findMatches(value: JsonValue | undefined, pattern: PathPattern | string): PatternMatch[] {
  const pat = typeof pattern === 'string' ? compilePattern(pattern) : pattern;
  const out: PatternMatch[] = [];
  if (value === undefined) return out;
  const stack: Array<{ v: JsonValue; segs: string[] }> = [{ v: value, segs: [] }];
  while (stack.length > 0) {
    const { v, segs } = stack.pop()!;
    if (pat.matches(segs)) out.push({ pointer: encodePointer(segs), segments: segs, value: v });
    if (v === null || typeof v !== 'object' || !pat.couldMatchBelow(segs)) continue;
    const children: Array<{ v: JsonValue; segs: string[] }> = [];
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) children.push({ v: v[i]!, segs: [...segs, String(i)] });
    } else {
      for (const k of Object.keys(v)) children.push({ v: v[k]!, segs: [...segs, k] });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return out;
}
