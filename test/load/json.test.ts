import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/load/index.js';
import { countKeyColons, strictScanJson } from '../../src/load/json.js';

const rules = (d: { findings: readonly { rule: string }[] }) => d.findings.map((f) => f.rule);

describe('JSON: values and positions', () => {
  const text = ['{', '  "name": "edge",', '  "rules": [', '    { "id": "a", "pattern": "x+" },', '    { "id": "b", "pattern": "y" },', '    {', '      "id": "c",', '      "pattern": "^(a|b)$"', '    }', '  ]', '}', ''].join('\n');
  const doc = parseConfig(text, { file: 'edge.json' });

  it('parses with JSON.parse semantics and detects the format by extension', () => {
    expect(doc.format).toBe('json');
    expect(doc.failed).toBe(false);
    expect(doc.findings).toEqual([]);
    expect(doc.value).toEqual(JSON.parse(text));
    expect(doc.bytes).toBe(Buffer.byteLength(text));
    expect(doc.file).toBe('edge.json');
  });

  it('locates values at their first character', () => {
    expect(doc.locate('/rules/2/pattern')).toEqual({ file: 'edge.json', line: 8, column: 18 });
    expect(doc.locate('/rules/1/id')).toEqual({ file: 'edge.json', line: 5, column: 13 });
    expect(doc.locate('/rules/0')).toEqual({ file: 'edge.json', line: 4, column: 5 });
    expect(doc.locate('/name')).toEqual({ file: 'edge.json', line: 2, column: 11 });
    expect(doc.locate('')).toEqual({ file: 'edge.json', line: 1, column: 1 });
  });

  it('falls back to the nearest existing ancestor', () => {
    expect(doc.locate('/rules/2/missing')).toEqual({ file: 'edge.json', line: 6, column: 5 });
    expect(doc.locate('/rules/9/id')).toEqual({ file: 'edge.json', line: 3, column: 12 });
    expect(doc.locate('/name/deeper')).toEqual({ file: 'edge.json', line: 2, column: 11 });
    expect(doc.locate('/rules/01')).toEqual({ file: 'edge.json', line: 3, column: 12 });
  });

  it('handles escaped keys and strings with brackets, quotes and colons', () => {
    const t = '{"a/b": {"x~y": 1}, "s": "]}\\":{[", "k\\"q": [":", "{"], "t": 2}';
    const d = parseConfig(t);
    expect(d.value).toEqual(JSON.parse(t));
    expect(d.findings).toEqual([]);
    expect(d.locate('/a~1b/x~0y')!.column).toBe(t.indexOf('1') + 1);
    expect(d.locate('/t')!.column).toBe(t.lastIndexOf('2') + 1);
    expect(d.locate('/k"q/1')!.column).toBe(t.indexOf('"{"') + 1);
  });
});

describe('JSON: duplicate keys', () => {
  it('reports the second key (every duplicate), keeps the last value like JSON.parse', () => {
    const t = '{\n  "a": 1,\n  "b": { "x": 1, "x": 2 },\n  "a": 3,\n  "a": 4\n}\n';
    const d = parseConfig(t, { format: 'json' });
    expect(d.failed).toBe(false);
    expect(d.value).toEqual(JSON.parse(t));
    expect(rules(d)).toEqual(['parse.duplicate-key', 'parse.duplicate-key', 'parse.duplicate-key']);
    const [x, a1, a2] = d.findings;
    expect(x).toMatchObject({ severity: 'block', path: '/b/x', location: { line: 3, column: 18 }, detail: { key: 'x', firstLine: 3 } });
    expect(a1).toMatchObject({ path: '/a', location: { line: 4, column: 3 }, detail: { firstLine: 2 } });
    expect(a2).toMatchObject({ path: '/a', location: { line: 5, column: 3 } });
    expect(x!.document).toBeUndefined();
  });

  it('finds duplicates of escaped keys and keys with special characters', () => {
    const d = parseConfig('{"a\\u0062": 1, "ab": 2, "p/q": {"~": 1, "~": 1}}');
    expect(d.findings.map((f) => f.path)).toEqual(['/ab', '/p~1q/~0']);
  });

  it('a string value starting with ":" is not mistaken for a key', () => {
    const d = parseConfig('{"listen": ":8080", "v": [":", ","], "w": {"k": " :"}}');
    expect(d.findings).toEqual([]);
    expect(countKeyColons('{"listen": ":8080"}')).toBeGreaterThanOrEqual(1);
  });

  it('the cheap key count is an upper bound of the real number of keys', () => {
    for (const t of ['{"a":1,"b":{"c":[{"d":2}]}}', '[",", ":"]', '{"":1, " ":{"[":2}}', '{"a\\\\":1}', '{ "a" : 1 , "b" :2}']) {
      let keys = 0;
      const count = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(count);
        else if (v && typeof v === 'object') for (const [, x] of Object.entries(v)) (keys++, count(x));
      };
      count(JSON.parse(t));
      expect(countKeyColons(t)).toBeGreaterThanOrEqual(keys);
    }
  });
});

