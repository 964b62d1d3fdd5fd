/**
 * ReDoS through the config's own JSON Schema: `pattern`, `patternProperties` and `propertyNames` patterns run in a
 * linear-time engine unless their form is linear in JavaScript's (src/validate/linear-regex.ts). The hostile
 * cases here took minutes in ajv's default engine (`^(a+)+$` on 40 characters ran past 120 s); they now complete
 * (no timing is asserted: a regression would hang until the test timeout). The engine's answers are compared with
 * JavaScript's own RegExp (the reference) on patterns and inputs where the latter finishes.
 */
import { describe, expect, it } from 'vitest';
import { createGate, loadPolicy, PolicyError, resolvePolicy } from '../../src/index.js';
import { isNativeLinear, linearRegExp } from '../../src/validate/linear-regex.js';

const AT = '2025-06-01T12:00:00Z';
const EVIL = ['^(a+)+$', '^(a|a)*$', '^(a|aa)+$', '^(\\w+\\s?)*$', '^([a-z]+)*[0-9]$', '(x+x+)+y', '^(.*a){12}$'];
const attack = (n: number): string => 'a'.repeat(n) + '!';

describe('schema patterns cannot backtrack catastrophically', () => {
  it.each(EVIL.map((p) => [p]))('pattern %s on hostile values of 40 to 100,000 characters', (pattern) => {
    const gate = createGate(resolvePolicy({ version: 1, schema: { type: 'object', properties: { v: { type: 'string', pattern } } } }));
    for (const n of [40, 1000, 100_000]) {
      const r = gate.evaluate({ proposed: { v: attack(n) }, at: AT });
      const f = r.findings.filter((x) => x.rule === 'schema');
      expect(f.map((x) => x.path)).toEqual(['/v']);
      expect(f[0]!.detail?.['keyword']).toBe('pattern');
    }
  });

  it('patternProperties and propertyNames patterns too', () => {
    const gate = createGate(
      resolvePolicy({
        version: 1,
        schema: {
          type: 'object',
          properties: {
            pp: { type: 'object', patternProperties: { '^(a+)+$': { type: 'number' } } },
            pn: { type: 'object', propertyNames: { pattern: '^(a|a)*$' } },
          },
        },
      }),
    );
    const key = attack(60).slice(0, -1); // matches ^(a+)+$: its value must be a number
    const r = gate.evaluate({ proposed: { pp: { [key]: 'not a number', [attack(60)]: 1 }, pn: { [attack(60)]: 1 } }, at: AT });
    const schema = r.findings.filter((x) => x.rule === 'schema').map((x) => `${x.path} ${String(x.detail?.['keyword'])}`);
    expect(schema).toContain(`/pp/${key} type`);
    expect(schema.some((s) => s.startsWith('/pn') && /propertyNames|pattern/.test(s))).toBe(true);
  });

  it('a pattern that needs lookaround or backreferences and is not of the linear native form is a policy error', () => {
    for (const pattern of ['^(?=.*[A-Z])(?=.*\\d).{8,}$', '^(a+)\\1$', '(?<!x)a+b+']) {
      let err: unknown;
      try {
        loadPolicy({ text: JSON.stringify({ version: 1, schema: { type: 'object', properties: { v: { type: 'string', pattern } } } }) });
      } catch (e) {
        err = e;
      }
      expect(err, pattern).toBeInstanceOf(PolicyError);
      expect(String((err as Error).message)).toMatch(/lookaround or a backreference/);
    }
  });
});

describe('the engine agrees with JavaScript RegExp (reference)', () => {
  const PATTERNS = [
    '^[a-z][a-z0-9_]*$',
    '^\\d+\\.\\d+\\.\\d+$',
    '^(foo|bar)-[0-9]{2,4}$',
    '^[A-Z]{2}$',
    'abc',
    '^\\s*$',
    '^\\S+@\\S+$',
    '^.{3}$',
    '^https?://[^/\\s]+(/.*)?$',
    '^(?:[a-z0-9-]+\\.)+[a-z]{2,}$',
    '^\\u00e9t\\u00e9$',
    '^[\\s\\S]*x$',
    '^\\p{Lu}\\p{Ll}+$',
    '^(?<year>\\d{4})-(?<month>\\d{2})$',
    '[^]',
    '^a.c$',
    '\\bword\\b',
  ];
  const INPUTS = ['', 'abc', 'a_1', 'Abc', '1.2.3', '1.2', 'foo-12', 'bar-12345', 'US', 'usa', '   ', '\u00a0\u2003', 'a@b', 'a @b', 'abc', 'a\nc', 'a\rc', 'a\u2028c', 'https://x.io/p', 'http://x', 'sub.example.com', 'été', 'ete', 'xx\ny x', 'Émile', 'émile', '2025-06', 'a word here', 'awordb', 'x'];
  it.each(PATTERNS.map((p) => [p, isNativeLinear(p) ? 'native' : 're2'] as const))('%s (%s)', (pattern) => {
    const ours = linearRegExp(pattern, 'u');
    const ref = new RegExp(pattern, 'u');
    for (const s of INPUTS) expect(ours.test(s), `${pattern} on ${JSON.stringify(s)}`).toBe(ref.test(s));
  });

  it('through ajv: many patterns in one schema, each with its own engine (valid values pass, invalid ones fail)', () => {
    const props: Record<string, { type: string; pattern: string }> = {};
    PATTERNS.forEach((p, i) => (props[`p${i}`] = { type: 'string', pattern: p }));
    const gate = createGate(resolvePolicy({ version: 1, schema: { type: 'object', properties: props } }));
    for (const s of INPUTS) {
      const proposed: Record<string, string> = {};
      PATTERNS.forEach((_, i) => (proposed[`p${i}`] = s));
      const failing = gate
        .evaluate({ proposed, at: AT })
        .findings.filter((f) => f.rule === 'schema')
        .map((f) => f.path);
      const expected = PATTERNS.flatMap((p, i) => (new RegExp(p, 'u').test(s) ? [] : [`/p${i}`]));
      expect(failing.sort(), JSON.stringify(s)).toEqual(expected.sort());
    }
  });

  it('routes by form: linear forms run natively, the rest in RE2JS', () => {
    for (const p of ['^[a-z][a-z0-9_]*$', '^[A-Z]{2}$', '^\\d{3}-\\d+$']) expect(isNativeLinear(p), p).toBe(true);
    for (const p of ['^\\d+\\.\\d+\\.\\d+$', '^(foo|bar)$', 'abc', '^(a+)+$', '^(ab)?c+$', '^[a-z]{1,5000}$', '^(?=a)a$']) expect(isNativeLinear(p), p).toBe(false);
  });
});
