/**
 * The rollout engine: the only effectful stage. Applies waves through the caller's hooks, gates each wave on health
 * (and optionally a baseline comparison), rolls back every changed target on any failure, and journals every
 * transition before the effect it describes so that a crashed rollout can be resumed (see `resumeRollout`).
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { ConfgateError, OptionsError } from '../errors.js';
import type { Change, PlannedWave, RolloutPlan, Target } from '../types.js';
import { formatDuration, parseDuration } from '../units.js';
import { describeError, RolloutError } from './errors.js';
import { FileJournal, MemoryJournal } from './journal.js';
import { mannWhitneyU } from './stats.js';
import type {
  ActionHook,
  ApprovalHook,
  HealthHook,
  HealthOptions,
  HealthResult,
  HookContext,
  JudgeOptions,
  Journal,
  JournalRecord,
  PromoteHook,
  RolloutEvent,
  RolloutResult,
  RolloutStatus,
  SerializedResult,
  StageOutcome,
  TargetState,
} from './types.js';

/** Options of {@link runRollout}. */
export interface RunOptions {
  /** The plan from `planRollout`. */
  plan: RolloutPlan;
  /** The proposed config (passed to `apply` and `health` as `ctx.config`; stored in the journal, so JSON-serialisable). */
  proposed: unknown;
  /** The last known good config (passed to `rollback` as `ctx.config`; stored in the journal). */
  lkg: unknown;
  /** The changes between LKG and proposed, passed to hooks. @default [] */
  changes?: Change[];
  /** Put the proposed config on a target. Must be idempotent (a resume may roll back and a new run re-apply). */
  apply: ActionHook;
  /** Health check. Without it health is not checked (a `warning` event says so) and each stage only waits its bake. */
  health?: HealthHook;
  /** Put the LKG back on a target. Must be idempotent: it may run on a target whose apply never happened. */
  rollback: ActionHook;
  /** Asked before each stage with `approval: true`. Without it such a stage is denied (fail closed). */
  approval?: ApprovalHook;
  /** Called once after the last stage baked (promote the proposed config to LKG). A throw rolls everything back. */
  promote?: PromoteHook;
  /** Parallel apply and health calls. @default 16 */
  concurrency?: number;
  /** Parallel rollback calls. @default the value of `concurrency` */
  rollbackConcurrency?: number;
  /** Time allowed for one apply call (its signal is aborted, the call counts as failed). @default '5m' */
  applyTimeout?: number | string;
  /** Time allowed for one rollback call. @default the value of `applyTimeout` */
  rollbackTimeout?: number | string;
  /** Health gate settings. @default { interval: '30s', timeout: '10s', failureLimit: 0, successes: 1 } */
  healthOptions?: HealthOptions;
  /** Apply failures tolerated per stage; tolerated failures are rolled back at once. @default 0 */
  failureBudget?: number;
  /** Baseline comparison of health metrics (Mann–Whitney U). */
  judge?: JudgeOptions;
  /** Aborting rolls back every changed target (rollback hooks get their own, un-aborted signal) and ends `aborted`. */
  signal?: AbortSignal;
  /** Where transitions are journaled: a {@link Journal} or a file path (a {@link FileJournal}). @default an in-memory journal */
  journal?: Journal | string;
  /** Progress events; exceptions thrown by it are ignored. */
  onEvent?: (event: RolloutEvent) => void;
  /** Rollout id. @default a random UUID */
  id?: string;
}

/** Hooks and settings for {@link resumeRollout}. Only `rollback` is required: a crashed rollout is rolled back. */
export interface ResumeOptions {
  rollback: ActionHook;
  /** Accepted for symmetry with `runRollout`; not called (a resume never applies). */
  apply?: ActionHook;
  health?: HealthHook;
  /** @default 16 */
  rollbackConcurrency?: number;
  /** @default '5m' */
  rollbackTimeout?: number | string;
  onEvent?: (event: RolloutEvent) => void;
}

interface Resolved {
  concurrency: number;
  rollbackConcurrency: number;
  applyTimeoutMs: number;
  rollbackTimeoutMs: number;
  intervalMs: number;
  healthTimeoutMs: number;
  failureLimit: number;
  successes: number;
  failureBudget: number;
}

