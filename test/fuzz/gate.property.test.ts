/**
 * Property-based fuzzing of the gate (fast-check, random seeds: a failure prints its seed and shrunk input).
 *
 * (a) generated JSON values, rendered as JSON and as YAML: `evaluate` never throws, same verdict and rules;
 * (b) mutated realistic documents (insertions of hostile characters and bytes, deletions, truncations, line
 *     duplications and swaps): `evaluate` never throws, and a proposed config that does not load is never `allow`;
 * (c) key order changes neither the verdict nor the multiset of finding rules;
 * (d) the BUILT CLI on mutated files: exit code 0, 1 or 2; JSON on stdout for 0/1; one `confgate:` line for 2.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Document, isScalar, stringify, visit } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { createGate, parseConfig } from '../../src/index.js';
import type { GateReport, JsonValue } from '../../src/types.js';
import { binExists, inBatches, isOneClearLine, runCli } from '../hostile/helpers.js';

const AT = '2025-06-01T12:00:00Z';
const plainGate = createGate();
const strictGate = createGate({
  version: 1,
  keys: { '/features': 'name' },
  ordered: ['/policy/terms'],
  checks: [
    { path: '/features', maxItems: 5, unique: 'name' },
    { path: '/rules/*/expression', regex: true },
    { path: '/certs/*/expires', expiresAfter: '7d' },
  ],
  limits: { growth: { warn: 1.5, block: 2 } },
});

const SEED_JSON = `{
  "version": "1.4.2",
  "environment": "production",
  "features": [
    { "name": "bot_score", "type": "int", "weight": 12 },
    { "name": "ja3", "type": "string", "weight": 3 }
  ],
  "rules": [
    { "id": 1, "expression": "^/api/v[0-9]+/" },
    { "id": 2, "expression": "(a|b)*c" }
  ],
  "policy": { "terms": ["accept a", "accept b", "reject"] },
  "certs": [{ "host": "example.com", "expires": "2027-01-01T00:00:00Z" }],
  "limits": { "rps": 9007199254740991, "burst": 1.5, "enabled": true, "note": null }
}
`;
const SEED_YAML = `version: 1.4.2
environment: production
features:
  - name: bot_score
    type: int
    weight: 12
  - &ja3 { name: ja3, type: string, weight: 3 }
rules:
  - id: 1
    expression: "^/api/v[0-9]+/"
  - id: 2
    expression: '(a|b)*c'
policy:
  terms: [accept a, accept b, reject]
base: &base { rps: 100, burst: 1.5 }
limits:
  <<: *base
  enabled: true
  note: ~
certs:
  - host: example.com
    expires: 2027-01-01T00:00:00Z
# a comment
multiline: |
  line one
  line two
`;

/** Characters and byte sequences that tend to break parsers. */
const HOSTILE_PIECES = [
  '{', '}', '[', ']', ':', ',', '"', "'", '\n', '\r\n', '\r', '\t', ' ', '-', '- ', '? ', '&a', '*a', '<<: *a', '!!js/function ',
  '!foo ', '#', '%', '@', '`', '|', '>', '\\', '\\u', '\u0000', '\ufeff', '\u2028', '\ud800', '__proto__: {polluted: 1}\n',
  '"__proto__": {"polluted": 1},', '9007199254740993', '1e400', '.inf', '.nan', '---\n', '...\n', 'null', 'true', '[[[[[[',
  '{"a":1,"a":2}', 'k: v\nk: v\n', '0x1F', '~',
];

type Mutation =
  | { kind: 'insert'; at: number; piece: string }
  | { kind: 'insertBytes'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'dupLine'; line: number }
  | { kind: 'swapLines'; a: number; b: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), piece: fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 })) }),
  fc.record({ kind: fc.constant('insertBytes' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dupLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
);

/** Apply mutations to the UTF-8 bytes of a seed (byte insertions can make it invalid UTF-8 on purpose). */
export function mutate(seed: string, mutations: readonly Mutation[]): Buffer {
  let buf = Buffer.from(seed, 'utf8');
  for (const m of mutations) {
    const n = buf.length;
    switch (m.kind) {
      case 'insert': {
        const at = n === 0 ? 0 : m.at % (n + 1);
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from(m.piece, 'utf8'), buf.subarray(at)]);
        break;
      }
      case 'insertBytes': {
        const at = n === 0 ? 0 : m.at % (n + 1);
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes), buf.subarray(at)]);
        break;
      }
      case 'delete': {
        if (n === 0) break;
        const at = m.at % n;
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.len)]);
        break;
      }
      case 'truncate':
        buf = buf.subarray(0, n === 0 ? 0 : m.at % n);
        break;
      case 'dupLine':
      case 'swapLines': {
        const lines = buf.toString('latin1').split('\n');
        if (m.kind === 'dupLine') {
          const i = m.line % lines.length;
          lines.splice(i, 0, lines[i]!);
        } else {
          const a = m.a % lines.length;
          const b = m.b % lines.length;
          [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        }
        buf = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
    }
  }
  return buf;
}

