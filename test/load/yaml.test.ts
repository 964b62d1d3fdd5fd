import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/load/index.js';

const rules = (d: { findings: readonly { rule: string }[] }) => d.findings.map((f) => f.rule);

const EDGE = `# edge config
name: edge
rules:
  - id: a
    pattern: "x+"
  - id: b
    pattern: y
  - id: c
    pattern: '^(a|b)$'
limits: { max: 200, min: 1 }
`;

describe('YAML: values and positions', () => {
  const doc = parseConfig(EDGE, { file: 'edge.yaml' });
  it('parses with the core schema into plain JSON values', () => {
    expect(doc.format).toBe('yaml');
    expect(doc.failed).toBe(false);
    expect(doc.findings).toEqual([]);
    expect(doc.value).toEqual({
      name: 'edge',
      rules: [
        { id: 'a', pattern: 'x+' },
        { id: 'b', pattern: 'y' },
        { id: 'c', pattern: '^(a|b)$' },
      ],
      limits: { max: 200, min: 1 },
    });
  });

  it('locates the value node of a key', () => {
    expect(doc.locate('/rules/2/pattern')).toEqual({ file: 'edge.yaml', line: 9, column: 14 });
    expect(doc.locate('/rules/1/pattern')).toEqual({ file: 'edge.yaml', line: 7, column: 14 });
    expect(doc.locate('/rules/2')).toEqual({ file: 'edge.yaml', line: 8, column: 5 });
    expect(doc.locate('/limits/max')).toEqual({ file: 'edge.yaml', line: 10, column: 16 });
    expect(doc.locate('/name')).toEqual({ file: 'edge.yaml', line: 2, column: 7 });
  });

  it('falls back to the nearest existing ancestor', () => {
    expect(doc.locate('/rules/2/missing')).toEqual({ file: 'edge.yaml', line: 8, column: 5 });
    expect(doc.locate('/rules/7')).toEqual({ file: 'edge.yaml', line: 4, column: 3 });
    expect(doc.locate('/nothing')).toEqual({ file: 'edge.yaml', line: 2, column: 1 });
  });

  it('keeps YAML-only scalars as plain values (core schema: no Date, no 1.1 booleans)', () => {
    const d = parseConfig('when: 2001-12-14t21:59:43.10-05:00\nday: 2002-12-14\nyes: yes\nno: off\noct: 0o17\nhex: 0x1F\nnull1: ~\nf: 1.5\nkey1: 010\n');
    expect(d.value).toEqual({ when: '2001-12-14t21:59:43.10-05:00', day: '2002-12-14', yes: 'yes', no: 'off', oct: 15, hex: 31, null1: null, f: 1.5, key1: 10 });
  });

  it('keys are always strings, taken as written', () => {
    const d = parseConfig('1: a\n1.10: b\ntrue: c\nnull: d\n');
    expect(d.value).toEqual({ '1': 'a', '1.10': 'b', true: 'c', null: 'd' });
  });

  it('refuses non-scalar keys', () => {
    const d = parseConfig('? [a, b]\n: 1\n');
    expect(d.failed).toBe(true);
    expect(rules(d)).toEqual(['parse.error']);
  });
});

describe('YAML: duplicate keys', () => {
  it('reports the second key with the pointer of object + key; last value wins', () => {
    const d = parseConfig('a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\na: 4\n');
    expect(d.failed).toBe(false);
    expect(d.value).toEqual({ a: 4, b: { x: 3, y: 2 } });
    expect(rules(d)).toEqual(['parse.duplicate-key', 'parse.duplicate-key']);
    expect(d.findings[0]).toMatchObject({ severity: 'block', path: '/b/x', location: { line: 5, column: 3 }, detail: { key: 'x', firstLine: 3 } });
    expect(d.findings[1]).toMatchObject({ path: '/a', location: { line: 6, column: 1 }, detail: { firstLine: 1 } });
  });

  it('keys that are equal as strings are duplicates ("1" and 1)', () => {
    const d = parseConfig('1: a\n"1": b\n');
    expect(rules(d)).toEqual(['parse.duplicate-key']);
  });
});

