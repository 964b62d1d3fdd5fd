import { describe, expect, it } from 'vitest';
import { aggregate, hodgesLehmann, judge, mannWhitney } from '../../src/index.js';
import type { Observation } from '../../src/index.js';

const obs = (prefix: string, values: number[], domain?: string): Observation[] =>
  values.map((value, i) => (domain === undefined ? { targetId: `${prefix}${i}`, value } : { targetId: `${prefix}${i}`, domain, value }));

describe('Mann–Whitney', () => {
  it('uses the exact distribution for small samples without ties', () => {
    const r = mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5], { alternative: 'greater' });
    expect(r.method).toBe('exact');
    expect(r.u).toBe(25);
    expect(r.p).toBeCloseTo(1 / 252, 12); // one arrangement out of C(10,5)
  });

  it('falls back to the normal approximation with ties', () => {
    const r = mannWhitney([1, 2, 2, 3], [2, 3, 3, 4], { method: 'exact' });
    expect(r.ties).toBe(true);
    expect(r.method).toBe('asymptotic');
  });

  it('rejects non-finite values instead of ranking them', () => {
    expect(() => mannWhitney([1, Number.NaN], [2])).toThrow(RangeError);
  });
});

describe('Hodges–Lehmann', () => {
  it('is the median of pairwise differences', () => {
    expect(hodgesLehmann([1, 2, 3], [0], 0.9, true).shift).toBe(2);
    expect(hodgesLehmann([10, 11], [1, 2], 0.9, true).shift).toBe(9);
  });

  it('takes the interval at the exact critical count (m = n = 5, 90%: k = 5)', () => {
    // P(U <= 4) = 0.0476 <= 0.05 < P(U <= 5) = 0.0754 for m = n = 5, so the interval is [D(5), D(21)].
    const x = [11, 13, 17, 19, 23];
    const y = [2, 3, 5, 7, 8];
    const d = x.flatMap((a) => y.map((b) => a - b)).sort((a, b) => a - b);
    const r = hodgesLehmann(x, y, 0.9, true);
    expect(r.low).toBe(d[4]);
    expect(r.high).toBe(d[20]);
    expect(r.shift).toBe(d[12]);
  });

  it('gives an unbounded interval when the samples cannot reach the confidence', () => {
    const r = hodgesLehmann([5], [1, 2], 0.95, true);
    expect(r.low).toBe(-Infinity);
    expect(r.high).toBe(Infinity);
  });
});

describe('aggregate', () => {
  it('is the median of finite readings', () => {
    expect(aggregate([3, 1, 2])).toBe(2);
    expect(aggregate([4, 1, Number.NaN, 2, 3])).toBe(2.5);
    expect(aggregate([])).toBeNaN();
  });
});

