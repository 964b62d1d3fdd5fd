/** Small helpers over plain JSON values shared by the stages. */
import type { JsonValue } from './types.js';

/**
 * A canonical JSON text of a value: object keys sorted, so two deep-equal values give the same string whatever
 * their key order. Keys already in order are not re-sorted.
 */
export function canonical(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i++) s += (i > 0 ? ',' : '') + canonical(value[i]!);
    return s + ']';
  }
  const keys = Object.keys(value);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (!sorted) keys.sort();
  let s = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    s += (i > 0 ? ',' : '') + JSON.stringify(k) + ':' + canonical(value[k]!);
  }
  return s + '}';
}
