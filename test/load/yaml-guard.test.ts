/**
 * The guards the YAML path runs before parsing.
 *
 * `yamlDepthGuard` jumps over runs of characters that cannot change its estimate (inside quotes, inside a token, an
 * anchor or tag) and finds line ends with `indexOf`. It must return exactly what the one-step-per-character version
 * (test/load/yaml-guard-reference.ts) returns, with the same sequence-entry count, on every text.
 *
 * `yamlNodesBound` stands in for the lexer's count (`yamlNodesOver`) when it is at most the cap: it must never be
 * below that count.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { yamlDepthGuard, yamlNodesBound, yamlNodesOver, type EntryCount } from '../../src/load/yaml.js';
import { referenceDepthGuard } from './yaml-guard-reference.js';

const suite = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/yaml-test-suite.json'), 'utf8')) as {
  cases: Array<{ id: string; yaml: string }>;
};

function same(text: string, maxDepth: number, hardLimit: number, cap: number): void {
  const a: EntryCount = { cap, over: -1 };
  const b: EntryCount = { cap, over: -1 };
  const got = yamlDepthGuard(text, maxDepth, hardLimit, a);
  const want = referenceDepthGuard(text, maxDepth, hardLimit, b);
  expect({ at: got, over: a.over }, JSON.stringify(text)).toEqual({ at: want, over: b.over });
}

const LIMITS: Array<[number, number, number]> = [
  [256, 512, Infinity],
  [0, 1, 0],
  [1, 2, 1],
  [2, 18, 3],
  [3, 4, 10],
];

describe('yamlDepthGuard answers as the one-step-per-character guard', () => {
  it('on every document of the YAML test suite, LF, CRLF and CR', () => {
    for (const c of suite.cases) {
      for (const text of [c.yaml, c.yaml.replace(/\r?\n/g, '\r\n'), c.yaml.replace(/\r?\n/g, '\r')]) {
        for (const [d, h, cap] of LIMITS) same(text, d, h, cap);
      }
    }
  });

  it('on texts made of YAML syntax pieces and long runs', () => {
    const piece = fc.constantFrom(
      ' ', '  ', '\t', '\n', '\r\n', '\r', ':', ': ', '-', '- ', '? ', '#', ' #', "'", "''", '"', '\\', '\\"', '[', ']', '{', '}', ',',
      '|', '>', '&a ', '&', '!', '!!str ', '*a', '---', '--- ', '...', '%', 'a', 'key', '0', 'é', 'x'.repeat(40), ' '.repeat(20), 'a:b', '-x',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.constantFrom(...LIMITS), (parts, [d, h, cap]) => same(parts.join(''), d, h, cap)),
      { numRuns: Number(process.env.YAML_PATHS_RUNS ?? 3000) },
    );
  });

  it('on mutated documents of the YAML test suite', () => {
    const seeds = suite.cases.map((c) => c.yaml);
    const alphabet = [' ', '\n', '\r', '\t', ':', '- ', '#', "'", '"', '\\', '[', ']', '{', '}', ',', '|', '>', '&', '!', 'x'.repeat(30)];
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...alphabet), fc.boolean()), { minLength: 1, maxLength: 5 }), fc.constantFrom(...LIMITS), (seed, edits, [d, h, cap]) => {
        let t = seed;
        for (const [n, p, del] of edits) {
          const at = t.length === 0 ? 0 : n % t.length;
          t = t.slice(0, at) + p + t.slice(at + (del ? 1 : 0));
        }
        same(t, d, h, cap);
      }),
      { numRuns: Number(process.env.YAML_PATHS_RUNS ?? 2000) },
    );
  });

  it('on long lines: one scalar, one quoted scalar, a long flow token, a long tag', () => {
    const long = 'x'.repeat(100_000);
    for (const text of [`s: ${long}\n`, `s: "${long}\\"${long}"\n`, `s: '${long}''${long}'\n`, `[${long}, [${long}]]`, `a: !${long} b\n- - - [${long}`, `k: &${long} {a: [b]}`]) {
      // what follows shows the state the guard left the long line in (quotes, flow level, indentation)
      for (const [d, h, cap] of LIMITS) for (const after of ['', '\n- - - [[{a: [b]}]]\n', '"\n  - - x\n']) same(text + after, d, h, cap);
    }
    expect(yamlDepthGuard(`s: ${long}\n`, 256, 512)).toBe(-1);
  });
});

describe('yamlNodesBound is never below the lexer count of yamlNodesOver', () => {
  const atLeast = (text: string): void => {
    const bound = yamlNodesBound(text);
    expect(yamlNodesOver(text, bound), JSON.stringify(text)).toBe(-1);
    // With a cap it stops early, at a bound that still holds.
    for (const cap of [0, 3, bound - 1]) expect(yamlNodesOver(text, Math.max(cap, yamlNodesBound(text, cap))), JSON.stringify(text)).toBe(-1);
  };

  it('on every document of the YAML test suite, LF, CRLF and CR', () => {
    for (const c of suite.cases) for (const text of [c.yaml, c.yaml.replace(/\r?\n/g, '\r\n'), c.yaml.replace(/\r?\n/g, '\r')]) atLeast(text);
  });

  it('on texts made of YAML syntax pieces, words and properties', () => {
    const piece = fc.constantFrom(
      ' ', '\n', '\r\n', '\t', ':', ': ', '-', '- ', '? ', '#', ' #', '"', "'", '[', ']', '{', '}', ',', '|', '>', '|2', '>-', '&a', '&a ', '*a', '!', '!t', '!!str ',
      '!a^', '---', '...', '%', 'a', 'ab', 'key', '0', '12', 'é', 'x'.repeat(30), '\uFEFF',
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 40 }), (parts) => atLeast(parts.join(''))), { numRuns: Number(process.env.YAML_PATHS_RUNS ?? 3000) });
  });

  it('on dense texts of brackets, entries and short words (where the bound is tight)', () => {
    const piece = fc.constantFrom('[', '{', '-', '- ', 'ab', 'a', 'abc', ' ', ',', '\n', ': ', '"', 'a"');
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (parts) => atLeast(parts.join(''))), { numRuns: Number(process.env.YAML_PATHS_RUNS ?? 3000) });
    // 10 offsets, 3 of them inside a run of letters: 7; the lexer counts 3 brackets and 3 scalars.
    expect(yamlNodesBound('[ab[ab[ab')).toBe(7);
    expect(yamlNodesOver('[ab[ab[ab', 5)).not.toBe(-1);
  });

  it('gives up after maxRuns runs (many short words are left to the lexer, which stops at the cap)', () => {
    const words = 'ab '.repeat(1000);
    expect(yamlNodesBound(words, 10, 5)).toBe(words.length + 1 - 5);
    expect(yamlNodesBound(words, 10)).toBe(words.length + 1 - 1000);
    expect(yamlNodesOver(words, yamlNodesBound(words, 10, 5))).toBe(-1);
  });

  it('settles a long scalar without the lexer', () => {
    const text = `s: ${'x'.repeat(3_000_000)}\n`;
    expect(yamlNodesBound(text, 1_000_000)).toBeLessThan(10);
    expect(yamlNodesOver(text, 10)).toBe(-1);
  });
});
