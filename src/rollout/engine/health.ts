/**
 * Health: how a health hook's answer is read (fail closed), and health rounds over every changed target. The engine
 * runs rounds during bakes, approval waits, holds and later stages' applies (see `runtime.ts`), so a target is watched
 * from its apply to the end of the rollout.
 */
import type { PlannedWave, Target } from '../../types.js';
import { describeError } from '../errors.js';
import type { HealthHook, HealthResult, JudgeOptions, RolloutEvent, StageOutcome } from '../types.js';
import { HookRunner, pool } from './hook-runner.js';
import type { Resolved } from './options.js';
import { CHANGED, type Engine } from './state.js';

/** One health answer, read. */
export interface Check {
  verdict: 'pass' | 'fail' | 'inconclusive' | 'pending';
  error?: string;
  metrics?: Record<string, number>;
}
const PASS: Check = Object.freeze({ verdict: 'pass' });

/**
 * Fail closed: only `true` or `{ healthy: true }` passes; `{ inconclusive: true }` is inconclusive; `{ pending: true }`
 * (and not inconclusive) is pending (the stage waits for it); everything else
 * (`false`, `{ healthy: false }`, `undefined`, `null`, numbers, strings, objects without a boolean `healthy`) fails.
 */
export function interpretHealth(r: unknown): Check {
  if (r === true) return PASS;
  if (r === false) return { verdict: 'fail', error: 'health check returned false' };
  if (r === undefined) return { verdict: 'fail', error: 'health check returned undefined (a missing `return`?): only true or { healthy: true } passes' };
  if (r !== null && typeof r === 'object' && !Array.isArray(r)) {
    const h = r as Partial<HealthResult>;
    const m = h.metrics;
    const metrics = m !== null && typeof m === 'object' && !Array.isArray(m) ? m : undefined;
    let out: Check;
    if (h.inconclusive === true) out = { verdict: 'inconclusive', error: typeof h.message === 'string' ? h.message : 'health check was inconclusive' };
    else if (h.pending === true) out = { verdict: 'pending', error: typeof h.message === 'string' ? h.message : 'not decided yet' };
    else if (h.healthy === true) out = { verdict: 'pass' };
    else if (h.healthy === false) out = { verdict: 'fail', error: typeof h.message === 'string' ? h.message : 'health check reported unhealthy' };
    else return { verdict: 'fail', error: `health check returned an object without a boolean \`healthy\` (got ${JSON.stringify(h.healthy)})` };
    if (metrics) out.metrics = metrics;
    return out;
  }
  return { verdict: 'fail', error: `health check returned an unexpected value (${r === null ? 'null' : typeof r}); expected true or { healthy: true }` };
}

/** What one round found among the changed targets (baselines never fail a round). */
export interface RoundSummary {
  checked: number;
  failures: number;
  inconclusive: number;
  /** Targets whose answer is not decided yet (the stage waits for them). */
  pending: number;
  firstFailure?: string;
  firstInconclusive?: string;
}

/** Metric readings of the stage in progress for the deprecated `judge` option: metric → target id → readings. */
export interface Samples {
  canary: Map<string, Map<string, number[]>>;
  baseline: Map<string, Map<string, number[]>>;
}

/** Health rounds over every changed target (and the judge's baselines), with per-target consecutive passes. */
export class HealthWatch {
  readonly runner: HookRunner;
  /** Consecutive passes per target; reset by a failure or an inconclusive answer. */
  readonly consecutive = new Map<string, number>();
  /** Targets whose last answer was inconclusive. */
  readonly inconclusive = new Set<string>();
  samples: Samples = { canary: new Map(), baseline: new Map() };
  #round = 0;

  constructor(
    readonly engine: Engine,
    readonly health: HealthHook,
    readonly s: Resolved,
    readonly signal: AbortSignal,
    readonly proposed: unknown,
    readonly judge: JudgeOptions | undefined,
    /** Flush the journal after every round (analysis queues a record per measurement). */
    readonly journalRounds = false,
  ) {
    this.runner = new HookRunner(s.healthTimeoutMs, signal, 'health check of ', engine.ctxBase);
  }

  dispose(): void {
    this.runner.dispose();
  }

  /** Start collecting samples for a new stage. */
  newStage(): void {
    this.samples = { canary: new Map(), baseline: new Map() };
    this.consecutive.clear();
    this.inconclusive.clear();
  }

  /** Every target the engine applied and has not rolled back, in plan order, with its wave. */
  checkedTargets(): Array<{ t: Target; w: PlannedWave }> {
    const out: Array<{ t: Target; w: PlannedWave }> = [];
    for (const w of this.engine.waves) {
      for (const t of w.targets) {
        const st = this.engine.states.get(t.id)!.status;
        if (st === 'applied' || st === 'healthy') out.push({ t, w });
      }
    }
    return out;
  }

