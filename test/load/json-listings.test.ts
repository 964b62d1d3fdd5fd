/**
 * The loader's walk lists the keys and values of every large object (src/load/json.ts `walkCounts`), and an evaluation
 * of a document nothing can have changed since (a stable document) reads those lists instead of enumerating the
 * objects again (src/diff/keys.ts `shareListings`). The lists must be what `Object.keys` and the values in that order
 * give; a document a caller holds must never be answered from them; and a report must not depend on whether they
 * were used.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ownKeys, sharedValues, SHARED_MIN_KEYS, shareListings, withKeyCache } from '../../src/diff/keys.js';
import { createGate } from '../../src/gate.js';
import { loadConfig, parseConfig } from '../../src/load/index.js';
import { walkCounts } from '../../src/load/json.js';
import { markStableDoc, stableKeyListings } from '../../src/load/stable.js';
import type { JsonObject, JsonValue } from '../../src/types.js';

/** Every object of at least `min` keys in `v`, with its keys and values as Object.keys lists them. */
function bigObjects(v: unknown, min: number): Map<object, { keys: string[]; values: unknown[] }> {
  const out = new Map<object, { keys: string[]; values: unknown[] }>();
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object') continue;
    if (Array.isArray(x)) {
      stack.push(...(x as unknown[]));
      continue;
    }
    const keys = Object.keys(x);
    const values = keys.map((k) => (x as Record<string, unknown>)[k]);
    if (keys.length >= min) out.set(x, { keys, values });
    stack.push(...values);
  }
  return out;
}

// Keys that change the enumeration order (integer-like keys come first, in numeric order), escapes, __proto__.
const keyArb = fc.oneof(fc.constantFrom('0', '7', '10', '4294967294', '4294967295', '-1', '01', '__proto__', 'a/b', '~', 'é', '😀', 'k'), fc.string({ maxLength: 4 }));

/** A map of `n` keys (some repeated: later values win) with scalars and small containers as values. */
function mapArb(min: number, max: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min, max }), fc.array(fc.tuple(fc.nat(), keyArb), { maxLength: 12 }), fc.nat())
    .map(([n, extra, seed]) => {
      const members: string[] = [];
      for (let i = 0; i < n; i++) {
        const k = (i * 7919 + seed) % (n * 2);
        const value = i % 5 === 0 ? `{"x": ${i}}` : i % 7 === 0 ? `[${i}, "s"]` : String(i);
        members.push(`${JSON.stringify(`k${k}`)}: ${value}`);
      }
      for (const [at, k] of extra) members.splice(at % (members.length + 1), 0, `${JSON.stringify(k)}: ${at}`);
      return `{${members.join(', ')}}`;
    });
}

/** Large maps at the root, nested in maps and in lists, and small ones around them. */
const docArb = fc.oneof(
  mapArb(SHARED_MIN_KEYS - 2, SHARED_MIN_KEYS + 300),
  fc.tuple(mapArb(SHARED_MIN_KEYS, SHARED_MIN_KEYS + 100), mapArb(0, 20)).map(([a, b]) => `{"big": ${a}, "small": ${b}, "list": [${a}, ${b}]}`),
  fc.tuple(mapArb(0, 30), mapArb(SHARED_MIN_KEYS, SHARED_MIN_KEYS + 50)).map(([a, b]) => `[${a}, {"in": ${b}}, 1]`),
);

