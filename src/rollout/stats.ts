/** Mann–Whitney U test (normal approximation with tie and continuity correction), for the baseline comparison. */

/** Result of {@link mannWhitneyU}. */
export interface MannWhitneyResult {
  /** U statistic of the first sample (`x`): the number of pairs (xi, yj) with xi > yj, ties counting 1/2. */
  u: number;
  /** Standardised statistic (with continuity correction). */
  z: number;
  /** p-value for the chosen alternative. */
  p: number;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; absolute error < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * Two-sample Mann–Whitney U test, asymptotic (normal approximation), tie-corrected variance and a 0.5 continuity
 * correction — the same as SciPy's `mannwhitneyu(x, y, method='asymptotic', use_continuity=True)`.
 * `alternative: 'greater'` tests whether `x` tends to be larger than `y`.
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  alternative: 'greater' | 'less' | 'two-sided' = 'two-sided',
): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, p: 1 };
  const all = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  const n = all.length;
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j + 2) / 2; // average of 1-based ranks i+1..j+1
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (all[k]!.g === 0) rankSumX += rank;
    i = j + 1;
  }
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, p: 1 };
  const sd = Math.sqrt(variance);
  let z: number;
  let p: number;
  if (alternative === 'greater') {
    z = (u - mean - 0.5) / sd;
    p = 1 - normalCdf(z);
  } else if (alternative === 'less') {
    z = (u - mean + 0.5) / sd;
    p = normalCdf(z);
  } else {
    const big = Math.max(u, n1 * n2 - u);
    z = (big - mean - 0.5) / sd;
    p = Math.min(1, 2 * (1 - normalCdf(z)));
  }
  return { u, z, p };
}
