import { describe, expect, it } from 'vitest';
import { mannWhitneyU } from '../../src/rollout/index.js';

// Reference values from SciPy 1.17: scipy.stats.mannwhitneyu(x, y, alternative=..., method='asymptotic')
describe('mannWhitneyU', () => {
  it('separated samples', () => {
    const a = [1, 2, 3, 4, 5];
    const b = [6, 7, 8, 9, 10];
    const two = mannWhitneyU(a, b, 'two-sided');
    expect(two.u).toBe(0);
    expect(two.p).toBeCloseTo(0.012185780355344813, 5);
    expect(mannWhitneyU(a, b, 'less').p).toBeCloseTo(0.006092890177672406, 5);
    expect(mannWhitneyU(b, a, 'greater').p).toBeCloseTo(0.006092890177672406, 5);
    expect(mannWhitneyU(b, a, 'greater').u).toBe(25);
  });

  it('unequal sizes', () => {
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12], 'greater');
    expect(r.u).toBe(17);
    expect(r.p).toBeCloseTo(0.055673443266570206, 5);
  });

  it('ties use average ranks and the tie-corrected variance', () => {
    const c = [1, 2, 2, 3, 3, 3, 4, 5];
    const d = [3, 3, 4, 4, 5, 5, 6, 7, 7];
    const two = mannWhitneyU(c, d, 'two-sided');
    expect(two.u).toBe(11);
    expect(two.p).toBeCloseTo(0.01630200829707017, 5);
    const g = mannWhitneyU(d, c, 'greater');
    expect(g.u).toBe(61);
    expect(g.p).toBeCloseTo(0.008151004148535085, 5);
  });

  it('degenerate inputs give p = 1', () => {
    expect(mannWhitneyU([], [1, 2]).p).toBe(1);
    expect(mannWhitneyU([3, 3], [3, 3, 3]).p).toBe(1);
  });
});
