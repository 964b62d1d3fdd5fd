/**
 * The JSON load path (capped strict scan, counted findings, fast scans) against the reference: the path as it was
 * before issue #16 (test/load/json-reference.ts, every finding built, then the old cap). Values, findings (rule,
 * severity, message, path, location, detail, order, cap summaries) and `failed` must be identical.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capFindings, makeFinding, MAX_FINDINGS_PER_RULE } from '../../src/load/findings.js';
import { parseConfig } from '../../src/load/index.js';
import { parseJsonText, strictScanJson } from '../../src/load/json.js';
import { resolveLimits } from '../../src/load/limits.js';
import { LineIndex } from '../../src/load/text.js';
import type { Finding, RuleId } from '../../src/types.js';
import { parseJsonText as referenceParseJsonText, referenceCapFindings, strictScanJson as referenceStrictScan } from './json-reference.js';

function reference(text: string, limits = resolveLimits(undefined)) {
  const out = referenceParseJsonText(text, new LineIndex(text, 'f.json'), limits);
  return { value: out.value, failed: out.failed, findings: referenceCapFindings(out.findings) };
}

function actual(text: string, limits = resolveLimits(undefined)) {
  const out = parseJsonText(text, new LineIndex(text, 'f.json'), limits);
  return { value: out.value, failed: out.failed, findings: capFindings(out.findings, out.omitted) };
}

function same(text: string, limits = resolveLimits(undefined)): void {
  const a = actual(text, limits);
  const r = reference(text, limits);
  expect(a.failed).toBe(r.failed);
  expect(a.findings).toStrictEqual(r.findings);
  // Both values come from JSON.parse of the same text; stringify compares them key order included (toStrictEqual
  // trips on an own `constructor` key).
  expect(JSON.stringify(a.value)).toBe(JSON.stringify(r.value));
}

// Keys with everything a pointer or a key comparison can trip on: escapes (`\u0061` is `a`), `~` and `/`,
// `__proto__`, astral characters, quotes and backslashes.
const key = fc.oneof(
  fc.constantFrom('a', 'b', 'a/b', '~', '~1', '__proto__', 'constructor', '', ' ', 'é', '😀', '"', '\\', 'k:', ':', ',', '{', '['),
  fc.string({ maxLength: 6 }),
);
/** A key written as JSON text, sometimes with needless escapes (so that two spellings name the same key). */
const keyText = fc.tuple(key, fc.boolean()).map(([k, escape]) =>
  escape ? '"' + [...k].map((ch) => (ch.length === 1 ? '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0') : ch)).join('') + '"' : JSON.stringify(k),
);
const bigLiteral = fc.oneof(
  fc.constantFrom('9007199254740993', '-9007199254740993', '9007199254740992', '18014398509481985', '12345678901234567890', '1180591620717411303424', '1e400', '-1e400', '9007199254740993.0', '9.007199254740993e15', '1e300', '1.5e300', '1234567890123456', '0.1', '-0', '1E21', '0.12345678901234567890', '-5.12345678901234567e3', '123.1234567890123456789', '0.12345678901234567e400', '-1234567890123456789.5', '9007199254740993e0'),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: -5, max: 320 })).map(([m, f, e]) => {
    const s = m.toString();
    const cut = Math.max(1, s.length - f);
    return `${s.slice(0, cut)}${f > 0 && cut < s.length ? '.' + s.slice(cut) : ''}e${e}`;
  }),
);
const scalar = fc.oneof(
  bigLiteral,
  fc.constantFrom('true', 'false', 'null', '0', '"s"', '"\\"}]"', '"a\\\\"', '":"', '","', '"9007199254740993"', '"x 12345678901234567890 1e400"', '"\\"12345678901234567890\\\\"', '"1.5e400"'),
  fc.integer().map(String),
  fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
);
const ws = fc.constantFrom('', ' ', '\n', '\r\n', '\t', '  \n  ');
const jsonText: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.tuple(fc.array(tie('v'), { maxLength: 6 }), ws).map(([xs, w]) => `[${w}${xs.join(`,${w}`)}${w}]`),
    fc.tuple(fc.array(fc.tuple(keyText, tie('v')), { maxLength: 6 }), ws).map(([kvs, w]) => `{${w}${kvs.map(([k, v]) => `${k}${w}:${w}${v}`).join(`,${w}`)}${w}}`),
  ),
})).v;

