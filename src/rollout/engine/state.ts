/**
 * The engine's state shared by a run and a resume: target states (journaled before they take effect), per-target
 * fencing generations, rollbacks (serialised, with the optional verify), applies that outlived their timeout, and the
 * result.
 */
import { hostname } from 'node:os';
import { ConfgateError } from '../../errors.js';
import type { Change, PlannedWave, RolloutPlan, Target } from '../../types.js';
import { formatDuration } from '../../units.js';
import { describeError, RolloutError } from '../errors.js';
import { appendJsonLines, FileJournal } from '../journal.js';
import type {
  ActionHook,
  Journal,
  JournalRecord,
  RemainingTarget,
  RolloutEvent,
  RolloutResult,
  RolloutStatus,
  SerializedResult,
  SpawnInfo,
  StageOutcome,
  TargetState,
} from '../types.js';
import { HookRunner, ignore, leaseHooks, pool, type CtxBase } from './hook-runner.js';
import type { Resolved } from './options.js';

/** Stops the forward path of a rollout; the engine then rolls back. */
export class Stop extends Error {
  constructor(
    readonly kind: 'gate' | 'budget' | 'approval' | 'journal' | 'aborted',
    message: string,
  ) {
    super(message);
  }
}

/** Target statuses that mean "the engine may have changed this target" (rolled back on the way out). */
export const CHANGED: ReadonlySet<TargetState['status']> = new Set([
  'applying',
  'applied',
  'healthy',
  'failed',
  'apply-timed-out',
  'rolling-back',
  'rollback-failed',
]);

/** The state of every target not yet attempted (shared: pending states never reach a result). */
export const PENDING: TargetState = Object.freeze({ status: 'pending' });

export const HOST = hostname();

/**
 * The JSON line of a target record: exactly what `JSON.stringify({ type: 'target', targetId, state })` writes for the
 * states the engine builds (keys in the order status, stage, error / reason), without the generic serialiser.
 */
export function encodeTarget(id: string, state: TargetState): string {
  const s = state as { status: string; stage?: unknown; error?: unknown; reason?: unknown };
  if (s.stage !== undefined && !(typeof s.stage === 'number' && Number.isFinite(s.stage))) return `${JSON.stringify({ type: 'target', targetId: id, state })}\n`;
  let line = '{"type":"target","targetId":' + JSON.stringify(id) + ',"state":{"status":"' + s.status + '"';
  if (s.stage !== undefined) line += ',"stage":' + s.stage;
  if (s.error !== undefined) line += ',"error":' + JSON.stringify(s.error);
  if (s.reason !== undefined) line += ',"reason":' + JSON.stringify(s.reason);
  return line + '}}\n';
}

export interface EngineInit {
  id: string;
  plan: RolloutPlan;
  proposed: unknown;
  lkg: unknown;
  changes: Change[];
  journal: Journal;
  settings: Resolved;
  rollback: ActionHook;
  verify?: ActionHook | undefined;
  onEvent: ((e: RolloutEvent) => void) | undefined;
}

const now = (): string => new Date().toISOString();

/** State shared by a run and a resume. */
export class Engine {
  readonly states = new Map<string, TargetState>();
  readonly targets = new Map<string, Target>();
  readonly waveOf = new Map<string, PlannedWave>();
  /** Waves as this run executes them (deferrals move targets to later waves; the caller's plan is never mutated). */
  readonly waves: PlannedWave[];
  /** Target ids in the order their apply was invoked (or journaled as applying, in a resume). */
  readonly changedOrder: string[] = [];
  readonly rollbackAttempts = new Map<string, number>();
  /** Per-target fencing number: +1 with every `applying` or `rolling-back` transition (one per hook call). */
  readonly generation = new Map<string, number>();
  /** Why a target not changed by this run stays on the LKG (deferred at run time). */
  readonly leftOut = new Map<string, string>();
  readonly errors: RolloutError[] = [];
  readonly stages: StageOutcome[];
  /** Records not yet written (when the journal is not a plain FileJournal). */
  pending: JournalRecord[] = [];
  /** Target records not yet written, already as JSON lines (when the journal is a plain FileJournal). */
  pendingText = '';
  /** Serialise target records straight to JSON lines (a FileJournal whose `append` is not replaced). */
  readonly encode: boolean;
  journalBroken = false;
  /** True when there is an `onEvent` listener: without one, no per-target event object is built. */
  readonly listening: boolean;
  readonly ctxBase: CtxBase;

  /** Applies that outlived their timeout and have not settled yet. */
  readonly unsettled = new Set<string>();
  /** Of those, the ones whose rollback started before the apply settled: rolled back again when it settles. */
  readonly #rolledWhileRunning = new Set<string>();
  #rollbackChain: Promise<void> = Promise.resolve();
  readonly #lateRollbacks: Promise<void>[] = [];
  #settledWaiter: (() => void) | undefined;

