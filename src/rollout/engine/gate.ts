/**
 * A stage's bake and health gate: health rounds over every changed target right after the apply, every `interval`
 * during the bake and once more when it ends; then the stage-end judge (see `judge.ts`).
 */
import type { PlannedWave } from '../../types.js';
import type { JudgeOptions, StageOutcome } from '../types.js';
import type { HealthWatch } from './health.js';
import { sleep } from './hook-runner.js';
import { judgeStage } from './judge.js';
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
        break; // an operator decided to go on
      }
      await sleep(s.intervalMs, signal);
    } else {
      await sleep(Math.min(s.intervalMs, end - t), signal);
    }
  }
  engine.emit({ type: 'stage.baked', stage: wave.index, name: wave.name, rounds, failures: outcome.healthFailures });
  if (g.judge) {
    const v = judgeStage(wave.name, g.judge, watch.samples);
    for (const message of v.warnings) engine.emit({ type: 'warning', message });
    if (v.verdict === 'fail') throw new Stop('gate', v.reason ?? `stage "${wave.name}": the judge failed the stage`);
    if (v.verdict === 'inconclusive') await rt.hold('inconclusive', v.reason ?? `stage "${wave.name}": the judge could not decide`, wave, outcome);
  }
}
