/**
 * The rollout engine's control flow: stages in order (windows, approval, journaled apply, bake and health gate),
 * promote, and on any failure the rollback of every changed target. The concerns live in `engine/`: hook calls
 * (`hook-runner.ts`), options and up-front validation (`options.ts`), target states, journaling and rollbacks
 * (`state.ts`), health (`health.ts`), the gate (`gate.ts`), the stage-end judge (`judge.ts`), waits, holds, operator
 * commands and run-time windows (`runtime.ts`), and crash recovery (`resume.ts`).
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { combineHealth, createAnalysis, type Analysis } from '../analysis/monitor.js';
import { ConfgateError, OptionsError } from '../errors.js';
import type { PlannedWave, Target } from '../types.js';
import { describeError, RolloutError } from './errors.js';
import { bakeAndGate } from './engine/gate.js';
import { HealthWatch } from './engine/health.js';
import { callHook, HookRunner, ignore, pool, TimeoutError } from './engine/hook-runner.js';
import { lastRollout, toJournal, unknownOptions, unwrapDoc, validatePlan, validateRun, type Resolved, type RunOptions } from './engine/options.js';
import { HeldOut, OperatorAbort, Runtime } from './engine/runtime.js';
import { Engine, PENDING, Stop } from './engine/state.js';
import type { AnalysisSummary, JournalRecord, RolloutResult, RolloutStatus, StageOutcome } from './types.js';

export type { RunOptions, ResumeOptions } from './engine/options.js';
export { resumeRollout } from './engine/resume.js';

const now = (): string => new Date().toISOString();

/** Everything a forward run needs (a new run, or a resume with `forward: true`). */
export interface Flow {
  engine: Engine;
  options: Omit<RunOptions, 'plan' | 'journal'>;
  s: Resolved;
  signal: AbortSignal;
  rt: Runtime;
  watch: HealthWatch | undefined;
  /** The running analysis (`options.analysis`), and what it found so far. */
  analysis?: { monitor: Analysis; summary: AnalysisSummary; dryRun: ReadonlySet<string> };
}

/**
 * Run a staged rollout.
 *
 * Before anything is applied, everything knowable is checked ({@link OptionsError}): hooks, approval stages without an
 * approval hook, a judge without baseline, plan targets missing from `targets`, windows, option ranges.
 *
 * For each stage: re-evaluate `windows` at the real time (a freeze holds, targets under maintenance are deferred);
 * ask approval when the stage needs it (health keeps being checked while it waits; `approvalTimeout` expiry denies; a
 * denial holds the rollout for an operator, or rolls back with `onApprovalDenied: 'rollback'`);
 * journal `applying` for a batch of targets (one flush), then call `apply` (at most `concurrency` at once, each with
 * `applyTimeout`); journal the results. A batch's hooks start only once its `applying` records are durable; the next
 * batch's records are flushed while the current batch runs, and batches grow (from max(256, 4 x concurrency) up to
 * 64x that) while the flush is slower than the hooks. Targets journaled `applying` but never started (the rollout
 * stopped) are journaled `pending` again. Apply failures beyond `failureBudget` fail the stage. Then the health gate
 * (`gate.ts`): health rounds on EVERY target applied so far right after the apply, every `interval` during the bake,
 * and once more when the bake ends (with zero bake: exactly one round). Health fails closed (only `true` or
 * `{ healthy: true }` passes); more than `failureLimit` failed checks per stage fail the gate; every checked target
 * needs `successes` consecutive passes. Inconclusive answers hold the rollout for an operator. With `judge`, canary
 * metrics of the stage are compared with baseline metrics. Health is also checked at the interval while the rollout
 * waits (approvals, holds, later stages' applies). Operator commands (`pause`, `continue`, `promote`, `abort`) are read
 * from the journal's command channel at every health interval.
 *
 * After the last stage: `promote`, retried with backoff; if it keeps failing the rollout is held (never rolled back).
 *
 * On a failed gate, exhausted budget, a denied approval (with `onApprovalDenied: 'rollback'`), a journal failure or
 * abort (signal or operator), every target
 * already changed is rolled back, newest first, each only after the apply the engine started for it has settled
 * (bounded by `applyTimeout`: the engine waits, it never races its own apply); rollback errors do not stop other
 * rollbacks. A target whose apply outlived its timeout is `apply-timed-out`: it is rolled back, and rolled back again
 * when that apply settles (see `settleTimeout`). Hooks get `ctx.generation` to fence stale calls.
 *
 * Throws only for misuse ({@link OptionsError}), a held lock (`E_ROLLOUT_LOCKED`), a journal holding an unfinished
 * rollout (`E_JOURNAL_UNFINISHED`) or a journal that cannot take the first record (`E_JOURNAL`, before anything is
 * applied). Everything else is in the result.
 */