/** Stops the forward path of a rollout; the engine then rolls back. */
class Stop extends Error {
  constructor(
    readonly kind: 'gate' | 'budget' | 'approval' | 'journal' | 'promote' | 'aborted',
    message: string,
  ) {
    super(message);
  }
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

const MAX_TIMER = 2_147_483_647;
const CHANGED: ReadonlySet<TargetState['status']> = new Set(['applying', 'applied', 'healthy', 'failed', 'rolling-back', 'rollback-failed']);

function posInt(v: unknown, field: string, min: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new OptionsError(`\`${field}\` must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function fn(v: unknown, field: string, required: boolean): void {
  if (v === undefined && !required) return;
  if (typeof v !== 'function') throw new OptionsError(`\`${field}\` must be a function, got ${v === undefined ? 'undefined' : typeof v}`);
}

/** Wait `ms`, waking immediately (rejecting with the abort reason) when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(Math.max(0, ms), MAX_TIMER));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Run a hook with its own signal, aborted on timeout or when `parent` aborts; the returned promise is raced. */
async function callHook<T>(call: (signal: AbortSignal) => T | Promise<T>, timeoutMs: number, parent: AbortSignal, what: string): Promise<T> {
  const ctrl = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new TimeoutError(`${what} timed out after ${formatDuration(timeoutMs)}`);
      ctrl.abort(e);
      reject(e);
    }, Math.min(timeoutMs, MAX_TIMER));
    onAbort = () => {
      ctrl.abort(parent.reason);
      reject(parent.reason instanceof Error ? parent.reason : new Error(`${what} aborted`));
    };
    if (parent.aborted) onAbort();
    else parent.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([Promise.resolve().then(() => call(ctrl.signal)), guard]);
  } finally {
    clearTimeout(timer);
    if (onAbort) parent.removeEventListener('abort', onAbort);
  }
}

function resolveOptions(o: Partial<RunOptions>): Resolved {
  const h = o.healthOptions ?? {};
  const concurrency = posInt(o.concurrency, 'concurrency', 1, 16);
  const applyTimeoutMs = parseDuration(o.applyTimeout ?? '5m', 'applyTimeout');
  return {
    concurrency,
    rollbackConcurrency: posInt(o.rollbackConcurrency, 'rollbackConcurrency', 1, concurrency),
    applyTimeoutMs,
    rollbackTimeoutMs: o.rollbackTimeout === undefined ? applyTimeoutMs : parseDuration(o.rollbackTimeout, 'rollbackTimeout'),
    intervalMs: parseDuration(h.interval ?? '30s', 'healthOptions.interval'),
    healthTimeoutMs: parseDuration(h.timeout ?? '10s', 'healthOptions.timeout'),
    failureLimit: posInt(h.failureLimit, 'healthOptions.failureLimit', 0, 0),
    successes: posInt(h.successes, 'healthOptions.successes', 1, 1),
    failureBudget: posInt(o.failureBudget, 'failureBudget', 0, 0),
  };
}

function validatePlan(plan: unknown): RolloutPlan {
  const p = plan as RolloutPlan | null;
  if (p === null || typeof p !== 'object' || !Array.isArray(p.waves)) {
    throw new OptionsError('`plan` must be a RolloutPlan from planRollout (with `waves`)');
  }
  const seen = new Set<string>();
  for (const [i, w] of p.waves.entries()) {
    if (!w || !Array.isArray(w.targets)) throw new OptionsError(`\`plan.waves[${i}].targets\` must be a list of targets`);
    for (const t of w.targets) {
      if (seen.has(t.id)) throw new OptionsError(`\`plan.waves[${i}]\` lists target ${JSON.stringify(t.id)}, which is already in an earlier wave`);
      seen.add(t.id);
    }
  }
  return p;
}

function toJournal(j: Journal | string | undefined): Journal {
  if (j === undefined) return new MemoryJournal();
  if (typeof j === 'string') return new FileJournal(j);
  for (const m of ['lock', 'append', 'read', 'unlock'] as const) {
    if (typeof (j as unknown as Record<string, unknown>)[m] !== 'function') throw new OptionsError(`\`journal\` must be a path or a Journal with \`${m}()\``);
  }
  return j;
}

/** Index of the last `rollout.started` record and whether a `rollout.finished` follows it. */
function lastRollout(records: JournalRecord[]): { start: number; finished?: Extract<JournalRecord, { type: 'rollout.finished' }> } {
  let start = -1;
  for (let i = records.length - 1; i >= 0; i--) {
    if (records[i]!.type === 'rollout.started') {
      start = i;
      break;
    }
  }
  if (start < 0) return { start };
  for (let i = start + 1; i < records.length; i++) {
    const r = records[i]!;
    if (r.type === 'rollout.finished') return { start, finished: r };
  }
  return { start };
}

interface EngineInit {
  id: string;
  plan: RolloutPlan;
  proposed: unknown;
  lkg: unknown;
  changes: Change[];
  journal: Journal;
  settings: Resolved;
  rollback: ActionHook;
  onEvent: ((e: RolloutEvent) => void) | undefined;
}

