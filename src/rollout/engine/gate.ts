/**
 * A stage's bake and health gate: health rounds over every changed target right after the apply, every `interval`
 * during the bake and once more when it ends; then the stage-end judge (see `judge.ts`).
 */
import type { Analysis } from '../../analysis/monitor.js';
import type { PlannedWave } from '../../types.js';
import type { JudgeOptions, StageJudgementRecord, StageOutcome } from '../types.js';
import type { HealthWatch } from './health.js';
import { sleep } from './hook-runner.js';
import { judgeStage, judgeWithAnalysis, type JudgeVerdict } from './judge.js';
import type { Resolved } from './options.js';
import type { Runtime } from './runtime.js';
import { Stop, type Engine } from './state.js';

export interface GateContext {
  engine: Engine;
  rt: Runtime;
  watch: HealthWatch | undefined;
  s: Resolved;
  signal: AbortSignal;
  judge: JudgeOptions | undefined;
  /** The rollout's analysis (its judge metrics are judged at the end of the stage). */
  analysis?: Analysis | undefined;
  /** Names of dry-run metrics (their judgements decide nothing). */
  dryRun?: ReadonlySet<string>;
  /** Where the stage judgements go (the result's `analysis.judgements`). */
  judgements?: StageJudgementRecord[];
}

/**
 * Bake `wave` and gate it. More than `failureLimit` failed checks in the stage throw `Stop('gate')`; every checked
 * target needs `successes` consecutive passes (extra rounds run after the bake until it has them or the limit is
 * hit); targets held back only by inconclusive answers hold the rollout for an operator. An operator's `promote`
 * ends the bake at once; `pause` holds it.
 */
export async function bakeAndGate(g: GateContext, wave: PlannedWave, outcome: StageOutcome): Promise<void> {
  const { engine, rt, watch, s, signal } = g;
  const deadline = Date.now() + (rt.promoteAll ? 0 : wave.bakeMs);
  if (!watch) {
    await rt.sleepWatching(deadline - Date.now(), wave, outcome, 'during the bake', true);
    await rt.pauseIfAsked(wave, outcome);
    engine.emit({ type: 'stage.baked', stage: wave.index, name: wave.name, rounds: 0, failures: 0 });
    return;
  }
  watch.newStage();
  let rounds = 0;
  for (;;) {
    signal.throwIfAborted();
    const sum = await watch.round(wave, outcome, true);
    rounds++;
    if (outcome.healthFailures > s.failureLimit) {
      throw new Stop('gate', `stage "${wave.name}": ${outcome.healthFailures} failed health checks exceed the limit of ${s.failureLimit} (first: ${sum.firstFailure})`);
    }
    await rt.poll();
    if (rt.pauseRequested) {
      await rt.pauseIfAsked(wave, outcome);
      continue;
    }
    const t = Date.now();
    const end = rt.promoteAll ? t : deadline;
    if (t >= end) {
      const checked = watch.checkedTargets();
      if (watch.allPassing(checked)) break;
      const onlyInconclusive = sum.inconclusive > 0 && checked.every(({ t: x }) => (watch.consecutive.get(x.id) ?? 0) >= s.successes || watch.inconclusive.has(x.id));
      if (onlyInconclusive) {
        await rt.hold('inconclusive', `stage "${wave.name}": health inconclusive for ${sum.inconclusive} target(s) (first: ${sum.firstInconclusive})`, wave, outcome);
        g.analysis?.acknowledge(); // a person decided: inconclusive counters start again
        break; // an operator decided to go on
      }
      await sleep(s.intervalMs, signal);
    } else {
      await sleep(Math.min(s.intervalMs, end - t), signal);
    }
  }
  engine.emit({ type: 'stage.baked', stage: wave.index, name: wave.name, rounds, failures: outcome.healthFailures });
  const verdicts: JudgeVerdict[] = [];
  if (g.analysis?.judges) {
    const judging = judgeWithAnalysis(engine, g.analysis, wave, signal, g.dryRun ?? new Set(), g.judgements ?? []);
    judging.catch(() => undefined);
    await rt.waitWhile(judging, wave, outcome, `while judging stage "${wave.name}"`);
    verdicts.push(await judging);
    await engine.write();
  }
  if (g.judge) verdicts.push(judgeStage(wave.name, g.judge, watch.samples));
  for (const v of verdicts) for (const message of v.warnings) engine.emit({ type: 'warning', message });
  const failed = verdicts.find((v) => v.verdict === 'fail');
  if (failed) throw new Stop('gate', failed.reason ?? `stage "${wave.name}": the judge failed the stage`);
  const marginal = verdicts.find((v) => v.verdict === 'inconclusive');
  if (marginal) {
    await rt.hold('inconclusive', marginal.reason ?? `stage "${wave.name}": the judge could not decide`, wave, outcome);
    g.analysis?.acknowledge();
  }
}