describe('JSON: syntax errors', () => {
  const cases: Array<[string, number, number]> = [
    ['{"a": 1,\n "b": }', 2, 7],
    ['{"a": 1,}', 1, 9],
    ['[1, 2', 1, 6],
    ['{"a": tru}', 1, 10],
    ['{"a": 01}', 1, 8],
    ['{"a": "x\ny"}', 1, 9],
    ['{"a": 1} x', 1, 10],
    ["{'a': 1}", 1, 2],
    ['{"a": 1, "b": [1, 2, {"c": "unterminated', 1, 28],
  ];
  it.each(cases)('%j -> line %i, column %i', (text, line, column) => {
    const d = parseConfig(text, { format: 'json' });
    expect(d.failed).toBe(true);
    expect(d.value).toBeUndefined();
    expect(rules(d)).toEqual(['parse.error']);
    expect(d.findings[0]!.location).toEqual({ file: '<input>', line, column });
    expect(d.locate('/a')).toBeUndefined();
  });

  it('the strict tokenizer accepts exactly what JSON.parse accepts on these samples', () => {
    const samples = ['0', '-0.5e+3', '"\\u00e9\\n"', '[]', '{}', ' [ true , false , null ] ', '1.', '.5', '-', '"\\x"', '[1,]', 'nul', '"a\tb"', '1e', '[[]]]'];
    for (const s of samples) {
      let ok = true;
      try {
        JSON.parse(s);
      } catch {
        ok = false;
      }
      expect([s, strictScanJson(s, { duplicates: true, numbers: true }).error === undefined]).toEqual([s, ok]);
    }
  });
});

describe('JSON: precision loss', () => {
  it('warns for 2^53+1 and other inexact integers, at the literal', () => {
    const d = parseConfig('{\n  "ok": 9007199254740992,\n  "id": 9007199254740993,\n  "neg": -12345678901234567890,\n  "float": 1e300\n}');
    expect(d.failed).toBe(false);
    expect(rules(d)).toEqual(['parse.precision-loss', 'parse.precision-loss']);
    expect(d.findings[0]).toMatchObject({ severity: 'warn', path: '/id', location: { line: 3, column: 9 } });
    expect(d.findings[0]!.message).toMatch(/cannot be represented exactly/);
    expect(d.findings[0]!.message).toMatch(/invisible/);
    expect(d.findings[1]).toMatchObject({ path: '/neg', location: { line: 4, column: 10 } });
  });

  it('does not warn for large integers that are exact', () => {
    expect(parseConfig('[9007199254740992, 18014398509481984, 1e21]').findings).toEqual([]);
  });
});

describe('JSON: nesting and limits', () => {
  it('a 200,000-deep array gives input.too-deep, never a stack overflow', () => {
    const n = 200_000;
    const d = parseConfig('['.repeat(n) + ']'.repeat(n), { format: 'json' });
    expect(d.failed).toBe(true);
    expect(d.value).toBeUndefined();
    expect(rules(d)).toEqual(['input.too-deep']);
    expect(d.findings[0]!.location).toEqual({ file: '<input>', line: 1, column: 257 });
  });

  it('a 200,000-deep object gives input.too-deep', () => {
    const n = 200_000;
    const d = parseConfig('{"a":'.repeat(n) + '1' + '}'.repeat(n));
    expect(rules(d)).toEqual(['input.too-deep']);
    expect(d.findings[0]!.location!.column).toBe(5 * 256 + 1);
  });

  it('more brackets than the pre-scan threshold still gives the exact location', () => {
    const n = 1_100_000;
    const d = parseConfig('['.repeat(n) + ']'.repeat(n));
    expect(rules(d)).toEqual(['input.too-deep']);
    expect(d.findings[0]!.location!.column).toBe(257);
  });

  it('accepts exactly maxDepth levels', () => {
    expect(parseConfig('[[[1]]]', { limits: { maxDepth: 3 } }).failed).toBe(false);
    expect(rules(parseConfig('[[[1]]]', { limits: { maxDepth: 2 } }))).toEqual(['input.too-deep']);
    expect(rules(parseConfig('{"a": [{"b": 1}]}', { limits: { maxDepth: 2 } }))).toEqual(['input.too-deep']);
  });

  it('maxNodes limits the number of values', () => {
    const d = parseConfig('[1,2,3,4,5]', { limits: { maxNodes: 5 } });
    expect(rules(d)).toEqual(['input.too-large']);
    expect(parseConfig('[1,2,3,4,5]', { limits: { maxNodes: 6 } }).failed).toBe(false);
  });
});

describe('JSON: __proto__, constructor, prototype are data', () => {
  it('keeps them as own properties at any depth and never pollutes Object.prototype', () => {
    const t = '{"__proto__": {"polluted": 1}, "a": {"b": [{"constructor": {"prototype": {"polluted": 2}}, "__proto__": {"polluted": 3}}]}}';
    const d = parseConfig(t, { format: 'json' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const v = d.value as Record<string, any>;
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')!.value).toEqual({ polluted: 1 });
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    const inner = v.a.b[0];
    expect(Object.keys(inner)).toEqual(['constructor', '__proto__']);
    expect(inner.constructor).toEqual({ prototype: { polluted: 2 } });
    expect(JSON.parse(JSON.stringify(v))).toEqual(JSON.parse(t));
    expect(d.locate('/a/b/0/__proto__/polluted')!.column).toBe(t.indexOf('3') + 1);
  });

  it('duplicate __proto__ keys are reported', () => {
    const d = parseConfig('{"__proto__": 1, "__proto__": 2}');
    expect(rules(d)).toEqual(['parse.duplicate-key']);
    expect(Object.getOwnPropertyDescriptor(d.value as object, '__proto__')!.value).toBe(2);
  });
});

describe('walkCounts with a polluted Object.prototype', () => {
  it('counts only own keys when something made an inherited key enumerable', async () => {
    const { walkCounts } = await import('../../src/load/json.js');
    const value = JSON.parse('{"a": {"b": 1, "c": [1, {"d": 2}]}}') as unknown;
    const clean = walkCounts(value, 256);
    Object.defineProperty(Object.prototype, 'injected', { value: { deep: { deeper: 1 } }, enumerable: true, configurable: true, writable: true });
    let polluted;
    try {
      polluted = walkCounts(value, 256);
    } finally {
      delete (Object.prototype as Record<string, unknown>)['injected'];
    }
    expect(polluted).toEqual(clean);
    expect(clean.keys).toBe(4);
  });
});
