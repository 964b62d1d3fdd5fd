import { describe, expect, it } from 'vitest';
import { FACTOR_ORDER, WEIGHTS, scorePush, type ScoreResult } from '../../src/score/index.js';
import type { Change } from '../../src/types.js';
import { STAGES, change, doc, finding, input, plan, policy, sized, summary, targets } from './helpers.js';

const factor = (r: ScoreResult, id: string) => r.factors.find((f) => f.id === id);
const points = (r: ScoreResult, id: string) => factor(r, id)?.points ?? 0;
const modified = (n: number, prefix = '/k'): Change[] => Array.from({ length: n }, (_, i) => change('modified', `${prefix}${i}`, { oldValue: 1, newValue: 2 }));

describe('empty change set', () => {
  it('scores 0 with no factors and no findings, even without stages or targets', () => {
    const r = scorePush(input({ changes: summary([]), proposed: doc({ a: 1 }), policy: policy(), override: { reason: 'x', at: 'y' } }));
    expect(r).toEqual({ score: 0, factors: [], findings: [] });
  });
  it('a proposed config that failed to load scores 0', () => {
    const r = scorePush(input({ proposed: doc(undefined), policy: policy() }));
    expect(r.score).toBe(0);
    expect(r.findings).toEqual([]);
  });
});

describe('change.size', () => {
  it('is log-scaled on changed paths: 1 -> 5, 3 -> 10, 7+ -> 15', () => {
    expect(points(scorePush(input({ changes: summary(modified(1)) })), 'change.size')).toBe(5);
    expect(points(scorePush(input({ changes: summary(modified(3)) })), 'change.size')).toBe(10);
    expect(points(scorePush(input({ changes: summary(modified(7)) })), 'change.size')).toBe(15);
    expect(points(scorePush(input({ changes: summary(modified(500)) })), 'change.size')).toBe(15);
  });
  it('adds floor(log2(1 + KiB delta)) for the bytes delta, either direction, at most 5', () => {
    const base = input({ current: sized(1000) });
    expect(points(scorePush({ ...base, proposed: sized(1000 + 3 * 1024) }), 'change.size')).toBe(5 + 2);
    // shrinking by 3 KiB counts too (shrink factor aside)
    const r = scorePush({ ...base, current: sized(500 + 3 * 1024), proposed: sized(500) });
    expect(points(r, 'change.size')).toBe(5 + 2);
    expect(factor(r, 'change.size')?.detail).toContain('-3.0 KiB');
    expect(points(scorePush({ ...base, proposed: sized(10_000_000) }), 'change.size')).toBe(5 + 5);
  });
});

describe('change.removals', () => {
  it('removed paths add 4 x log2(1 + n) on top of size; additions do not', () => {
    const added = scorePush(input({ changes: summary([change('added', '/x', { newValue: 1 })]) }));
    const removed = scorePush(input({ changes: summary([change('removed', '/x', { oldValue: 1 })]) }));
    expect(factor(added, 'change.removals')).toBeUndefined();
    expect(points(removed, 'change.removals')).toBe(4);
    expect(removed.score).toBeGreaterThan(added.score);
    const many = scorePush(input({ changes: summary(Array.from({ length: 100 }, (_, i) => change('removed', `/x${i}`))) }));
    expect(points(many, 'change.removals')).toBe(WEIGHTS['change.removals'].max);
  });
});

