/**
 * Documents whose parsed value no caller can reach or change: the gate's cache of current (LKG) documents loaded
 * from text. Work that depends only on such a document (its schema validation, its secret values) may be cached
 * by the document's identity. A document passed in by a caller is never marked: its value could be mutated
 * between two evaluations.
 */
import type { KeyListings } from '../diff/keys.js';
import type { ConfigDoc } from '../types.js';

const stableDocs = new WeakSet<ConfigDoc>();
const stableValues = new WeakSet<object>();

/** Mark a document created and kept by the library itself (never handed out) as immutable. */
export function markStableDoc(doc: ConfigDoc): void {
  stableDocs.add(doc);
  if (doc.value !== null && typeof doc.value === 'object') stableValues.add(doc.value);
}

/** True when `value` is the root value of a document marked by {@link markStableDoc} (so nothing in it changes). */
export function isStableValue(value: unknown): boolean {
  return value !== null && typeof value === 'object' && stableValues.has(value);
}

/** True for documents marked by {@link markStableDoc}. */
export function isStableDoc(doc: ConfigDoc): boolean {
  return stableDocs.has(doc);
}

const noSecretKeyDocs = new WeakSet<ConfigDoc>();

/**
 * Record, at load time, that no key of the document's value looks like a secret (`isSecretKey`) and no string in it
 * holds a URL password (`hasUrlPassword`): the masker then finds no secret value in it without a walk.
 */
export function markNoSecretKeys(doc: ConfigDoc): void {
  noSecretKeyDocs.add(doc);
}

/**
 * True when the document was loaded without any secret-looking key AND its value cannot have changed since (it
 * is marked stable: created by the library and never handed out). A document a caller holds may have been
 * edited after loading, so for it the answer is always false.
 */
export function knownWithoutSecretKeys(doc: ConfigDoc): boolean {
  return stableDocs.has(doc) && noSecretKeyDocs.has(doc);
}

const keyListings = new WeakMap<ConfigDoc, KeyListings>();

/** Record, at load time, the keys and values of the large objects of the document's value, as the loader listed them. */
export function recordKeyListings(doc: ConfigDoc, listings: KeyListings): void {
  keyListings.set(doc, listings);
}

/**
 * The listings recorded while loading the document, when its value cannot have changed since (it is marked stable);
 * for a document a caller holds, undefined (a key may have been added or deleted after loading).
 */
export function stableKeyListings(doc: ConfigDoc): KeyListings | undefined {
  return stableDocs.has(doc) ? keyListings.get(doc) : undefined;
}
