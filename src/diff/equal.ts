/**
 * Structural helpers for plain JSON values: a fast deep-equality test (used to skip identical
 * subtrees before anything is handed to json-diff-ts) and a canonical, key-order independent
 * serialisation (used to compare unkeyed lists as multisets).
 *
 * Recursion depth equals the nesting depth of the input, which the loader caps at 256.
 */
export { canonical } from '../json.js';
import type { JsonObject, JsonValue } from '../types.js';

const hasOwn = Object.prototype.hasOwnProperty;

/** True when `v` is a JSON object (not an array, not null). */
export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep equality of two JSON values. Object key order does not matter; array order does.
 * Own keys only, so an own `__proto__` key is ordinary data.
 */
export function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!deepEqual(a[i]!, b[i]!)) return false;
    }
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (!hasOwn.call(b, k) || !deepEqual(a[k]!, b[k]!)) return false;
  }
  return true;
}


/** Compare strings by UTF-16 code units (the order `Array.prototype.sort` uses), for stable output. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
