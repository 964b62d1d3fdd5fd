import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { diff as rawJsonDiff } from 'json-diff-ts';
import { describe, expect, it } from 'vitest';
import { diffConfigs } from '../../src/diff/index.js';
import type { Change, JsonObject, JsonValue } from '../../src/types.js';

const NUM_RUNS = 200;

/** JSON values as a loader produces them (no -0, own keys only, `__proto__` allowed as data). */
const json: fc.Arbitrary<JsonValue> = fc
  .jsonValue({ maxDepth: 4 })
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);

const clone = (v: JsonValue): JsonValue => JSON.parse(JSON.stringify(v)) as JsonValue;

/** Rebuild every object with its keys in an order given by `order`. */
function reorderKeys(v: JsonValue, order: (keys: string[]) => string[]): JsonValue {
  if (Array.isArray(v)) return v.map((x) => reorderKeys(x, order));
  if (v === null || typeof v !== 'object') return v;
  const out: JsonObject = {};
  for (const k of order(Object.keys(v))) {
    Object.defineProperty(out, k, { value: reorderKeys(v[k]!, order), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A value and a mutated copy (one leaf changed, a key added or removed, an entry pushed). */
const mutationOf = (base: fc.Arbitrary<JsonValue>) => fc.tuple(base, fc.nat(), fc.constantFrom('set', 'add', 'delete', 'push'), json).map(([a, pick, op, leaf]) => {
  const b = clone(a);
  const containers: JsonValue[] = [];
  const visit = (v: JsonValue) => {
    if (v !== null && typeof v === 'object') {
      containers.push(v);
      for (const c of Array.isArray(v) ? v : Object.values(v)) visit(c);
    }
  };
  visit(b);
  if (containers.length === 0) return { a, b: leaf };
  const target = containers[pick % containers.length]!;
  if (Array.isArray(target)) {
    if (op === 'push' || op === 'add' || target.length === 0) target.push(leaf);
    else if (op === 'delete') target.pop();
    else target[pick % target.length] = leaf;
  } else {
    const keys = Object.keys(target as JsonObject);
    const o = target as JsonObject;
    if (op === 'delete' && keys.length > 0) delete o[keys[pick % keys.length]!];
    else if (op === 'set' && keys.length > 0) o[keys[pick % keys.length]!] = leaf;
    else Object.defineProperty(o, `k${pick}`, { value: leaf, enumerable: true, writable: true, configurable: true });
  }
  return { a, b };
});
const mutation = mutationOf(json);

/** Wide containers (more children than json-diff-ts is handed whole), so the walker's own paths are covered. */
const wide: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), json), { minLength: 260, maxLength: 320 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.integer({ min: 0, max: 2 }), json), { minKeys: 260, maxKeys: 320 }),
).map(clone);

const pair = fc.oneof(
  fc.tuple(json, json).map(([a, b]) => ({ a, b })),
  json.map((a) => ({ a, b: clone(a) })),
  mutation,
  mutationOf(wide),
  wide.map((a) => ({ a, b: clone(a) })),
  fc.tuple(wide, wide).map(([a, b]) => ({ a, b })),
);

/** RFC 6901 decoding (`/` is the key "", unlike policy patterns where `/` is the root). */
function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Apply changes from a positional (unkeyed) diff to a copy of `current`. */
function apply(current: JsonValue, changes: Change[]): JsonValue {
  const root = { v: clone(current) } as JsonObject;
  const removals: Change[] = [];
  for (const c of changes) {
    if (c.kind === 'removed') removals.push(c);
    else set(root, ['v', ...decodePointer(c.pointer)], c.newValue!);
  }
  for (const c of removals.reverse()) {
    const segs = ['v', ...decodePointer(c.pointer)];
    const last = segs.pop()!;
    const parent = segs.reduce<JsonValue>((p, s) => (p as JsonObject)[s]!, root);
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete (parent as JsonObject)[last];
  }
  return root['v']!;
}

function set(root: JsonObject, segs: string[], value: JsonValue): void {
  const last = segs.pop()!;
  const parent = segs.reduce<JsonValue>((p, s) => (p as JsonObject)[s]!, root) as JsonObject;
  Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
}