describe('YAML: syntax errors', () => {
  const cases: Array<[string, number, number]> = [
    ['a: 1\nb: [1, 2\n', 3, 1],
    ['a: 1\n  b: 2\n', 1, 4],
    ['a: "unterminated\n', 2, 1],
    ['a: 1\n---\nb: 2\n', 2, 1],
    ['a:\n\t- x\n', 2, 1],
  ];
  it.each(cases)('%j -> parse.error with a location', (text, line, column) => {
    const d = parseConfig(text);
    expect(d.failed).toBe(true);
    expect(d.value).toBeUndefined();
    expect(new Set(rules(d))).toEqual(new Set(['parse.error']));
    expect(d.findings[0]!.location).toMatchObject({ line, column });
  });

  it('a document of only comments is empty', () => {
    const d = parseConfig('# nothing\n\n# here\n');
    expect(rules(d)).toEqual(['parse.error']);
    expect(d.findings[0]!.message).toMatch(/empty/);
    expect(d.failed).toBe(true);
  });

  it('an explicit null document is not empty', () => {
    const d = parseConfig('~\n');
    expect(d.failed).toBe(false);
    expect(d.value).toBeNull();
  });
});

describe('YAML: custom tags and non-JSON values', () => {
  it.each([
    ['fn: !!js/function "function () { globalThis.pwned = true }"', '!!js/function'],
    ['re: !!js/regexp /a/', '!!js/regexp'],
    ['x: !foo bar', '!foo'],
    ['t: !!timestamp 2001-12-14', '!!timestamp'],
    ['b: !!binary R0lGODlhDAAMAIQAAP', '!!binary'],
    ['s: !!set {a, b}', '!!set'],
    ['o: !!omap [a: 1]', '!!omap'],
    ['%TAG !e! tag:example.com,2000:\n---\nx: !e!thing 1', 'tag:example.com,2000:thing'],
  ])('%j is a parse.error at the tag and constructs nothing', (text, tag) => {
    const d = parseConfig(text);
    expect(d.failed).toBe(true);
    expect(rules(d)).toEqual(['parse.error']);
    expect(d.findings[0]!.message).toContain(tag);
    expect(d.findings[0]!.location!.line).toBeGreaterThan(0);
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });

  it('core tags are accepted', () => {
    const d = parseConfig('a: !!str 123\nb: !!int "7"\nc: !!float 1.0\nd: !!map {x: 1}\ne: !!seq [1]\nf: ! plain\n');
    expect(d.failed).toBe(false);
    expect(d.value).toEqual({ a: '123', b: 7, c: 1, d: { x: 1 }, e: [1], f: 'plain' });
  });

  it.each(['.inf', '-.inf', '.nan', '.NaN', '!!float .inf'])('%s is a parse.error with location', (v) => {
    const d = parseConfig(`ok: 1\nbad: ${v}\n`);
    expect(d.failed).toBe(true);
    expect(rules(d)).toEqual(['parse.error']);
    expect(d.findings[0]).toMatchObject({ path: '/bad', location: { line: 2 } });
  });

  it('2^53+1 gives parse.precision-loss at the literal', () => {
    const d = parseConfig('id: 9007199254740993\nok: 9007199254740992\nhex: 0x20000000000001\n');
    expect(d.failed).toBe(false);
    expect(rules(d)).toEqual(['parse.precision-loss', 'parse.precision-loss']);
    expect(d.findings[0]).toMatchObject({ severity: 'warn', path: '/id', location: { line: 1, column: 5 } });
    expect(d.findings[1]).toMatchObject({ path: '/hex', location: { line: 3, column: 6 } });
  });
});