describe('JSON load path = reference path', () => {
  it('property: random JSON texts with duplicates, big numbers, escapes, __proto__ and unicode', () => {
    fc.assert(
      fc.property(jsonText, (text) => same(text)),
      { numRuns: 1500 },
    );
  });

  it('property: past the per-rule cap (duplicates, inexact and non-finite numbers mixed, nested)', () => {
    const piece = fc.oneof(
      fc.constant('"k": 1'),
      fc.constant('"k": 9007199254740993'),
      fc.constant('"n": [1e400, 9007199254740995]'),
      fc.constant('"o": {"x": 1, "x": -9007199254740993}'),
      fc.constant('"z\\u007e/": 18014398509481985'),
      fc.integer({ min: 0, max: 3000 }).map((i) => `"d${i % 7}": ${i}`),
    );
    const block = fc.tuple(piece, fc.integer({ min: 1, max: 900 }));
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 5 }), fc.boolean(), (blocks, wrap) => {
        const members = blocks.flatMap(([p, n]) => Array<string>(n).fill(p));
        const obj = '{\n' + members.join(',\n') + '\n}';
        same(wrap ? `[${obj}, ${obj}]` : obj);
      }),
      { numRuns: 40 },
    );
  });

  it('the hostile shapes: 3,000 copies of one big integer, 3,000 duplicates of 10 keys', () => {
    same('[' + Array(3000).fill('9007199254740993').join(',') + ']');
    same('[' + Array.from({ length: 3000 }, (_, i) => (i % 2 ? '9007199254740993' : '9007199254740995')).join(',') + ']');
    same('{' + Array.from({ length: 3000 }, (_, i) => `"k${i % 10}": ${i}`).join(',') + '}');
    same('{"a": [' + Array(1500).fill('1e400').join(',') + '], "b": [' + Array(1200).fill('12345678901234567890').join(',') + ']}');
  });

  it('through parseConfig: the hostile shape past the cap', () => {
    const text = '{"a": [' + Array(2500).fill('9007199254740993').join(',') + ']}';
    const d = parseConfig(text, { file: 'f.json' });
    expect([...d.findings]).toStrictEqual(reference(text).findings);
    expect(d.findings.at(-1)!.detail).toEqual({ omitted: 1500, total: 2500 });
  });

  it('strings after a closed container are values, not keys (the valid-text scan tracks where keys are)', () => {
    for (const t of ['[{}, "x", {}, "x"]', '[[], "a", [], "a"]', '{"a": [{}, "k", {"k": 1}, "k"], "b": {"c": {}}, "d": ["b", "b"]}', '[{"a": 1}, "a", {"a": 2}, "a"]', '{"k": {}, "k": []}']) {
      same(t);
      expect(strictScanJson(t, { duplicates: true, numbers: true, valid: true })).toStrictEqual(strictScanJson(t, { duplicates: true, numbers: true }));
    }
  });

  it('limits are checked the same way', () => {
    for (const t of ['[[[1]]]', '{"a": [{"b": 1}]}', '[1,2,3,4,5]', '{"a": 1, "a": [1, 2]}']) {
      same(t, resolveLimits({ maxDepth: 2, maxNodes: 4 }));
    }
  });
});

