/**
 * Within one evaluation the passes share the key list of each large object (src/diff/keys.ts). Every pass that
 * reads it must give what it gives with its own enumeration: property test of the passes inside a shared scope
 * (run twice, so the second run reads the lists the first one left) against the same passes outside any scope.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ownKeys, sharedValues, withKeyCache } from '../../src/diff/keys.js';
import { diffConfigs } from '../../src/diff/index.js';
import { keyOrder } from '../../src/diff/diff.js';
import { createMasker } from '../../src/secrets.js';
import { compileKeys, growthFindings, implicitUniqueFindings, jsonSize } from '../../src/validate/limits.js';
import { resolvePolicy } from '../../src/policy/index.js';
import { decodePointer } from '../../src/pointer.js';
import type { ConfigDoc, JsonObject, JsonValue } from '../../src/types.js';

function docOf(value: JsonValue): ConfigDoc {
  return { value, format: 'json', bytes: 0, file: '<t>', findings: [], failed: false, locate: () => undefined };
}

/** A map of 1,000 to 1,400 keys (over the sharing threshold), with a few nested lists, secrets and URLs among them. */
const bigMapArb = fc
  .tuple(fc.integer({ min: 1000, max: 1400 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom<JsonValue>([{ id: 1 }, { id: 1 }], [1, 2, 2], 'postgres://u:secret99@h/x', { password: 'abcdefg' }, { list: [{ id: 'a' }, { id: 'a' }] })), { maxLength: 8 }), fc.nat())
  .map(([n, extras, seed]) => {
    const o: JsonObject = {};
    for (let i = 0; i < n; i++) o[`k${(i * 7919 + seed) % 5000}`] = i % 3 === 0 ? `v${i}` : i;
    for (const [at, v] of extras) o[`x${at % 50}`] = JSON.parse(JSON.stringify(v)) as JsonValue;
    if (seed % 2 === 0) o['api_token'] = 'tok-123456';
    return o;
  });

/** A big map and an edit of it that keeps its key order (values changed, keys dropped, keys added in between or at the end). */
const editArb = fc.oneof(
  fc.array(fc.tuple(fc.nat(), fc.constantFrom('set', 'drop', 'insert', 'append')), { maxLength: 6 }),
  // Key order kept everywhere (values changed, a key appended or not): the aligned walk all the way.
  fc.tuple(fc.array(fc.tuple(fc.nat(), fc.constant('set')), { maxLength: 3 }), fc.boolean()).map(([sets, append]) => (append ? [...sets, [0, 'append'] as [number, string]] : sets)),
);
const editedPairArb = fc.tuple(bigMapArb, editArb).map(([current, edits]) => {
  const keys = Object.keys(current);
  const proposed: JsonObject = {};
  const at = new Map(edits.map(([i, op]) => [i % keys.length, op]));
  keys.forEach((k, i) => {
    const op = at.get(i);
    if (op === 'drop') return;
    if (op === 'insert') proposed[`new${i}`] = i;
    proposed[k] = op === 'set' ? 'changed' : current[k]!;
  });
  if ([...at.values()].includes('append')) proposed['zz-appended'] = 1;
  return [current, proposed] as const;
});

describe('shared key lists', () => {
  it('ownKeys is Object.keys, in and out of a scope', () => {
    const o = { b: 1, a: 2, 10: 3, 2: 4 };
    expect(ownKeys(o)).toEqual(Object.keys(o));
    withKeyCache(() => expect(ownKeys(o)).toEqual(Object.keys(o)));
  });

  it('sharedValues lists the values of a large object in key order, inside a scope only', () => {
    const big: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) big[`k${(i * 37) % 2000}`] = i;
    expect(sharedValues(big, Object.keys(big))).toBeUndefined();
    withKeyCache(() => {
      const keys = ownKeys(big);
      expect(sharedValues(big, keys)).toEqual(keys.map((k) => big[k]));
      expect(sharedValues(big, keys)).toBe(sharedValues(big, keys));
      // Only for the shared key list (another list's order may differ), and only for large objects.
      expect(sharedValues(big, [...keys])).toBeUndefined();
      const small = { a: 1 };
      expect(sharedValues(small, ownKeys(small))).toBeUndefined();
    });
  });

  it('every pass reading them gives what it gives with its own enumeration', () => {
    const policy = resolvePolicy({ version: 1, keys: { '/list': 'id', '/*/list': 'id' } });
    const keyed = compileKeys(policy.keys);
    fc.assert(
      fc.property(fc.oneof(fc.tuple(bigMapArb, bigMapArb), editedPairArb), ([current, proposed]) => {
        const p = docOf(proposed);
        const c = docOf(current);
        const passes = () => ({
          size: [jsonSize(proposed), jsonSize(current)],
          unique: implicitUniqueFindings(keyed, p, new Set()),
          growth: growthFindings(policy, keyed, p, c),
          diff: diffConfigs(current, proposed, { keys: policy.keys }),
          first: diffConfigs(undefined, proposed),
          masked: createMasker(policy, [p, c]).changes(diffConfigs(current, proposed)),
        });
        const plain = passes();
        // The diff of the two maps, against a direct reading (the aligned walk of diff.ts is used in and out of a
        // scope alike): the top-level keys it touches are the keys whose values differ, an added key is one change.
        const differing = new Set([...Object.keys(current), ...Object.keys(proposed)].filter((k) => !(k in current && k in proposed && isDeepStrictEqual(current[k], proposed[k]))));
        const kindsByKey = new Map<string | undefined, string[]>();
        for (const ch of plain.diff) {
          const k = decodePointer(ch.pointer)[0];
          kindsByKey.set(k, [...(kindsByKey.get(k) ?? []), ch.kind]);
        }
        expect(new Set(kindsByKey.keys())).toEqual(differing);
        for (const k of Object.keys(proposed)) if (!(k in current)) expect(kindsByKey.get(k)).toEqual(['added']);
        expect(JSON.stringify(plain.size)).toBe(JSON.stringify([JSON.stringify(proposed).length, JSON.stringify(current).length]));
        withKeyCache(() => {
          expect(JSON.stringify(passes())).toBe(JSON.stringify(plain));
          expect(JSON.stringify(passes())).toBe(JSON.stringify(plain));
        });
      }),
      { numRuns: 60 },
    );
  });
});

describe('keyOrder (members of a first push in key order, read by position)', () => {
  const keyArb = fc.oneof(fc.string({ maxLength: 5 }), fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('k1', 'k10', 'k2', '10', '9', 'é', '😀', '\ud800', 'Z', 'a'));
  it('orders positions as keys.slice().sort() orders the keys', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 300 }), fc.boolean(), (keys, presorted) => {
        const list = presorted ? [...keys].sort() : keys;
        expect(keyOrder(list).map((i) => list[i])).toEqual(list.slice().sort());
      }),
      { numRuns: 300 },
    );
  });

  it('is what a first push of a large map reads, and gives the changes of the plain sort', () => {
    fc.assert(
      fc.property(bigMapArb, (proposed) => {
        const plain = JSON.stringify([diffConfigs(undefined, proposed), diffConfigs(proposed, undefined)]);
        withKeyCache(() => {
          const keys = ownKeys(proposed);
          // The fast path answers: the map is large enough for its values to be listed.
          if (keys.length >= 1024) expect(sharedValues(proposed, keys)).toBeDefined();
          expect(JSON.stringify([diffConfigs(undefined, proposed), diffConfigs(proposed, undefined)])).toBe(plain);
        });
      }),
      { numRuns: 40 },
    );
  });
});