describe('judge', () => {
  const spec = { direction: 'increase' as const, tolerance: { relative: 0.1 }, alpha: 0.05 };

  it('fails a canary that is clearly worse beyond tolerance', () => {
    const j = judge('latency', spec, obs('c', [150, 160, 155, 158, 162, 149]), obs('b', [100, 102, 98, 101, 99, 103, 97, 100.4]));
    expect(j.outcome).toBe('fail');
    expect(j.reason).toMatch(/latency.*degraded/);
    expect(j.domains[0]!.method).toBe('exact');
  });

  it('passes a canary within tolerance of its baseline', () => {
    const j = judge('latency', spec, obs('c', [101, 99, 100, 102, 98, 100.5]), obs('b', [100, 102, 98, 101, 99, 103, 97, 100]));
    expect(j.outcome).toBe('pass');
  });

  it('holds (marginal) when a real shift is significant but smaller than tolerance only at its point estimate', () => {
    // shift of about 8% with a wide interval: significant, point estimate within 10%, interval past it
    const j = judge('latency', spec, obs('c', [104, 109, 112, 103, 111, 106]), obs('b', [100, 101, 99, 100.5, 99.5, 100.2, 98.8, 101.2]));
    expect(j.outcome).toBe('marginal');
    expect(j.domains[0]!.p!).toBeLessThan(0.05);
  });

  it('is marginal, never pass, when the samples are too small to show harm', () => {
    const j = judge('errors', spec, obs('c', [1000]), obs('b', [1, 2, 3]));
    expect(j.outcome).toBe('marginal');
    expect(j.reason).toMatch(/too few observations/);
  });

  it('is marginal when the smallest reachable p-value equals alpha (p < alpha is never reachable)', () => {
    // 3 vs 3 without ties: the smallest exact one-sided p is 1/C(6,3) = 0.05, which is not below alpha 0.05.
    const j = judge('errors', spec, obs('c', [1000, 1001, 1002]), obs('b', [1, 2, 3]));
    expect(j.outcome).toBe('marginal');
    expect(j.reason).toMatch(/too few observations.*smallest reachable p=0.0500/);
    // one canary against 19 baselines: 1/20 = alpha, still marginal; against 20: 1/21 < alpha, judged (fail)
    expect(judge('errors', spec, obs('c', [1000]), obs('b', Array.from({ length: 19 }, (_, i) => i))).outcome).toBe('marginal');
    expect(judge('errors', spec, obs('c', [1000]), obs('b', Array.from({ length: 20 }, (_, i) => i))).outcome).toBe('fail');
  });

  it('compares within the failure domain: a canary in a slower region is not degraded by a config it does not run', () => {
    const canary = [...obs('slow-c', [200, 205, 198, 202, 199, 201], 'far'), ...obs('fast-c', [100, 101, 99, 102, 98, 100], 'near')];
    const baseline = [...obs('slow-b', [201, 199, 203, 200, 197, 204], 'far'), ...obs('fast-b', [100, 99, 101, 102, 98, 100.5], 'near')];
    expect(judge('latency', spec, canary, baseline).outcome).toBe('pass');
    // Pooling the slow canaries against a mixed baseline would call them degraded:
    const pooled = judge('latency', spec, obs('slow-c', [200, 205, 198, 202, 199, 201]), obs('mixed', [100, 99, 101, 102, 201, 199]));
    expect(pooled.outcome).not.toBe('pass');
  });

  it('is marginal for a domain with canaries but no baseline left on the LKG', () => {
    const j = judge('latency', spec, obs('c', [100, 101], 'lonely'), obs('b', [100, 101, 99], 'other'));
    expect(j.outcome).toBe('marginal');
    expect(j.reason).toMatch(/no baseline/);
  });

  it('direction decrease: a drop in throughput is the harm', () => {
    const d = { direction: 'decrease' as const, tolerance: 5, alpha: 0.05 };
    expect(judge('rps', d, obs('c', [50, 52, 49, 51, 48, 50]), obs('b', [100, 98, 101, 99, 102, 100])).outcome).toBe('fail');
    expect(judge('rps', d, obs('c', [150, 152, 149, 151, 148, 150]), obs('b', [100, 98, 101, 99, 102, 100])).outcome).toBe('pass');
  });

  it('baseline self ignores domains', () => {
    const j = judge('errors', { ...spec, baseline: 'self' }, obs('t', [5, 6, 7, 5, 6, 7], 'a'), obs('t', [1, 1.1, 0.9, 1.2, 0.8, 1], 'b'));
    expect(j.outcome).toBe('fail');
    expect(j.domains[0]!.domain).toBeUndefined();
  });

  it('the verdict does not depend on the number of rounds once readings are aggregated per target', () => {
    const one = [[150], [160], [155], [158], [162], [149]];
    const many = one.map(([v]) => [v! - 1, v!, v! + 1, v!, v!]);
    const base = obs('b', [100, 102, 98, 101, 99, 103, 97, 100]);
    const a = judge('latency', spec, one.map((r, i) => ({ targetId: `c${i}`, value: aggregate(r) })), base);
    const b = judge('latency', spec, many.map((r, i) => ({ targetId: `c${i}`, value: aggregate(r) })), base);
    expect(a.domains[0]!.p).toBe(b.domains[0]!.p);
    expect(a.outcome).toBe(b.outcome);
  });
});