describe('strict scan: capped and valid modes', () => {
  it('property: the same counts and the same first details as the full validating scan', () => {
    fc.assert(
      fc.property(jsonText, fc.integer({ min: 1, max: 4 }), (text, keep) => {
        const full = referenceStrictScan(text, { duplicates: true, numbers: true });
        const fast = strictScanJson(text, { duplicates: true, numbers: true, keep, valid: true });
        const finite = full.inexact.filter((x) => Number.isFinite(x.value));
        const infinite = full.inexact.filter((x) => !Number.isFinite(x.value));
        expect(fast.error).toBeUndefined();
        expect(fast.duplicateCount).toBe(full.duplicates.length);
        expect(fast.inexactCount).toBe(finite.length);
        expect(fast.nonFiniteCount).toBe(infinite.length);
        expect(fast.duplicates).toStrictEqual(full.duplicates.slice(0, keep));
        const firsts = [...finite.slice(0, keep), ...infinite.slice(0, keep)].sort((a, b) => a.offset - b.offset);
        expect(fast.inexact).toStrictEqual(firsts);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: numbers only (the counting tail after `keep` inexact numbers) and its fallback', () => {
    fc.assert(
      fc.property(jsonText, fc.integer({ min: 1, max: 3 }), fc.boolean(), (text, keep, tail) => {
        const full = referenceStrictScan(text, { duplicates: false, numbers: true });
        const fast = strictScanJson(text, { duplicates: false, numbers: true, keep, valid: true, noCountingTail: !tail });
        const finite = full.inexact.filter((x) => Number.isFinite(x.value));
        const infinite = full.inexact.filter((x) => !Number.isFinite(x.value));
        expect(fast.error).toBeUndefined();
        expect(fast.duplicateCount).toBe(0);
        expect([fast.inexactCount, fast.nonFiniteCount]).toEqual([finite.length, infinite.length]);
        const firsts = [...finite.slice(0, keep), ...infinite.slice(0, keep)].sort((a, b) => a.offset - b.offset);
        expect(fast.inexact).toStrictEqual(firsts);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: invalid texts give the same first error as before', () => {
    const mangled = fc.tuple(jsonText, fc.nat(), fc.constantFrom('', '"', ',', '}', ']', '\\', '\u0001', 'x', '-', '.', 'e', '\\u12')).map(([t, at, ins]) => {
      const k = t.length === 0 ? 0 : at % t.length;
      return t.slice(0, k) + ins + t.slice(k + (at % 2));
    });
    fc.assert(
      fc.property(mangled, (text) => {
        expect(strictScanJson(text, { duplicates: true, numbers: true }).error).toStrictEqual(referenceStrictScan(text, { duplicates: true, numbers: true }).error);
        same(text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('capFindings with findings counted but not built', () => {
  const f = (rule: RuleId, severity: Finding['severity'], i: number) => makeFinding(rule, severity, `m${i}`);
  it('property: equal to capping the full list', () => {
    const rule = fc.constantFrom<RuleId>('parse.duplicate-key', 'parse.precision-loss', 'parse.error');
    const sev = fc.constantFrom<Finding['severity']>('block', 'warn', 'info');
    fc.assert(
      fc.property(fc.array(fc.tuple(rule, sev, fc.integer({ min: 1, max: MAX_FINDINGS_PER_RULE + 3 }), fc.integer({ min: 0, max: 5 }))), (groups) => {
        // Per rule: n listed findings, then `extra` more of one severity that the producer only counted.
        const full: Finding[] = [];
        const listed: Finding[] = [];
        const omitted = new Map<RuleId, { count: number; severity: Finding['severity'] }>();
        const seen = new Set<RuleId>();
        for (const [r, s, n, extra] of groups) {
          if (seen.has(r)) continue;
          seen.add(r);
          for (let i = 0; i < n; i++) full.push(f(r, i % 3 === 0 ? s : 'warn', i));
          for (let i = 0; i < n; i++) listed.push(f(r, i % 3 === 0 ? s : 'warn', i));
          if (n >= MAX_FINDINGS_PER_RULE && extra > 0) {
            for (let i = 0; i < extra; i++) full.push(f(r, s, n + i));
            omitted.set(r, { count: extra, severity: s });
          }
        }
        // The reference caps the full list in document order; listed and full share the order of the rules' first findings.
        expect(capFindings(listed, omitted)).toStrictEqual(referenceCapFindings(full));
      }),
      { numRuns: 300 },
    );
  });
});