  constructor(readonly init: EngineInit) {
    this.listening = init.onEvent !== undefined;
    const j = init.journal;
    this.encode = j instanceof FileJournal && j.append === FileJournal.prototype.append;
    this.ctxBase = { lkg: init.lkg, changes: init.changes, rolloutId: init.id, spawned: (id, gen, info) => this.#spawned(id, gen, info), ...leaseHooks(j) };
    this.waves = init.plan.waves.map((w) => ({ ...w, targets: [...w.targets] }));
    this.stages = init.plan.waves.map((w) => ({
      index: w.index,
      name: w.name,
      status: 'not-started',
      targets: w.targets.length,
      applied: 0,
      applyFailures: 0,
      healthRounds: 0,
      healthFailures: 0,
    }));
    for (const w of this.waves) {
      for (const t of w.targets) {
        this.targets.set(t.id, t);
        this.waveOf.set(t.id, w);
        this.states.set(t.id, PENDING);
      }
    }
    for (const n of init.plan.notes ?? []) {
      if (n.action === 'excluded' && !this.states.has(n.targetId)) this.states.set(n.targetId, { status: 'skipped', reason: n.reason });
    }
  }

  emit(e: RolloutEvent): void {
    const h = this.init.onEvent;
    if (!h) return;
    try {
      const r = h(e) as unknown;
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, () => undefined);
    } catch {
      /* a listener never breaks the rollout */
    }
  }

  gen(id: string): number {
    return this.generation.get(id) ?? 0;
  }

  set(id: string, state: TargetState): void {
    if (state.status === 'applying' || state.status === 'rolling-back') this.generation.set(id, (this.generation.get(id) ?? 0) + 1);
    this.states.set(id, state);
    if (this.encode) this.pendingText += encodeTarget(id, state);
    else this.pending.push({ type: 'target', targetId: id, state });
  }

  /** Buffer a non-target record: it is written, in order, with the next {@link write}. */
  queue(record: JournalRecord): void {
    if (this.encode) this.pendingText += `${JSON.stringify(record)}\n`;
    else this.pending.push(record);
  }

  /** Append the buffered records plus `extra` in one batch (one flush). Throws a `Stop('journal')` on failure. */
  async write(extra: JournalRecord[] = []): Promise<void> {
    try {
      if (this.encode) {
        let text = this.pendingText;
        this.pendingText = '';
        for (const r of extra) text += `${JSON.stringify(r)}\n`;
        if (text === '') return;
        await appendJsonLines(this.init.journal as FileJournal, text);
      } else {
        const batch = this.pending.length === 0 ? extra : [...this.pending, ...extra];
        this.pending = [];
        if (batch.length === 0) return;
        await this.init.journal.append(batch);
      }
    } catch (err) {
      this.journalBroken = true;
      const code = err instanceof ConfgateError ? err.code : 'E_JOURNAL';
      const e = new ConfgateError('E_JOURNAL', `journal write failed: ${describeError(err)}`, { cause: err });
      this.errors.push(new RolloutError('journal', e.message, { cause: e, code }));
      throw new Stop('journal', e.message);
    }
  }

  /** Like {@link write} but never throws: used on the way back (rollback beats journaling). */
  async writeBestEffort(extra: JournalRecord[] = []): Promise<void> {
    try {
      await this.write(extra);
    } catch {
      /* already recorded in errors */
    }
  }

