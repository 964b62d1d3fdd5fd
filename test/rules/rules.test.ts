import { describe, expect, it } from 'vitest';
import { compileRules } from '../../src/rules/compile.js';
import { createGate, formatReport, loadPolicy, PolicyError, REPORT_FORMATS_FOR_TESTS } from './helpers.js';

const POLICY = `version: 1
keys:
  /listeners: name
rules:
  - id: route-pool-exists
    path: /routes/*
    expr: self.pool in root.pools.map(p, p.name)
    message: route {{self.name}} points at pool {{self.pool}}, which does not exist
    description: Every route must name an existing pool.
  - id: listener-port-stable
    path: /listeners/*
    expr: oldSelf == null || self.port == oldSelf.port
    message: listener {{self.name}} changed its port from {{oldSelf.port}} to {{self.port}}
  - id: weights-sum
    expr: root.pools.map(p, p.weight).exists(w, w < 0) == false && root.pools.size() > 0
    severity: warn
`;

const CURRENT = `pools:
  - { name: a, weight: 60 }
  - { name: b, weight: 40 }
routes:
  - { name: r1, pool: a }
listeners:
  - { name: http, port: 80 }
  - { name: https, port: 443 }
`;

const AT = '2025-06-01T00:00:00Z';

function gate() {
  return createGate(loadPolicy({ text: POLICY, file: 'confgate.yaml' }));
}