  /** True when every checked target has `successes` consecutive passes. */
  allPassing(checked: Array<{ t: Target }>): boolean {
    for (const { t } of checked) if ((this.consecutive.get(t.id) ?? 0) < this.s.successes) return false;
    return true;
  }

  /**
   * One round: every changed target (and, with `withBaseline`, the judge's baselines) checked once. Failures are
   * counted into `outcome.healthFailures`. Throws only when the rollout's signal aborted.
   */
  async round(wave: PlannedWave, outcome: StageOutcome, withBaseline: boolean): Promise<RoundSummary> {
    const engine = this.engine;
    const checked = this.checkedTargets();
    const judge = this.judge;
    const baseline = withBaseline && judge ? judge.baseline.filter((t) => !engine.states.has(t.id) || !CHANGED.has(engine.states.get(t.id)!.status)) : [];
    const n = checked.length;
    const total = n + baseline.length;
    const summary: RoundSummary = { checked: n, failures: 0, inconclusive: 0, pending: 0 };
    const round = ++this.#round;
    outcome.healthRounds++;
    const lkg = engine.init.lkg;
    const record = (i: number, c: Check): void => {
      const isBaseline = i >= n;
      const t = isBaseline ? baseline[i - n]! : checked[i]!.t;
      if (engine.listening) {
        const ev: RolloutEvent = { type: 'health.result', targetId: t.id, stage: wave.index, round, healthy: c.verdict === 'pass', baseline: isBaseline };
        if (c.verdict === 'inconclusive') ev.inconclusive = true;
        if (c.verdict === 'pending') ev.pending = true;
        if (c.error !== undefined) ev.error = c.error;
        if (c.metrics !== undefined) ev.metrics = c.metrics;
        engine.emit(ev);
      }
      if (judge && c.metrics) {
        const into = isBaseline ? this.samples.baseline : this.samples.canary;
        for (const name of Object.keys(judge.metrics)) {
          const v = c.metrics[name];
          if (typeof v !== 'number' || !Number.isFinite(v)) continue;
          const byTarget = into.get(name) ?? into.set(name, new Map()).get(name)!;
          const list = byTarget.get(t.id);
          if (list) list.push(v);
          else byTarget.set(t.id, [v]);
        }
      }
      if (isBaseline) return; // baseline targets are not changed: their failures do not fail the gate
      if (c.verdict === 'pass') {
        this.consecutive.set(t.id, (this.consecutive.get(t.id) ?? 0) + 1);
        this.inconclusive.delete(t.id);
      } else if (c.verdict === 'pending') {
        // not decided yet: no pass (the stage waits for it), no failure
        this.consecutive.set(t.id, 0);
        this.inconclusive.delete(t.id);
        summary.pending++;
      } else if (c.verdict === 'inconclusive') {
        this.consecutive.set(t.id, 0);
        this.inconclusive.add(t.id);
        summary.inconclusive++;
        summary.firstInconclusive ??= `${t.id}: ${c.error ?? 'inconclusive'}`;
      } else {
        this.consecutive.set(t.id, 0);
        this.inconclusive.delete(t.id);
        summary.failures++;
        outcome.healthFailures++;
        summary.firstFailure ??= `${t.id}: ${c.error ?? 'unhealthy'}`;
      }
    };
    const failed = (i: number, err: unknown): void => {
      if (this.signal.aborted) return;
      record(i, { verdict: 'fail', error: describeError(err) });
    };
    const answered = (i: number, v: unknown): void => {
      let c: Check;
      try {
        c = interpretHealth(v);
      } catch (err) {
        failed(i, err);
        return;
      }
      record(i, c);
    };
    const check = (i: number): Promise<void> | undefined => {
      const isBaseline = i >= n;
      const t = isBaseline ? baseline[i - n]! : checked[i]!.t;
      const w = isBaseline ? engine.stageOf(t.id, wave) : checked[i]!.w;
      let r: unknown;
      try {
        r = this.runner.call(this.health, t, isBaseline ? lkg : this.proposed, w, round, engine.gen(t.id));
      } catch (err) {
        failed(i, err);
        return undefined;
      }
      if (r instanceof Promise) {
        return r.then(
          (v: unknown) => answered(i, v),
          (err: unknown) => failed(i, err),
        );
      }
      answered(i, r);
      return undefined;
    };
    await pool(total, this.s.concurrency, check);
    this.signal.throwIfAborted();
    // the round's measurement records (analysis) are journaled with the round
    if (this.journalRounds) await engine.write();
    return summary;
  }
}