export async function runRollout(options: RunOptions): Promise<RolloutResult> {
  if (options === null || typeof options !== 'object') throw new OptionsError('`runRollout` needs an options object');
  const plan = validatePlan(options.plan);
  const settings = validateRun(options, plan);
  const proposed = unwrapDoc(options.proposed, 'proposed');
  const lkg = unwrapDoc(options.lkg, 'lkg');
  // One listener on the caller's signal; the many per-hook listeners go on an internal signal without a listener cap.
  const internal = new AbortController();
  setMaxListeners(0, internal.signal);
  const onAbort = (): void => internal.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const journal = toJournal(options.journal);
  const id = options.id ?? randomUUID();
  try {
    await journal.lock();
    try {
      const existing = await journal.read().catch((err: unknown) => {
        throw err instanceof ConfgateError ? err : new ConfgateError('E_JOURNAL', `cannot read journal: ${describeError(err)}`, { cause: err });
      });
      const prior = lastRollout(existing);
      if (prior.start >= 0 && !prior.finished) {
        const r = existing[prior.start] as Extract<JournalRecord, { type: 'rollout.started' }>;
        throw new ConfgateError(
          'E_JOURNAL_UNFINISHED',
          `the journal holds an unfinished rollout ${r.id}: resume it with resumeRollout() (roll back, or forward: true to continue) before starting another`,
        );
      }
      const engine = new Engine({
        id,
        plan,
        proposed,
        lkg,
        changes: options.changes ?? [],
        journal,
        settings,
        rollback: options.rollback,
        verify: options.verify,
        onEvent: options.onEvent,
      });
      // The first record must be durable before anything happens: failure here throws E_JOURNAL.
      try {
        await journal.append([{ type: 'rollout.started', v: 1, id, ts: now(), plan, proposed, lkg, changes: options.changes ?? [] }]);
      } catch (err) {
        // E_ROLLOUT_LOCKED: a store refused the start (another scope's rollout claims one of its targets)
        const keep = err instanceof ConfgateError && (err.code === 'E_JOURNAL' || err.code === 'E_ROLLOUT_LOCKED');
        throw keep ? err : new ConfgateError('E_JOURNAL', `cannot write journal: ${describeError(err)}`, { cause: err });
      }
      const total = plan.waves.reduce((n, w) => n + w.targets.length, 0);
      engine.emit({ type: 'rollout.started', id, waves: plan.waves.length, targets: total });
      if (!options.health && !options.analysis) engine.emit({ type: 'warning', message: 'no health hook: health is not checked, stages only wait their bake time' });
      const unknown = unknownOptions(options);
      if (unknown.length > 0) engine.emit({ type: 'warning', message: `unknown runRollout options ignored: ${unknown.map((k) => `\`${k}\``).join(', ')}` });
      const flow = await makeFlow(engine, { ...options, proposed, lkg }, settings, internal);
      return await forward(flow, false);
    } finally {
      await journal.unlock().catch(() => undefined);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Build the run-time helpers of a forward run. */
export async function makeFlow(engine: Engine, options: Flow['options'], s: Resolved, internal: AbortController, afterSeq?: number): Promise<Flow> {
  const signal = internal.signal;
  const analysis = options.analysis ? startAnalysis(engine, options.analysis) : undefined;
  const health = combineHealth(options.health, analysis?.monitor.health);
  const watch = health ? new HealthWatch(engine, health, s, signal, options.proposed, options.judge, analysis !== undefined) : undefined;
  const rt = new Runtime({
    engine,
    s,
    signal,
    abort: (reason) => internal.abort(reason),
    watch,
    windows: options.windows ?? [],
    now: options.now ?? (() => new Date()),
  });
  await rt.init(afterSeq);
  return { engine, options, s, signal, rt, watch, ...(analysis ? { analysis } : {}) };
}

/**
 * The analysis of a run: its measurements and findings become events and journal records (queued, written with the
 * health round or the stage step that made them), and its findings are collected for the result.
 */
function startAnalysis(engine: Engine, a: NonNullable<RunOptions['analysis']>): NonNullable<Flow['analysis']> {
  const summary: AnalysisSummary = { findings: [], judgements: [] };
  const failureDomain = engine.init.plan.failureDomain;
  const monitor = createAnalysis(a.metrics, {
    retain: false,
    ...(failureDomain !== undefined ? { failureDomain } : {}),
    ...(a.env !== undefined ? { env: a.env } : {}),
    onMeasurement: (m) => {
      engine.queue({ type: 'measurement', ts: now(), ...m });
      if (engine.listening) engine.emit({ type: 'analysis.measurement', ...m });
    },
    onFinding: (f) => {
      summary.findings.push(f);
      engine.queue({ type: 'analysis.finding', ts: now(), finding: f });
      engine.emit({ type: 'analysis.finding', ...f });
    },
  });
  return { monitor, summary, dryRun: new Set(a.metrics.filter((m) => m.dryRun).map((m) => m.name)) };
}

/** The result with what analysis found (when the run has analysis). */
function withAnalysis(flow: Flow, result: RolloutResult): RolloutResult {
  return flow.analysis ? { ...result, analysis: flow.analysis.summary } : result;
}

/** A batch of a wave's targets journaled as `applying`, with the write that makes that durable. */
interface Batch {
  from: number;
  to: number;
  written: Promise<void>;
  /** Set once `written` resolved. */
  durable: boolean;
}

/** The stage outcome of a wave. */
function outcomeOf(engine: Engine, wave: PlannedWave): StageOutcome {
  return engine.stages.find((o) => o.index === wave.index) ?? engine.stages.find((o) => o.name === wave.name)!;
}

/**
 * Run the stages not yet passed, then promote (unless `promoted`); roll back on failure. Used by `runRollout` and by
 * `resumeRollout` with `forward: true`.
 */
export async function forward(flow: Flow, resumed: boolean, promoted = false): Promise<RolloutResult> {
  const { engine, options, s, signal, rt } = flow;
  // One runner per hook kind for the whole rollout: one abort listener each, one timer for all calls in flight.
  // Applies are never abandoned: an abort only aborts their signals, and each settles with its hook or its timeout.
  const applyRunner = new HookRunner(s.applyTimeoutMs, signal, 'apply on ', engine.ctxBase, {
    waitOnAbort: true,
    onLate: (id, ok, value) => engine.applySettledLate(id, ok, value),
  });
  let current: StageOutcome | undefined;
  let currentWave: PlannedWave | undefined;
  try {
    for (const wave of engine.waves) {
      const outcome = outcomeOf(engine, wave);
      if (outcome.status === 'passed') continue;
      current = outcome;
      currentWave = wave;
      signal.throwIfAborted();
      await rt.pauseIfAsked(wave, outcome);
      await rt.windowsBefore(wave, outcome);
      if (wave.approval) await approve(flow, wave, outcome);
      await applyWave(flow, applyRunner, wave, outcome);
      await bakeAndGate(
        { engine, rt, watch: flow.watch, s, signal, judge: options.judge, analysis: flow.analysis?.monitor, dryRun: flow.analysis?.dryRun, judgements: flow.analysis?.summary.judgements },
        wave,
        outcome,
      );
      for (const t of wave.targets) if (engine.states.get(t.id)?.status === 'applied') engine.set(t.id, { status: 'healthy', stage: wave.index });
      outcome.status = 'passed';
      delete outcome.reason;
      await engine.write([{ type: 'stage', ts: now(), stage: wave.index, status: 'passed' }]);
      engine.emit({ type: 'stage.passed', stage: wave.index, name: wave.name });
    }
    current = undefined;
    const last = engine.waves[engine.waves.length - 1];
    if (options.promote && !promoted && last) await promote(flow, last, outcomeOf(engine, last));
    await engine.settleLateApplies();
    const remaining = engine.remaining();
    for (const [tid, st] of engine.states) {
      if (st.status === 'pending') engine.set(tid, { status: 'skipped', reason: engine.leftOut.get(tid) ?? 'not in any wave' });
    }
    let status: RolloutStatus = remaining.length === 0 ? 'completed' : 'incomplete';
    let reason: string | undefined = remaining.length === 0 ? undefined : `${remaining.length} target(s) still on the LKG (see remaining)`;
    if (engine.needsPerson()) {
      status = 'failed';
      reason = 'every stage passed, but some targets need a person (see their states)';
    }
    return await engine.finish(withAnalysis(flow, engine.result(status, reason, resumed, remaining)));
  } catch (err) {
    if (err instanceof HeldOut) {
      if (current) {
        current.status = 'held';
        current.reason = err.message;
      }
      await engine.settleLateApplies();
      return await engine.finish(withAnalysis(flow, engine.result('held', err.message, resumed, engine.remaining())));
    }
    let stop: Stop;
    if (err instanceof Stop && !(signal.aborted && err.kind !== 'journal')) stop = err;
    else if (signal.aborted) stop = new Stop('aborted', signal.reason instanceof OperatorAbort ? signal.reason.message : `aborted: ${describeError(signal.reason)}`);
    else {
      engine.errors.push(new RolloutError('apply', `internal error: ${describeError(err)}`, { cause: err }));
      stop = new Stop('gate', `internal error: ${describeError(err)}`);
    }
    if (current && current.status !== 'denied') {
      current.status = stop.kind === 'aborted' ? 'aborted' : 'failed';
      current.reason = stop.message;
      engine.emit({ type: 'stage.failed', stage: current.index, name: currentWave?.name ?? current.name, reason: stop.message });
      await engine.writeBestEffort([{ type: 'stage', ts: now(), stage: current.index, status: 'failed', reason: stop.message }]);
    } else if (current) current.reason = stop.message;
    await engine.rollbackTargets(engine.changedNewestFirst(), stop.message);
    await engine.settleLateApplies();
    for (const [tid, st] of engine.states) {
      if (st.status === 'pending') engine.states.set(tid, { status: 'skipped', reason: `not attempted: the rollout stopped (${stop.kind})` });
    }
    const status: RolloutStatus = engine.needsPerson() ? 'failed' : stop.kind === 'aborted' ? 'aborted' : 'rolled-back';
    return await engine.finish(withAnalysis(flow, engine.result(status, stop.message, resumed)));
  } finally {
    applyRunner.dispose();
    flow.watch?.dispose();
  }
}

/**
 * Ask for approval while health keeps being checked; anything but `true`, a throw or `approvalTimeout` denies. A denial
 * holds the rollout (`onApprovalDenied: 'hold'`, the default: an operator's `continue`/`promote` asks again, `abort`
 * rolls back) or rolls back at once (`'rollback'`).
 */
async function approve(flow: Flow, wave: PlannedWave, outcome: StageOutcome): Promise<void> {
  const { engine, s, rt } = flow;
  for (;;) {
    const error = await askApproval(flow, wave, outcome);
    if (error === undefined) return;
    if (s.onApprovalDenied === 'rollback') {
      outcome.status = 'denied';
      throw new Stop('approval', `approval denied for stage "${wave.name}" (${error})`);
    }
    await rt.hold('approval', `approval denied for stage "${wave.name}" (${error}); nothing was rolled back: \`continue\` asks again, \`abort\` rolls back`, wave, outcome);
  }
}