describe('CEL rules in the policy', () => {
  it('passes a config that keeps every invariant', () => {
    const r = gate().evaluate({ proposed: { text: CURRENT, file: 'next.yaml' }, current: { text: CURRENT, file: 'live.yaml' }, at: AT });
    expect(r.findings.filter((f) => f.rule.startsWith('rule.'))).toEqual([]);
    expect(r.verdict).toBe('allow');
  });

  it('reports rule.<id> at the matched value, with file, line, column and the rendered message', () => {
    const next = CURRENT.replace('- { name: r1, pool: a }', '- { name: r1, pool: a }\n  - { name: r2, pool: gone }');
    const r = gate().evaluate({ proposed: { text: next, file: 'next.yaml' }, current: { text: CURRENT, file: 'live.yaml' }, at: AT });
    const f = r.findings.find((x) => x.rule === 'rule.route-pool-exists');
    expect(f).toMatchObject({
      severity: 'block',
      path: '/routes/1',
      message: 'route r2 points at pool gone, which does not exist',
      location: { file: 'next.yaml', line: 6, column: 5 },
    });
    expect(r.verdict).toBe('block');
    expect(r.ruleInfo?.['rule.route-pool-exists']).toMatchObject({ title: 'Every route must name an existing pool.', severity: 'block' });
  });

  it('binds oldSelf by key in keyed lists (a reorder is not a port change) and null for new entries', () => {
    const reordered = CURRENT.replace('  - { name: http, port: 80 }\n  - { name: https, port: 443 }', '  - { name: https, port: 443 }\n  - { name: http, port: 80 }\n  - { name: admin, port: 9000 }');
    const ok = gate().evaluate({ proposed: reordered, current: CURRENT, at: AT });
    expect(ok.findings.filter((f) => f.rule === 'rule.listener-port-stable')).toEqual([]);

    const changed = CURRENT.replace('{ name: https, port: 443 }', '{ name: https, port: 8443 }');
    const bad = gate().evaluate({ proposed: changed, current: CURRENT, at: AT });
    const f = bad.findings.filter((x) => x.rule === 'rule.listener-port-stable');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ path: '/listeners/1', message: 'listener https changed its port from 443 to 8443' });
  });

  it('a rule of severity warn warns; the rules factor counts each failing rule once', () => {
    const next = CURRENT.replace('{ name: b, weight: 40 }', '{ name: b, weight: -1 }');
    const r = gate().evaluate({ proposed: next, current: CURRENT, at: AT });
    expect(r.findings.find((f) => f.rule === 'rule.weights-sum')).toMatchObject({ severity: 'warn', path: '' });
    expect(r.verdict).toBe('warn');
    expect(r.factors.find((x) => x.id === 'rules')).toMatchObject({ points: 10 });
  });

  it('an evaluation error is a finding of the rule severity that says why (fail closed)', () => {
    const next = CURRENT.replace('- { name: r1, pool: a }', '- { name: r1 }');
    const r = gate().evaluate({ proposed: next, current: CURRENT, at: AT });
    const f = r.findings.find((x) => x.rule === 'rule.route-pool-exists');
    expect(f?.severity).toBe('block');
    expect(f?.message).toMatch(/could not be evaluated at `\/routes\/0`: No such key: pool; the rule fails closed/);
    expect(f?.detail).toMatchObject({ error: 'No such key: pool' });
  });

  it('a result that is not a bool fails closed', () => {
    const g = createGate({ version: 1, rules: [{ id: 'not-bool', expr: 'root.pools.size()' }] });
    const r = g.evaluate({ proposed: { pools: [] }, at: AT });
    expect(r.findings.find((f) => f.rule === 'rule.not-bool')?.message).toMatch(/returned `0` at the document, not a bool/);
    expect(r.verdict).toBe('block');
  });

  it('binds targets and at', () => {
    const g = createGate({
      version: 1,
      rules: [
        { id: 'env-matches', path: '/env', expr: 'targets.all(t, t.labels.env == self)' },
        { id: 'cert-valid', path: '/certs/*', expr: 'timestamp(self.expires) - at > duration("168h")', message: 'certificate {{self.name}} expires {{self.expires}}' },
      ],
    });
    const targets = [{ id: 'a', labels: { env: 'prod' } }, { id: 'b', labels: { env: 'staging' } }];
    const r = g.evaluate({ proposed: { env: 'prod', certs: [{ name: 'c1', expires: '2025-06-03T00:00:00Z' }, { name: 'c2', expires: '2026-01-01T00:00:00Z' }] }, targets, at: AT });
    expect(r.findings.filter((f) => f.rule.startsWith('rule.')).map((f) => [f.rule, f.path, f.message])).toEqual([
      ['rule.cert-valid', '/certs/0', 'certificate c1 expires 2025-06-03T00:00:00Z'],
      ['rule.env-matches', '/env', 'rule `env-matches` failed at `/env`: `targets.all(t, t.labels.env == self)` is false'],
    ]);
  });

  it('masks secrets in rendered messages', () => {
    const g = createGate({ version: 1, rules: [{ id: 'short-password', path: '/db', expr: 'size(self.password) >= 12', message: 'password {{self.password}} is too short' }] });
    const r = g.evaluate({ proposed: { db: { password: 'hunter2' } }, at: AT });
    const f = r.findings.find((x) => x.rule === 'rule.short-password');
    expect(f?.message).not.toContain('hunter2');
    expect(f?.message).toMatch(/^password «secret sha256:[0-9a-f]+» is too short$/);
  });

  it('a syntax or type error is a policy error naming the rule and its line', () => {
    const bad = POLICY.replace('expr: oldSelf == null || self.port == oldSelf.port', 'expr: oldSelf == null || self.port ==');
    let err: unknown;
    try {
      loadPolicy({ text: bad, file: 'confgate.yaml' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    const e = err as PolicyError;
    expect(e.code).toBe('E_POLICY_INVALID');
    expect(e.problems.join('\n')).toMatch(/^confgate\.yaml:12:11: \/rules\/1\/expr: rule `listener-port-stable`: `expr` `oldSelf == null \|\| self.port ==` does not compile \(at 1:32 of the expression\): Unexpected token: EOF$/);
    expect(() => loadPolicy({ text: POLICY.replace('self.pool in root', 'slef.pool in root'), file: 'p.yaml' })).toThrow(/rule `route-pool-exists`.*Unknown variable: slef/);
    expect(() => loadPolicy({ text: POLICY.replace('{{self.name}} points', '{{self.name points'), file: 'p.yaml' })).toThrow(/\/rules\/0\/message/);
    expect(() => createGate({ version: 1, rules: [{ id: 'a', expr: 'true' }, { id: 'a', expr: 'true' }] })).toThrow(/rule id `a` is used twice/);
    expect(() => createGate({ version: 1, rules: [{ id: 'Bad Id', expr: 'true' }] } as never)).toThrow(PolicyError);
  });

  it('shows rule findings in every output format, with SARIF rule metadata', () => {
    const next = CURRENT.replace('- { name: r1, pool: a }', '- { name: r1, pool: nope }');
    const r = gate().evaluate({ proposed: { text: next, file: 'next.yaml' }, current: CURRENT, at: AT });
    for (const format of REPORT_FORMATS_FOR_TESTS) expect(formatReport(r, format), format).toContain('rule.route-pool-exists');
    const sarif = JSON.parse(formatReport(r, 'sarif')) as { runs: { tool: { driver: { rules: { id: string; shortDescription: { text: string } }[] } } }[] };
    const rule = sarif.runs[0]!.tool.driver.rules.find((x) => x.id === 'rule.route-pool-exists');
    expect(rule?.shortDescription.text).toBe('Every route must name an existing pool.');
  });

  it('compiles each expression once per policy, however many gates and evaluations', () => {
    const policy = loadPolicy({ text: POLICY, file: 'confgate.yaml' });
    const a = createGate(policy);
    const b = createGate(policy);
    for (let i = 0; i < 3; i++) {
      a.evaluate({ proposed: CURRENT, at: AT });
      b.evaluate({ proposed: CURRENT, at: AT });
    }
    // The compiled programs are cached per policy (its rules array is the key): the same objects come back.
    const first = compileRules(policy.rules!).compiled;
    expect(compileRules(policy.rules!).compiled).toBe(first);
    expect(first.map((c) => c.rule.id)).toEqual(['route-pool-exists', 'listener-port-stable', 'weights-sum']);
    expect([...first[0]!.uses].sort()).toEqual(['p', 'root', 'self']);
  });
});

describe('README: the rules example', () => {
  it('loads as a policy and each rule catches what it describes', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Rules: invariants in CEL'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const g = createGate(loadPolicy({ text: `version: 1\n${yaml}`, file: 'confgate.yaml' }));
    const current = {
      environment: 'prod',
      pools: [{ name: 'a' }],
      routes: [{ name: 'r1', pool: 'a' }],
      listeners: [{ name: 'http', port: 80 }],
      features: [{ name: 'f1', type: 'bool' }],
      certs: [{ name: 'c1', expires: '2030-01-01T00:00:00Z' }],
    };
    const targets = [{ id: 't1', labels: { env: 'prod' } }];
    expect(g.evaluate({ proposed: current, current, targets, at: AT }).findings.filter((f) => f.rule.startsWith('rule.'))).toEqual([]);
    const proposed = {
      environment: 'staging',
      pools: [{ name: 'a' }],
      routes: [{ name: 'r1', pool: 'b' }],
      listeners: [{ name: 'http', port: 8080 }],
      features: [{ name: 'f1', type: 'string' }],
      certs: [{ name: 'c1', expires: '2025-06-02T00:00:00Z' }],
    };
    const ids = g.evaluate({ proposed, current, targets, at: AT }).findings.filter((f) => f.rule.startsWith('rule.')).map((f) => f.rule).sort();
    expect(ids).toEqual(['rule.cert-not-expiring', 'rule.env-matches-targets', 'rule.feature-type-frozen', 'rule.listener-port-stable', 'rule.route-pool-exists']);
  });
});
