/**
 * With risk tiers, the score describes the plan that ships: the tier is chosen without blast-radius, the push is
 * planned with the tier's stages, and blast-radius and rollout.no-canary are measured on that plan.
 */
import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/index.js';

const targets = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, labels: { region: `r${i}` } }));
const current = { routes: { weight: 1 }, waf: { level: 1 } };
const proposed = { routes: { weight: 2 }, waf: { level: 2 } };

describe('tiers and blast radius', () => {
  it('measures blast radius on the tier plan when the policy has no stages of its own', () => {
    const gate = createGate({
      version: 1,
      sensitive: [{ path: '/waf/**', weight: 30, reason: 'WAF' }],
      scoring: { warn: 40, block: 70, tiers: [{ name: 'any', min: 0, stages: [{ name: 'canary', count: 1, bake: '10m' }, { name: 'all', percent: 100 }] }] },
      rollout: { failureDomain: 'region' },
    });
    const r = gate.evaluate({ proposed, current, targets, at: '2025-01-01T00:00:00Z' });
    expect(r.tier?.name).toBe('any');
    expect(r.plan?.waves[0]?.targets).toHaveLength(1);
    const blast = r.factors.find((f) => f.id === 'blast-radius');
    expect(blast?.detail).toMatch(/first stage reaches 1 of 4 targets/);
    expect(blast?.points).toBe(5); // round(10 * 1/4 + 10 * 1/4)
    expect(r.findings.map((f) => f.rule)).not.toContain('rollout.no-canary');
  });

  it('flags no-canary when the selected tier ships everything at once, even if the policy stages have a canary', () => {
    const gate = createGate({
      version: 1,
      sensitive: [{ path: '/waf/**', weight: 30, reason: 'WAF' }],
      scoring: { warn: 40, block: 70, tiers: [{ name: 'yolo', min: 0, stages: [{ name: 'all', percent: 100 }] }] },
      rollout: { stages: [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }], failureDomain: 'region' },
    });
    const r = gate.evaluate({ proposed, current, targets, at: '2025-01-01T00:00:00Z' });
    expect(r.plan?.waves[0]?.targets).toHaveLength(4);
    expect(r.factors.find((f) => f.id === 'blast-radius')?.detail).toMatch(/first stage reaches 4 of 4 targets/);
    const nc = r.findings.find((f) => f.rule === 'rollout.no-canary');
    expect(nc?.severity).toBe('block'); // sensitive path touched, everything at once
  });
});
