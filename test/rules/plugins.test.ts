import { describe, expect, it } from 'vitest';
import { createGate, formatReport, OptionsError } from './helpers.js';
import type { CheckPlugin } from '../../src/index.js';

// The README's example plugin, verbatim: pool weights must sum to 100.
const weightsSum: CheckPlugin = {
  name: 'weights-sum',
  rules: {
    'acme.weights-sum': { title: 'Pool weights sum to 100', help: 'Traffic weights of /pools must add up to 100.', severity: 'block' },
  },
  check({ proposed }) {
    const pools = (proposed.value as { pools?: { weight: number }[] }).pools ?? [];
    const sum = pools.reduce((s, p) => s + p.weight, 0);
    return sum === 100 ? [] : [{ rule: 'acme.weights-sum', message: `pool weights sum to ${sum}, not 100`, path: '/pools' }];
  },
};

const AT = '2025-06-01T00:00:00Z';

describe('check plugins', () => {
  it('runs the README example: a finding with its own rule id, located, with SARIF metadata', () => {
    const gate = createGate({ version: 1 }, { checks: [weightsSum] });
    expect(gate.evaluate({ proposed: { pools: [{ weight: 60 }, { weight: 40 }] }, at: AT }).verdict).toBe('allow');
    const text = 'pools:\n  - weight: 60\n  - weight: 50\n';
    const r = gate.evaluate({ proposed: { text, file: 'next.yaml' }, at: AT });
    expect(r.verdict).toBe('block');
    expect(r.findings.find((f) => f.rule === 'acme.weights-sum')).toMatchObject({
      severity: 'block',
      message: 'pool weights sum to 110, not 100',
      path: '/pools',
      location: { file: 'next.yaml', line: 2 },
    });
    expect(r.factors.find((f) => f.id === 'rules')?.points).toBe(10);
    const sarif = JSON.parse(formatReport(r, 'sarif')) as { runs: { tool: { driver: { rules: { id: string; help: { text: string } }[] } } }[] };
    expect(sarif.runs[0]!.tool.driver.rules.find((x) => x.id === 'acme.weights-sum')?.help.text).toBe('Traffic weights of /pools must add up to 100.');
  });

  it('gives the check the documents, the changes, the targets and the time', () => {
    const seen: unknown[] = [];
    const spy: CheckPlugin = {
      name: 'spy',
      rules: { 'acme.spy': { title: 'spy' } },
      check(input) {
        seen.push({ proposed: input.proposed.value, current: input.current?.value, changes: input.changes.map((c) => c.pointer), targets: input.targets.map((t) => t.id), at: input.at.toISOString() });
        return [];
      },
    };
    createGate({ version: 1 }, { checks: [spy] }).evaluate({ proposed: { a: 2 }, current: { a: 1 }, targets: [{ id: 't1', labels: {} }], at: AT });
    expect(seen).toEqual([{ proposed: { a: 2 }, current: { a: 1 }, changes: ['/a'], targets: ['t1'], at: '2025-06-01T00:00:00.000Z' }]);
  });

  it('a throw, a promise, an unregistered id or a malformed finding is internal.error: the gate fails closed', () => {
    const bad = (name: string, check: CheckPlugin['check']): CheckPlugin => ({ name, rules: { [`acme.${name}`]: { title: name } }, check });
    const checks = [
      bad('throws', () => {
        throw new Error('boom');
      }),
      bad('async', (() => Promise.resolve([])) as unknown as CheckPlugin['check']),
      bad('stranger', () => [{ rule: 'acme.other', message: 'x' }]),
      bad('malformed', () => [{ rule: 'acme.malformed' } as never]),
    ];
    const r = createGate({ version: 1 }, { checks }).evaluate({ proposed: { a: 1 }, at: AT });
    const internal = r.findings.filter((f) => f.rule === 'internal.error').map((f) => f.message);
    expect(internal).toHaveLength(4);
    expect(internal.join('\n')).toMatch(/check `throws` threw: boom/);
    expect(internal.join('\n')).toMatch(/check `async` returned a promise/);
    expect(internal.join('\n')).toMatch(/check `stranger` reported rule id `acme.other`, which it did not register/);
    expect(internal.join('\n')).toMatch(/check `malformed` returned a finding without/);
    expect(r.verdict).toBe('block');
  });

  it('a finding may set a lower severity than the registered one', () => {
    const p: CheckPlugin = { name: 'w', rules: { 'acme.w': { title: 'w' } }, check: () => [{ rule: 'acme.w', severity: 'warn', message: 'careful' }] };
    expect(createGate({ version: 1 }, { checks: [p] }).evaluate({ proposed: {}, at: AT }).verdict).toBe('warn');
  });

  it('rejects bad registrations when the gate is built', () => {
    const ok = weightsSum;
    expect(() => createGate({ version: 1 }, { checks: {} as never })).toThrow(OptionsError);
    expect(() => createGate({ version: 1 }, { checks: [{ ...ok, name: '' }] })).toThrow(/`checks\[0\]\.name`/);
    expect(() => createGate({ version: 1 }, { checks: [{ ...ok, rules: { 'limit.growth': { title: 'x' } } }] })).toThrow(/reserved/);
    expect(() => createGate({ version: 1 }, { checks: [{ ...ok, rules: { 'rule.x': { title: 'x' } } }] })).toThrow(/reserved/);
    expect(() => createGate({ version: 1 }, { checks: [{ ...ok, rules: { nodot: { title: 'x' } } }] })).toThrow(/namespaced/);
    expect(() => createGate({ version: 1 }, { checks: [ok, ok] })).toThrow(/registered twice/);
    expect(() => createGate({ version: 1 }, { checks: [{ ...ok, check: undefined as never }] })).toThrow(/must be a function/);
  });
});
