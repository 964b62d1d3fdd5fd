/** Which changes touch a policy path pattern. Internal to the score stage. */
import { compilePattern, decodePointer, type PathPattern } from '../pointer.js';
import type { Change, JsonValue } from '../types.js';

/** A change prepared for matching: its plain pointer's segments, computed once. */
export interface PreparedChange {
  change: Change;
  segments: string[];
}

/** Decode every change's pointer once. */
export function prepareChanges(changes: readonly Change[]): PreparedChange[] {
  return changes.map((change) => ({ change, segments: pointerSegments(change.pointer) }));
}

/** `decodePointer`, without its unescaping work for the usual pointer that has no `~` (nothing to unescape). */
function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer.includes('~')) return decodePointer(pointer);
  return (pointer.charCodeAt(0) === 47 ? pointer.slice(1) : pointer).split('/');
}

/** Compile every pattern. */
export function compileAll(patterns: readonly string[]): PathPattern[] {
  return patterns.map((p) => compilePattern(p));
}

/**
 * True when the change touches the pattern: the pattern matches the change's plain pointer or its keyed
 * path (`/features/[name=x]/type`), or a location inside the old or new value (a change that adds or
 * removes the whole `/dnssec` object touches `/dnssec/keys/*`).
 */
export function touches(pattern: PathPattern, prepared: PreparedChange): boolean {
  const { change, segments } = prepared;
  if (pattern.matches(segments)) return true;
  if (change.path !== change.pointer && pattern.matches(change.path)) return true;
  if (!pattern.couldMatchBelow(segments)) return false;
  return matchesInside(pattern, segments, change.oldValue) || matchesInside(pattern, segments, change.newValue);
}

/** True when a location strictly inside `value` (which sits at `base`) matches. Iterative, pruned. */
function matchesInside(pattern: PathPattern, base: readonly string[], value: JsonValue | undefined): boolean {
  if (value === undefined || value === null || typeof value !== 'object') return false;
  const stack: Array<{ v: JsonValue; segs: string[] }> = [{ v: value, segs: [...base] }];
  while (stack.length > 0) {
    const { v, segs } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v);
    for (const k of keys) {
      const child = Array.isArray(v) ? v[Number(k)] : v[k];
      const childSegs = [...segs, k];
      if (pattern.matches(childSegs)) return true;
      if (child !== undefined && pattern.couldMatchBelow(childSegs)) stack.push({ v: child, segs: childSegs });
    }
  }
  return false;
}
