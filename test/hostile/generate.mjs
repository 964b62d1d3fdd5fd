/**
 * Generator of the big hostile inputs (written to a temp dir at test time instead of committing megabytes).
 * Every case names its file and what the gate must answer for it. Plain JavaScript (types in generate.d.mts)
 * so that `bench/hostile.mjs` times the same cases the tests run.
 */
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** @param {number} n @param {(i: number) => string} f */
const lines = (n, f) => {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out.join('\n') + '\n';
};

/** Billion laughs: 10 levels of 9 aliases each (9^9 strings after expansion). */
export function billionLaughs(levels = 9) {
  let s = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 0; i < levels; i++) {
    const prev = String.fromCharCode(97 + i);
    const next = String.fromCharCode(98 + i);
    s += `${next}: &${next} [${Array(9).fill('*' + prev).join(',')}]\n`;
  }
  return s;
}

/** Write every big case into a fresh temp dir. Call `cleanup()` when done. */
/** @returns {{ dir: string, cases: import('./generate.d.mts').BigCase[], cleanup: () => void }} */
export function generateBigCorpus() {
  const dir = mkdtempSync(path.join(tmpdir(), 'confgate-hostile-'));
  /** @type {import('./generate.d.mts').BigCase[]} */
  const cases = [];
  /** @param {string} name @param {string | Buffer} content @param {import('./generate.d.mts').Expectation} exp */
  const add = (name, content, exp, inProcess = false) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    cases.push({ name, file, inProcess, ...exp });
  };
  const tooDeep = { verdict: 'block', rules: ['input.too-deep'] };
  const tooLarge = { verdict: 'block', rules: ['input.too-large'] };

  // 200,000-deep nesting, every shape: JSON arrays and objects, YAML flow, block mappings, compact sequences.
  add('deep-200k.json', '['.repeat(200_000) + ']'.repeat(200_000), tooDeep, true);
  add('deep-200k-objects.json', '{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000), tooDeep, true);
  add('deep-200k-flow.yaml', '['.repeat(200_000) + ']'.repeat(200_000), tooDeep, true);
  add('deep-200k-flowmap.yaml', '{a: '.repeat(200_000) + '1' + '}'.repeat(200_000), tooDeep, true);
  add('deep-200k-seq.yaml', '- '.repeat(200_000) + '1\n', tooDeep, true);
  add('deep-3000-block.yaml', lines(3000, (i) => ' '.repeat(i) + 'a:').replace(/\n$/, ' 1\n'), tooDeep, true);
  add('deep-200k-unclosed.json', '['.repeat(200_000), { verdict: 'block', rules: [] }, true);

  // A 20 MB string, a 20 MB key, 300,000 JSON keys, 100,000 YAML keys: large but legitimate. (The YAML parser costs
  // about 1 KB and some microseconds per node, so the YAML cases are a third of the JSON ones: enough to show
  // that size alone never overflows a stack, cheap enough for a loaded machine. Costs per key: BENCHMARKS.md.)
  add('string-20mb.json', JSON.stringify({ s: 'x'.repeat(20_000_000) }), { verdict: 'allow', rules: [] });
  add('string-20mb.yaml', 's: ' + 'x'.repeat(20_000_000) + '\n', { verdict: 'allow', rules: [] });
  add('key-20mb.json', '{"' + 'k'.repeat(20_000_000) + '": 1}', { verdict: 'allow', rules: [] });
  add('keys-300k.json', '{' + lines(300_000, (i) => `"k${i}": ${i}${i < 299_999 ? ',' : ''}`) + '}', { verdict: 'allow', rules: [] });
  add('keys-100k.yaml', lines(100_000, (i) => `k${i}: ${i}`), { verdict: 'allow', rules: [] });
  // The same number of keys in the shape of a real fleet config (regions -> services -> settings): many small maps
  // instead of one huge one.
  const fleet = {};
  for (let r = 0, n = 0; n < 300_000; r++) {
    const region = (fleet[`region-${r}`] = {});
    for (let s = 0; s < 1000 && n < 300_000; s++, n += 10) {
      const svc = (region[`svc-${s}`] = { name: `svc-${r}-${s}`, pool: `pool-${s % 7}` });
      for (let k = 0; k < 7; k++) svc[`setting_${k}`] = (r * 1000 + s) * 7 + k;
    }
  }
  add('keys-nested-300k.json', JSON.stringify(fleet), { verdict: 'allow', rules: [] });

  // Duplicate keys / inexact numbers / custom tags far over the 1,000-per-rule cap: findings are capped, never a
  // stack overflow.
  add('dup-keys-300k.json', '{' + Array.from({ length: 300_000 }, (_, i) => `"k${i % 1000}": ${i}`).join(',') + '}', {
    verdict: 'block',
    rules: ['parse.duplicate-key'],
  });
  add('dup-keys-100k.yaml', lines(100_000, (i) => `k${i % 1000}: ${i}`), { verdict: 'block', rules: ['parse.duplicate-key'] });
  add('bignums-300k.json', '[' + Array(300_000).fill('9007199254740993').join(',') + ']', { verdict: 'warn', rules: ['parse.precision-loss'] });
  add('tags-20k.yaml', lines(20_000, (i) => `k${i}: !!js/function "function(){ globalThis.pwned = 1 }"`), { verdict: 'block', rules: ['parse.error'] });

  // Alias and merge-key bombs.
  add('billion-laughs.yaml', billionLaughs(), tooLarge, true);
  const bigMap = '{' + Array.from({ length: 10_000 }, (_, i) => `k${i}: ${i}`).join(', ') + '}';
  add('alias-bomb-wide.yaml', `base: &b ${bigMap}\nlist:\n` + lines(999, () => '  - *b'), tooLarge, true);
  add('merge-bomb.yaml', `base: &b ${bigMap}\n` + lines(999, (i) => `m${i}: {<<: *b}`), tooLarge, true);
  add('merge-bomb-list.yaml', `base: &b ${bigMap}\nm: {<<: [${Array(999).fill('*b').join(', ')}]}\n`, tooLarge, true);

  // Node counts: over maxNodes in JSON, and YAML whose syntax tree alone would need gigabytes.
  add('nodes-5.1m.json', '[' + Array(5_100_000).fill('0').join(',') + ']', tooLarge);
  add('yaml-nodes-2m.yaml', lines(2_000_000, () => '- 0'), tooLarge);

  // Over maxBytes (64 MiB): a sparse file, refused before it is read.
  const over = path.join(dir, 'over-64mib.json');
  closeSync(openSync(over, 'w'));
  truncateSync(over, 64 * 1024 * 1024 + 1);
  cases.push({ name: 'over-64mib.json', file: over, inProcess: true, ...tooLarge });

  return { dir, cases, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