/** State shared by a run and a resume. */
class Engine {
  readonly states = new Map<string, TargetState>();
  readonly targets = new Map<string, Target>();
  readonly waveOf = new Map<string, PlannedWave>();
  /** Target ids in the order their apply was invoked (or journaled as applying, in a resume). */
  readonly changedOrder: string[] = [];
  readonly rollbackAttempts = new Map<string, number>();
  readonly errors: RolloutError[] = [];
  readonly stages: StageOutcome[];
  pending: JournalRecord[] = [];
  journalBroken = false;

  constructor(readonly init: EngineInit) {
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
    for (const w of init.plan.waves) {
      for (const t of w.targets) {
        this.targets.set(t.id, t);
        this.waveOf.set(t.id, w);
        this.states.set(t.id, { status: 'pending' });
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

  set(id: string, state: TargetState): void {
    this.states.set(id, state);
    this.pending.push({ type: 'target', targetId: id, state });
  }

  /** Append the buffered records plus `extra` in one batch (one flush). Throws a `Stop('journal')` on failure. */
  async write(extra: JournalRecord[] = []): Promise<void> {
    const batch = this.pending.length === 0 ? extra : [...this.pending, ...extra];
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.init.journal.append(batch);
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

  ctx(target: Target, config: unknown, signal: AbortSignal, attempt: number, current?: PlannedWave): HookContext {
    const stage = this.waveOf.get(target.id) ?? current ?? this.init.plan.waves[0] ?? { index: 0, name: '', targets: [], bakeMs: 0, approval: false };
    return { config, lkg: this.init.lkg, changes: this.init.changes, stage, attempt, signal, rolloutId: this.init.id };
  }

  /**
   * Roll back `ids` (already ordered newest first) with the rollback concurrency. Each rollback gets its own signal
   * (timeout only: aborting the rollout does not stop its rollback). Errors are collected, never thrown.
   */
  async rollbackTargets(ids: string[], reason: string): Promise<void> {
    if (ids.length === 0) return;
    this.emit({ type: 'rollback.started', reason, targets: ids.length });
    for (const id of ids) {
      const prev = this.states.get(id);
      const stage = prev && 'stage' in prev ? prev.stage : (this.waveOf.get(id)?.index ?? 0);
      const error = prev && 'error' in prev ? prev.error : undefined;
      this.set(id, error === undefined ? { status: 'rolling-back', stage } : { status: 'rolling-back', stage, error });
    }
    await this.writeBestEffort([{ type: 'rollback.started', ts: new Date().toISOString(), reason }]);
    const never = new AbortController().signal;
    setMaxListeners(0, never);
    const limit = pLimit(this.init.settings.rollbackConcurrency);
    await Promise.all(
      ids.map((id) =>
        limit(async () => {
          const target = this.targets.get(id) ?? { id, labels: {} };
          const prev = this.states.get(id) as Extract<TargetState, { status: 'rolling-back' }>;
          const attempt = (this.rollbackAttempts.get(id) ?? 0) + 1;
          this.rollbackAttempts.set(id, attempt);
          try {
            await callHook((signal) => this.init.rollback(target, this.ctx(target, this.init.lkg, signal, attempt)), this.init.settings.rollbackTimeoutMs, never, `rollback of ${id}`);
            this.set(id, prev.error === undefined ? { status: 'rolled-back', stage: prev.stage } : { status: 'rolled-back', stage: prev.stage, error: prev.error });
            this.emit({ type: 'target.rolled-back', targetId: id });
          } catch (err) {
            const msg = describeError(err);
            this.set(id, { status: 'rollback-failed', stage: prev.stage, error: msg });
            this.errors.push(new RolloutError('rollback', `rollback of ${id} failed: ${msg}`, { targetId: id, cause: err }));
            this.emit({ type: 'target.rollback-failed', targetId: id, error: msg });
          }
        }),
      ),
    );
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

  result(status: RolloutStatus, reason: string | undefined, resumed: boolean): RolloutResult {
    const targets: Record<string, TargetState> = {};
    for (const [id, s] of this.states) targets[id] = s;
    const res: RolloutResult = { status, id: this.init.id, targets, stages: this.stages, errors: [...this.errors] };
    if (this.errors.length > 0) res.error = new AggregateError(this.errors, reason ?? `rollout ${this.init.id} met ${this.errors.length} errors`);
    if (reason !== undefined) res.reason = reason;
    if (resumed) res.resumed = true;
    return res;
  }

  async finish(res: RolloutResult): Promise<RolloutResult> {
    const serial: SerializedResult = {
      status: res.status,
      id: res.id,
      targets: res.targets,
      stages: res.stages,
      errors: this.errors.map((e) => e.toJSON()),
    };
    if (res.reason !== undefined) serial.reason = res.reason;
    if (res.resumed) serial.resumed = true;
    await this.writeBestEffort([{ type: 'rollout.finished', ts: new Date().toISOString(), result: serial }]);
    // a journal failure while finishing is reported too
    if (res.errors.length !== this.errors.length) {
      res.errors = [...this.errors];
      res.error = new AggregateError(this.errors, res.reason ?? `rollout ${res.id} met ${this.errors.length} errors`);
    }
    this.emit(res.reason === undefined ? { type: 'rollout.finished', id: res.id, status: res.status } : { type: 'rollout.finished', id: res.id, status: res.status, reason: res.reason });
    return res;
  }
}

type Check = { healthy: boolean; error?: string; metrics?: Record<string, number> };

function interpretHealth(r: HealthResult | boolean | void): Check {
  if (r === undefined || r === true) return { healthy: true };
  if (r === false) return { healthy: false, error: 'health check returned false' };
  if (r !== null && typeof r === 'object' && typeof (r as HealthResult).healthy === 'boolean') {
    const out: Check = { healthy: (r as HealthResult).healthy };
    const m = (r as HealthResult).metrics;
    if (m && typeof m === 'object') out.metrics = m;
    if (!out.healthy) out.error = (r as HealthResult).message ?? 'health check reported unhealthy';
    return out;
  }
  return { healthy: false, error: `health check returned an unexpected value (${typeof r}); expected boolean or { healthy }` };
}

/**
 * Run a staged rollout.
 *
 * For each wave: ask approval when the wave needs it; journal `applying` for a batch of targets (one flush), then call
 * `apply` (at most `concurrency` at once, each with `applyTimeout`); journal the results. Apply failures beyond
 * `failureBudget` fail the stage. Then the health gate: health rounds on EVERY target applied so far (not only the
 * wave's) right after the apply, every `interval` during the bake, and once more when the bake ends (with zero bake:
 * exactly one round). A health call that throws, returns `false`/`{ healthy: false }`, returns anything unexpected, or
 * times out is a failure; more than `failureLimit` failures per stage fail the gate; every checked target needs
 * `successes` consecutive passes (extra rounds run after the bake until it has them or the limit is hit). With `judge`,
 * canary metrics of the stage are compared with baseline metrics (one-sided Mann–Whitney U at `alpha`).
 *
 * On a failed gate, exhausted budget, denied approval, a journal failure or abort, every target already changed
 * (apply attempted) is rolled back, newest first; rollback errors do not stop other rollbacks.
 * The engine never calls `apply` twice on a target in one run; hooks must still be idempotent because a resume may
 * roll back a target whose apply never ran.
 *
 * Throws only for misuse ({@link OptionsError}), a held lock (`E_ROLLOUT_LOCKED`) or a journal that cannot take the
 * first record (`E_JOURNAL`, before anything is applied). Everything else is in the result.
 */
export async function runRollout(options: RunOptions): Promise<RolloutResult> {
  if (options === null || typeof options !== 'object') throw new OptionsError('`runRollout` needs an options object');
  const plan = validatePlan(options.plan);
  fn(options.apply, 'apply', true);
  fn(options.rollback, 'rollback', true);
  fn(options.health, 'health', false);
  fn(options.approval, 'approval', false);
  fn(options.promote, 'promote', false);
  fn(options.onEvent, 'onEvent', false);
  const settings = resolveOptions(options);
  const judge = options.judge;
  if (judge !== undefined) {
    if (!options.health) throw new OptionsError('`judge` needs a `health` hook that returns `{ metrics }`');
    if (!Array.isArray(judge.baseline)) throw new OptionsError('`judge.baseline` must be a list of targets');
    for (const [name, m] of Object.entries(judge.metrics ?? {})) {
      if (m?.direction !== 'increase' && m?.direction !== 'decrease') {
        throw new OptionsError(`\`judge.metrics.${name}.direction\` must be "increase" or "decrease", got ${JSON.stringify(m?.direction)}`);
      }
      if (m.alpha !== undefined && !(m.alpha > 0 && m.alpha < 1)) throw new OptionsError(`\`judge.metrics.${name}.alpha\` must be between 0 and 1, got ${JSON.stringify(m.alpha)}`);
    }
  }
  if (options.changes !== undefined && !Array.isArray(options.changes)) throw new OptionsError('`changes` must be a list of changes');
  // One listener on the caller's signal; the many per-hook listeners go on an internal signal without a listener cap.
  const internal = new AbortController();
  setMaxListeners(0, internal.signal);
  const onAbort = (): void => internal.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = internal.signal;
  const journal = toJournal(options.journal);
  const id = options.id ?? randomUUID();

  try {
    await journal.lock();
    return await locked(journal, options, plan, settings, signal, id);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function locked(journal: Journal, options: RunOptions, plan: RolloutPlan, settings: Resolved, signal: AbortSignal, id: string): Promise<RolloutResult> {
  try {
    const existing = await journal.read().catch((err: unknown) => {
      throw err instanceof ConfgateError ? err : new ConfgateError('E_JOURNAL', `cannot read journal: ${describeError(err)}`, { cause: err });
    });
    const prior = lastRollout(existing);
    if (prior.start >= 0 && !prior.finished) {
      const r = existing[prior.start] as Extract<JournalRecord, { type: 'rollout.started' }>;
      throw new ConfgateError('E_JOURNAL', `the journal holds an unfinished rollout ${r.id}: resume it with resumeRollout() before starting another`);
    }
    const engine = new Engine({
      id,
      plan,
      proposed: options.proposed,
      lkg: options.lkg,
      changes: options.changes ?? [],
      journal,
      settings,
      rollback: options.rollback,
      onEvent: options.onEvent,
    });
    // The first record must be durable before anything happens: failure here throws E_JOURNAL.
    try {
      await journal.append([
        { type: 'rollout.started', v: 1, id, ts: new Date().toISOString(), plan, proposed: options.proposed, lkg: options.lkg, changes: options.changes ?? [] },
      ]);
    } catch (err) {
      throw err instanceof ConfgateError && err.code === 'E_JOURNAL'
        ? err
        : new ConfgateError('E_JOURNAL', `cannot write journal: ${describeError(err)}`, { cause: err });
    }
    return await forward(engine, options, settings, signal);
  } finally {
    await journal.unlock().catch(() => undefined);
  }
}

async function forward(engine: Engine, options: RunOptions, s: Resolved, signal: AbortSignal): Promise<RolloutResult> {
  const { plan } = engine.init;
  const total = plan.waves.reduce((n, w) => n + w.targets.length, 0);
  engine.emit({ type: 'rollout.started', id: engine.init.id, waves: plan.waves.length, targets: total });
  if (!options.health) engine.emit({ type: 'warning', message: 'no health hook: health is not checked, stages only wait their bake time' });
  const limit = pLimit(s.concurrency);
  let current: StageOutcome | undefined;
  try {
    for (const wave of plan.waves) {
      const outcome = engine.stages[wave.index] ?? engine.stages.find((o) => o.name === wave.name)!;
      current = outcome;
      signal.throwIfAborted();

      // ---- approval
      if (wave.approval) {
        let approved = false;
        let error: string | undefined;
        if (!options.approval) error = 'no approval hook';
        else {
          try {
            approved = (await callHook((sig) => options.approval!(wave, { signal: sig, rolloutId: engine.init.id }), MAX_TIMER, signal, 'approval')) === true;
          } catch (err) {
            signal.throwIfAborted();
            error = describeError(err);
            engine.errors.push(new RolloutError('approval', `approval of stage "${wave.name}" failed: ${error}`, { cause: err }));
          }
        }
        engine.emit(error === undefined ? { type: 'approval', stage: wave.index, name: wave.name, approved } : { type: 'approval', stage: wave.index, name: wave.name, approved, error });
        await engine.write([{ type: 'approval', ts: new Date().toISOString(), stage: wave.index, approved }]);
        if (!approved) {
          outcome.status = 'denied';
          throw new Stop('approval', `approval denied for stage "${wave.name}"${error ? ` (${error})` : ''}`);
        }
      }

      // ---- apply, in journaled batches (group commit)
      await engine.write([{ type: 'stage', ts: new Date().toISOString(), stage: wave.index, status: 'started' }]);
      engine.emit({ type: 'stage.started', stage: wave.index, name: wave.name, targets: wave.targets.length });
      let stopApply: Stop | undefined;
      const batchSize = Math.max(256, s.concurrency * 4);
      for (let b = 0; b < wave.targets.length && !stopApply; b += batchSize) {
        signal.throwIfAborted();
        const batch = wave.targets.slice(b, b + batchSize);
        for (const t of batch) engine.set(t.id, { status: 'applying', stage: wave.index });
        try {
          await engine.write(); // durable BEFORE the hooks run
        } catch (err) {
          // not durable, so never acted on: these targets are not changed (they end `skipped`, not `applying`)
          for (const t of batch) engine.states.set(t.id, { status: 'pending' });
          throw err;
        }
        await Promise.all(
          batch.map((t) =>
            limit(async () => {
              if (stopApply || signal.aborted) {
                engine.set(t.id, { status: 'pending' }); // never attempted
                return;
              }
              engine.changedOrder.push(t.id);
              engine.emit({ type: 'target.applying', targetId: t.id, stage: wave.index });
              try {
                await callHook((sig) => options.apply(t, engine.ctx(t, options.proposed, sig, 1)), s.applyTimeoutMs, signal, `apply on ${t.id}`);
                engine.set(t.id, { status: 'applied', stage: wave.index });
                outcome.applied++;
                engine.emit({ type: 'target.applied', targetId: t.id, stage: wave.index });
              } catch (err) {
                const msg = describeError(err);
                engine.set(t.id, { status: 'failed', stage: wave.index, error: msg });
                outcome.applyFailures++;
                engine.errors.push(new RolloutError('apply', `apply on ${t.id} failed: ${msg}`, { targetId: t.id, cause: err }));
                engine.emit({ type: 'target.apply-failed', targetId: t.id, stage: wave.index, error: msg });
                if (outcome.applyFailures > s.failureBudget && !stopApply) {
                  stopApply = new Stop('budget', `stage "${wave.name}": ${outcome.applyFailures} apply failures exceed the failure budget of ${s.failureBudget} (first: ${t.id}: ${msg})`);
                }
              }
            }),
          ),
        );
      }
      await engine.write();
      signal.throwIfAborted();
      if (stopApply) throw stopApply;

      // tolerated apply failures are restored at once, so the stage continues from a known state
      const tolerated = wave.targets.filter((t) => engine.states.get(t.id)?.status === 'failed').map((t) => t.id).reverse();
      if (tolerated.length > 0) {
        await engine.rollbackTargets(tolerated, `stage "${wave.name}": restoring ${tolerated.length} targets whose apply failed (within the failure budget)`);
        const bad = tolerated.filter((id) => engine.states.get(id)?.status === 'rollback-failed');
        if (bad.length > 0) throw new Stop('gate', `stage "${wave.name}": rollback of ${bad.length} targets whose apply failed did not succeed`);
      }

      // ---- bake + health gate
      await healthGate(engine, options, s, wave, outcome, limit, signal);
      for (const t of wave.targets) if (engine.states.get(t.id)?.status === 'applied') engine.set(t.id, { status: 'healthy', stage: wave.index });
      outcome.status = 'passed';
      await engine.write([{ type: 'stage', ts: new Date().toISOString(), stage: wave.index, status: 'passed' }]);
      engine.emit({ type: 'stage.passed', stage: wave.index, name: wave.name });
    }
    current = undefined;

    // ---- promote the LKG only after the last bake
    if (options.promote) {
      signal.throwIfAborted();
      try {
        await callHook((sig) => options.promote!({ signal: sig, rolloutId: engine.init.id, proposed: options.proposed, plan }), MAX_TIMER, signal, 'promote');
      } catch (err) {
        signal.throwIfAborted();
        engine.errors.push(new RolloutError('promote', `promote failed: ${describeError(err)}`, { cause: err }));
        throw new Stop('promote', `promote failed: ${describeError(err)}`);
      }
      await engine.write([{ type: 'promoted', ts: new Date().toISOString() }]);
    }
    return await engine.finish(engine.result('completed', undefined, false));
  } catch (err) {
    let stop: Stop;
    if (err instanceof Stop && !(signal.aborted && err.kind !== 'journal')) stop = err;
    else if (signal.aborted) stop = new Stop('aborted', `aborted: ${describeError(signal.reason)}`);
    else {
      engine.errors.push(new RolloutError('apply', `internal error: ${describeError(err)}`, { cause: err }));
      stop = new Stop('gate', `internal error: ${describeError(err)}`);
    }
    if (current && current.status !== 'denied') {
      current.status = stop.kind === 'aborted' ? 'aborted' : 'failed';
      current.reason = stop.message;
      engine.emit({ type: 'stage.failed', stage: current.index, name: current.name, reason: stop.message });
      await engine.writeBestEffort([{ type: 'stage', ts: new Date().toISOString(), stage: current.index, status: 'failed', reason: stop.message }]);
    } else if (current) current.reason = stop.message;
    await engine.rollbackTargets(engine.changedNewestFirst(), stop.message);
    for (const [tid, st] of engine.states) {
      if (st.status === 'pending') engine.states.set(tid, { status: 'skipped', reason: `not attempted: the rollout stopped (${stop.kind})` });
    }
    const anyFailed = [...engine.states.values()].some((st) => st.status === 'rollback-failed');
    const status: RolloutStatus = anyFailed ? 'failed' : stop.kind === 'aborted' ? 'aborted' : 'rolled-back';
    return await engine.finish(engine.result(status, stop.message, false));
  }
}

async function healthGate(
  engine: Engine,
  options: RunOptions,
  s: Resolved,
  wave: PlannedWave,
  outcome: StageOutcome,
  limit: ReturnType<typeof pLimit>,
  signal: AbortSignal,
): Promise<void> {
  const health = options.health;
  const start = Date.now();
  const deadline = start + wave.bakeMs;
  if (!health) {
    await sleep(wave.bakeMs, signal);
    engine.emit({ type: 'stage.baked', stage: wave.index, name: wave.name, rounds: 0, failures: 0 });
    return;
  }
  const judge = options.judge;
  const checked = [...engine.states].filter(([, st]) => st.status === 'applied' || st.status === 'healthy').map(([id]) => engine.targets.get(id)!);
  const baseline = judge ? judge.baseline.filter((t) => !engine.states.has(t.id) || !CHANGED.has(engine.states.get(t.id)!.status)) : [];
  const consecutive = new Map<string, number>();
  const samples = { canary: new Map<string, number[]>(), baseline: new Map<string, number[]>() };
  let firstFailure: string | undefined;
  let round = 0;
  const check = async (t: Target, isBaseline: boolean): Promise<void> => {
    let c: Check;
    try {
      const config = isBaseline ? engine.init.lkg : options.proposed;
      c = interpretHealth(await callHook((sig) => health(t, engine.ctx(t, config, sig, round, wave)), s.healthTimeoutMs, signal, `health check of ${t.id}`));
    } catch (err) {
      if (signal.aborted) throw err;
      c = { healthy: false, error: describeError(err) };
    }
    const ev: RolloutEvent = { type: 'health.result', targetId: t.id, stage: wave.index, round, healthy: c.healthy, baseline: isBaseline };
    if (c.error !== undefined) ev.error = c.error;
    if (c.metrics !== undefined) ev.metrics = c.metrics;
    engine.emit(ev);
    if (judge && c.metrics) {
      const into = isBaseline ? samples.baseline : samples.canary;
      for (const name of Object.keys(judge.metrics)) {
        const v = c.metrics[name];
        if (typeof v === 'number' && Number.isFinite(v)) (into.get(name) ?? into.set(name, []).get(name)!).push(v);
      }
    }
    if (isBaseline) return; // baseline targets are not changed: their failures do not fail the gate
    if (c.healthy) consecutive.set(t.id, (consecutive.get(t.id) ?? 0) + 1);
    else {
      consecutive.set(t.id, 0);
      outcome.healthFailures++;
      firstFailure ??= `${t.id}: ${c.error ?? 'unhealthy'}`;
    }
  };
  for (;;) {
    signal.throwIfAborted();
    round++;
    outcome.healthRounds = round;
    await Promise.all([...checked.map((t) => limit(() => check(t, false))), ...baseline.map((t) => limit(() => check(t, true)))]);
    signal.throwIfAborted();
    if (outcome.healthFailures > s.failureLimit) {
      throw new Stop('gate', `stage "${wave.name}": ${outcome.healthFailures} failed health checks exceed the limit of ${s.failureLimit} (first: ${firstFailure})`);
    }
    const now = Date.now();
    if (now >= deadline) {
      if (checked.every((t) => (consecutive.get(t.id) ?? 0) >= s.successes)) break;
      await sleep(s.intervalMs, signal);
    } else {
      await sleep(Math.min(s.intervalMs, deadline - now), signal);
    }
  }
  engine.emit({ type: 'stage.baked', stage: wave.index, name: wave.name, rounds: round, failures: outcome.healthFailures });

  if (judge) {
    for (const [name, m] of Object.entries(judge.metrics)) {
      const canary = samples.canary.get(name) ?? [];
      const base = samples.baseline.get(name) ?? [];
      const minSamples = m.minSamples ?? 5;
      if (canary.length < minSamples || base.length < minSamples) {
        engine.emit({ type: 'warning', message: `stage "${wave.name}": metric "${name}" not judged: ${canary.length} canary and ${base.length} baseline samples (need ${minSamples} each)` });
        continue;
      }
      const alpha = m.alpha ?? 0.05;
      const alt = m.direction === 'increase' ? 'greater' : 'less';
      const r = mannWhitneyU(canary, base, alt);
      if (r.p < alpha) {
        throw new Stop(
          'gate',
          `stage "${wave.name}": metric "${name}" degraded: canary ${m.direction === 'increase' ? 'higher' : 'lower'} than baseline (Mann–Whitney U=${r.u}, p=${r.p.toPrecision(3)} < alpha ${alpha})`,
        );
      }
    }
  }
}

/**
 * Resume a rollout from its journal after a crash.
 *
 * If the journal's last rollout finished, its stored result is returned (errors rebuilt as {@link RolloutError}s).
 * Otherwise the crashed rollout is rolled back, conservatively: every target journaled as changed (`applying` —
 * unknown whether the apply happened —, `applied`, `healthy`, `failed`, `rolling-back`, `rollback-failed`) is rolled
 * back newest first with the LKG stored in the journal, even targets of stages that had passed. No target is left
 * unknown: each ends `rolled-back`, `rollback-failed` or `skipped`. The resume itself is journaled.
 * Status: `rolled-back`, or `failed` when a rollback failed.
 */
export async function resumeRollout(journalOrPath: Journal | string, hooks: ResumeOptions): Promise<RolloutResult> {
  if (hooks === null || typeof hooks !== 'object') throw new OptionsError('`resumeRollout` needs hooks `{ rollback }`');
  fn(hooks.rollback, 'rollback', true);
  fn(hooks.onEvent, 'onEvent', false);
  const journal = toJournal(journalOrPath);
  const concurrency = posInt(hooks.rollbackConcurrency, 'rollbackConcurrency', 1, 16);
  const rollbackTimeoutMs = parseDuration(hooks.rollbackTimeout ?? '5m', 'rollbackTimeout');
  await journal.lock();
  try {
    const records = await journal.read();
    const { start, finished } = lastRollout(records);
    if (start < 0) throw new ConfgateError('E_JOURNAL', 'the journal holds no rollout to resume');
    if (finished) {
      const r = finished.result;
      const errors = (r.errors ?? []).map((e) => RolloutError.fromJSON(e));
      const res: RolloutResult = { ...r, errors };
      if (errors.length > 0) res.error = new AggregateError(errors, r.reason ?? `rollout ${r.id} met ${errors.length} errors`);
      return res;
    }
    const started = records[start] as Extract<JournalRecord, { type: 'rollout.started' }>;
    const settings: Resolved = {
      concurrency,
      rollbackConcurrency: concurrency,
      applyTimeoutMs: rollbackTimeoutMs,
      rollbackTimeoutMs,
      intervalMs: 0,
      healthTimeoutMs: 0,
      failureLimit: 0,
      successes: 1,
      failureBudget: 0,
    };
    const engine = new Engine({
      id: started.id,
      plan: started.plan,
      proposed: started.proposed,
      lkg: started.lkg,
      changes: started.changes ?? [],
      journal,
      settings,
      rollback: hooks.rollback,
      onEvent: hooks.onEvent,
    });
    const seenApplying = new Set<string>();
    for (let i = start + 1; i < records.length; i++) {
      const r = records[i]!;
      if (r.type === 'target') {
        engine.states.set(r.targetId, r.state);
        if (r.state.status === 'applying' && !seenApplying.has(r.targetId)) {
          seenApplying.add(r.targetId);
          engine.changedOrder.push(r.targetId);
        }
        if (r.state.status === 'rolling-back') engine.rollbackAttempts.set(r.targetId, (engine.rollbackAttempts.get(r.targetId) ?? 0) + 1);
      } else if (r.type === 'stage') {
        const o = engine.stages[r.stage];
        if (o) {
          if (r.status === 'started') o.status = 'failed';
          else o.status = r.status;
          if (r.reason !== undefined) o.reason = r.reason;
          else if (r.status === 'started') o.reason = 'interrupted (the rollout process stopped during this stage)';
        }
      } else if (r.type === 'approval' && !r.approved) {
        const o = engine.stages[r.stage];
        if (o) o.status = 'denied';
      }
    }
    await engine.write([{ type: 'resume.started', ts: new Date().toISOString() }]).catch((err: unknown) => {
      throw new ConfgateError('E_JOURNAL', `cannot write journal: ${describeError(err)}`, { cause: err });
    });
    // A rollout that promoted its config (every stage baked) and only failed to journal its end is complete:
    // rolling it back now would undo a good push.
    const tail = records.slice(start + 1);
    const promoted = tail.some((r) => r.type === 'promoted');
    const rollbackBegan = tail.some((r) => r.type === 'target' && (r.state.status === 'rolling-back' || r.state.status === 'rolled-back'));
    if (promoted && !rollbackBegan) {
      for (const [tid, st] of engine.states) {
        if (st.status === 'pending') engine.states.set(tid, { status: 'skipped', reason: 'not in any wave' });
      }
      return await engine.finish(engine.result('completed', 'resumed: the rollout had completed and promoted its config before it stopped', true));
    }
    const reason = 'resumed an interrupted rollout: every changed target is rolled back';
    await engine.rollbackTargets(engine.changedNewestFirst(), reason);
    for (const [tid, st] of engine.states) {
      if (st.status === 'pending') engine.states.set(tid, { status: 'skipped', reason: 'not attempted: the rollout was interrupted' });
    }
    const anyFailed = [...engine.states.values()].some((st) => st.status === 'rollback-failed');
    return await engine.finish(engine.result(anyFailed ? 'failed' : 'rolled-back', reason, true));
  } finally {
    await journal.unlock().catch(() => undefined);
  }
}