describe('YAML: anchors, aliases, merge keys', () => {
  it('expands aliases into independent plain values', () => {
    const d = parseConfig('base: &b {x: 1, list: [1, 2]}\nuse: *b\n');
    const v = d.value as { base: { list: number[] }; use: { list: number[] } };
    expect(v.use).toEqual({ x: 1, list: [1, 2] });
    expect(v.use).not.toBe(v.base);
    expect(v.use.list).not.toBe(v.base.list);
  });

  it('supports plain << merge keys; explicit keys win; quoted "<<" is data', () => {
    const d = parseConfig('a: &a {x: 1, y: 2}\nb: &b {y: 20, z: 30}\nc:\n  <<: [*a, *b]\n  x: 10\nd:\n  "<<": *a\n');
    expect(d.value).toEqual({ a: { x: 1, y: 2 }, b: { y: 20, z: 30 }, c: { x: 10, y: 2, z: 30 }, d: { '<<': { x: 1, y: 2 } } });
    expect(d.locate('/c/z')).toMatchObject({ line: 2, column: 18 });
    expect(d.locate('/c/y')).toMatchObject({ line: 1, column: 17 });
    expect(d.locate('/c/x')).toMatchObject({ line: 5, column: 6 });
  });

  it('merging a scalar is a parse.error', () => {
    expect(rules(parseConfig('a: &a 1\nb:\n  <<: *a\n'))).toEqual(['parse.error']);
  });

  it('unknown and self-referencing aliases are parse errors', () => {
    expect(rules(parseConfig('a: *nope\n'))).toEqual(['parse.error']);
    expect(rules(parseConfig('a: &x [1, *x]\n'))).toEqual(['parse.error']);
  });

  const laughs = (levels: number) => {
    let s = 'l0: &l0 "lol"\n';
    for (let i = 1; i <= levels; i++) s += `l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]\n`;
    return s;
  };

  it('billion laughs: input.too-large, in bounded time', () => {
    const d = parseConfig(laughs(9));
    expect(d.failed).toBe(true);
    expect(d.value).toBeUndefined();
    expect(rules(d)).toEqual(['input.too-large']);
  });

  it('alias expansion over maxNodes is input.too-large even with many aliases allowed', () => {
    const d = parseConfig(laughs(9), { limits: { maxAliases: 1e9, maxNodes: 100_000 } });
    expect(rules(d)).toEqual(['input.too-large']);
    expect(d.findings[0]!.detail).toMatchObject({ maxNodes: 100_000 });
  });

  it('small alias use stays within the limits', () => {
    const d = parseConfig(laughs(2));
    expect(d.failed).toBe(false);
    expect((d.value as Record<string, unknown[]>).l2).toHaveLength(10);
  });

  it('merge-key bomb: input.too-large', () => {
    let s = 'a0: &a0 {k0: 1, k1: 2, k2: 3, k3: 4}\n';
    for (let i = 1; i <= 12; i++) {
      const refs = Array.from({ length: 8 }, () => `*a${i - 1}`).join(', ');
      s += `a${i}: &a${i}\n  <<: [${refs}]\n  l${i}: [${refs}]\n`;
    }
    const d = parseConfig(s);
    expect(d.failed).toBe(true);
    expect(rules(d)).toEqual(['input.too-large']);
  });
});

