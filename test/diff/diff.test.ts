import { describe, expect, it } from 'vitest';
import { diff as rawJsonDiff } from 'json-diff-ts';
import { diffConfigs, summarizeChanges } from '../../src/diff/index.js';
import { OptionsError } from '../../src/errors.js';
import type { Change, JsonValue } from '../../src/types.js';

const KEYS = { keys: { '/features': 'name' } };
const brief = (changes: Change[]) => changes.map((c) => `${c.kind} ${c.path} @${c.pointer}`);

function features(...names: string[]) {
  return names.map((name, i) => ({ name, type: 'numeric', weight: i }));
}

describe('keyed lists', () => {
  it('matches entries by identity: a reorder of keyed entries is not a change', () => {
    const current = { features: features('a', 'b', 'c') };
    const proposed = { features: [current.features[2]!, current.features[0]!, current.features[1]!].map((f) => ({ ...f })) };
    expect(diffConfigs(current, proposed, KEYS)).toEqual([]);
    // Without keys the same lists are compared by index and differ.
    expect(diffConfigs(current, proposed).length).toBeGreaterThan(0);
  });

  it('names a modified field by key in path and by index in pointer', () => {
    const current = { features: features('a', 'b', 'x', 'c') };
    const proposed = { features: features('b', 'a', 'c', 'x') };
    for (const f of proposed.features) f.weight = current.features.find((g) => g.name === f.name)!.weight;
    proposed.features[3]!.type = 'string';
    expect(diffConfigs(current, proposed, KEYS)).toEqual([
      { kind: 'modified', path: '/features/[name=x]/type', pointer: '/features/3/type', oldValue: 'numeric', newValue: 'string' },
    ]);
  });

  it('reports added and removed entries as one change each, with pointers into their own document', () => {
    const current = { features: features('a', 'b', 'c') };
    const proposed = { features: [current.features[0]!, current.features[2]!, { name: 'd', type: 'bool', weight: 9 }] };
    expect(diffConfigs(current, proposed, KEYS)).toEqual([
      { kind: 'added', path: '/features/[name=d]', pointer: '/features/2', newValue: { name: 'd', type: 'bool', weight: 9 } },
      { kind: 'removed', path: '/features/[name=b]', pointer: '/features/1', oldValue: { name: 'b', type: 'numeric', weight: 1 } },
    ]);
  });

  it('diffs nested keyed lists through pattern keys', () => {
    const current = { rules: [{ id: 'r1', terms: [{ id: 't1', action: 'accept' }, { id: 't2', action: 'reject' }] }] };
    const proposed = { rules: [{ id: 'r1', terms: [{ id: 't2', action: 'reject' }, { id: 't1', action: 'drop' }] }] };
    const changes = diffConfigs(current, proposed, { keys: { '/rules': 'id', '/rules/*/terms': 'id' } });
    expect(changes).toEqual([
      { kind: 'modified', path: '/rules/[id=r1]/terms/[id=t1]/action', pointer: '/rules/0/terms/1/action', oldValue: 'accept', newValue: 'drop' },
    ]);
  });

  it('numbers and strings are different keys; number keys print in JSON form', () => {
    const current = { l: [{ id: 1, v: 'a' }] };
    const proposed = { l: [{ id: '1', v: 'a' }] };
    expect(brief(diffConfigs(current, proposed, { keys: { '/l': 'id' } }))).toEqual(['added /l/[id=1] @/l/0', 'removed /l/[id=1] @/l/0']);
  });

  it('escapes / ] [ = and \\ in keyed segments', () => {
    const current = { l: [{ 'k=[x]': 'a/b]\\c', v: 1 }] };
    const proposed = { l: [{ 'k=[x]': 'a/b]\\c', v: 2 }] };
    const [change] = diffConfigs(current, proposed, { keys: { '/l': 'k=[x]' } });
    expect(change?.path).toBe('/l/[k\\=\\[x\\]=a~1b\\]\\\\c]/v');
    expect(change?.pointer).toBe('/l/0/v');
  });

  it('agrees with raw json-diff-ts embeddedObjKeys on which entries changed', () => {
    const current = { features: features('a', 'b', 'c', 'd', 'e') };
    const proposed: JsonValue = {
      features: [
        { name: 'e', type: 'numeric', weight: 4 },
        { name: 'b', type: 'string', weight: 1 },
        { name: 'f', type: 'numeric', weight: 7 },
        { name: 'a', type: 'numeric', weight: 0 },
        { name: 'c', type: 'numeric', weight: 2, extra: true },
      ],
    };
    const raw = rawJsonDiff(current, proposed, { embeddedObjKeys: { features: 'name' } });
    const entries = raw[0]!.changes!.map((c) => `${c.type}:${String(c.key)}`).sort();
    const ours = diffConfigs(current, proposed, KEYS).map((c) => {
      const [, key, rest] = /\[name=([^\]]+)\](.*)/.exec(c.path)!;
      // A change inside an entry is an UPDATE of the entry for json-diff-ts.
      const kind = rest !== '' ? 'UPDATE' : c.kind === 'added' ? 'ADD' : c.kind === 'removed' ? 'REMOVE' : 'UPDATE';
      return `${kind}:${key}`;
    });
    expect([...new Set(ours)].sort()).toEqual(entries);
  });
});

