import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TierSpec } from '../../src/policy/types.js';
import { scorePush, type ScoreInput, type ScoreResult } from '../../src/score/index.js';
import type { Change, Finding } from '../../src/types.js';
import { AT, STAGES, change, doc, finding, input, plan, policy, summary, targets } from './helpers.js';

const rule = (r: ScoreResult, id: string) => r.findings.filter((f) => f.rule === id);
const modified = (n: number): Change[] => Array.from({ length: n }, (_, i) => change('modified', `/k${i}`, { oldValue: 1, newValue: 2 }));

describe('rollout.no-canary', () => {
  it('no stages and no targets, low risk: info (verdict unaffected), with a fix in the message', () => {
    const [f, ...rest] = rule(scorePush(input({ policy: policy() })), 'rollout.no-canary');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'info', detail: { targets: null, stages: 0 } });
    expect(f?.message).toContain('rollout.stages');
    expect(f?.message).toContain('every target');
  });
  it('no stages and a sensitive path touched: block', () => {
    const p = policy({ sensitive: [{ path: '/a', weight: 5, reason: 'a' }] });
    expect(rule(scorePush(input({ policy: p })), 'rollout.no-canary')[0]?.severity).toBe('block');
  });
  it('no stages and a score at scoring.warn: block', () => {
    const ts = targets(10);
    // 7 paths (15) + all at once (20) + override (10) = 45 >= 40
    const r = scorePush(input({ policy: policy(), targets: ts, changes: summary(modified(7)), override: { reason: 'x', at: 'y' } }));
    expect(r.score).toBe(45);
    expect(rule(r, 'rollout.no-canary')[0]).toMatchObject({ severity: 'block', detail: { targets: 10, stages: 0 } });
  });
  it('staged plan with a small first wave: none', () => {
    const ts = targets(10);
    expect(rule(scorePush(input({ targets: ts, plan: plan([[ts[0]!], ts.slice(1)]) })), 'rollout.no-canary')).toEqual([]);
  });
  it('plan whose first wave holds every target: finding', () => {
    const ts = targets(10);
    const p = policy({ rollout: { ...policy().rollout, stages: [{ name: 'all', percent: 100 }] } });
    expect(rule(scorePush(input({ policy: p, targets: ts, plan: plan([ts]) })), 'rollout.no-canary')).toHaveLength(1);
  });
  it('a single stage at 100% without targets or plan: finding', () => {
    const p = policy({ rollout: { ...policy().rollout, stages: [{ name: 'all', percent: 100 }] } });
    expect(rule(scorePush(input({ policy: p })), 'rollout.no-canary')).toHaveLength(1);
  });
  it('stages configured and targets unknown: none', () => {
    expect(rule(scorePush(input()), 'rollout.no-canary')).toEqual([]);
  });
  it('a single known target cannot be staged: none', () => {
    expect(rule(scorePush(input({ policy: policy(), targets: targets(1) })), 'rollout.no-canary')).toEqual([]);
  });
  it('identical configs: none', () => {
    expect(rule(scorePush(input({ policy: policy(), changes: summary([]) })), 'rollout.no-canary')).toEqual([]);
  });
  it('a selected tier with staged stages replaces a no-stage default', () => {
    const tiers: TierSpec[] = [{ name: 'low', min: 0, stages: STAGES }];
    const r = scorePush(input({ policy: policy({ scoring: { warn: 40, block: 70, tiers } }), targets: targets(10) }));
    expect(r.tier?.name).toBe('low');
    expect(rule(r, 'rollout.no-canary')).toEqual([]);
  });
});

