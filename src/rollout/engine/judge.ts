/**
 * The stage-end judge: canary metric samples of the stage against baseline samples (one-sided Mann–Whitney U).
 * This is the ONE place where the engine turns metrics into a verdict; the analysis capability replaces it.
 */
import { mannWhitneyU } from '../stats.js';
import type { JudgeOptions } from '../types.js';
import type { Samples } from './health.js';

/** The judge's verdict on a stage: `fail` rolls back, `inconclusive` holds, `pass` advances. */
export interface JudgeVerdict {
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** Why (for `fail` and `inconclusive`). */
  reason?: string;
  /** Things people should know that do not change the verdict (a metric with too few samples). */
  warnings: string[];
}

/**
 * Judge a stage. A metric with fewer than `minSamples` on either side is not judged (a warning says so); a metric
 * whose canary is significantly worse than the baseline (p < alpha) fails the stage.
 */
export function judgeStage(stageName: string, judge: JudgeOptions, samples: Samples): JudgeVerdict {
  const warnings: string[] = [];
  for (const [name, m] of Object.entries(judge.metrics)) {
    const canary = samples.canary.get(name) ?? [];
    const base = samples.baseline.get(name) ?? [];
    const minSamples = m.minSamples ?? 5;
    if (canary.length < minSamples || base.length < minSamples) {
      warnings.push(`stage "${stageName}": metric "${name}" not judged: ${canary.length} canary and ${base.length} baseline samples (need ${minSamples} each)`);
      continue;
    }
    const alpha = m.alpha ?? 0.05;
    const r = mannWhitneyU(canary, base, m.direction === 'increase' ? 'greater' : 'less');
    if (r.p < alpha) {
      return {
        verdict: 'fail',
        reason: `stage "${stageName}": metric "${name}" degraded: canary ${m.direction === 'increase' ? 'higher' : 'lower'} than baseline (Mann–Whitney U=${r.u}, p=${r.p.toPrecision(3)} < alpha ${alpha})`,
        warnings,
      };
    }
  }
  return { verdict: 'pass', warnings };
}
