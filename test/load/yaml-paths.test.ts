/**
 * The two YAML paths of the load stage must agree: whenever the fast path (js-yaml events, src/load/yaml-events.ts)
 * answers, its value, findings and every `locate` must be exactly those of the `yaml` package path. It may decline
 * (the `yaml` path then answers), but it must answer for the plain documents it exists for.
 *
 * Inputs: every document of the YAML test suite (the reference corpus of YAML parsers, also with CRLF line
 * breaks), the repository's YAML fixtures and hostile corpus, and generated documents (random JSON values written
 * as YAML in block and flow styles, with duplicate keys, custom tags, inexact and non-finite numbers, anchors and
 * every core-schema scalar form mixed in), and real documents with YAML syntax characters inserted, deleted or
 * replaced (where parsers disagree most). The generated runs default to 600 each; a long run:
 * `YAML_PATHS_RUNS=20000 npx vitest run test/load/yaml-paths.test.ts`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { capFindings } from '../../src/load/findings.js';
import { resolveLimits } from '../../src/load/limits.js';
import { LineIndex } from '../../src/load/text.js';
import { DECLINED, parseYamlText } from '../../src/load/yaml.js';
import type { InputLimits, JsonValue } from '../../src/types.js';

const suite = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/yaml-test-suite.json'), 'utf8')) as {
  cases: Array<{ id: string; error: boolean; yaml: string }>;
};

/** Every JSON Pointer of a value (containers and leaves), capped. */
function pointers(v: JsonValue, cap = 400): string[] {
  const out: string[] = [''];
  const walk = (x: JsonValue, p: string): void => {
    if (out.length >= cap || x === null || typeof x !== 'object') return;
    const keys = Array.isArray(x) ? x.map((_, i) => String(i)) : Object.keys(x);
    for (const k of keys) {
      const q = p + '/' + k.replace(/~/g, '~0').replace(/\//g, '~1');
      out.push(q);
      walk((x as Record<string, JsonValue>)[k]!, q);
    }
  };
  walk(v, '');
  return out;
}

/** Own-property-exact serialisation (JSON.stringify keeps key order and own `__proto__` keys). */
const show = (v: JsonValue | undefined): string => (v === undefined ? 'undefined' : JSON.stringify(v));

type Compared = 'answered' | 'declined';
const VALID_ANSWERED_MIN = 100;

function compare(text: string, limits: InputLimits = {}): Compared {
  const lim = resolveLimits(limits);
  const y = parseYamlText(text, new LineIndex(text, 'doc.yaml'), lim, 'yaml');
  const e = parseYamlText(text, new LineIndex(text, 'doc.yaml'), lim, 'events');
  if (e === DECLINED) return 'declined';
  // Findings as a document holds them: at most 1,000 per rule (the fast path counts the rest without building them).
  expect({ failed: e.failed, syntaxError: e.syntaxError, findings: capFindings(e.findings, e.omitted), value: show(e.value) }, text).toEqual({
    failed: y.failed,
    syntaxError: y.syntaxError,
    findings: capFindings(y.findings, y.omitted),
    value: show(y.value),
  });
  if (e.value !== undefined) {
    for (const p of pointers(e.value)) expect(e.locate(p), `${p} in ${JSON.stringify(text)}`).toEqual(y.locate(p));
  }
  return 'answered';
}

/** True when the `yaml` path refuses the text as an alias or node bomb (input.too-large after parsing). */
function refusedBomb(text: string, limits: InputLimits): boolean {
  const y = parseYamlText(text, new LineIndex(text, 'doc.yaml'), resolveLimits(limits), 'yaml');
  return y.findings.length === 1 && y.findings[0]!.rule === 'input.too-large' && /after alias expansion|aliases resolved/.test(y.findings[0]!.message);
}


/** `seed` with each edit applied in turn: insert `piece`, delete one character, or replace one by `piece`, at `n` mod the length. */
function mutate(seed: string, edits: ReadonlyArray<readonly [string, number, string]>): string {
  let t = seed;
  for (const [kind, n, piece] of edits) {
    const at = t.length === 0 ? 0 : n % t.length;
    if (kind === 'insert') t = t.slice(0, at) + piece + t.slice(at);
    else if (kind === 'delete') t = t.slice(0, at) + t.slice(at + 1);
    else t = t.slice(0, at) + piece + t.slice(at + 1);
  }
  return t;
}
describe('the fast YAML path gives the answer of the yaml package path', () => {
  it('on every document of the YAML test suite, LF and CRLF', () => {
    const counts = { answered: 0, declined: 0 };
    let validAnswered = 0;
    for (const c of suite.cases) {
      for (const text of [c.yaml, c.yaml.replace(/\r?\n/g, '\r\n')]) {
        const r = compare(text);
        counts[r]++;
        if (r === 'answered' && !c.error) validAnswered++;
      }
    }
    // The suite is made of edge cases (aliases, tags, directives, tabs, multi-line scalars...), which the fast path
    // leaves to the `yaml` path; it must still answer for a good share of it, valid documents included.
    console.log(`YAML test suite, LF and CRLF: ${counts.answered} answered (${validAnswered} valid), ${counts.declined} declined`);
    expect(counts.answered).toBeGreaterThan(130);
    expect(validAnswered).toBeGreaterThan(VALID_ANSWERED_MIN);
  });

  it('on the YAML files of the repository (fixtures, corpus, examples)', () => {
    const root = path.resolve(__dirname, '../..');
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const f of readdirSync(d)) {
        if (f === 'node_modules' || f === 'dist' || f.startsWith('.git')) continue;
        const p = path.join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(f)) files.push(p);
      }
    };
    for (const d of ['fixtures', 'test', 'examples', 'docs']) walk(path.join(root, d));
    let answered = 0;
    for (const f of files) if (compare(readFileSync(f, 'utf8')) === 'answered') answered++;
    expect(files.length).toBeGreaterThan(100);
    expect(answered).toBeGreaterThan(files.length / 2);
  });

  it('on limits: the node and depth limits stop it where they stop the other path', () => {
    const flat = Array.from({ length: 50 }, (_, i) => `k${i}: [${i}, {a: ${i}}]`).join('\n');
    for (const maxNodes of [0, 1, 7, 60, 149, 150, 151]) expect(compare(flat, { maxNodes })).toBe('answered');
    const deep = 'a:\n  b:\n    c:\n      - - [1, {d: 2}]\n';
    for (const maxDepth of [0, 1, 2, 3, 4, 5, 6, 7]) expect(compare(deep, { maxDepth })).toBe('answered');
  });

  it('on findings it reports itself: duplicate keys, custom tags, precision, non-finite numbers', () => {
    const docs = [
      'a: 1\nb: 2\na: 3\n"b": 4\n',
      'x: !!js/function "f()"\ny: !foo 1\nz: [!bar a, b]\nw: !baz plain\n',
      'big: 9007199254740993\nhex: 0x20000000000001\noct: 0o400000000000000001\nok: 9007199254740992\nneg: -9007199254740993\n',
      'i: .inf\nn: -.Inf\nq: .NaN\ns: ".inf"\n',
      'list:\n  - a: 1\n    a: 2\n  - {b: 1, b: 2}\n',
      '__proto__: {polluted: 1}\nconstructor: 2\n',
      '__proto__: {a: 1}\nx: 1\n__proto__: 2\nhasOwnProperty: 1\nx: 2\ntoString: 1\nhasOwnProperty: 2\ntoString: [2]\n',
    ];
    for (const d of docs) expect(compare(d), d).toBe('answered');
    // Past the cap of 1,000 per rule: counted, not built, with the same summary findings.
    const many = Array.from({ length: 1500 }, (_, i) => `k${i % 300}: ${i % 2 ? '9007199254740993' : '!!js/function x'}\nn${i}: .nan`).join('\n');
    expect(compare(many)).toBe('answered');
    const lim = resolveLimits({});
    const capped = parseYamlText(many, new LineIndex(many, 'doc.yaml'), lim, 'events');
    expect(capped.findings.length).toBe(2750); // 1,000 duplicate-key and 1,000 parse.error built, 750 precision-loss
    expect(Object.fromEntries(capped.omitted ?? new Map())).toEqual({
      'parse.duplicate-key': { count: 200, severity: 'block' },
      'parse.error': { count: 1250, severity: 'block' },
    });
    // What it leaves to the `yaml` path, which must still answer (compare() checks nothing then: the test is that
    // these are declined, not answered differently).
    const declined = ['a: &x 1\nb: *x\n', 'base: &b {a: 1}\nc:\n  <<: *b\n', 's: !!set {a}\n', 'n: !!int "1"\n', 'a:\tb\n', '%YAML 1.2\n---\na: 1\n', 'a: 1\n---\nb: 2\n', 'k: |2\n   x\n', 'a: [1, # c\n 2]\n'];
    for (const d of declined) expect(compare(d), d).toBe('declined');
  });

  it('on alias and merge-key bombs: refused where and as the other path refuses them, without building the tree', () => {
    const map = (k: number): string => `{${Array.from({ length: k }, (_, i) => `k${i}: ${i}`).join(', ')}}`;
    const bombs = [
      `base: &b ${map(20)}\n${Array.from({ length: 30 }, (_, i) => `m${i}: {<<: *b}`).join('\n')}\n`,
      `base: &b ${map(20)}\nm: {<<: [${Array.from({ length: 30 }, () => '*b').join(', ')}]}\n`,
      `base: &b ${map(20)}\nall:\n${Array.from({ length: 30 }, () => '  - *b').join('\n')}\n`,
      `base: &b\n  x: 1\n  y: [1, 2]\nm:\n  <<: *b\n  z: 3\nn:\n  - <<: [*b, *b]\n    w: &c [*b, *b]\n  - *c\n  - [*c, *c, *c]\n`,
      `a: &a ["lol","lol","lol"]\nb: &b [*a,*a,*a]\nc: &c [*b,*b,*b]\nd: &d [*c,*c,*c]\n`,
      `a: &a 1\nb: &a [*a, *a]\nc: [*a, *a, *a]\nd: *zz\n`,
    ];
    let refused = 0;
    for (const doc of bombs) {
      for (const limits of [{ maxNodes: 30 }, { maxNodes: 100 }, { maxNodes: 333 }, { maxAliases: 5 }, { maxAliases: 20 }, { maxNodes: 7, maxAliases: 3 }]) {
        const r = compare(doc, limits);
        // Every refusal of the `yaml` path is the fast path's answer too.
        if (refusedBomb(doc, limits)) {
          refused++;
          expect(r, `${JSON.stringify(limits)} ${doc}`).toBe('answered');
        }
      }
    }
    expect(refused).toBeGreaterThan(20);
  });

  it('on the YAML test suite and mutated bombs under small alias and node limits', () => {
    const tiny: InputLimits[] = [{ maxNodes: 2 }, { maxNodes: 6, maxAliases: 0 }, { maxAliases: 1 }];
    let answered = 0;
    for (const c of suite.cases) for (const limits of tiny) if (compare(c.yaml, limits) === 'answered') answered++;
    expect(answered).toBeGreaterThan(150);
    const seeds = [
      ...suite.cases.filter((c) => !c.error && /[&*]/.test(c.yaml)).map((c) => c.yaml),
      'base: &b {k0: 0, k1: 1, k2: 2}\nm0: {<<: *b}\nm1:\n  <<: [*b, *b]\n  x: *b\nl:\n  - *b\n  - [*b, *b]\n',
      'a: &a [x, y]\nb: &b [*a, *a]\nc: &c {p: *b, q: *b}\nd: [*c, *c]\n',
    ];
    const alphabet = [' ', '\n', '\r\n', ':', ': ', '- ', '#', ' #', '"', "'", '[', ']', '{', '}', ',', '? ', '&a ', '&b ', '*a', '*b', ' *b', '&', '*', '!t ', '!!str ', '<<: ', '<<', '---\n', 'a'];
    const mutation = fc.array(fc.tuple(fc.constantFrom('insert', 'delete', 'replace'), fc.nat(), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 3 });
    const limits = fc.constantFrom<InputLimits>({ maxNodes: 4 }, { maxNodes: 12 }, { maxAliases: 1 }, { maxAliases: 3, maxNodes: 20 });
    const counts = { answered: 0, declined: 0 };
    const bombs = { answered: 0, declined: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...seeds), mutation, limits, (seed, edits, lim) => {
        const t = mutate(seed, edits);
        const r = compare(t, lim);
        counts[r]++;
        if (refusedBomb(t, lim)) bombs[r]++;
      }),
      { numRuns: Number(process.env.YAML_PATHS_RUNS ?? 600) },
    );
    // Mutations break most documents or their aliases; of the bombs that remain, a fair share is answered here.
    console.log(`mutated bombs: ${JSON.stringify(counts)}; refused by the yaml path: ${JSON.stringify(bombs)}`);
    expect(bombs.answered).toBeGreaterThan(bombs.declined / 4);
  });

  it('on mutated documents (characters of the YAML syntax inserted, deleted or replaced in real documents)', () => {
    const seeds = [
      ...suite.cases.filter((c) => !c.error).map((c) => c.yaml),
      'a: 1\nb:\n  - x\n  - {y: 2, z: [3, 4]}\nc: |\n  text\n  more\nd: "q"\n',
      'version: 1.0.0\nfeatures:\n  - name: f1\n    weight: 10\n    rules: [a, b]\n  - name: f2 # comment\n    weight: 0x10\n',
    ];
    const alphabet = [' ', '  ', '\n', '\r\n', ':', ': ', '-', '- ', '#', ' #', "'", '"', '[', ']', '{', '}', ',', '?', '? ', '|', '>', '\t', '&a ', '*a', '!', '!!str ', '<<: ', '---\n', '...\n', '\\', '%', '@', '`', 'a', '0', '.', 'e'];
    const mutation = fc.array(fc.tuple(fc.constantFrom('insert', 'delete', 'replace'), fc.nat(), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 4 });
    const counts = { answered: 0, declined: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...seeds), mutation, (seed, edits) => {
        const t = mutate(seed, edits);
        counts[compare(t)]++;
      }),
      { numRuns: Number(process.env.YAML_PATHS_RUNS ?? 600) },
    );
    // Most mutations break the document or land on something the fast path leaves alone; enough must remain.
    expect(counts.answered).toBeGreaterThan(counts.declined / 10);
  });

  it('on generated documents', () => {
    const scalar = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('0o17', '0x1F', '1e3', '.5', '+12', '-0', '~', 'Null', 'TRUE', 'yes', 'on', '1_000', '9007199254740993', '.inf', '-.nan', '<<', '', ' ', '#', 'a: b', '- x', "it's", '"q"'),
    );
    const value: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
      v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 5 }), fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('a', 'b', '__proto__', '<<', '0', '')), tie('v'), { maxKeys: 5 })),
    })).v;
    const style = fc.record({
      collectionStyle: fc.constantFrom('any' as const, 'block' as const, 'flow' as const),
      defaultStringType: fc.constantFrom('PLAIN' as const, 'QUOTE_DOUBLE' as const, 'QUOTE_SINGLE' as const, 'BLOCK_LITERAL' as const, 'BLOCK_FOLDED' as const),
      defaultKeyType: fc.constantFrom(null, 'PLAIN' as const, 'QUOTE_DOUBLE' as const),
      indent: fc.integer({ min: 1, max: 4 }),
    });
    // Line edits that make the document interesting: duplicate a line (duplicate keys), add a tag or an anchor.
    const edit = fc.array(fc.tuple(fc.nat(), fc.constantFrom('dup', 'tag', 'anchor', 'comment', 'crlf', 'none')), { maxLength: 3 });
    let answered = 0;
    let runs = 0;
    fc.assert(
      fc.property(value, style, edit, (v, opts, edits) => {
        let text = stringify(v, { ...opts, lineWidth: 0 });
        const lines = text.split('\n');
        for (const [n, kind] of edits) {
          const i = n % Math.max(1, lines.length - 1);
          const line = lines[i] ?? '';
          if (kind === 'dup') lines.splice(i, 0, line);
          else if (kind === 'tag') lines[i] = line.replace(/: (\S)/, ': !custom $1');
          else if (kind === 'anchor') lines[i] = line.replace(/: (\S)/, ': &anc $1');
          else if (kind === 'comment') lines[i] = line + ' # note';
        }
        text = lines.join('\n');
        if (edits.some(([, k]) => k === 'crlf')) text = text.replace(/\n/g, '\r\n');
        runs++;
        if (compare(text) === 'answered') answered++;
      }),
      { numRuns: Number(process.env.YAML_PATHS_RUNS ?? 600) },
    );
    expect(answered).toBeGreaterThan(runs / 2);
  });
});