/** One approval request; returns undefined when approved, else why not (journaled and emitted either way). */
async function askApproval(flow: Flow, wave: PlannedWave, outcome: StageOutcome): Promise<string | undefined> {
  const { engine, options, s, signal, rt } = flow;
  let approved = false;
  let error: string | undefined;
  const local = new AbortController();
  const onAbort = (): void => local.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const asked = callHook((sig) => options.approval!(wave, { signal: sig, rolloutId: engine.init.id }), s.approvalTimeoutMs, local.signal, `approval of stage "${wave.name}"`, engine.ctxBase);
    asked.catch(ignore);
    await rt.waitWhile(asked, wave, outcome, 'while waiting for approval');
    try {
      approved = (await asked) === true;
      if (!approved) error = 'the approval hook did not return true';
    } catch (err) {
      signal.throwIfAborted();
      error = err instanceof TimeoutError ? `no decision within approvalTimeout: ${describeError(err)}` : describeError(err);
      engine.errors.push(new RolloutError('approval', `approval of stage "${wave.name}" failed: ${error}`, { cause: err }));
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    local.abort(new Error('approval no longer awaited'));
  }
  engine.emit(approved ? { type: 'approval', stage: wave.index, name: wave.name, approved } : { type: 'approval', stage: wave.index, name: wave.name, approved, error: error! });
  await engine.write([approved ? { type: 'approval', ts: now(), stage: wave.index, approved } : { type: 'approval', ts: now(), stage: wave.index, approved, error: error! }]);
  return approved ? undefined : error!;
}

