import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/types.js';
import { doc, jsonDoc, only, rules, run } from './helpers.js';

/** A feature file shaped like Cloudflare's Bot Management file, with our own field names. */
function featureFile(n: number, { duplicate = false, weight = 0.5 } = {}): JsonValue {
  const rows = Array.from({ length: n }, (_, i) => ({ feature_name: `feat_${String(i).padStart(3, '0')}`, dtype: 'f64', weight, pad: 'x'.repeat(20) }));
  return { model: { version: 7, model_features: duplicate ? [...rows, ...rows.map((r) => ({ ...r }))] : rows } };
}

describe('Cloudflare feature file: 60 -> 120 with duplicate rows', () => {
  const current = jsonDoc(featureFile(60), 'current.json');
  const proposed = jsonDoc(featureFile(60, { duplicate: true }));
  const keys = { '/model/model_features': 'feature_name' };

  it('blocks on growth, duplicate keys and the consumer limit', () => {
    const fs = run({ keys, checks: [{ path: '/model/model_features', maxItems: 100 }] }, { proposed, current });
    const growth = only(fs, 'limit.growth');
    const list = growth.find((f) => f.path === '/model/model_features')!;
    expect(list.severity).toBe('block');
    expect(list.message).toBe(
      '`/model/model_features` grew from 60 to 120 entries (2.0x, block at 2x); the LKG has 60 — the generator may be returning duplicate rows (60 duplicate `feature_name`s)',
    );
    expect(list.detail).toMatchObject({ currentEntries: 60, proposedEntries: 120, ratio: 2, duplicates: 60 });
    // The document nearly doubled too (1.99x: warn).
    expect(growth.find((f) => f.path === '')?.severity).toBe('warn');

    const unique = only(fs, 'limit.unique');
    expect(unique).toHaveLength(1);
    expect(unique[0]!.severity).toBe('block');
    expect(unique[0]!.path).toBe('/model/model_features/60');
    expect(unique[0]!.message).toMatch(/^`\/model\/model_features` has 120 entries with 60 duplicate `feature_name`s/);
    expect(unique[0]!.detail).toMatchObject({ list: '/model/model_features', duplicates: 60, key: 'feature_name', firstDuplicateIndex: 60 });
    expect((unique[0]!.detail as { examples: string[] }).examples).toEqual(['feat_000', 'feat_001', 'feat_002', 'feat_003', 'feat_004']);
    expect(unique[0]!.location?.line).toBeGreaterThan(1);

    const max = only(fs, 'limit.max-items');
    expect(max).toHaveLength(1);
    expect(max[0]!.message).toBe('`/model/model_features` has 120 entries, more than the allowed 100 (20 too many)');
  });

  it('still catches it with NO policy: growth block and an exact-duplicate warning', () => {
    const fs = run({}, { proposed, current });
    expect(fs.map((f) => `${f.rule}:${f.severity}:${f.path}`)).toEqual([
      'limit.growth:warn:',
      'limit.growth:block:/model/model_features',
      'limit.unique:warn:/model/model_features/60',
    ]);
    const dup = only(fs, 'limit.unique')[0]!;
    expect(dup.path).toBe('/model/model_features/60');
    expect(dup.message).toMatch(/120 entries of which 60 are exact duplicates/);
  });

  it('explicit unique: true takes precedence over the implicit warning', () => {
    const fs = only(run({ checks: [{ path: '/model/model_features', unique: true }] }, { proposed }), 'limit.unique');
    expect(fs).toHaveLength(1);
    expect(fs[0]!.severity).toBe('block');
  });

  it('is quiet for benign changes: a weight tweak, one entry added, a first push', () => {
    expect(run({ keys }, { proposed: jsonDoc(featureFile(60, { weight: 0.6 })), current })).toEqual([]);
    expect(run({ keys }, { proposed: jsonDoc(featureFile(61)), current })).toEqual([]);
    expect(run({ keys }, { proposed: jsonDoc(featureFile(60)) })).toEqual([]);
  });
});

