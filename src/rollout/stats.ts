/**
 * Compatibility shim: the statistics live in the canary judge (src/analysis/judge/). `mannWhitneyU` keeps its old
 * behaviour (always the normal approximation) for existing callers; new code uses `mannWhitney` and `judge`.
 */
import { mannWhitney } from '../analysis/judge/index.js';

/** Result of {@link mannWhitneyU}. */
export interface MannWhitneyResult {
  /** U statistic of the first sample (`x`): the number of pairs (xi, yj) with xi > yj, ties counting 1/2. */
  u: number;
  /** Standardised statistic (with continuity correction). */
  z: number;
  /** p-value for the chosen alternative. */
  p: number;
}

/**
 * Two-sample Mann–Whitney U test, asymptotic (normal approximation), tie-corrected variance and a 0.5 continuity
 * correction — the same as SciPy's `mannwhitneyu(x, y, method='asymptotic', use_continuity=True)`.
 * @deprecated use `mannWhitney` (exact for small samples without ties) or the canary `judge`.
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  alternative: 'greater' | 'less' | 'two-sided' = 'two-sided',
): MannWhitneyResult {
  const r = mannWhitney(x, y, { alternative, method: 'asymptotic' });
  return { u: r.u, z: r.z, p: r.p };
}