describe('YAML: expanded size counted per anchor before expansion', () => {
  // base: 1 map + 10 values = 11 nodes; the root map, `base` and `list` come first: 1 + 11 + 1 = 13.
  const base = `base: &b {${Array.from({ length: 10 }, (_, i) => `k${i}: ${i}`).join(', ')}}\n`;
  const wide = (n: number) => base + 'list:\n' + Array.from({ length: n }, () => '  - *b\n').join('');

  it('stops at the first alias whose expansion crosses maxNodes, naming it and its size', () => {
    // 13 + 11 * 7 = 90 <= 100; the 8th alias (line 10) takes it to 101
    const d = parseConfig(wide(20), { limits: { maxNodes: 100 } });
    expect(rules(d)).toEqual(['input.too-large']);
    expect(d.findings[0]!.location).toMatchObject({ line: 10, column: 5 });
    expect(d.findings[0]!.message).toMatch(/alias \*b expands to 11 nodes.*limits\.maxNodes|limits\.maxNodes.*alias \*b expands to 11 nodes/);
    expect(d.findings[0]!.detail).toEqual({ maxNodes: 100 });
  });

  it('counts exactly what the conversion produces: the limit itself passes, one less fails', () => {
    // 13 + 11 * 20 = 233 nodes
    expect(parseConfig(wide(20), { limits: { maxNodes: 233 } }).failed).toBe(false);
    expect(rules(parseConfig(wide(20), { limits: { maxNodes: 232 } }))).toEqual(['input.too-large']);
    // merge keys count the whole merged anchor: root 1 + base 11 + per m_i (map 1 + merged 11) = 12 + 12 * 5 = 72
    const merged = base + Array.from({ length: 5 }, (_, i) => `m${i}: {<<: *b, own: 1}\n`).join('');
    expect(parseConfig(merged, { limits: { maxNodes: 12 + 13 * 5 } }).failed).toBe(false);
    expect(rules(parseConfig(merged, { limits: { maxNodes: 12 + 13 * 5 - 1 } }))).toEqual(['input.too-large']);
  });

  it('nested anchors multiply: aliases inside an anchor are counted once per use, for maxAliases too', () => {
    // l1 = 10 x *l0, l2 = 10 x *l1: using *l2 once resolves 1 + 10 + 100 aliases
    const s = 'l0: &l0 x\nl1: &l1 [' + Array(10).fill('*l0').join(', ') + ']\nl2: &l2 [' + Array(10).fill('*l1').join(', ') + ']\nuse: *l2\n';
    // aliases: 10 (l1) + 10 * (1 + 10) (l2) + 1 + 10 + 100 (use) = 231
    expect(parseConfig(s, { limits: { maxAliases: 231 } }).failed).toBe(false);
    const d = parseConfig(s, { limits: { maxAliases: 230 } });
    expect(rules(d)).toEqual(['input.too-large']);
    expect(d.findings[0]!.location?.line).toBe(4);
    expect(d.findings[0]!.detail).toEqual({ maxAliases: 230 });
  });

  it('a bomb far over the limit is refused with the same answer as a small one, without expanding', () => {
    // 10,000-key map aliased 999 times: about 10 million nodes once expanded, 5 million allowed
    const big = `base: &b {${Array.from({ length: 10_000 }, (_, i) => `k${i}: ${i}`).join(', ')}}\nlist:\n` + '  - *b\n'.repeat(999);
    const d = parseConfig(big);
    expect(rules(d)).toEqual(['input.too-large']);
    // 1 + 10,001 + 1 + 10,001 * 499 = 5,000,502 > 5,000,000: the 499th alias (line 2 + 499)
    expect(d.findings[0]!.location?.line).toBe(501);
  });

  it('cycles and unknown anchors still reach the conversion and are reported there', () => {
    expect(rules(parseConfig('a: &x [1, *x]\n', { limits: { maxNodes: 4 } }))).toEqual(['parse.error']);
    expect(rules(parseConfig('a: *nope\n', { limits: { maxNodes: 2 } }))).toEqual(['parse.error']);
  });
});