describe('walkCounts listings', () => {
  it('list the keys and values of every large object as Object.keys and its values do', () => {
    fc.assert(
      fc.property(docArb, (text) => {
        const value = JSON.parse(text) as unknown;
        const counts = walkCounts(value, 256);
        const expected = bigObjects(value, SHARED_MIN_KEYS);
        expect(counts.listings.size).toBe(expected.size);
        for (const [o, l] of expected) {
          const got = counts.listings.get(o);
          expect(got).toBeDefined();
          expect(got!.keys).toEqual(l.keys);
          expect(got!.values.length).toBe(l.values.length);
          for (let i = 0; i < l.values.length; i++) expect(got!.values[i]).toBe(l.values[i]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('list own keys only when something made an inherited key enumerable', () => {
    const text = `{${Array.from({ length: SHARED_MIN_KEYS + 5 }, (_, i) => `"k${i}": ${i}`).join(',')}}`;
    const value = JSON.parse(text) as Record<string, number>;
    Object.defineProperty(Object.prototype, 'injected', { value: 1, enumerable: true, configurable: true, writable: true });
    let counts;
    try {
      counts = walkCounts(value, 256);
    } finally {
      delete (Object.prototype as Record<string, unknown>)['injected'];
    }
    expect(counts.listings.get(value)!.keys).toEqual(Object.keys(value));
  });

  it('are recorded for a loaded document, and handed out only once it is marked stable', () => {
    const text = `{"big": {${Array.from({ length: SHARED_MIN_KEYS }, (_, i) => `"k${i}": ${i}`).join(',')}}, "a": 1}`;
    const doc = parseConfig(text);
    expect(stableKeyListings(doc)).toBeUndefined();
    markStableDoc(doc);
    const big = (doc.value as JsonObject)['big'] as JsonObject;
    const listing = stableKeyListings(doc)!.get(big)!;
    expect(listing.keys).toEqual(Object.keys(big));
    // The fast path answers: inside an evaluation the passes read the loader's lists themselves.
    withKeyCache(() => {
      shareListings(stableKeyListings(doc)!);
      expect(ownKeys(big)).toBe(listing.keys);
      expect(sharedValues(big, ownKeys(big))).toBe(listing.values);
    });
    // Outside an evaluation nothing is shared.
    shareListings(stableKeyListings(doc)!);
    expect(ownKeys(big)).not.toBe(listing.keys);
  });
});

describe('an evaluation reading the loader lists', () => {
  const gate = createGate();
  const at = '2025-06-01T12:00:00Z';
  // The changes only: the text path also reports duplicate keys (with their locations), the value path cannot.
  const changesOf = (r: { changes: unknown }) => JSON.stringify(r.changes);
  /** Equal texts, or a short excerpt where they part. */
  const same = (a: string, b: string): void => {
    if (a === b) return;
    let i = 0;
    while (a[i] === b[i]) i++;
    expect(a.slice(Math.max(0, i - 80), i + 80)).toBe(b.slice(Math.max(0, i - 80), i + 80));
  };

  it('gives the report an evaluation of the same values in memory gives (first push and against a current)', () => {
    fc.assert(
      fc.property(docArb, docArb, (proposedText, currentText) => {
        // Text is loaded by the gate itself (a stable document: the lists are used); parsed values are not.
        const viaText = gate.evaluate({ proposed: proposedText, at });
        const viaValue = gate.evaluate({ proposed: JSON.parse(proposedText) as JsonValue, at });
        same(changesOf(viaText), changesOf(viaValue));
        const pairText = gate.evaluate({ proposed: proposedText, current: currentText, at });
        const pairValue = gate.evaluate({ proposed: JSON.parse(proposedText) as JsonValue, current: JSON.parse(currentText) as JsonValue, at });
        same(changesOf(pairText), changesOf(pairValue));
      }),
      { numRuns: 25 },
    );
  });

  it('never answers a document a caller holds from lists made before the caller changed it', () => {
    const text = `{${Array.from({ length: SHARED_MIN_KEYS + 10 }, (_, i) => `"k${i}": ${i}`).join(',')}}`;
    const doc = loadConfig(text);
    const value = doc.value as JsonObject;
    delete value['k3'];
    value['added-later'] = 1;
    const report = gate.evaluate({ proposed: doc, at });
    const paths = report.changes.changes.map((c) => c.path);
    expect(paths).toContain('/added-later');
    expect(paths).not.toContain('/k3');
    expect(report.changes.total).toBe(Object.keys(value).length);
  });
});