describe('score.threshold', () => {
  const p = (warn: number, block: number) => policy({ rollout: { ...policy().rollout, stages: STAGES }, scoring: { warn, block, tiers: [] } });
  it('below scoring.warn: none', () => {
    expect(rule(scorePush(input({ policy: p(40, 70) })), 'score.threshold')).toEqual([]);
  });
  it('at scoring.warn: warn, naming the top factors', () => {
    const r = scorePush(input({ policy: p(5, 70) }));
    expect(r.score).toBe(5);
    const [f] = rule(r, 'score.threshold');
    expect(f).toMatchObject({ severity: 'warn', detail: { score: 5, threshold: 5, factors: ['change.size'] } });
    expect(f?.message).toContain('change.size 5');
  });
  it('at scoring.block: block, top three factors by points', () => {
    const r = scorePush(
      input({
        policy: p(10, 30),
        changes: summary(modified(7)),
        override: { reason: 'x', at: 'y' },
        findings: [finding('limit.growth', { ratio: 2 }), finding('window.maintenance')],
      }),
    );
    expect(r.score).toBe(15 + 20 + 5 + 10);
    const [f, ...rest] = rule(r, 'score.threshold');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'block', detail: { score: 50, threshold: 30, factors: ['growth', 'change.size', 'override'] } });
  });
  it('the score is clamped to 100', () => {
    const pol = policy({ sensitive: [{ path: '/**', weight: 500, reason: 'all' }] });
    expect(scorePush(input({ policy: pol })).score).toBe(100);
  });
});

describe('tiers', () => {
  const tiers: TierSpec[] = [
    { name: 'high', min: 40, stages: [...STAGES, { name: 'extra', percent: 50 }], approval: true },
    { name: 'low', min: 0, stages: STAGES },
  ];
  const p = policy({ rollout: { ...policy().rollout, stages: STAGES }, scoring: { warn: 40, block: 70, tiers } });
  it('selects the tier whose range holds the score (tiers sorted by min)', () => {
    expect(scorePush(input({ policy: p })).tier).toEqual({ name: 'low', stages: STAGES, approval: false });
    const high = scorePush(input({ policy: p, changes: summary(modified(7)), findings: [finding('limit.growth', { ratio: 2 })], override: { reason: 'x', at: 'y' } }));
    expect(high.score).toBe(45);
    expect(high.tier).toMatchObject({ name: 'high', approval: true });
    expect(high.tier?.stages).toHaveLength(4);
  });
  it('no tiers, or a score below every tier: undefined', () => {
    expect(scorePush(input()).tier).toBeUndefined();
    const only = policy({ scoring: { warn: 40, block: 70, tiers: [{ name: 'high', min: 50, stages: STAGES }] } });
    expect(scorePush(input({ policy: only })).tier).toBeUndefined();
  });
  it('identical configs score 0 and select the lowest tier', () => {
    expect(scorePush(input({ policy: p, changes: summary([]) })).tier?.name).toBe('low');
  });
});

