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
/** Values of large objects of the evaluation under way, in the order of their key lists. */
let evaluationValues: WeakMap<object, readonly unknown[]> | undefined;

/** Objects with fewer keys are enumerated again (cheap: V8 keeps their keys in the object's shape). */
export const SHARED_MIN_KEYS = 1024;

/** The own keys of a large object (`Object.keys` order) and its values in the same order, from one enumeration. */
export interface KeyListing {
  readonly keys: readonly string[];
  readonly values: readonly unknown[];
}

/** Listings of the large objects of one value, by object. */
export type KeyListings = ReadonlyMap<object, KeyListing>;

/**
 * Hand the evaluation under way listings made earlier, by the loader's walk of a document that nothing can have
 * changed since (see `stableKeyListings` in load/stable.ts): the passes then read them instead of enumerating
 * the objects again. Outside an evaluation this does nothing.
 */
export function shareListings(listings: KeyListings): void {
  const keys = evaluationKeys;
  const values = evaluationValues;
  if (keys === undefined || values === undefined) return;
  for (const [o, l] of listings) {
    if (keys.has(o) || l.keys.length < SHARED_MIN_KEYS) continue;
    keys.set(o, l.keys);
    values.set(o, l.values);
  }
}

/** Run one synchronous evaluation with key lists shared by its passes (nested calls share the outer scope). */
export function withKeyCache<T>(fn: () => T): T {
  const outer = evaluationKeys;
  const outerValues = evaluationValues;
  evaluationKeys = outer ?? new WeakMap();
  evaluationValues = outerValues ?? new WeakMap();
  try {
    return fn();
  } finally {
    evaluationKeys = outer;
    evaluationValues = outerValues;
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

/**
 * The values of a large object in the order of `keys` (its {@link ownKeys}), shared within an evaluation, or
 * undefined (outside an evaluation, or a small object): the caller then reads `o[key]`. Reading a member of a
 * 300,000-key map is a probe into a large hash table, about 0.1 µs; the passes after the first read the list.
 */
export function sharedValues<T>(o: Readonly<Record<string, T>>, keys: readonly string[]): readonly T[] | undefined {
  const cache = evaluationValues;
  if (cache === undefined || keys.length < SHARED_MIN_KEYS || evaluationKeys?.get(o) !== keys) return undefined;
  let values = cache.get(o) as readonly T[] | undefined;
  if (values === undefined) {
    const list = new Array<T>(keys.length);
    for (let i = 0; i < keys.length; i++) list[i] = o[keys[i]!]!;
    values = list;
    cache.set(o, values);
  }
  return values;
}
