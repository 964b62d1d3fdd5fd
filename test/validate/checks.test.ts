import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '../../src/policy/index.js';
import type { ConfigDoc, JsonValue, Target } from '../../src/types.js';
import { compileValidator } from '../../src/validate/index.js';
import { parseDateTime } from '../../src/validate/checks.js';
import { AT, doc, jsonDoc, only, rules, run } from './helpers.js';

describe('check.regex', () => {
  const policy = { checks: [{ path: '/rules/*/expression', regex: true }] };
  const rulesDoc = (...expressions: string[]) => jsonDoc({ rules: expressions.map((expression, i) => ({ id: `r${i}`, expression })) });

  it('flags the 2019 WAF regex and (a+)+$, accepts a safe one, rejects one that does not compile', () => {
    const fs = run(policy, { proposed: rulesDoc('.*(?:.*=.*)', '(a+)+$', '^[a-z0-9_-]{1,64}$', '(') });
    expect(fs.map((f) => `${f.rule}:${f.severity}:${f.path}`)).toEqual([
      'check.regex:block:/rules/0/expression',
      'check.regex:block:/rules/1/expression',
      'check.regex:block:/rules/3/expression',
    ]);
    expect(fs[0]!.detail).toMatchObject({ status: 'vulnerable', complexity: 'polynomial' });
    expect(fs[0]!.message).toMatch(/can backtrack catastrophically/);
    expect(fs[1]!.detail).toMatchObject({ status: 'vulnerable', complexity: 'exponential' });
    expect(fs[2]!.detail).toMatchObject({ status: 'invalid' });
    expect(fs[2]!.message).toMatch(/is not a valid regular expression/);
  });

  it('is quiet for safe expressions and honours flags and severity', () => {
    expect(run(policy, { proposed: rulesDoc('^/api/v[0-9]+/users/[0-9]+$', '^[a-z0-9_-]{1,64}$') })).toEqual([]);
    // `\p{L}` only compiles with the u flag.
    expect(run({ checks: [{ path: '/rules/*/expression', regex: { flags: 'u' } }] }, { proposed: rulesDoc('^\\p{L}+$') })).toEqual([]);
    expect(rules(run({ checks: [{ path: '/rules/*/expression', regex: { flags: 'u' } }] }, { proposed: rulesDoc('^\\p{Nope}+$') }))).toEqual(['check.regex:block']);
    expect(rules(run({ checks: [{ path: '/rules/*/expression', regex: true, severity: 'warn' }] }, { proposed: rulesDoc('(a+)+$') }))).toEqual(['check.regex:warn']);
  });

  it('reuses analyses across evaluations of one compiled validator', () => {
    const v = compileValidator(resolvePolicy({ version: 1, ...policy }));
    const a = v.validate({ proposed: rulesDoc('(x+x+)+y'), at: AT });
    const b = v.validate({ proposed: rulesDoc('(x+x+)+y'), at: AT });
    expect(a).toEqual(b);
    expect(rules(a)).toEqual(['check.regex:block']);
  });
});