describe('growth and shrink', () => {
  it('growth uses the largest limit.growth ratio', () => {
    const r = scorePush(input({ findings: [finding('limit.growth', { ratio: 1.5, from: 60, to: 90 }, '/a'), finding('limit.growth', { ratio: 2, from: 60, to: 120 }, '/features')] }));
    expect(points(r, 'growth')).toBe(20);
    expect(factor(r, 'growth')?.detail).toContain('/features: 60 -> 120');
    expect(points(scorePush(input({ findings: [finding('limit.growth', { from: 100, to: 150 })] })), 'growth')).toBe(10);
  });
  it('growth uses the canonical size ratio (compact JSON, not the file bytes) when the current document is at least 1 KiB', () => {
    expect(points(scorePush(input({ current: sized(2048), proposed: sized(3072) })), 'growth')).toBe(10);
    expect(factor(scorePush(input({ current: sized(100), proposed: sized(200) })), 'growth')).toBeUndefined();
    // the same value in a 3x larger file (indented JSON, YAML) is no growth
    expect(factor(scorePush(input({ current: doc({ pad: 'x'.repeat(2000) }, 2010), proposed: doc({ pad: 'x'.repeat(2000) }, 6030) })), 'growth')).toBeUndefined();
    expect(factor(scorePush(input()), 'growth')).toBeUndefined();
  });
  it('growth is capped', () => {
    expect(points(scorePush(input({ findings: [finding('limit.growth', { ratio: 50 })] })), 'growth')).toBe(WEIGHTS.growth.max);
  });
  it('shrink uses the largest fraction removed from limit.shrink findings or document bytes', () => {
    expect(points(scorePush(input({ findings: [finding('limit.shrink', { fraction: 0.25 })] })), 'shrink')).toBe(10);
    expect(points(scorePush(input({ findings: [finding('limit.shrink', { from: 200, to: 100 })] })), 'shrink')).toBe(20);
    expect(points(scorePush(input({ current: sized(4096), proposed: sized(3072) })), 'shrink')).toBe(10);
    expect(factor(scorePush(input({ current: doc({ pad: 'x'.repeat(4000) }, 12030), proposed: doc({ pad: 'x'.repeat(4000) }, 4010) })), 'shrink')).toBeUndefined();
    expect(factor(scorePush(input()), 'shrink')).toBeUndefined();
  });
});

describe('sensitive', () => {
  const pol = (over = {}) =>
    policy({
      rollout: { ...policy().rollout, stages: STAGES },
      sensitive: [
        { path: '/dnssec/**', weight: 30, reason: 'DNSSEC keys' },
        { path: '/tls/*/key', weight: 20, reason: 'TLS keys' },
        { path: '/features/*/action', weight: 7, reason: '' },
      ],
      ...over,
    });
  it('adds the weight of each pattern once, however many changes match it, and lists reasons', () => {
    const r = scorePush(input({ policy: pol(), changes: summary([change('modified', '/dnssec/keys/0'), change('added', '/dnssec/keys/1')]) }));
    expect(points(r, 'sensitive')).toBe(30);
    expect(factor(r, 'sensitive')?.detail).toBe('DNSSEC keys (/dnssec/**, 30)');
  });
  it('sums several patterns and falls back to the path when there is no reason', () => {
    const r = scorePush(
      input({
        policy: pol(),
        changes: summary([change('modified', '/tls/main/key'), change('modified', '/features/3/action', { path: '/features/[name=bot]/action' })]),
      }),
    );
    expect(points(r, 'sensitive')).toBe(27);
    expect(factor(r, 'sensitive')?.detail).toBe('TLS keys (/tls/*/key, 20); /features/*/action (/features/*/action, 7)');
  });
  it('a change adding or removing a whole subtree touches patterns inside it', () => {
    const r = scorePush(input({ policy: pol(), changes: summary([change('added', '/tls', { newValue: { main: { key: 'k', cert: 'c' } } })]) }));
    expect(points(r, 'sensitive')).toBe(20);
    const none = scorePush(input({ policy: pol(), changes: summary([change('added', '/tls', { newValue: { main: { cert: 'c' } } })]) }));
    expect(factor(none, 'sensitive')).toBeUndefined();
  });
  it('matches the keyed path too', () => {
    const p = pol({ sensitive: [{ path: '/rules/[id=block-all]/**', weight: 15, reason: 'kill rule' }] });
    const r = scorePush(input({ policy: p, changes: summary([change('modified', '/rules/4/action', { path: '/rules/[id=block-all]/action' })]) }));
    expect(points(r, 'sensitive')).toBe(15);
  });
  it('is absent when no change touches a sensitive path', () => {
    expect(factor(scorePush(input({ policy: pol() })), 'sensitive')).toBeUndefined();
  });
});

