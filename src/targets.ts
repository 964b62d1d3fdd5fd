/** Targets: loading, validation and label selectors. */
import { TargetsError } from './errors.js';
import type { LabelSelector, Target } from './types.js';

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
 * Label values are coerced to strings. Throws {@link TargetsError} naming the first bad entry.
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
