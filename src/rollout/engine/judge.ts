/**
 * The stage-end judge. With `analysis`, every metric with a `judge` is judged by the analysis judge
 * (src/analysis/judge/): one observation per target (the median of its readings over the stage), baselines of the same
 * failure domain still on the LKG, re-chosen here at every stage (an applied target is never a baseline), or the
 * targets' own readings from before their change (`baseline: self`); effect-size tolerance beside alpha; exact test
 * for small samples. The deprecated `judge` option runs through the same judge with one observation per target.
 * Outcomes: `pass` advances, `fail` rolls back, `inconclusive` (the judge's `marginal`) holds for a person.
 */
import { aggregate, judge } from '../../analysis/judge/index.js';
import type { Observation } from '../../analysis/judge/index.js';
import type { Analysis } from '../../analysis/monitor.js';
import type { PlannedWave, Target } from '../../types.js';
import type { JudgeOptions, StageJudgementRecord } from '../types.js';
import type { Samples } from './health.js';
import type { Engine } from './state.js';

/** The judge's verdict on a stage: `fail` rolls back, `inconclusive` holds, `pass` advances. */
export interface JudgeVerdict {
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** Why (for `fail` and `inconclusive`). */
  reason?: string;
  /** Things people should know that do not change the verdict (a metric with too few observations...). */
  warnings: string[];
}

const now = (): string => new Date().toISOString();

/** Targets the stage changed (applied, not rolled back), and the plan's targets still on the LKG (not yet attempted). */
export function judgePopulation(engine: Engine, wave: PlannedWave): { changed: Target[]; onLkg: Target[] } {
  const changed = wave.targets.filter((t) => {
    const st = engine.states.get(t.id)?.status;
    return st === 'applied' || st === 'healthy';
  });
  const onLkg: Target[] = [];
  for (const w of engine.waves) for (const t of w.targets) if (engine.states.get(t.id)?.status === 'pending') onLkg.push(t);
  return { changed, onLkg };
}

/**
 * Judge a stage with the analysis metrics: each metric's judgement is an `analysis.judgement` event and journal
 * record (with the stage's other records, flushed by the caller); a failed or marginal one is also an
 * `analysis.finding` (through the analysis' `onFinding`).
 */
export async function judgeWithAnalysis(engine: Engine, analysis: Analysis, wave: PlannedWave, signal: AbortSignal, dryRun: ReadonlySet<string>, out: StageJudgementRecord[]): Promise<JudgeVerdict> {
  const { changed, onLkg } = judgePopulation(engine, wave);
  if (changed.length === 0) return { verdict: 'pass', warnings: [] }; // nothing changed in this stage: nothing to judge
  const v = await analysis.judgeStage(wave, changed, onLkg, signal);
  for (const j of v.judgements) {
    const rec: StageJudgementRecord = { stage: wave.index, stageName: wave.name, ...j };
    if (dryRun.has(j.metric)) rec.dryRun = true;
    out.push(rec);
    engine.queue({ type: 'analysis.judgement', ts: now(), judgement: rec });
    engine.emit({ type: 'analysis.judgement', ...rec });
  }
  const r: JudgeVerdict = { verdict: v.verdict, warnings: v.notes };
  if (v.reason !== undefined) r.reason = v.reason;
  return r;
}

/**
 * The deprecated `judge` option: each target is one observation (the median of its readings of the stage), judged by
 * the analysis judge (exact test for small samples, tolerance 0). As before, only `fail` (canary significantly worse)
 * stops the stage; a marginal judgement is a warning, and a metric with fewer than `minSamples` observations on either
 * side is not judged (a warning says so).
 */
export function judgeStage(stageName: string, options: JudgeOptions, samples: Samples): JudgeVerdict {
  const warnings: string[] = [];
  const observations = (byTarget: Map<string, number[]> | undefined): Observation[] => {
    const out: Observation[] = [];
    for (const [targetId, values] of byTarget ?? []) {
      const value = aggregate(values);
      if (Number.isFinite(value)) out.push({ targetId, value });
    }
    return out;
  };
  for (const [name, m] of Object.entries(options.metrics)) {
    const canary = observations(samples.canary.get(name));
    const base = observations(samples.baseline.get(name));
    const minSamples = m.minSamples ?? 5;
    if (canary.length < minSamples || base.length < minSamples) {
      warnings.push(`stage "${stageName}": metric "${name}" not judged: ${canary.length} canary and ${base.length} baseline targets with readings (need ${minSamples} each)`);
      continue;
    }
    const j = judge(name, { direction: m.direction, alpha: m.alpha ?? 0.05, tolerance: 0 }, canary, base);
    if (j.outcome === 'fail') return { verdict: 'fail', reason: `stage "${stageName}": ${j.reason}`, warnings };
    if (j.outcome === 'marginal') warnings.push(`stage "${stageName}": ${j.reason}`);
  }
  return { verdict: 'pass', warnings };
}
