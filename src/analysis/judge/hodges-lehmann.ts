/**
 * Hodges–Lehmann estimate of the shift between two samples (the median of all pairwise differences x_i − y_j) with
 * its distribution-free confidence interval (order statistics of the differences at the Mann–Whitney critical value).
 */
import { exactUDistribution, normalIsf } from './mann-whitney.js';

/** Result of {@link hodgesLehmann}. */
export interface ShiftEstimate {
  /** Median of the pairwise differences x_i − y_j: how much larger `x` is than `y`, in the metric's unit. */
  shift: number;
  /** Lower end of the confidence interval (`-Infinity` when the samples are too small for the confidence asked). */
  low: number;
  /** Upper end of the confidence interval (`Infinity` when the samples are too small). */
  high: number;
  /** Confidence level of the interval, e.g. 0.95. */
  confidence: number;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Critical count k: the interval is [D(k), D(mn − k + 1)] (1-based order statistics of the m·n differences), where k is
 * the largest integer with P(U ≤ k − 1) ≤ (1 − confidence)/2 under the null distribution of U — exact without ties for
 * small samples, the normal approximation otherwise. 0 means the samples cannot give that confidence.
 */
function criticalCount(m: number, n: number, confidence: number, exact: boolean): number {
  const half = (1 - confidence) / 2;
  if (exact) {
    const pmf = exactUDistribution(m, n);
    let cdf = 0;
    let k = 0;
    while (k < pmf.length) {
      cdf += pmf[k]!; // P(U <= k)
      if (cdf > half) break;
      k++;
    }
    return k; // P(U <= k-1) <= half < P(U <= k)
  }
  const mn = m * n;
  const k = Math.floor(mn / 2 - normalIsf(half) * Math.sqrt((mn * (m + n + 1)) / 12));
  return Math.max(0, k);
}

/**
 * Hodges–Lehmann shift of `x` relative to `y` with a two-sided confidence interval at `confidence`.
 * Cost: O(m·n·log(m·n)) time and m·n doubles of memory.
 * @param exact use the exact null distribution for the interval (callers pass true for small samples without ties)
 */
export function hodgesLehmann(x: readonly number[], y: readonly number[], confidence: number, exact: boolean): ShiftEstimate {
  const m = x.length;
  const n = y.length;
  if (m === 0 || n === 0) return { shift: Number.NaN, low: -Infinity, high: Infinity, confidence };
  const d = new Float64Array(m * n);
  let i = 0;
  for (const a of x) for (const b of y) d[i++] = a - b;
  d.sort();
  const k = criticalCount(m, n, confidence, exact);
  const low = k >= 1 ? d[k - 1]! : -Infinity;
  const high = k >= 1 ? d[m * n - k]! : Infinity;
  return { shift: median(d), low, high, confidence };
}