const docArb = fc.record({
  json: fc.boolean(),
  fileName: fc.constantFrom('p.json', 'p.yaml', 'p.yml', 'config'),
  mutations: fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
  withCurrent: fc.boolean(),
  strict: fc.boolean(),
});

const rulesOf = (r: GateReport): string[] => r.findings.map((f) => f.rule).sort();
const unusable = (r: GateReport): boolean =>
  r.findings.some((f) => (f.document ?? 'proposed') === 'proposed' && (f.rule === 'parse.error' || f.rule.startsWith('input.')));

/**
 * The YAML rendering of a JSON value. confgate reads a plain `<<` key as a merge key in every YAML version (as
 * Compose and Kubernetes users write it), so a JSON key `<<` is written quoted; the `yaml` package's 1.2 output
 * leaves it plain (`<<: 0`), which confgate refuses as a merge key without a mapping.
 */
function yamlOf(value: unknown): string {
  const doc = new Document(value, { version: '1.2' });
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === '<<') pair.key.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString();
}

describe('(a) generated JSON values: JSON and YAML renderings agree', () => {
  it('a key `<<`: quoted in YAML it is the JSON key; plain, it is a merge key (fast-check seed 443458048)', () => {
    const value = { '<<': 0, a: { '<<': [1] } };
    expect(yamlOf(value)).toBe('"<<": 0\na:\n  "<<":\n    - 1\n');
    const asJson = plainGate.evaluate({ proposed: { text: JSON.stringify(value), file: 'p.json' }, at: AT });
    const asYaml = plainGate.evaluate({ proposed: { text: yamlOf(value), file: 'p.yaml' }, at: AT });
    expect(asJson.verdict).toBe('allow');
    expect(asYaml.verdict).toBe('allow');
    expect(rulesOf(asYaml)).toEqual(rulesOf(asJson));
    expect(parseConfig(yamlOf(value), { format: 'yaml' }).value).toEqual(value);
    const plain = plainGate.evaluate({ proposed: { text: stringify({ '<<': 0 }, { version: '1.2' }), file: 'p.yaml' }, at: AT });
    expect(plain.findings.map((f) => f.rule)).toContain('parse.error');
  });

  it('evaluate never throws; same verdict and rules for both renderings', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, strict) => {
        const gate = strict ? strictGate : plainGate;
        const asJson = gate.evaluate({ proposed: { text: JSON.stringify(value), file: 'p.json' }, at: AT });
        const asYaml = gate.evaluate({ proposed: { text: yamlOf(value), file: 'p.yaml' }, at: AT });
        expect(asYaml.verdict).toBe(asJson.verdict);
        expect(rulesOf(asYaml)).toEqual(rulesOf(asJson));
        expect(asJson.findings.some((f) => f.rule === 'internal.error')).toBe(false);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});

describe('(b) mutated documents', () => {
  it('evaluate never throws, and never allows a proposed config that does not load', () => {
    let blocked = 0;
    fc.assert(
      fc.property(docArb, ({ json, fileName, mutations, withCurrent, strict }) => {
        const seed = json ? SEED_JSON : SEED_YAML;
        const bytes = mutate(seed, mutations);
        const gate = strict ? strictGate : plainGate;
        const report = gate.evaluate({
          proposed: { text: bytes, file: fileName },
          ...(withCurrent ? { current: { text: seed, file: json ? 'c.json' : 'c.yaml' } } : {}),
          at: AT,
        });
        const doc = parseConfig(bytes, { file: fileName });
        if (doc.failed || unusable(report)) {
          blocked++;
          expect(report.verdict).toBe('block');
          expect(unusable(report)).toBe(true);
          expect(report.changes.total).toBe(0);
        }
        if (report.verdict === 'allow') expect(doc.failed).toBe(false);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
        expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
    // The mutations do break documents (the property is not vacuous).
    expect(blocked).toBeGreaterThan(100);
  });
});

/** The same value with every object's keys in another order (reversed, or rotated by `shift`). */
function reorderKeys(v: JsonValue, shift: number): JsonValue {
  if (Array.isArray(v)) return v.map((x) => reorderKeys(x, shift));
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  const order = shift === 0 ? [...keys].reverse() : keys.map((_, i) => keys[(i + shift) % keys.length]!);
  const out: Record<string, JsonValue> = {};
  for (const k of order) Object.defineProperty(out, k, { value: reorderKeys(v[k]!, shift), enumerable: true, writable: true, configurable: true });
  return out;
}

describe('(c) key order does not matter', () => {
  it('same verdict and finding-rule multiset for any key order (proposed and current)', () => {
    const configArb = fc.record({
      version: fc.constantFrom('1.0.0', '1.0.1', '2.0.0'),
      environment: fc.constantFrom('production', 'staging'),
      features: fc.array(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), weight: fc.integer({ min: 0, max: 9 }) }), { maxLength: 8 }),
      rules: fc.array(fc.record({ id: fc.nat(5), expression: fc.constantFrom('^a$', '(a+)+$', '[', 'x*y') }), { maxLength: 3 }),
      extra: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
    });
    fc.assert(
      fc.property(configArb, configArb, fc.nat(7), fc.boolean(), (proposed, current, shift, asText) => {
        const p = proposed as unknown as JsonValue;
        const c = current as unknown as JsonValue;
        const p2 = reorderKeys(p, shift);
        const c2 = reorderKeys(c, shift + 1);
        const wrap = (v: JsonValue, file: string) => (asText ? { text: JSON.stringify(v), file } : v);
        const a = strictGate.evaluate({ proposed: wrap(p, 'p.json'), current: wrap(c, 'c.json'), at: AT });
        const b = strictGate.evaluate({ proposed: wrap(p2, 'p.json'), current: wrap(c2, 'c.json'), at: AT });
        expect(b.verdict).toBe(a.verdict);
        expect(rulesOf(b)).toEqual(rulesOf(a));
        expect(b.changes.total).toBe(a.changes.total);
      }),
      { numRuns: 300 },
    );
  });
});

describe('(d) the built CLI on mutated files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'confgate-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0, 1 or 2; JSON on stdout for 0/1; exactly one confgate: line on stderr for 2', async () => {
    expect(binExists()).toBe(true);
    const seed = Math.floor(Math.random() * 2 ** 31);
    const samples = fc.sample(
      fc.record({ doc: docArb, format: fc.constantFrom('json', 'json', 'sarif'), mutateCurrent: fc.boolean() }),
      // 40 child processes, 4 at a time: about 3 s on an idle 2-core machine; the timeouts below are for one loaded
      // by other test suites (a single CLI run was seen taking 13 s at load average 30).
      { numRuns: 40, seed },
    );
    const failures: string[] = [];
    await inBatches(samples.map((s, i) => [s, i] as const), 4, async ([s, i]) => {
      const src = s.doc.json ? SEED_JSON : SEED_YAML;
      const ext = s.doc.fileName.includes('.') ? s.doc.fileName.slice(s.doc.fileName.lastIndexOf('.')) : '';
      const proposed = path.join(dir, `p${i}${ext}`);
      writeFileSync(proposed, mutate(src, s.doc.mutations));
      const args = ['check', '--proposed', proposed, '--format', s.format, '--at', AT];
      if (s.doc.withCurrent) {
        const current = path.join(dir, `c${i}${ext}`);
        writeFileSync(current, s.mutateCurrent ? mutate(src, s.doc.mutations.slice(0, 1)) : src);
        args.push('--current', current);
      }
      const r = await runCli(args, { timeoutMs: 120_000 });
      const why = (msg: string): void => {
        failures.push(`sample ${i} (fc.sample seed ${seed}): ${msg}; stderr=${JSON.stringify(r.stderr.slice(0, 300))}`);
      };
      if (r.timedOut) return why('timed out');
      if (r.code !== 0 && r.code !== 1 && r.code !== 2) return why(`exit code ${String(r.code)} signal ${String(r.signal)}`);
      if (r.code === 2) {
        if (!isOneClearLine(r.stderr)) why('exit 2 without exactly one confgate: line');
        return;
      }
      try {
        const out = JSON.parse(r.stdout) as { verdict?: string; runs?: unknown[] };
        if (s.format === 'json' && !['allow', 'warn', 'block'].includes(String(out.verdict))) why(`verdict ${String(out.verdict)}`);
        if (s.format === 'json' && (r.code === 1) !== (out.verdict === 'block')) why(`exit ${r.code} with verdict ${String(out.verdict)}`);
      } catch {
        why('stdout is not JSON');
      }
      if (/^\s+at /m.test(r.stderr)) why('stack trace on stderr');
    });
    expect(failures).toEqual([]);
  }, 900_000);
});