describe('duplicates and entries without a key', () => {
  it('falls back to index comparison when a keyed list has duplicate keys, and the growth is visible', () => {
    const current = { features: features('a', 'b', 'c') };
    const doubled = { features: [...current.features, ...current.features].map((f) => ({ ...f })) };
    const changes = diffConfigs(current, doubled, KEYS);
    const added = changes.filter((c) => c.kind === 'added');
    expect(added.map((c) => c.path)).toEqual(['/features/3', '/features/4', '/features/5']);
    expect(added.map((c) => c.newValue)).toEqual(current.features);
    // Shrinking back from a duplicated LKG is visible too.
    expect(diffConfigs(doubled, current, KEYS).filter((c) => c.kind === 'removed')).toHaveLength(3);
  });

  it('keeps every entry when duplicates interleave (no entry silently lost)', () => {
    const current = { features: features('a', 'b') };
    const proposed = { features: [{ name: 'a', type: 'x', weight: 0 }, { name: 'a', type: 'y', weight: 0 }, { name: 'b', type: 'numeric', weight: 1 }] };
    const changes = diffConfigs(current, proposed, KEYS);
    expect(brief(changes)).toEqual(['modified /features/1/name @/features/1/name', 'modified /features/1/type @/features/1/type', 'modified /features/1/weight @/features/1/weight', 'added /features/2 @/features/2', 'modified /features/0/type @/features/0/type'].sort(byPath));
  });

  it('falls back to index comparison when an entry lacks the key field or is not an object', () => {
    const current = { features: [{ name: 'a' }, { name: 'b' }] };
    const noKey: JsonValue = { features: [{ name: 'b' }, { label: 'a' }] };
    expect(brief(diffConfigs(current, noKey, KEYS))).toEqual([
      'modified /features/0/name @/features/0/name',
      'added /features/1/label @/features/1/label',
      'removed /features/1/name @/features/1/name',
    ]);
    expect(() => diffConfigs(current, { features: ['a', null, [1]] }, KEYS)).not.toThrow();
    expect(() => diffConfigs(current, { features: [{ name: { nested: 1 } }] }, KEYS)).not.toThrow();
  });
});