  /** A hook reported a process group: journal it on its own (never mixed into a pending batch). */
  #spawned(targetId: string, generation: number, info: SpawnInfo): void {
    if (!info || !Number.isInteger(info.pid) || !Number.isInteger(info.pgid)) return;
    this.init.journal.append([{ type: 'spawn', ts: now(), targetId, generation, pid: info.pid, pgid: info.pgid, host: HOST }]).catch(ignore);
  }

  /** The wave a target belongs to (`current` for targets outside the plan, such as judge baselines). */
  stageOf(id: string, current?: PlannedWave): PlannedWave {
    return this.waveOf.get(id) ?? current ?? this.waves[0] ?? { index: 0, name: '', targets: [], bakeMs: 0, approval: false };
  }

  /** An apply outlived its timeout: its outcome is unknown until it settles (see {@link applySettledLate}). */
  applyTimedOut(id: string): void {
    this.unsettled.add(id);
  }

  /** A timed-out apply settled at last: journal it; if its target was already rolled back, roll it back again. */
  applySettledLate(id: string, ok: boolean, value: unknown): void {
    if (!this.unsettled.delete(id)) return;
    const rec: JournalRecord = { type: 'apply.settled', ts: now(), targetId: id, ok };
    this.init.journal.append([rec]).catch(ignore);
    this.emit(ok ? { type: 'target.apply-settled', targetId: id, ok } : { type: 'target.apply-settled', targetId: id, ok, error: describeError(value) });
    if (this.#rolledWhileRunning.delete(id)) {
      this.#lateRollbacks.push(
        this.rollbackTargets([id], `the apply on ${id} settled after its timeout (${ok ? 'it succeeded' : 'it failed'}), after the target had been rolled back: rolling back again`),
      );
    }
    if (this.unsettled.size === 0) this.#settledWaiter?.();
  }

  /**
   * Roll back `ids` (already ordered newest first) with the rollback concurrency. Each rollback gets its own signal
   * (timeout only: aborting the rollout does not stop its rollback), then `verify` when given. Rollbacks never overlap
   * (a second call waits for the first). Errors are collected, never thrown.
   */
  rollbackTargets(ids: string[], reason: string): Promise<void> {
    const run = this.#rollbackChain.then(() => this.#rollback(ids, reason));
    this.#rollbackChain = run.catch(ignore);
    return run;
  }

  async #rollback(ids: string[], reason: string): Promise<void> {
    if (ids.length === 0) return;
    this.emit({ type: 'rollback.started', reason, targets: ids.length });
    for (const id of ids) {
      const prev = this.states.get(id);
      const stage = prev && 'stage' in prev ? prev.stage : (this.waveOf.get(id)?.index ?? 0);
      const error = prev && 'error' in prev ? prev.error : undefined;
      this.set(id, error === undefined ? { status: 'rolling-back', stage } : { status: 'rolling-back', stage, error });
      if (this.unsettled.has(id)) this.#rolledWhileRunning.add(id);
    }
    await this.writeBestEffort([{ type: 'rollback.started', ts: now(), reason }]);
    const s = this.init.settings;
    const runner = new HookRunner(s.rollbackTimeoutMs, undefined, 'rollback of ', this.ctxBase);
    const verify = this.init.verify;
    const verifier = verify ? new HookRunner(s.rollbackTimeoutMs, undefined, 'verify of ', this.ctxBase) : undefined;
    const rolledBack = (id: string, prev: Extract<TargetState, { status: 'rolling-back' }>): void => {
      if (this.unsettled.has(id)) {
        const error = `apply outlived its timeout and is still running: rolled back (generation ${this.gen(id)}), to be rolled back again when the apply settles`;
        this.set(id, { status: 'apply-timed-out', stage: prev.stage, error });
      } else {
        this.set(id, prev.error === undefined ? { status: 'rolled-back', stage: prev.stage } : { status: 'rolled-back', stage: prev.stage, error: prev.error });
      }
      if (this.listening) this.emit({ type: 'target.rolled-back', targetId: id });
    };
    const failed = (id: string, prev: Extract<TargetState, { status: 'rolling-back' }>, err: unknown, phase: 'rollback' | 'verify'): void => {
      const msg = phase === 'verify' ? `verify after rollback failed: ${describeError(err)}` : describeError(err);
      this.set(id, { status: 'rollback-failed', stage: prev.stage, error: msg });
      this.errors.push(new RolloutError(phase, `${phase} of ${id} failed: ${describeError(err)}`, { targetId: id, cause: err }));
      this.emit({ type: 'target.rollback-failed', targetId: id, error: msg });
    };
    const verifyOne = (id: string, target: Target, prev: Extract<TargetState, { status: 'rolling-back' }>): Promise<void> | undefined => {
      if (!verifier) {
        rolledBack(id, prev);
        return undefined;
      }
      let r: unknown;
      try {
        r = verifier.call(verify!, target, this.init.lkg, this.stageOf(id), 1, this.gen(id));
      } catch (err) {
        failed(id, prev, err, 'verify');
        return undefined;
      }
      if (r instanceof Promise) {
        return r.then(
          () => rolledBack(id, prev),
          (err: unknown) => failed(id, prev, err, 'verify'),
        );
      }
      rolledBack(id, prev);
      return undefined;
    };
    await pool(ids.length, s.rollbackConcurrency, (i) => {
      const id = ids[i]!;
      const target = this.targets.get(id) ?? { id, labels: {} };
      const prev = this.states.get(id) as Extract<TargetState, { status: 'rolling-back' }>;
      const attempt = (this.rollbackAttempts.get(id) ?? 0) + 1;
      this.rollbackAttempts.set(id, attempt);
      let r: unknown;
      try {
        r = runner.call(this.init.rollback, target, this.init.lkg, this.stageOf(id), attempt, this.gen(id));
      } catch (err) {
        failed(id, prev, err, 'rollback');
        return undefined;
      }
      if (r instanceof Promise) {
        return r.then(
          () => verifyOne(id, target, prev),
          (err: unknown) => failed(id, prev, err, 'rollback'),
        );
      }
      return verifyOne(id, target, prev);
    });
    await this.writeBestEffort();
  }

  /**
   * Before finishing: wait (up to `settleTimeout`) for applies that outlived their timeout, and for the rollbacks their
   * late settling started. Targets whose apply still runs keep the state `apply-timed-out`: a person must check them.
   */
  async settleLateApplies(): Promise<void> {
    if (this.unsettled.size > 0) {
      const wait = new Promise<void>((resolve) => {
        this.#settledWaiter = resolve;
        const timer = setTimeout(resolve, Math.min(this.init.settings.settleTimeoutMs, 2_147_483_647));
        timer.unref?.();
      });
      await wait;
      this.#settledWaiter = undefined;
    }
    while (this.#lateRollbacks.length > 0) await this.#lateRollbacks.shift();
    await this.#rollbackChain;
    for (const id of this.unsettled) {
      const st = this.states.get(id);
      if (st?.status !== 'apply-timed-out') continue;
      const error = `apply still running ${formatDuration(this.init.settings.settleTimeoutMs)} after the rollout ended (it outlived its timeout): ${
        this.#rolledWhileRunning.has(id) ? 'the target was rolled back, but the late apply may still land' : 'outcome unknown'
      }; a person must check this target`;
      this.set(id, { status: 'apply-timed-out', stage: st.stage, error });
    }
    await this.writeBestEffort();
  }

  /** Every changed target not yet rolled back, newest first. */
  changedNewestFirst(): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    for (let i = this.changedOrder.length - 1; i >= 0; i--) {
      const id = this.changedOrder[i]!;
      if (seen.has(id)) continue;
      seen.add(id);
      const s = this.states.get(id);
      if (s && CHANGED.has(s.status)) out.push(id);
    }
    return out;
  }

  /** Targets that do not have the proposed config at the end of a forward run, and why. */
  remaining(): RemainingTarget[] {
    const out: RemainingTarget[] = [];
    for (const [id, s] of this.states) {
      if (s.status === 'applied' || s.status === 'healthy') continue;
      let reason: string;
      if (s.status === 'skipped') reason = s.reason;
      else if (s.status === 'pending') reason = this.leftOut.get(id) ?? 'not attempted';
      else if (s.status === 'rolled-back') reason = `rolled back${s.error ? ` after: ${s.error}` : ''}`;
      else reason = `${s.status}${'error' in s && s.error ? `: ${s.error}` : ''}`;
      out.push({ targetId: id, reason });
    }
    return out;
  }

  result(status: RolloutStatus, reason: string | undefined, resumed: boolean, remaining?: RemainingTarget[]): RolloutResult {
    const targets: Record<string, TargetState> = {};
    for (const [id, s] of this.states) targets[id] = s;
    const res: RolloutResult = { status, id: this.init.id, targets, stages: this.stages, errors: [...this.errors] };
    if (this.errors.length > 0) res.error = new AggregateError(this.errors, reason ?? `rollout ${this.init.id} met ${this.errors.length} errors`);
    if (reason !== undefined) res.reason = reason;
    if (resumed) res.resumed = true;
    if (remaining !== undefined) res.remaining = remaining;
    return res;
  }

  /** True when some target needs a person (a failed rollback or an apply that never settled). */
  needsPerson(): boolean {
    for (const st of this.states.values()) if (st.status === 'rollback-failed' || st.status === 'apply-timed-out') return true;
    return false;
  }

  serialize(res: RolloutResult): SerializedResult {
    const serial: SerializedResult = {
      status: res.status,
      id: res.id,
      targets: res.targets,
      stages: res.stages,
      errors: this.errors.map((e) => e.toJSON()),
    };
    if (res.reason !== undefined) serial.reason = res.reason;
    if (res.resumed) serial.resumed = true;
    if (res.remaining !== undefined) serial.remaining = res.remaining;
    if (res.analysis !== undefined) serial.analysis = res.analysis;
    return serial;
  }

  /** Journal the end (`rollout.finished`, unless `held`: a held rollout stays resumable) and emit it. */
  async finish(res: RolloutResult): Promise<RolloutResult> {
    if (res.status === 'held') await this.writeBestEffort();
    else await this.writeBestEffort([{ type: 'rollout.finished', ts: now(), result: this.serialize(res) }]);
    // a journal failure while finishing is reported too
    if (res.errors.length !== this.errors.length) {
      res.errors = [...this.errors];
      res.error = new AggregateError(this.errors, res.reason ?? `rollout ${res.id} met ${this.errors.length} errors`);
    }
    this.emit(res.reason === undefined ? { type: 'rollout.finished', id: res.id, status: res.status } : { type: 'rollout.finished', id: res.id, status: res.status, reason: res.reason });
    return res;
  }
}
