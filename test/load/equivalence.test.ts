import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/load/index.js';
import type { ConfigDoc } from '../../src/types.js';

/** Everything that must be identical between the JSON and the YAML path for the same JSON text. */
function summary(d: ConfigDoc) {
  return {
    value: d.value,
    failed: d.failed,
    findings: d.findings.map((f) => ({ rule: f.rule, severity: f.severity, path: f.path, location: f.location })),
  };
}

function both(text: string) {
  const j = parseConfig(text, { format: 'json' });
  const y = parseConfig(text, { format: 'yaml' });
  expect(j.format).toBe('json');
  expect(y.format).toBe('yaml');
  return { j, y };
}

const pointersOf = (v: unknown, p = '', out: string[] = []): string[] => {
  out.push(p);
  if (Array.isArray(v)) v.forEach((x, i) => pointersOf(x, `${p}/${i}`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pointersOf(x, `${p}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  return out;
};

describe('JSON text gives the same value, findings and locations through both paths', () => {
  const fixtures = [
    '{\n  "a": 1,\n  "b": { "x": [1, 2, {"y": null}], "x": true },\n  "a": "again"\n}\n',
    '{"id": 9007199254740993, "list": [12345678901234567890, -9007199254740993, 1.5e300]}',
    '[{"__proto__": {"polluted": 1}}, {"constructor": {"prototype": 1}}]',
    '{"<<": {"a": 1}, "k": "<<"}',
    '{"s": "a\\"b\\\\c\\u00e9\\ud83d\\ude00\\n\\t\\/", "e": "", "u": "ünï"}',
    '"just a string"',
    '[[[[[[[[[[1]]]]]]]]]]',
    '{"n": [0, -0, 1e2, 1E-2, -1.25, 100000000000000000000]}',
    JSON.stringify({ ['k\u0085\u2028']: 'a\u0085b\u2028c\u2029d\ufeffe\u00a0f\ud800g\u007f\u001b # not a comment', 'x: y': '- [z]' }, null, 2),
    JSON.stringify(['   lead', 'trail   ', '\n\n', '#', '&a', '*a', '!tag', '%', '@', '`', '|', '>', '? q', ': c', '- d', '---', '...'], null, 2),
  ];
  it.each(fixtures)('%j', (text) => {
    const { j, y } = both(text);
    expect(summary(y)).toEqual(summary(j));
    if (!j.failed) for (const p of pointersOf(j.value)) expect([p, y.locate(p)]).toEqual([p, j.locate(p)]);
  });

  it('same too-deep finding for JSON nested over maxDepth', () => {
    const t = '{"a": ' + '['.repeat(300) + ']'.repeat(300) + '}';
    const { j, y } = both(t);
    expect(summary(y)).toEqual(summary(j));
    expect(j.findings[0]!.rule).toBe('input.too-deep');
  });

  it('property: generated JSON values, pretty-printed, parse to deep-equal values with equal findings', () => {
    // YAML limits implicit keys to 1024 characters; keep keys shorter than that.
    const unit = fc.oneof(fc.constantFrom('\u0085', '\u2028', '\ufeff', '\u00a0', '#', ':', '-', '\\', '"', "'", ' ', '\n', '\t', '{', '['), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
    const key = fc.string({ maxLength: 40, unit });
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((b) => Number(b)),
        fc.string({ unit, maxLength: 30 }),
        fc.array(tie('v'), { maxLength: 5 }),
        fc.dictionary(key, tie('v'), { maxKeys: 5 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, fc.constantFrom(0, 2, '\t'), (v, indent) => {
        const text = JSON.stringify(v, null, indent);
        const { j, y } = both(text);
        expect(j.failed).toBe(false);
        expect(y.value).toStrictEqual(j.value);
        expect(j.value).toStrictEqual(JSON.parse(text));
        expect(summary(y)).toEqual(summary(j));
        for (const p of pointersOf(j.value).slice(0, 20)) expect(y.locate(p)).toEqual(j.locate(p));
      }),
      { numRuns: 300 },
    );
  });

  it('property: texts with duplicated keys report the same duplicates in both paths', () => {
    const obj = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', '__proto__'), fc.oneof(fc.integer(), fc.constant('s'), fc.constant({ x: 1 }))), { maxLength: 6 });
    fc.assert(
      fc.property(obj, (pairs) => {
        const text = '{\n' + pairs.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n') + '\n}';
        const { j, y } = both(text);
        expect(summary(y)).toEqual(summary(j));
        expect(j.value).toStrictEqual(JSON.parse(text));
        const seen = new Set<string>();
        const dups = pairs.filter(([k]) => (seen.has(k) ? true : (seen.add(k), false))).length;
        expect(j.findings.filter((f) => f.rule === 'parse.duplicate-key')).toHaveLength(dups);
      }),
      { numRuns: 200 },
    );
  });
});