describe('YAML: nesting', () => {
  it('a 200,000-deep flow sequence gives input.too-deep at the 257th bracket', () => {
    const n = 200_000;
    const d = parseConfig('['.repeat(n) + ']'.repeat(n), { format: 'yaml' });
    expect(rules(d)).toEqual(['input.too-deep']);
    expect(d.findings[0]!.location).toEqual({ file: '<input>', line: 1, column: 257 });
  });

  it('a 200,000-deep flow mapping and compact block sequence give input.too-deep', () => {
    const n = 200_000;
    expect(rules(parseConfig('{a: '.repeat(n) + '1' + '}'.repeat(n)))).toEqual(['input.too-deep']);
    expect(rules(parseConfig('- '.repeat(n) + 'x\n'))).toEqual(['input.too-deep']);
    expect(rules(parseConfig('? '.repeat(n) + 'x\n'))).toEqual(['input.too-deep']);
  });

  it('deep block indentation gives input.too-deep', () => {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) lines.push(' '.repeat(i) + 'k:');
    const d = parseConfig(lines.join('\n') + ' 1\n');
    expect(rules(d)).toEqual(['input.too-deep']);
  });

  it('nesting just below and above the limit', () => {
    // root map 1, a 2, b list 3, {c} 4, c list 5, {e} 6
    const ok = 'a:\n  b:\n  - c: [1, {e: 1}]\n';
    expect(parseConfig(ok, { limits: { maxDepth: 6 } }).failed).toBe(false);
    const d = parseConfig(ok, { limits: { maxDepth: 5 } });
    expect(rules(d)).toEqual(['input.too-deep']);
    expect(d.findings[0]!.location).toMatchObject({ line: 3, column: 12 });
  });

  it('indentation-heavy but shallow documents are not refused', () => {
    const s = 'a:\n' + Array.from({ length: 300 }, (_, i) => `  k${i}: |\n    text ${i}\n${' '.repeat(40)}more [[[[[[[[[[[[[[[[[[[[\n`).join('') + 'b: "multi\n  line [[[[[[[\n  string"\n';
    const d = parseConfig(s);
    expect(d.failed).toBe(false);
  });
});

describe('YAML: __proto__, constructor, prototype are data', () => {
  it('creates own properties and never pollutes', () => {
    const d = parseConfig('__proto__:\n  polluted: 1\na:\n  - constructor:\n      prototype:\n        polluted: 2\n    __proto__: {polluted: 3}\nb: &p {__proto__: {polluted: 4}}\nc:\n  <<: *p\n');
    expect(d.failed).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const v = d.value as Record<string, any>;
    expect(Object.keys(v)).toEqual(['__proto__', 'a', 'b', 'c']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')!.value).toEqual({ polluted: 1 });
    expect(Object.keys(v.a[0])).toEqual(['constructor', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(v.c, '__proto__')!.value).toEqual({ polluted: 4 });
    expect(JSON.stringify(v)).toBe(
      '{"__proto__":{"polluted":1},"a":[{"constructor":{"prototype":{"polluted":2}},"__proto__":{"polluted":3}}],"b":{"__proto__":{"polluted":4}},"c":{"__proto__":{"polluted":4}}}',
    );
    expect(d.locate('/a/0/__proto__/polluted')).toMatchObject({ line: 7, column: 27 });
    expect(d.locate('/c/__proto__/polluted')).toMatchObject({ line: 8, column: 30 });
  });
});

describe('YAML: node count before parsing', () => {
  const over = (text: string) => parseConfig(text, { format: 'yaml', file: 'n.yaml', limits: { maxNodes: 100 } }); // token cap 216
  it('counts sequence entries during the depth pass and refuses at the entry over the cap, without lexing', () => {
    const doc = over('- 0\n'.repeat(300));
    expect(doc.failed).toBe(true);
    expect(doc.findings.map((f) => [f.rule, f.location?.line])).toEqual([['input.too-large', 217]]);
    expect(doc.findings[0]!.message).toMatch(/More than 216 YAML nodes in the text \(at n\.yaml:217:1\)/);
  });
  it('does not count `- ` inside block scalars, quotes or comments, and the exact count then decides', () => {
    const block = 'a: |\n' + '  - x\n'.repeat(300) + 'b: "' + '  - y\n'.repeat(50) + '  "\n' + '# - z\n'.repeat(100);
    const doc = over(block);
    expect(doc.findings).toEqual([]);
    expect((doc.value as { a: string }).a.split('\n')).toHaveLength(301);
    // The lexer's exact count still refuses a long flow list (no `- ` at all).
    const flow = over('[' + Array(300).fill('0').join(', ') + ']\n');
    expect(flow.findings.map((f) => f.rule)).toEqual(['input.too-large']);
  });
});