describe('check.expiry', () => {
  const policy = { checks: [{ path: '/dnssec/signatures/*/expires', expiresAfter: '7d' }] };
  const sigs = (...expires: unknown[]) => jsonDoc({ dnssec: { signatures: expires.map((e, i) => ({ key: `k${i}`, expires: e })) } } as JsonValue);

  it('blocks expired and too-soon material, accepts fresh material', () => {
    const fs = run(policy, { proposed: sigs('2025-11-16T12:00:00Z', '2025-11-22T12:00:00Z', '2026-01-01T00:00:00Z') });
    expect(fs.map((f) => `${f.rule}:${f.severity}:${f.path}`)).toEqual([
      'check.expiry:block:/dnssec/signatures/0/expires',
      'check.expiry:block:/dnssec/signatures/1/expires',
    ]);
    expect(fs[0]!.message).toBe('`/dnssec/signatures/0/expires` expired 2d ago (at 2025-11-16T12:00:00.000Z; evaluation time 2025-11-18T12:00:00.000Z)');
    expect(fs[1]!.message).toBe(
      '`/dnssec/signatures/1/expires` expires at 2025-11-22T12:00:00.000Z, 3d before the required 7d margin from the evaluation time 2025-11-18T12:00:00.000Z',
    );
    expect(run(policy, { proposed: sigs('2026-01-01T00:00:00+02:00') })).toEqual([]);
  });

  it('blocks values that are not RFC 3339 date-times (numbers included)', () => {
    const fs = run(policy, { proposed: sigs('next tuesday', 1763467200, '2025-13-01') });
    expect(rules(fs)).toEqual(['check.expiry:block', 'check.expiry:block', 'check.expiry:block']);
    expect(fs[1]!.message).toMatch(/must be an RFC 3339 date-time string/);
  });

  it('reads a date-time without offset as UTC, never local time', () => {
    expect(parseDateTime('2025-11-18T12:00:00')).toBe(Date.UTC(2025, 10, 18, 12));
    expect(parseDateTime('2025-11-18')).toBe(Date.UTC(2025, 10, 18));
    expect(parseDateTime('2025-11-18T12:00:00+01:00')).toBe(Date.UTC(2025, 10, 18, 11));
    expect(parseDateTime('18 Nov 2025')).toBeUndefined();
  });

  it('warns (rollback.lkg-invalid) when the LKG holds expired material', () => {
    const current = jsonDoc((sigs('2025-11-10T00:00:00Z').value)!, 'current.json');
    const fs = run(policy, { proposed: sigs('2026-01-01T00:00:00Z'), current });
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ rule: 'rollback.lkg-invalid', severity: 'warn', document: 'current', path: '/dnssec/signatures/0/expires' });
    expect(fs[0]!.message).toMatch(/current\.json\) holds 1 .*expired 8d12h ago/);
    expect(fs[0]!.detail).toMatchObject({ reason: 'expiry', count: 1 });
  });
});

describe('check.target-mismatch', () => {
  const policy = { checks: [{ path: '/environment', matchesTarget: 'env' }] };
  const t = (id: string, env?: string): Target => ({ id, labels: env === undefined ? { region: 'x' } : { env } });

  it('blocks credentials declared for another environment (R2 2025) and lists the targets', () => {
    const proposed = doc('environment: staging\ncredentials: { key: abc }\n');
    const targets = [t('p1', 'production'), t('p2', 'production'), t('s1', 'staging'), t('x1')];
    const fs = run(policy, { proposed, targets });
    expect(rules(fs)).toEqual(['check.target-mismatch:block']);
    expect(fs[0]!.message).toBe('`/environment` is `staging` but 3 of 4 targets have a different `env`: p1 (env=production), p2 (env=production), x1 (no env label)');
    expect(fs[0]!.location).toMatchObject({ file: 'proposed.yaml', line: 1 });
    expect(fs[0]!.detail).toMatchObject({ mismatched: 3, targets: 4, expected: 'staging' });
  });

  it('is quiet when every target matches, and says when it was skipped', () => {
    const proposed = doc('environment: production\n');
    expect(run(policy, { proposed, targets: [t('p1', 'production'), t('p2', 'production')] })).toEqual([]);
    const skipped = run(policy, { proposed });
    expect(rules(skipped)).toEqual(['check.target-mismatch:info']);
    expect(skipped[0]!.message).toMatch(/no targets were given/);
  });
});

describe('fail closed and deterministic', () => {
  it('turns an exception inside a check into an internal.error block finding', () => {
    const real = jsonDoc({ items: [{ id: 'a' }, { id: 'a' }] });
    const broken: ConfigDoc = {
      value: real.value,
      format: real.format,
      bytes: real.bytes,
      file: real.file,
      findings: real.findings,
      failed: false,
      locate() {
        throw new Error('source map corrupted');
      },
    };
    const fs = run({ keys: { '/items': 'id' } }, { proposed: broken });
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ rule: 'internal.error', severity: 'block', path: '' });
    expect(fs[0]!.message).toMatch(/the limit\.unique check failed .*fails closed: source map corrupted/);
  });

  it('sorts findings by document, path (numeric segments numerically) and rule', () => {
    const proposed = jsonDoc({
      rules: Array.from({ length: 12 }, (_, i) => ({ id: `r${i}`, expression: i === 2 || i === 10 ? '(a+)+$' : 'ok' })),
      expires: '2020-01-01T00:00:00Z',
    });
    const fs = run(
      { checks: [{ path: '/rules/*/expression', regex: true }, { path: '/expires', expiresAfter: 0 }] },
      { proposed, current: jsonDoc({ expires: 'bad' }, 'current.json') },
    );
    expect(fs.map((f) => `${f.document ?? 'proposed'}:${f.path}`)).toEqual([
      'proposed:/expires',
      'proposed:/rules/2/expression',
      'proposed:/rules/10/expression',
      'current:/expires',
    ]);
  });
});