describe('diff properties', () => {
  it('diffConfigs(a, a) and diffConfigs(a, copy of a) are empty', () => {
    fc.assert(
      fc.property(json, (a) => {
        expect(diffConfigs(a, a)).toEqual([]);
        expect(diffConfigs(a, clone(a), { ordered: ['/**'] })).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('for plain values, changes are empty iff the values are deep-equal', () => {
    fc.assert(
      fc.property(pair, ({ a, b }) => {
        const equal = isDeepStrictEqual(a, b);
        expect(diffConfigs(a, b).length === 0).toBe(equal);
        expect(diffConfigs(a, b, { ordered: ['/**'] }).length === 0).toBe(equal);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('applying the changes of an unkeyed diff to current gives proposed', () => {
    fc.assert(
      fc.property(pair, ({ a, b }) => {
        expect(isDeepStrictEqual(apply(a, diffConfigs(a, b)), b)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('does not depend on object key order', () => {
    fc.assert(
      fc.property(pair, fc.integer(), ({ a, b }, seed) => {
        const shuffle = (keys: string[]) => {
          // deterministic pseudo-random permutation
          const out = [...keys];
          let s = seed >>> 0;
          for (let i = out.length - 1; i > 0; i--) {
            s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
            const j = s % (i + 1);
            [out[i], out[j]] = [out[j]!, out[i]!];
          }
          return out;
        };
        const expected = diffConfigs(a, b);
        const got = diffConfigs(reorderKeys(a, shuffle), reorderKeys(b, (k) => [...k].reverse()));
        expect(got.map((c) => [c.kind, c.path, c.pointer])).toEqual(expected.map((c) => [c.kind, c.path, c.pointer]));
        expect(got).toEqual(expected);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keyed lists: a permutation is no change unless ordered, and the result does not depend on key order', () => {
    const entry = fc.record({ name: fc.string({ minLength: 1, maxLength: 4 }), v: fc.integer({ min: 0, max: 3 }), w: json });
    const list = fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 12 });
    fc.assert(
      fc.property(list, fc.array(fc.nat()), (entries, swaps) => {
        const permuted = entries.map((e) => clone(e) as JsonObject);
        for (let i = 0; i < swaps.length && permuted.length > 1; i++) {
          const j = swaps[i]! % permuted.length;
          [permuted[0], permuted[j]] = [permuted[j]!, permuted[0]!];
        }
        const current = { features: entries };
        const proposed = { features: permuted };
        expect(diffConfigs(current, proposed, { keys: { '/features': 'name' } })).toEqual([]);
        const ordered = diffConfigs(current, proposed, { keys: { '/features': 'name' }, ordered: ['/features'] });
        const same = entries.every((e, i) => e.name === permuted[i]!['name']);
        expect(ordered.map((c) => c.kind)).toEqual(same ? [] : ['reordered']);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keyed lists: the entries reported as added, removed or changed are the ones raw json-diff-ts reports', () => {
    const entry = fc.record({ name: fc.string({ minLength: 1, maxLength: 3 }), v: fc.integer({ min: 0, max: 2 }) });
    const list = fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 15 });
    fc.assert(
      fc.property(list, list, fc.boolean(), fc.boolean(), (a, extra, sortOld, sortNew) => {
        // proposed: some of the current entries (some modified) plus new ones
        const names = new Set(a.map((e) => e.name));
        const b = [...a.filter((_, i) => i % 3 !== 1).map((e, i) => (i % 2 ? { ...e, v: e.v + 1 } : { ...e })), ...extra.filter((e) => !names.has(e.name))];
        const byName = (x: { name: string }, y: { name: string }) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
        if (sortOld) a.sort(byName);
        if (sortNew) b.sort(byName);
        const current = { features: a };
        const proposed = { features: b };
        const raw = rawJsonDiff(current, proposed, { embeddedObjKeys: { features: 'name' } });
        const expected = (raw[0]?.changes ?? []).map((c) => `${c.type}:${String(c.key)}`).sort();
        const got = diffConfigs(current, proposed, { keys: { '/features': 'name' } }).map((c) => {
          const seg = decodePointer(c.path)[1]!;
          const key = seg.slice('[name='.length, -1).replace(/\\(.)/g, '$1');
          const kind = decodePointer(c.path).length > 2 ? 'UPDATE' : c.kind === 'added' ? 'ADD' : c.kind === 'removed' ? 'REMOVE' : 'UPDATE';
          return `${kind}:${key}`;
        });
        expect([...new Set(got)].sort()).toEqual(expected);
        // pointers name the right entries
        for (const c of diffConfigs(current, proposed, { keys: { '/features': 'name' } })) {
          const doc = c.kind === 'removed' ? a : b;
          const idx = Number(decodePointer(c.pointer)[1]);
          expect(c.path).toContain(`[name=${doc[idx]!.name.replace(/[\\\]]/g, (m) => '\\' + m)}]`.replace(/~/g, '~0').replace(/\//g, '~1'));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