describe('determinism', () => {
  const rich = (): ScoreInput => {
    const ts = targets(10);
    return input({
      policy: policy({
        rollout: { ...policy().rollout, stages: STAGES, failureDomain: 'region' },
        sensitive: [{ path: '/dnssec/**', weight: 30, reason: 'DNSSEC' }],
        planes: { control: ['/api/**'], data: ['/edge/**'] },
        scoring: { warn: 20, block: 90, tiers: [{ name: 'low', min: 0, stages: STAGES }] },
      }),
      current: doc({ version: '1.0.0', api: { x: 1 }, edge: { y: 1 }, dnssec: { keys: ['a'] } }, 4096),
      proposed: doc({ version: '1.0.0', api: { x: 2 }, edge: { y: 2 }, dnssec: { keys: ['b'] } }, 5000),
      changes: summary([
        change('modified', '/api/x', { oldValue: 1, newValue: 2 }),
        change('modified', '/edge/y', { oldValue: 1, newValue: 2 }),
        change('modified', '/dnssec/keys/0', { oldValue: 'a', newValue: 'b' }),
        change('removed', '/edge/z', { oldValue: 3 }),
      ]),
      findings: [finding('window.maintenance', { targets: ['t1', 't2'] }), finding('limit.growth', { ratio: 1.3 }, '/edge'), finding('limit.growth', { ratio: 1.3 }, '/api')],
      targets: ts,
      plan: plan([[ts[0]!, ts[1]!], ts.slice(2)], 'region'),
    });
  };
  it('the same input twice gives the same result', () => {
    expect(scorePush(rich())).toEqual(scorePush(rich()));
  });
  it('changes, findings, targets and object keys in another order give the same result', () => {
    const a = rich();
    const reversed = <T>(xs: readonly T[]) => [...xs].reverse();
    const rekey = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(rekey) : v && typeof v === 'object' ? Object.fromEntries(reversed(Object.entries(v)).map(([k, x]) => [k, rekey(x)])) : v;
    const b: ScoreInput = {
      ...a,
      changes: { ...a.changes, changes: reversed(a.changes.changes) },
      findings: reversed(a.findings),
      targets: reversed(a.targets!),
      proposed: doc(rekey(a.proposed.value) as never, a.proposed.bytes),
      current: doc(rekey(a.current!.value) as never, a.current!.bytes),
    };
    const ra = scorePush(a);
    expect(ra.findings.map((f) => f.rule)).toEqual(['plane.coupled', 'version.not-increasing', 'score.threshold']);
    expect(JSON.stringify(scorePush(b))).toBe(JSON.stringify(ra));
  });
});

describe('properties', () => {
  const kind = fc.constantFrom<Change['kind']>('added', 'removed', 'modified', 'reordered');
  const seg = fc.constantFrom('a', 'b', 'api', 'edge', 'dnssec', 'keys', '0', '1');
  const pointer = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => '/' + s.join('/'));
  const changeArb = fc.record({ kind, pointer }).map(({ kind: k, pointer: p }) => change(k, p, { newValue: { keys: [1] } }));
  const findingArb: fc.Arbitrary<Finding> = fc.oneof(
    fc.double({ min: 0, max: 1e6, noNaN: true }).map((ratio) => finding('limit.growth', { ratio })),
    fc.double({ min: -5, max: 5, noNaN: true }).map((fraction) => finding('limit.shrink', { fraction })),
    fc.nat(50).map((count) => finding('window.maintenance', { count })),
  );
  it('the score is an integer within 0..100 and factor points are non-negative integers', () => {
    fc.assert(
      fc.property(
        fc.array(changeArb, { maxLength: 30 }),
        fc.array(findingArb, { maxLength: 5 }),
        fc.nat(1 << 24),
        fc.nat(1 << 24),
        fc.nat(20),
        fc.boolean(),
        fc.array(fc.nat(100), { maxLength: 3 }),
        (changes, findings, curBytes, propBytes, nTargets, staged, weights) => {
          const ts = targets(nTargets);
          const r = scorePush({
            policy: policy({
              sensitive: weights.map((w, i) => ({ path: i === 0 ? '/dnssec/**' : '/a/*', weight: w, reason: `r${i}` })),
              planes: { control: ['/api/**'], data: ['/edge/**'] },
              rollout: { ...policy().rollout, stages: staged ? STAGES : [] },
            }),
            changes: summary(changes),
            findings,
            proposed: doc({ a: 1 }, propBytes),
            current: doc({ a: 2 }, curBytes),
            ...(nTargets > 0 ? { targets: ts, plan: plan(staged ? [ts.slice(0, 1), ts.slice(1)] : [ts]) } : {}),
            at: AT,
          });
          expect(Number.isInteger(r.score)).toBe(true);
          expect(r.score).toBeGreaterThanOrEqual(0);
          expect(r.score).toBeLessThanOrEqual(100);
          for (const f of r.factors) {
            expect(Number.isInteger(f.points)).toBe(true);
            expect(f.points).toBeGreaterThanOrEqual(0);
          }
          expect(r.score).toBe(Math.min(100, r.factors.reduce((s, f) => s + f.points, 0)));
          if (changes.length === 0) expect(r.score).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
