/**
 * The own keys of large objects, enumerated once per evaluation and shared by its passes.
 *
 * A map of hundreds of thousands of keys is a hash table in V8 ("dictionary mode"), and enumerating its keys
 * (`Object.keys`, `for...in`) copies and sorts them by insertion order: about 0.1 s for 300,000 keys, more than all
 * the work the passes do with those keys. The gate walks the proposed document several times (uniqueness, the diff,
 * sizes, growth, the secrets of the masker); inside one evaluation (see `withSizeCache` in validate/limits.ts) they
 * share one enumeration of each large object. Outside an evaluation this is `Object.keys`.
 *
 * The documents of an evaluation are not changed while it runs (the gate never changes them; the size cache makes
 * the same assumption), so a key list taken by one pass holds for the next.
 */

/** Key lists of large objects of the evaluation under way, or undefined outside one. */
let evaluationKeys: WeakMap<object, readonly string[]> | undefined;

/** Objects with fewer keys are enumerated again (cheap: V8 keeps their keys in the object's shape). */
const SHARED_MIN_KEYS = 1024;

/** Run one synchronous evaluation with key lists shared by its passes (nested calls share the outer scope). */
export function withKeyCache<T>(fn: () => T): T {
  const outer = evaluationKeys;
  evaluationKeys = outer ?? new WeakMap();
  try {
    return fn();
  } finally {
    evaluationKeys = outer;
  }
}

/** `Object.keys(o)`, shared within an evaluation for large objects. The caller must not change the list. */
export function ownKeys(o: object): readonly string[] {
  const cache = evaluationKeys;
  if (cache === undefined) return Object.keys(o);
  let keys = cache.get(o);
  if (keys === undefined) {
    keys = Object.keys(o);
    if (keys.length >= SHARED_MIN_KEYS) cache.set(o, keys);
  }
  return keys;
}