describe('blast-radius', () => {
  it('is listed with 0 points and "targets unknown" when no targets are given', () => {
    expect(factor(scorePush(input()), 'blast-radius')).toEqual({ id: 'blast-radius', points: 0, detail: 'targets unknown' });
  });
  it('weighs the first wave share of targets and of failure domains', () => {
    const ts = targets(10);
    const p = policy({ rollout: { ...policy().rollout, stages: STAGES, failureDomain: 'region' } });
    const r = scorePush(input({ policy: p, targets: ts, plan: plan([[ts[0]!], ts.slice(1, 5), ts.slice(5)], 'region') }));
    // 1/10 of targets (1 point) + 1/5 of regions (2 points)
    expect(factor(r, 'blast-radius')).toEqual({ id: 'blast-radius', points: 3, detail: 'first stage reaches 1 of 10 targets and 1 of 5 region domains' });
  });
  it('without a failure domain the target share counts twice', () => {
    const ts = targets(10);
    const r = scorePush(input({ targets: ts, plan: plan([ts.slice(0, 5), ts.slice(5)]) }));
    expect(points(r, 'blast-radius')).toBe(10);
  });
  it('no stages and known targets: everything at once, 20 points', () => {
    const ts = targets(4);
    expect(points(scorePush(input({ policy: policy(), targets: ts })), 'blast-radius')).toBe(20);
  });
  it('stages but no plan: not measured', () => {
    expect(factor(scorePush(input({ targets: targets(4) })), 'blast-radius')).toEqual({ id: 'blast-radius', points: 0, detail: 'no rollout plan given' });
  });
});

describe('plane.coupled', () => {
  const p = policy({ rollout: { ...policy().rollout, stages: STAGES }, planes: { control: ['/api/**'], data: ['/edge/**', '/features/**'] } });
  it('adds 15 points and a warn finding naming one path of each plane', () => {
    const r = scorePush(input({ policy: p, changes: summary([change('modified', '/features/2/x'), change('modified', '/api/z'), change('modified', '/edge/a'), change('modified', '/api/b')]) }));
    expect(points(r, 'plane.coupled')).toBe(15);
    const f = r.findings.find((x) => x.rule === 'plane.coupled');
    expect(f).toMatchObject({ severity: 'warn', path: '/api/b', detail: { control: '/api/b', data: '/edge/a' } });
    expect(f?.message).toContain('/api/b');
    expect(f?.message).toContain('/edge/a');
  });
  it('is absent when only one plane changes', () => {
    const r = scorePush(input({ policy: p, changes: summary([change('modified', '/edge/a'), change('modified', '/features/1')]) }));
    expect(factor(r, 'plane.coupled')).toBeUndefined();
    expect(r.findings.some((x) => x.rule === 'plane.coupled')).toBe(false);
  });
});

describe('version', () => {
  const v = (from: unknown, to: unknown, extra: Change[] = [change('modified', '/a')]) =>
    scorePush(input({ current: doc({ version: from as string, a: 1 }), proposed: doc({ version: to as string, a: 2 }), changes: summary(extra) }));
  const vf = (r: ScoreResult) => r.findings.find((f) => f.rule === 'version.not-increasing');
  it('equal version with changed content: warn finding and 10 points', () => {
    const r = v('1.2.3', '1.2.3');
    expect(points(r, 'version')).toBe(10);
    expect(vf(r)).toMatchObject({ severity: 'warn', path: '/version', detail: { from: '1.2.3', to: '1.2.3' } });
  });
  it('lower version: block finding and 20 points', () => {
    const r = v('1.10.0', '1.9.0', [change('modified', '/a'), change('modified', '/version')]);
    expect(points(r, 'version')).toBe(20);
    expect(vf(r)?.severity).toBe('block');
    expect(vf(v('1.0.0', '1.0.0-rc.1', [change('modified', '/a'), change('modified', '/version')]))?.severity).toBe('block');
  });
  it('higher version, non-semver values, or only the version changed: nothing', () => {
    for (const r of [v('1.2.3', '1.2.4'), v('1', '1'), v(3, 3), v('abc', 'abc'), v('1.0.0', '1.0.0', [change('modified', '/version')])]) {
      expect(factor(r, 'version')).toBeUndefined();
      expect(vf(r)).toBeUndefined();
    }
  });
  it('reads the configured versionPath', () => {
    const p = policy({ versionPath: '/meta/rev', rollout: { ...policy().rollout, stages: STAGES } });
    const r = scorePush(input({ policy: p, current: doc({ meta: { rev: '2.0.0' } }), proposed: doc({ meta: { rev: '2.0.0' }, a: 1 }) }));
    expect(vf(r)).toMatchObject({ path: '/meta/rev', severity: 'warn' });
  });
  it('no current document: nothing', () => {
    expect(vf(scorePush(input({ current: undefined, proposed: doc({ version: '1.0.0' }) })))).toBeUndefined();
  });
});

