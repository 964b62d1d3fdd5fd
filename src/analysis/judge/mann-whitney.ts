/**
 * Two-sample Mann–Whitney U test: the exact null distribution for small samples without ties, the normal
 * approximation with tie-corrected variance and continuity correction otherwise. Pure; knows nothing of metrics.
 * Matches SciPy's `scipy.stats.mannwhitneyu` for `method='exact'` and `method='asymptotic'` (test/analysis/scipy.test.ts).
 */

/** Which side the test looks at: `greater` asks whether `x` tends to be larger than `y`. */
export type Alternative = 'greater' | 'less' | 'two-sided';

/** Options of {@link mannWhitney}. */
export interface MannWhitneyOptions {
  /** @default 'two-sided' */
  alternative?: Alternative;
  /**
   * `exact` (only without ties), `asymptotic`, or `auto`: exact when there are no ties and the samples are small
   * (`x.length + y.length <= EXACT_MAX_TOTAL`), asymptotic otherwise.
   * @default 'auto'
   */
  method?: 'auto' | 'exact' | 'asymptotic';
}

/** Result of {@link mannWhitney}. */
export interface MannWhitneyTestResult {
  /** U statistic of the first sample (`x`): the number of pairs (xi, yj) with xi > yj, ties counting 1/2. */
  u: number;
  /** Standardised statistic (asymptotic method, with continuity correction); `NaN` for the exact method. */
  z: number;
  /** p-value for the chosen alternative. */
  p: number;
  /** The method actually used. */
  method: 'exact' | 'asymptotic';
  /** Whether the pooled sample had ties. */
  ties: boolean;
}

/** Largest `x.length + y.length` for which `method: 'auto'` uses the exact distribution (when there are no ties). */
export const EXACT_MAX_TOTAL = 60;

/**
 * Complementary error function with fractional error below 1.2e-7 everywhere (Chebyshev fit, Numerical Recipes
 * `erfcc`): relative precision also in the far tail, where small p-values live.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Upper tail of the standard normal distribution, P(Z > z). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Inverse of {@link normalSf} for p in (0, 1) (bisection on the monotone tail; precise to ~1e-12 in z). */
export function normalIsf(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (normalSf(mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Exact null distribution of U for sizes m and n without ties: `pmf[u]` = P(U = u), u = 0..m·n.
 * Counts subsets of size m of {1..m+n} by rank sum (dynamic programming in doubles, normalised at the end).
 */
export function exactUDistribution(m: number, n: number): Float64Array {
  const N = m + n;
  const maxU = m * n;
  // f[k][u]: number of k-subsets of the ranks seen so far whose U (rank sum − k(k+1)/2) is u.
  const f: Float64Array[] = [];
  for (let k = 0; k <= m; k++) f.push(new Float64Array(maxU + 1));
  f[0]![0] = 1;
  for (let i = 1; i <= N; i++) {
    // Adding rank i to a (k−1)-subset as its k-th element raises U by i − k.
    for (let k = Math.min(m, i); k >= 1; k--) {
      const shift = i - k;
      if (shift > n) continue;
      const from = f[k - 1]!;
      const to = f[k]!;
      for (let u = maxU - shift; u >= 0; u--) {
        const c = from[u]!;
        if (c !== 0) to[u + shift]! += c;
      }
    }
  }
  const counts = f[m]!;
  let total = 0;
  for (let u = 0; u <= maxU; u++) total += counts[u]!;
  const pmf = new Float64Array(maxU + 1);
  for (let u = 0; u <= maxU; u++) pmf[u] = counts[u]! / total;
  return pmf;
}

/** P(U >= k) under the exact null distribution. */
function exactSf(pmf: Float64Array, k: number): number {
  let s = 0;
  // Sum the smaller tail for precision: the distribution is symmetric, P(U >= k) = P(U <= mn − k).
  const maxU = pmf.length - 1;
  const lowTop = maxU - k;
  if (lowTop < k) {
    for (let u = 0; u <= lowTop; u++) s += pmf[u]!;
  } else {
    for (let u = Math.max(0, Math.ceil(k)); u <= maxU; u++) s += pmf[u]!;
  }
  return Math.min(1, s);
}

interface Ranked {
  u: number;
  tieTerm: number;
}

function rankU(x: readonly number[], y: readonly number[]): Ranked {
  const all = new Array<{ v: number; g: number }>(x.length + y.length);
  for (let i = 0; i < x.length; i++) all[i] = { v: x[i]!, g: 0 };
  for (let i = 0; i < y.length; i++) all[x.length + i] = { v: y[i]!, g: 1 };
  all.sort((a, b) => a.v - b.v);
  const n = all.length;
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j + 2) / 2; // average of the 1-based ranks i+1..j+1
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (all[k]!.g === 0) rankSumX += rank;
    i = j + 1;
  }
  return { u: rankSumX - (x.length * (x.length + 1)) / 2, tieTerm };
}

/**
 * Two-sample Mann–Whitney U test of `x` against `y`. Non-finite values must be removed by the caller (a
 * `RangeError` is thrown for them). Empty samples or a pooled sample with no spread give `p = 1`.
 */
export function mannWhitney(x: readonly number[], y: readonly number[], options: MannWhitneyOptions = {}): MannWhitneyTestResult {
  const alternative = options.alternative ?? 'two-sided';
  const method = options.method ?? 'auto';
  for (const v of x) if (!Number.isFinite(v)) throw new RangeError(`mannWhitney: non-finite value ${v} in x`);
  for (const v of y) if (!Number.isFinite(v)) throw new RangeError(`mannWhitney: non-finite value ${v} in y`);
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, p: 1, method: 'asymptotic', ties: false };
  const { u, tieTerm } = rankU(x, y);
  const ties = tieTerm > 0;
  const n = n1 + n2;
  const useExact = method === 'exact' ? !ties : method === 'auto' ? !ties && n <= EXACT_MAX_TOTAL : false;
  const u2 = n1 * n2 - u;
  if (useExact) {
    const pmf = exactUDistribution(n1, n2);
    let p: number;
    if (alternative === 'greater') p = exactSf(pmf, u);
    else if (alternative === 'less') p = exactSf(pmf, u2);
    else p = Math.min(1, 2 * exactSf(pmf, Math.max(u, u2)));
    return { u, z: Number.NaN, p, method: 'exact', ties };
  }
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u, z: 0, p: 1, method: 'asymptotic', ties };
  const sd = Math.sqrt(variance);
  const stat = alternative === 'greater' ? u : alternative === 'less' ? u2 : Math.max(u, u2);
  const z = (stat - mean - 0.5) / sd;
  const p = alternative === 'two-sided' ? Math.min(1, 2 * normalSf(z)) : normalSf(z);
  return { u, z, p, method: 'asymptotic', ties };
}
