/** The worked example of the README's "Risk score" section: if this test changes, update the README. */
import { describe, expect, it } from 'vitest';
import { scorePush } from '../../src/score/index.js';
import { AT, STAGES, change, finding, plan, policy, sized, summary, targets } from './helpers.js';

describe('README worked example', () => {
  it('a duplicated feature list plus an API change, 100 targets, 3-stage rollout', () => {
    const ts = targets(100); // 5 regions, 20 targets each
    const features = Array.from({ length: 60 }, (_, i) => change('added', `/features/${60 + i}`, { path: `/features/[name=f${i}#2]`, newValue: { name: `f${i}` } }));
    const r = scorePush({
      policy: policy({
        sensitive: [{ path: '/dnssec/**', weight: 30, reason: 'DNSSEC keys' }],
        planes: { control: ['/api/**'], data: ['/features/**'] },
        scoring: {
          warn: 40,
          block: 70,
          tiers: [
            { name: 'low', min: 0, stages: STAGES },
            { name: 'high', min: 40, stages: [...STAGES.slice(0, 2), { name: 'quarter', percent: 25, bake: '1h' }, { name: 'half', percent: 50, bake: '1h' }, { name: 'global', percent: 100 }], approval: true },
          ],
        },
        rollout: { ...policy().rollout, stages: STAGES, failureDomain: 'region' },
      }),
      changes: summary([...features, change('modified', '/api/timeout', { oldValue: '5s', newValue: '10s' })]),
      findings: [
        { rule: 'limit.growth', severity: 'block', message: '', path: '/features', detail: { ratio: 2, from: 60, to: 120 } },
        finding('window.maintenance', { targets: ['t7'] }),
      ],
      current: sized(12 * 1024),
      proposed: sized(24 * 1024),
      targets: ts,
      plan: plan([[ts[0]!], ts.slice(1, 10), ts.slice(10)], 'region'),
      at: AT,
    });
    expect(r.factors).toEqual([
      { id: 'change.size', points: 18, detail: '61 changed paths (15), +12.0 KiB (3)' },
      { id: 'growth', points: 20, detail: 'grew ×2.00 (/features: 60 -> 120)' },
      { id: 'blast-radius', points: 2, detail: 'first stage reaches 1 of 100 targets and 1 of 5 region domains' },
      { id: 'plane.coupled', points: 15, detail: 'control /api/timeout and data /features/60 changed together' },
      { id: 'maintenance', points: 5, detail: '1 target under maintenance' },
    ]);
    expect(r.score).toBe(60);
    expect(r.findings.map((f) => [f.rule, f.severity])).toEqual([
      ['plane.coupled', 'warn'],
      ['score.threshold', 'warn'],
    ]);
    expect(r.tier).toMatchObject({ name: 'high', approval: true });
    expect(r.tier?.stages).toHaveLength(5);
  });
});