describe('maintenance and override', () => {
  it('counts distinct targets from window.maintenance detail.targets, 5 each', () => {
    const r = scorePush(input({ findings: [finding('window.maintenance', { targets: ['a', 'b'] }), finding('window.maintenance', { targets: ['b'] })] }));
    expect(points(r, 'maintenance')).toBe(10);
    expect(factor(r, 'maintenance')?.detail).toBe('2 targets under maintenance');
  });
  it('counts findings without a target list, capped at 15', () => {
    expect(points(scorePush(input({ findings: [finding('window.maintenance')] })), 'maintenance')).toBe(5);
    expect(points(scorePush(input({ findings: Array.from({ length: 9 }, () => finding('window.maintenance')) })), 'maintenance')).toBe(15);
    expect(factor(scorePush(input()), 'maintenance')).toBeUndefined();
  });
  it('an override in use adds 10 points', () => {
    const r = scorePush(input({ override: { reason: 'INC-42 hotfix', at: '2025-11-18T12:00:00Z' } }));
    expect(factor(r, 'override')).toEqual({ id: 'override', points: 10, detail: 'override in use: INC-42 hotfix' });
    expect(factor(scorePush(input()), 'override')).toBeUndefined();
  });
});

describe('factors', () => {
  it('appear in the fixed documented order and sum to the score', () => {
    const p = policy({
      rollout: { ...policy().rollout, stages: STAGES },
      sensitive: [{ path: '/api/**', weight: 5, reason: 'api' }],
      planes: { control: ['/api/**'], data: ['/edge/**'] },
    });
    const r = scorePush(
      input({
        policy: p,
        changes: summary([change('removed', '/edge/x'), change('modified', '/api/y')]),
        override: { reason: 'r', at: 'a' },
        findings: [finding('window.maintenance'), finding('limit.growth', { ratio: 1.2 }), finding('limit.shrink', { fraction: 0.1 })],
      }),
    );
    const ids = r.factors.map((f) => f.id);
    expect(ids).toEqual(FACTOR_ORDER.filter((id) => ids.includes(id)));
    expect(ids).toEqual(['change.size', 'change.removals', 'growth', 'shrink', 'sensitive', 'blast-radius', 'plane.coupled', 'maintenance', 'override']);
    expect(r.score).toBe(r.factors.reduce((s, f) => s + f.points, 0));
  });
  it('WEIGHTS are frozen', () => {
    expect(Object.isFrozen(WEIGHTS)).toBe(true);
    expect(Object.isFrozen(WEIGHTS.growth)).toBe(true);
  });
  it('a first push (no current) counts the whole document as one added change', () => {
    const p = policy({ rollout: { ...policy().rollout, stages: STAGES }, sensitive: [{ path: '/dnssec/**', weight: 30, reason: 'DNSSEC' }] });
    const r = scorePush(input({ policy: p, current: undefined, changes: summary([]), proposed: doc({ dnssec: { keys: ['k'] } }) }));
    expect(points(r, 'change.size')).toBe(5);
    expect(points(r, 'sensitive')).toBe(30);
  });
});