/** Apply a wave's pending targets in journaled batches; health of earlier targets is watched meanwhile. */
async function applyWave(flow: Flow, applyRunner: HookRunner, wave: PlannedWave, outcome: StageOutcome): Promise<void> {
  const { engine, signal, rt } = flow;
  // `baseline: self`: the targets' readings before their change (earlier targets' health is watched meanwhile)
  const monitor = flow.analysis?.monitor;
  if (monitor?.needsBefore) {
    const before = monitor.measureBefore(wave.targets.filter((t) => engine.states.get(t.id) === PENDING), wave, signal);
    before.catch(ignore);
    await rt.waitWhile(before, wave, outcome, `while measuring stage "${wave.name}" before its change`);
    await before;
    await engine.write();
  }
  // ---- apply, in journaled batches (group commit). A batch's `applying` records are durable BEFORE its hooks
  // run; the next batch's records are written while this batch's hooks run (the fsync is off the critical path).
  // the `stage started` record goes out with the first batch (same flush, written first)
  engine.queue({ type: 'stage', ts: now(), stage: wave.index, status: 'started' });
  engine.emit({ type: 'stage.started', stage: wave.index, name: wave.name, targets: wave.targets.length });
  // An operator's `pause` stops new applies at once: those in flight settle (journaled, health-checked), the others
  // stay `pending`, the rollout holds, and a `continue` applies the rest of the stage.
  await rt.pauseIfAsked(wave, outcome);
  while (await applyPending(flow, applyRunner, wave, outcome)) await rt.pauseIfAsked(wave, outcome);

  // tolerated apply failures are restored at once, so the stage continues from a known state
  const tolerated = wave.targets
    .filter((t) => {
      const st = engine.states.get(t.id)?.status;
      return st === 'failed' || st === 'apply-timed-out';
    })
    .map((t) => t.id)
    .reverse();
  if (tolerated.length > 0) {
    await engine.rollbackTargets(tolerated, `stage "${wave.name}": restoring ${tolerated.length} targets whose apply failed (within the failure budget)`);
    const bad = tolerated.filter((id) => engine.states.get(id)?.status === 'rollback-failed');
    if (bad.length > 0) throw new Stop('gate', `stage "${wave.name}": rollback of ${bad.length} targets whose apply failed did not succeed`);
  }
}