describe('growth and shrink', () => {
  const list = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}` }));

  it('warns between the thresholds and ignores small lists', () => {
    const fs = run({}, { proposed: jsonDoc({ items: list(16) }), current: jsonDoc({ items: list(10) }) });
    expect(rules(fs)).toEqual(['limit.growth:warn']);
    expect(fs[0]!.message).toMatch(/1\.6x, warn at 1\.5x/);
    // 2 -> 5 entries: under minListSize (3), exempt.
    expect(run({}, { proposed: jsonDoc({ items: list(5) }), current: jsonDoc({ items: list(2) }) })).toEqual([]);
    // minListSize is configurable.
    expect(rules(run({ limits: { minListSize: 20 } }, { proposed: jsonDoc({ items: list(16) }), current: jsonDoc({ items: list(10) }) }))).toEqual([]);
  });

  it('blocks when half of a list is removed and warns at a quarter', () => {
    const block = run({}, { proposed: jsonDoc({ blocks: list(5) }), current: jsonDoc({ blocks: list(10) }) });
    expect(rules(block)).toEqual(['limit.shrink:block']);
    expect(block[0]!.message).toMatch(/^the change removes 50% of `\/blocks` \(5 of 10 entries; block at 50%\)/);
    expect(rules(run({}, { proposed: jsonDoc({ blocks: list(15) }), current: jsonDoc({ blocks: list(20) }) }))).toEqual(['limit.shrink:warn']);
    expect(run({}, { proposed: jsonDoc({ blocks: list(19) }), current: jsonDoc({ blocks: list(20) }) })).toEqual([]);
  });

  it('always blocks emptying a list of 2 or more (GCE 2016)', () => {
    const fs = run({}, { proposed: jsonDoc({ ipBlocks: [] }), current: jsonDoc({ ipBlocks: ['10.0.0.0/8', '192.168.0.0/16'] }) });
    expect(rules(fs)).toEqual(['limit.shrink:block']);
    expect(fs[0]!.message).toMatch(/removes 100% of its 2 entries/);
  });

  it('counts removed keys in keyed lists, even when the length stays the same', () => {
    const current = jsonDoc({ rules: list(10, 'a') });
    const proposed = jsonDoc({ rules: [...list(4, 'a'), ...list(6, 'b')] });
    expect(run({}, { proposed, current })).toEqual([]);
    const fs = run({ keys: { '/rules': 'id' } }, { proposed, current });
    expect(rules(fs)).toEqual(['limit.shrink:block']);
    expect(fs[0]!.detail).toMatchObject({ removed: 6, fraction: 0.6 });
  });

  it('matches lists inside keyed list entries by key, not by index', () => {
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
    const current = jsonDoc({ policies: [{ name: 'A', terms: terms(4) }, { name: 'B', terms: terms(10) }] });
    const proposed = jsonDoc({ policies: [{ name: 'B', terms: terms(10) }, { name: 'A', terms: terms(9) }] });
    // By index, B (10) would be compared with A (4): growth 2.5x.
    expect(run({}, { proposed, current }).map((f) => `${f.rule}:${f.path}`)).toEqual(['limit.growth:/policies/0/terms']);
    const fs = run({ keys: { '/policies': 'name' } }, { proposed, current });
    expect(fs.map((f) => `${f.rule}:${f.severity}:${f.path}`)).toEqual(['limit.growth:block:/policies/1/terms']);
    expect(fs[0]!.message).toMatch(/grew from 4 to 9 entries/);
  });

  it('compares canonical sizes across formats and formatting (indented JSON LKG, YAML proposal)', () => {
    const routes = Array.from({ length: 40 }, (_, i) => ({ name: `route-${i}`, upstream: `svc-${i}.internal:8080`, timeout: '5s' }));
    const lkg = { version: 41, routes };
    const current = doc(JSON.stringify(lkg, null, 4), 'current.json');
    const yamlText = ['version: 42', 'routes:', ...routes.flatMap((r) => [`  - name: ${r.name}`, `    upstream: ${r.upstream}`, `    timeout: ${r.timeout}`])].join('\n');
    const proposed = doc(yamlText, 'proposed.yaml');
    expect(proposed.bytes / current.bytes).toBeLessThan(0.6); // more than a 40% "shrink" in file bytes
    expect(run({}, { proposed, current })).toEqual([]);
    // the same the other way round: a compact YAML LKG and a pretty-printed JSON proposal is no growth
    const pretty = doc(JSON.stringify({ ...lkg, version: 42 }, null, 8), 'proposed.json');
    expect(pretty.bytes / doc(yamlText, 'current.yaml').bytes).toBeGreaterThan(2);
    expect(run({}, { proposed: pretty, current: doc(yamlText, 'current.yaml') })).toEqual([]);
    // real growth still shows, measured as compact JSON
    const grown = doc(JSON.stringify({ version: 42, routes: [...routes, ...routes.map((r) => ({ ...r, name: `${r.name}-b` }))] }), 'proposed.json');
    const fs = run({}, { proposed: grown, current });
    expect(rules(fs)).toContain('limit.growth:block');
    expect(fs.find((f) => f.path === '')?.detail).toMatchObject({ measure: 'canonical-json', currentBytes: JSON.stringify(lkg).length });
  });

  it('measures the document by bytes only from 1 KiB', () => {
    const small = jsonDoc({ a: 'x'.repeat(100) });
    expect(run({}, { proposed: jsonDoc({ a: 'x'.repeat(1000) }), current: small })).toEqual([]);
    const big = jsonDoc({ a: 'x'.repeat(2000) });
    expect(rules(run({}, { proposed: jsonDoc({ a: 'x'.repeat(4100) }), current: big }))).toEqual(['limit.growth:block']);
    const fs = run({}, { proposed: jsonDoc({ a: 'x'.repeat(900) }), current: big });
    expect(rules(fs)).toEqual(['limit.shrink:block']);
    expect(fs[0]!.path).toBe('');
  });

  it('thresholds come from the policy', () => {
    const fs = run({ limits: { growth: { warn: 3, block: 4 } } }, { proposed: jsonDoc({ items: list(20) }), current: jsonDoc({ items: list(10) }) });
    expect(fs).toEqual([]);
  });
});

describe('size, cardinality and uniqueness checks', () => {
  it('limit.max-bytes', () => {
    const fs = run({ limits: { maxBytes: '1KB' } }, { proposed: jsonDoc({ a: 'x'.repeat(2000) }) });
    expect(rules(fs)).toEqual(['limit.max-bytes:block']);
    expect(fs[0]!.detail).toMatchObject({ maxBytes: 1000 });
    expect(run({ limits: { maxBytes: '1MB' } }, { proposed: jsonDoc({ a: 'x' }) })).toEqual([]);
  });

  it('limit.min-items / limit.max-items with patterns and severities', () => {
    const proposed = jsonDoc({ pools: { eu: { servers: ['a'] }, us: { servers: ['a', 'b', 'c', 'd'] } } });
    const fs = run({ checks: [{ path: '/pools/*/servers', minItems: 2, maxItems: 3, severity: 'warn' }] }, { proposed });
    expect(fs.map((f) => `${f.rule}:${f.severity}:${f.path}`)).toEqual(['limit.min-items:warn:/pools/eu/servers', 'limit.max-items:warn:/pools/us/servers']);
    expect(run({ checks: [{ path: '/pools/*/servers', minItems: 1, maxItems: 4 }] }, { proposed })).toEqual([]);
  });

  it('limit.unique by a field from checks, and implicitly for every keyed list', () => {
    const proposed = doc(`backends:
  - { host: a, port: 80 }
  - { host: b, port: 80 }
  - { host: a, port: 81 }
`);
    const explicit = run({ checks: [{ path: '/backends', unique: 'host' }] }, { proposed });
    expect(explicit.map((f) => `${f.rule}:${f.severity}:${f.path}`)).toEqual(['limit.unique:block:/backends/2']);
    expect(explicit[0]!.location?.line).toBe(4);
    const implicit = run({ keys: { '/backends': 'host' } }, { proposed });
    expect(rules(implicit)).toEqual(['limit.unique:block']);
    // No duplicate rows and no keys: nothing.
    expect(run({}, { proposed })).toEqual([]);
    // Both the key and an explicit check on the same field: one finding.
    expect(run({ keys: { '/backends': 'host' }, checks: [{ path: '/backends', unique: 'host' }] }, { proposed })).toHaveLength(1);
  });

  it('deep-equal duplicates ignore key order', () => {
    const proposed = doc('rows:\n  - { a: 1, b: [1, 2] }\n  - { b: [1, 2], a: 1 }\n');
    const fs = run({}, { proposed });
    expect(rules(fs)).toEqual(['limit.unique:warn']);
    expect(fs[0]!.path).toBe('/rows/1');
  });
});

describe('large keyed lists', () => {
  it('handles 100,000 entries in linear time (benign change quiet, reordered duplicates found)', () => {
    const mk = (n: number, w: number) => ({ features: Array.from({ length: n }, (_, i) => ({ name: `f${i}`, w, tags: ['a', 'b', 'c'] })) });
    const current = { value: mk(100_000, 1) as JsonValue, format: 'json' as const, bytes: 4_000_000, file: 'c.json', findings: [], failed: false, locate: () => undefined };
    const proposedValue = mk(100_000, 2);
    const proposed = { ...current, value: proposedValue as JsonValue, file: 'p.json' };
    expect(run({ keys: { '/features': 'name' } }, { proposed, current })).toEqual([]);
    // Reverse the list and duplicate 10 entries: still no growth, but 10 duplicate keys.
    const reversed = [...proposedValue.features].reverse();
    const dup = { ...current, value: { features: [...reversed, ...reversed.slice(0, 10)] } as JsonValue, file: 'p.json' };
    const fs = run({ keys: { '/features': 'name' } }, { proposed: dup, current });
    expect(rules(fs)).toEqual(['limit.unique:block']);
    expect(fs[0]!.detail).toMatchObject({ duplicates: 10, firstDuplicateIndex: 100_000 });
  });
});

describe('growth ratio text never rounds up to the threshold', () => {
  it('a document just under 2x reads 1.9Nx (warn), not 2.0x', () => {
    const current = jsonDoc({ blob: 'x'.repeat(1990) }, 'current.json');
    const proposed = jsonDoc({ blob: 'x'.repeat(3970) });
    const g = only(run({}, { proposed, current }), 'limit.growth').find((f) => f.path === '')!;
    expect(g.severity).toBe('warn');
    expect(g.message).toMatch(/\(1\.9[0-9]x, warn at 1\.5x\)/);
    expect(g.message).not.toMatch(/2\.0x/);
  });
});

describe('keyed list entries without their key', () => {
  it('warns at the first entry lacking the key field', async () => {
    const { createGate } = await import('../../src/index.js');
    const gate = createGate({ version: 1, keys: { '/pools': 'name' } });
    const r = gate.evaluate({
      proposed: { pools: [{ name: 'a', w: 1 }, { w: 2 }, { name: 'c', w: 3 }, { w: 4 }] },
      current: { pools: [{ name: 'a', w: 1 }, { name: 'b', w: 2 }, { name: 'c', w: 3 }] },
      at: '2025-01-01T00:00:00Z',
    });
    const f = r.findings.find((x) => x.rule === 'limit.unique' && x.path === '/pools/1');
    expect(f?.severity).toBe('warn');
    expect(f?.message).toMatch(/has no `name`.*2 entries without it/);
    expect(f?.detail).toMatchObject({ list: '/pools', field: 'name', missing: 2 });
  });
});