function byPath(a: string, b: string): number {
  const pa = a.split(' ')[1]!;
  const pb = b.split(' ')[1]!;
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

describe('plain values', () => {
  it('reports nested object changes at the leaf and an added subtree as one change', () => {
    const current = { edge: { cache: { ttl: 60, mode: 'on' } } };
    const proposed = { edge: { cache: { ttl: 120, mode: 'on' }, waf: { rules: [1, 2], enabled: true } } };
    expect(diffConfigs(current, proposed)).toEqual([
      { kind: 'modified', path: '/edge/cache/ttl', pointer: '/edge/cache/ttl', oldValue: 60, newValue: 120 },
      { kind: 'added', path: '/edge/waf', pointer: '/edge/waf', newValue: { rules: [1, 2], enabled: true } },
    ]);
    expect(diffConfigs(proposed, current)).toEqual([
      { kind: 'modified', path: '/edge/cache/ttl', pointer: '/edge/cache/ttl', oldValue: 120, newValue: 60 },
      { kind: 'removed', path: '/edge/waf', pointer: '/edge/waf', oldValue: { rules: [1, 2], enabled: true } },
    ]);
  });

  it('compares unkeyed arrays by index', () => {
    expect(brief(diffConfigs({ a: [1, 2, 3] }, { a: [1, 3] }))).toEqual(['modified /a/1 @/a/1', 'removed /a/2 @/a/2']);
    expect(brief(diffConfigs({ a: [1] }, { a: [1, 2, 3] }))).toEqual(['added /a/1 @/a/1', 'added /a/2 @/a/2']);
  });

  it('gives the same shape of changes for large containers (walked here) and small ones (json-diff-ts)', () => {
    const big = Array.from({ length: 300 }, (_, i) => ({ i, v: 'x' }));
    const bigProposed = big.map((e) => ({ ...e }));
    bigProposed[5] = { i: 5, v: 'y' };
    bigProposed.push({ i: 300, v: 'x' });
    expect(brief(diffConfigs({ a: big }, { a: bigProposed }))).toEqual(['modified /a/5/v @/a/5/v', 'added /a/300 @/a/300']);
    const bigObj = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${String(i).padStart(3, '0')}`, i]));
    const bigObjProposed = { ...bigObj, k050: 'changed', zzz: 1 } as Record<string, JsonValue>;
    delete bigObjProposed['k001'];
    expect(brief(diffConfigs(bigObj, bigObjProposed))).toEqual(['removed /k001 @/k001', 'modified /k050 @/k050', 'added /zzz @/zzz']);
    // A small object holding a large list: the walker descends and hands only the differing entry on.
    expect(brief(diffConfigs({ x: { list: big }, y: 1 }, { x: { list: bigProposed }, y: 1 }))).toEqual([
      'modified /x/list/5/v @/x/list/5/v',
      'added /x/list/300 @/x/list/300',
    ]);
  });

  it('reports a change of type as one modified change', () => {
    expect(diffConfigs({ a: { b: 1 } }, { a: 'str' })).toEqual([{ kind: 'modified', path: '/a', pointer: '/a', oldValue: { b: 1 }, newValue: 'str' }]);
    expect(brief(diffConfigs({ a: [1] }, { a: { 0: 1 } }))).toEqual(['modified /a @/a']);
    expect(brief(diffConfigs({ a: { 0: 1 } }, { a: [1] }))).toEqual(['modified /a @/a']);
    expect(brief(diffConfigs({ a: [null, { x: 1 }] }, { a: [{ x: 1 }, null] }))).toEqual(['modified /a/0 @/a/0', 'modified /a/1 @/a/1']);
    expect(brief(diffConfigs({ a: null }, { a: {} }))).toEqual(['modified /a @/a']);
    expect(diffConfigs([1], { a: 1 })).toEqual([{ kind: 'modified', path: '', pointer: '', oldValue: [1], newValue: { a: 1 } }]);
    expect(diffConfigs('x', 'y')).toEqual([{ kind: 'modified', path: '', pointer: '', oldValue: 'x', newValue: 'y' }]);
  });

  it('distinguishes null from absent and false from 0', () => {
    expect(brief(diffConfigs({ a: null }, {}))).toEqual(['removed /a @/a']);
    expect(brief(diffConfigs({ a: false }, { a: 0 }))).toEqual(['modified /a @/a']);
  });
});

describe('first push and identical documents', () => {
  it('reports one added change per top-level key on first push, sorted by key', () => {
    const proposed = { version: '1.0.0', features: features('a'), api: { url: 'x' } };
    expect(diffConfigs(undefined, proposed, KEYS)).toEqual([
      { kind: 'added', path: '/api', pointer: '/api', newValue: { url: 'x' } },
      { kind: 'added', path: '/features', pointer: '/features', newValue: proposed.features },
      { kind: 'added', path: '/version', pointer: '/version', newValue: '1.0.0' },
    ]);
  });

  it('reports one change at the root for a non-object first push, and removals when proposed is undefined', () => {
    expect(diffConfigs(undefined, [1, 2])).toEqual([{ kind: 'added', path: '', pointer: '', newValue: [1, 2] }]);
    expect(brief(diffConfigs({ a: 1, b: 2 }, undefined))).toEqual(['removed /a @/a', 'removed /b @/b']);
    expect(diffConfigs(undefined, undefined)).toEqual([]);
  });

  it('returns [] for identical documents', () => {
    const doc = { features: features('a', 'b'), nested: { list: [1, [2, { x: null }]] } };
    expect(diffConfigs(doc, structuredClone(doc), KEYS)).toEqual([]);
    expect(diffConfigs(doc, doc)).toEqual([]);
  });
});

describe('ordered lists', () => {
  // Cloudflare, 21 Jun 2022: terms reordered so the accept terms fell below REJECT-THE-REST.
  const current = {
    policy: {
      terms: [
        { name: 'ACCEPT-SITE-LOCAL', action: 'accept' },
        { name: 'ACCEPT-ANYCAST', action: 'accept' },
        { name: 'REJECT-THE-REST', action: 'reject' },
      ],
    },
  };
  const proposed = {
    policy: {
      terms: [
        { name: 'ACCEPT-SITE-LOCAL', action: 'accept' },
        { name: 'REJECT-THE-REST', action: 'reject' },
        { name: 'ACCEPT-ANYCAST', action: 'accept' },
      ],
    },
  };

  it('reports a reorder of an ordered keyed list as one reordered change (the BGP case)', () => {
    const changes = diffConfigs(current, proposed, { keys: { '/policy/terms': 'name' }, ordered: ['/policy/terms'] });
    expect(changes).toEqual([
      {
        kind: 'reordered',
        path: '/policy/terms',
        pointer: '/policy/terms',
        oldValue: ['ACCEPT-SITE-LOCAL', 'ACCEPT-ANYCAST', 'REJECT-THE-REST'],
        newValue: ['ACCEPT-SITE-LOCAL', 'REJECT-THE-REST', 'ACCEPT-ANYCAST'],
      },
    ]);
    // Not ordered: the keyed diff sees no change.
    expect(diffConfigs(current, proposed, { keys: { '/policy/terms': 'name' } })).toEqual([]);
  });

  it('still reports the reorder when entries are also added or modified', () => {
    const withNew = structuredClone(proposed);
    withNew.policy.terms.push({ name: 'NEW', action: 'accept' });
    withNew.policy.terms[0]!.action = 'reject';
    const changes = diffConfigs(current, withNew, { keys: { '/policy/terms': 'name' }, ordered: ['/policy/terms'] });
    expect(brief(changes)).toEqual([
      'reordered /policy/terms @/policy/terms',
      'modified /policy/terms/[name=ACCEPT-SITE-LOCAL]/action @/policy/terms/0/action',
      'added /policy/terms/[name=NEW] @/policy/terms/3',
    ]);
  });

  it('matches ordered patterns with wildcards', () => {
    const c = { policies: [{ terms: current.policy.terms }] };
    const p = { policies: [{ terms: proposed.policy.terms }] };
    const changes = diffConfigs(c, p, { keys: { '/policies/*/terms': 'name' }, ordered: ['/policies/*/terms'] });
    expect(brief(changes)).toEqual(['reordered /policies/0/terms @/policies/0/terms']);
  });

  it('reports a reorder of an ordered unkeyed list with index sequences, and nothing else', () => {
    const changes = diffConfigs({ acl: ['allow a', 'allow b', 'deny all'] }, { acl: ['deny all', 'allow a', 'allow b'] }, { ordered: ['/acl'] });
    expect(changes).toEqual([{ kind: 'reordered', path: '/acl', pointer: '/acl', oldValue: [0, 1, 2], newValue: [2, 0, 1] }]);
    // Deep-equal objects with keys in another order are the same entries.
    const objs = diffConfigs({ l: [{ a: 1, b: 2 }, { c: 3 }] }, { l: [{ c: 3 }, { b: 2, a: 1 }] }, { ordered: ['/l'] });
    expect(brief(objs)).toEqual(['reordered /l @/l']);
    // Different entries: compared by index.
    expect(brief(diffConfigs({ acl: ['a', 'b'] }, { acl: ['b', 'c'] }, { ordered: ['/acl'] }))).toEqual(['modified /acl/0 @/acl/0', 'modified /acl/1 @/acl/1']);
  });
});

describe('__proto__ and other special keys', () => {
  it('treats own __proto__ keys as data', () => {
    const current = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"x": 1}, "a": 1}') as JsonValue;
    const proposed = JSON.parse('{"__proto__": {"polluted": 2}, "constructor": {"x": 1}, "a": 1, "b": {"__proto__": []}}') as JsonValue;
    expect(brief(diffConfigs(current, proposed))).toEqual(['modified /__proto__/polluted @/__proto__/polluted', 'added /b @/b']);
    expect(diffConfigs(current, JSON.parse(JSON.stringify(current)) as JsonValue)).toEqual([]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('handles a keyed entry whose key is "__proto__" and objects without a prototype', () => {
    const current = { l: JSON.parse('[{"name":"__proto__","v":1},{"name":"constructor","v":1}]') as JsonValue };
    const proposed = { l: JSON.parse('[{"name":"constructor","v":1},{"name":"__proto__","v":2}]') as JsonValue };
    expect(brief(diffConfigs(current, proposed, { keys: { '/l': 'name' } }))).toEqual(['modified /l/[name=__proto__]/v @/l/1/v']);
    const bare = Object.create(null) as Record<string, JsonValue>;
    bare['x'] = 1;
    expect(brief(diffConfigs({ o: bare }, { o: { x: 2 } }))).toEqual(['modified /o/x @/o/x']);
    // A missing __proto__ key is not read from the prototype.
    expect(brief(diffConfigs({}, JSON.parse('{"__proto__": 1}') as JsonValue))).toEqual(['added /__proto__ @/__proto__']);
  });
});

describe('deep input, options and summary', () => {
  it('handles nesting at the loader cap (256)', () => {
    const nest = (depth: number, leaf: JsonValue): JsonValue => {
      let v = leaf;
      for (let i = 0; i < depth; i++) v = i % 2 ? { k: v } : [v];
      return v;
    };
    const changes = diffConfigs(nest(256, 1), nest(256, 2), { ordered: ['/**'] });
    expect(changes).toHaveLength(1);
    expect(changes[0]!.kind).toBe('modified');
    expect(changes[0]!.pointer.split('/')).toHaveLength(257);
  });

  it('throws OptionsError with a stable code for invalid options', () => {
    expect(() => diffConfigs({}, {}, { keys: { '/features': '' } })).toThrow(OptionsError);
    expect(() => diffConfigs({}, {}, { keys: { features: 'name' } })).toThrow(/JSON Pointers/);
    expect(() => diffConfigs({}, {}, { ordered: '/x' as unknown as string[] })).toThrow(expect.objectContaining({ code: 'E_OPTIONS_INVALID' }));
  });

  it('summarizes counts by kind', () => {
    const changes = diffConfigs(
      { l: [{ n: 'a', v: 1 }, { n: 'b' }, { n: 'c' }], x: 1, y: 2 },
      { l: [{ n: 'b' }, { n: 'a', v: 2 }, { n: 'd' }], x: 2, z: 3 },
      { keys: { '/l': 'n' }, ordered: ['/l'] },
    );
    const summary = summarizeChanges(changes);
    expect(summary).toMatchObject({ added: 2, removed: 2, modified: 2, reordered: 1, total: 7 });
    expect(summary.changes).toEqual(changes);
    expect(summarizeChanges([])).toEqual({ added: 0, removed: 0, modified: 0, reordered: 0, total: 0, changes: [] });
  });
});