/**
 * Apply the stage's pending targets in journaled batches; health of earlier targets is watched meanwhile. Returns true
 * when an operator's `pause` left targets of the stage unattempted (still `pending`).
 */
async function applyPending(flow: Flow, applyRunner: HookRunner, wave: PlannedWave, outcome: StageOutcome): Promise<boolean> {
  const { engine, options, s, signal, rt } = flow;
  let stopApply: Stop | undefined;
  let paused = false;
  const targets: Target[] = wave.targets.filter((t) => engine.states.get(t.id) === PENDING);
  const n = targets.length;
  const stage = wave.index;
  // Group commit: at least max(256, 4 x concurrency) targets per flush. When the hooks finish a batch before the
  // next batch's flush is durable (fast hooks, slow fsync), the batches after it double, up to 64x that.
  const minBatch = Math.max(256, s.concurrency * 4);
  const maxBatch = minBatch * 64;
  let batchSize = minBatch;
  const proposed = options.proposed;
  const applied = (t: Target): void => {
    engine.set(t.id, { status: 'applied', stage });
    outcome.applied++;
    if (engine.listening) engine.emit({ type: 'target.applied', targetId: t.id, stage });
  };
  const failed = (t: Target, err: unknown): void => {
    const msg = describeError(err);
    if (err instanceof TimeoutError) {
      // the hook still runs: its outcome is unknown until it settles (then the target is rolled back again)
      engine.applyTimedOut(t.id);
      engine.set(t.id, { status: 'apply-timed-out', stage, error: msg });
      engine.emit({ type: 'target.apply-timed-out', targetId: t.id, stage, error: msg });
    } else {
      engine.set(t.id, { status: 'failed', stage, error: msg });
      engine.emit({ type: 'target.apply-failed', targetId: t.id, stage, error: msg });
    }
    outcome.applyFailures++;
    engine.errors.push(new RolloutError('apply', `apply on ${t.id} failed: ${msg}`, { targetId: t.id, cause: err }));
    if (outcome.applyFailures > s.failureBudget && !stopApply) {
      stopApply = new Stop('budget', `stage "${wave.name}": ${outcome.applyFailures} apply failures exceed the failure budget of ${s.failureBudget} (first: ${t.id}: ${msg})`);
    }
  };
  const applyOne = (t: Target): Promise<void> | undefined => {
    if (stopApply || signal.aborted || rt.pauseRequested) {
      if (!stopApply && !signal.aborted) paused = true;
      engine.set(t.id, PENDING); // never attempted
      return undefined;
    }
    engine.changedOrder.push(t.id);
    if (engine.listening) engine.emit({ type: 'target.applying', targetId: t.id, stage });
    let r: unknown;
    try {
      r = applyRunner.call(options.apply, t, proposed, wave, 1, engine.gen(t.id));
    } catch (err) {
      failed(t, err);
      return undefined;
    }
    if (r instanceof Promise) {
      return r.then(
        () => applied(t),
        (err: unknown) => failed(t, err),
      );
    }
    applied(t);
    return undefined;
  };
  /** Journal `applying` for targets[from, from + batchSize) and start the write (one flush). */
  const journalBatch = (from: number): Batch => {
    const to = Math.min(n, from + batchSize);
    for (let i = from; i < to; i++) engine.set(targets[i]!.id, { status: 'applying', stage });
    const batch: Batch = { from, to, written: engine.write(), durable: false };
    // awaited before the batch runs; this also keeps a rejection handled meanwhile
    batch.written.then(() => (batch.durable = true), ignore);
    return batch;
  };
  const notAttempted = (batch: Batch): void => {
    for (let i = batch.from; i < batch.to; i++) engine.set(targets[i]!.id, PENDING);
  };
  const run = async (): Promise<void> => {
    let next: Batch | undefined = n > 0 ? journalBatch(0) : undefined;
    try {
      while (next !== undefined) {
        const batch: Batch = next;
        next = undefined;
        if (!batch.durable && batch.from > 0) batchSize = Math.min(batchSize * 2, maxBatch); // the flush is the bottleneck
        try {
          await batch.written; // durable BEFORE the hooks run
        } catch (err) {
          // not durable, so never acted on: these targets are not changed (they end `skipped`, not `applying`)
          for (let i = batch.from; i < batch.to; i++) engine.states.set(targets[i]!.id, PENDING);
          if (stopApply || signal.aborted) break; // that stop is the reason; the journal error is recorded
          throw err;
        }
        if (stopApply || signal.aborted || rt.pauseRequested) {
          if (!stopApply && !signal.aborted) paused = true;
          notAttempted(batch);
          break;
        }
        if (batch.to < n) next = journalBatch(batch.to);
        await pool(batch.to - batch.from, s.concurrency, (i) => applyOne(targets[batch.from + i]!));
      }
    } finally {
      if (next !== undefined) {
        // journaled as applying but never started (defensive: only an internal error leaves the loop here)
        const left = next;
        await left.written.catch(ignore);
        notAttempted(left);
      }
    }
  };
  const applying = run();
  applying.catch(ignore);
  // earlier stages' targets keep being checked (and operator commands read) while this stage applies; a health
  // failure stops new applies (it never races the ones in flight)
  await rt.waitWhile(applying, wave, outcome, `while stage "${wave.name}" was applying`, (stop) => {
    stopApply ??= stop;
  });
  await applying;
  await engine.write();
  signal.throwIfAborted();
  if (stopApply) throw stopApply;
  return paused;
}

