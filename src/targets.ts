/** Targets: loading, validation and label selectors. */
import { TargetsError } from './errors.js';
import type { LabelSelector, Target } from './types.js';

/** Longest accepted target id, in UTF-16 code units. */
export const MAX_TARGET_ID_LENGTH = 256;

// C0 and C1 control characters, DEL, line/paragraph separators and bidi overrides/isolates (Trojan Source): an id with
// one of them would drive a terminal or hide text in every log line and report that names the target.
const BAD_ID_CHAR = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * Why `id` is not an acceptable target id, or `undefined` when it is. A target id is 1 to
 * {@link MAX_TARGET_ID_LENGTH} characters without control characters (U+0000–U+001F, U+007F–U+009F), line or
 * paragraph separators (U+2028, U+2029) or bidirectional controls (U+202A–U+202E, U+2066–U+2069). The reason quotes
 * the id escaped and shortened, so it is safe to print.
 */
export function targetIdProblem(id: string): string | undefined {
  if (id === '') return 'must not be empty';
  if (id.length > MAX_TARGET_ID_LENGTH) return `is ${id.length} characters long (at most ${MAX_TARGET_ID_LENGTH}): ${JSON.stringify(id.slice(0, 40))}...`;
  const m = BAD_ID_CHAR.exec(id);
  if (m) {
    const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    const quoted = JSON.stringify(id.slice(0, 60)).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return `contains the control character U+${code} at position ${m.index}: ${quoted}${id.length > 60 ? '...' : ''}`;
  }
  return undefined;
}

/** True when the target matches every label of the selector (an absent or empty selector matches all). */
export function matchesSelector(target: Target, selector: LabelSelector | undefined): boolean {
  if (!selector) return true;
  for (const [label, want] of Object.entries(selector)) {
    const have = target.labels[label];
    if (have === undefined) return false;
    if (Array.isArray(want) ? !want.includes(have) : have !== want) return false;
  }
  return true;
}

/**
 * Check and normalise a targets value: either an array of targets or `{ targets: [...] }`.
 * Label values are coerced to strings. Ids must follow {@link targetIdProblem}'s rules (no control characters, 1 to 256
 * characters). Throws {@link TargetsError} naming the first bad entry.
 */
export function normalizeTargets(input: unknown, file = '<targets>'): Target[] {
  const list = Array.isArray(input)
    ? input
    : input !== null && typeof input === 'object' && Array.isArray((input as { targets?: unknown }).targets)
      ? (input as { targets: unknown[] }).targets
      : undefined;
  if (!list) throw new TargetsError(`${file}: expected \`targets: [{ id, labels }]\` or a list of targets`);
  const seen = new Set<string>();
  return list.map((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new TargetsError(`${file}: /targets/${i} must be an object with \`id\` and \`labels\``);
    }
    const t = raw as { id?: unknown; labels?: unknown };
    if (typeof t.id !== 'string' && typeof t.id !== 'number') {
      throw new TargetsError(`${file}: /targets/${i}/id must be a string`);
    }
    const id = String(t.id);
    const problem = targetIdProblem(id);
    if (problem) throw new TargetsError(`${file}: /targets/${i}/id ${problem}`);
    if (seen.has(id)) throw new TargetsError(`${file}: /targets/${i}/id ${JSON.stringify(id)} is listed twice`);
    seen.add(id);
    const labels: Record<string, string> = {};
    if (t.labels !== undefined) {
      if (t.labels === null || typeof t.labels !== 'object' || Array.isArray(t.labels)) {
        throw new TargetsError(`${file}: /targets/${i}/labels must be an object of strings`);
      }
      for (const [k, v] of Object.entries(t.labels as Record<string, unknown>)) {
        if (v === null || typeof v === 'object') {
          throw new TargetsError(`${file}: /targets/${i}/labels/${k} must be a string`);
        }
        // defineProperty: a label named `__proto__` is data, not the object's prototype.
        Object.defineProperty(labels, k, { value: String(v), enumerable: true, writable: true, configurable: true });
      }
    }
    return { id, labels };
  });
}