/**
 * Promote after the last bake, retried with doubling backoff (`promoteAttempts`, `promoteBackoff`); when every try
 * fails the rollout is held: `continue`/`promote` tries again, `abort` rolls back. A failing promote never rolls back
 * a healthy fleet on its own.
 */
async function promote(flow: Flow, wave: PlannedWave, outcome: StageOutcome): Promise<void> {
  const { engine, options, s, signal, rt } = flow;
  for (;;) {
    let lastError = '';
    for (let attempt = 1; attempt <= s.promoteAttempts; attempt++) {
      signal.throwIfAborted();
      try {
        await callHook((sig) => options.promote!({ signal: sig, rolloutId: engine.init.id, proposed: options.proposed, plan: engine.init.plan }), s.applyTimeoutMs, signal, 'promote', engine.ctxBase);
        await engine.write([{ type: 'promoted', ts: now() }]);
        return;
      } catch (err) {
        if (err instanceof Stop) throw err;
        signal.throwIfAborted();
        lastError = describeError(err);
        engine.errors.push(new RolloutError('promote', `promote failed (attempt ${attempt}): ${lastError}`, { cause: err }));
        const retryInMs = attempt < s.promoteAttempts ? s.promoteBackoffMs * 2 ** (attempt - 1) : undefined;
        engine.emit(retryInMs === undefined ? { type: 'promote.failed', attempt, error: lastError } : { type: 'promote.failed', attempt, error: lastError, retryInMs });
        await engine.write([{ type: 'promote.failed', ts: now(), attempt, error: lastError }]);
        if (retryInMs !== undefined) await rt.sleepWatching(retryInMs, wave, outcome, 'while retrying promote', false);
      }
    }
    await rt.hold('promote', `promote failed ${s.promoteAttempts} times (last: ${lastError}); the fleet is healthy and stays on the proposed config`, wave, outcome);
  }
}

