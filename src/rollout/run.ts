/**
 * The rollout engine: the only effectful stage. Applies waves through the caller's hooks, gates each wave on health
 * (and optionally a baseline comparison), rolls back every changed target on any failure, and journals every
 * transition before the effect it describes so that a crashed rollout can be resumed (see `resumeRollout`).
 */
import pLimit from 'p-limit';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { ConfgateError, OptionsError } from '../errors.js';
import type { Change, PlannedWave, RolloutPlan, Target } from '../types.js';
import { formatDuration, parseDuration } from '../units.js';
import { describeError, RolloutError } from './errors.js';
import { appendJsonLines, FileJournal, MemoryJournal } from './journal.js';
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
    throw new OptionsError(`\`${field}\` must be an integer >= ${min}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
  }
  return v;
}

/** A timeout: a duration > 0 (a zero timeout would fail every call). */
function timeoutMs(v: unknown, field: string, dflt: string): number {
  const ms = parseDuration(v ?? dflt, field);
  if (ms <= 0) throw new OptionsError(`\`${field}\` must be a duration greater than 0, got ${JSON.stringify(v)}`);
  return ms;
}

const RUN_KEYS: ReadonlySet<string> = new Set([
  'plan', 'proposed', 'lkg', 'changes', 'apply', 'health', 'rollback', 'approval', 'promote', 'concurrency',
  'rollbackConcurrency', 'applyTimeout', 'rollbackTimeout', 'healthOptions', 'failureBudget', 'judge', 'signal',
  'journal', 'onEvent', 'id',
]);
const HEALTH_KEYS: ReadonlySet<string> = new Set(['interval', 'timeout', 'failureLimit', 'successes']);

/** Option names runRollout does not know (typos, guesses): reported as `warning` events, not silently dropped. */
function unknownOptions(o: RunOptions): string[] {
  const out = Object.keys(o).filter((k) => !RUN_KEYS.has(k));
  const h = o.healthOptions;
  if (h !== null && typeof h === 'object') out.push(...Object.keys(h).filter((k) => !HEALTH_KEYS.has(k)).map((k) => `healthOptions.${k}`));
  return out;
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

/** What every hook context of a rollout shares. */
interface CtxBase {
  lkg: unknown;
  changes: Change[];
  rolloutId: string;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

const ignore = (): void => undefined;

/**
 * One hook call. Its `AbortController` is created only when the hook reads `ctx.signal` (most hooks never do); a
 * signal read after the call timed out or was aborted is created already aborted.
 */
class HookCall {
  /** Monotonic deadline (`performance.now()` ms), set when the hook returned a promise. */
  deadline = 0;
  settled = false;
  /** True when the call ended by timeout or abort; `reason` is the signal's abort reason. */
  aborted = false;
  reason: unknown = undefined;
  ctrl: AbortController | undefined = undefined;
  /** The next call started after this one (the runner's FIFO of calls in flight). */
  next: HookCall | undefined = undefined;
  resolve: (v: unknown) => void = ignore;
  reject: (e: unknown) => void = ignore;

  constructor(readonly id: string) {}

  get signal(): AbortSignal {
    let c = this.ctrl;
    if (c === undefined) {
      c = this.ctrl = new AbortController();
      if (this.aborted) c.abort(this.reason);
    }
    return c.signal;
  }
}

/**
 * Runs hook calls of one kind (apply, health, rollback...) with one timeout and one parent signal.
 *
 * Same guarantees as one `AbortController` + `setTimeout` + abort listener + `Promise.race` per call, at a fraction of
 * the cost: a call that outlives `timeoutMs` fails with a `TimeoutError` and its signal is aborted with it; when
 * `parent` aborts, every call in flight fails at once and its signal is aborted with the parent's reason. All calls
 * share one timeout, so their deadlines are in start order: the calls in flight are a FIFO, watched by ONE timer armed
 * for the oldest deadline, and the runner registers ONE abort listener on `parent` for its whole life (not one per
 * call). A hook that returns synchronously (or throws) costs no timer, no promise and no signal unless it reads
 * `ctx.signal`.
 */
class HookRunner {
  #head: HookCall | undefined = undefined;
  #tail: HookCall | undefined = undefined;
  #live = 0;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  readonly #onAbort: (() => void) | undefined;

  /**
   * @param prefix names a call in errors: `${prefix}${target id}` ("apply on t1 timed out after 40ms").
   * @param parent aborting it fails every call in flight (none for rollbacks: they are never aborted).
   */
  constructor(
    readonly timeoutMs: number,
    readonly parent: AbortSignal | undefined,
    readonly prefix: string,
    readonly base: CtxBase,
  ) {
    if (parent !== undefined && !parent.aborted) {
      this.#onAbort = () => this.#abortAll();
      parent.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Remove the abort listener. Calls still in flight keep their timeout. */
  dispose(): void {
    if (this.#onAbort !== undefined) this.parent!.removeEventListener('abort', this.#onAbort);
  }

  /**
   * Call `hook(target, ctx)`. Returns the hook's value when it returned synchronously, a promise when it returned a
   * promise (settled by the hook, its timeout or the parent's abort); throws what the hook threw synchronously.
   */
  call(hook: (target: Target, ctx: HookContext) => unknown, target: Target, config: unknown, stage: PlannedWave, attempt: number): unknown {
    const c = new HookCall(target.id);
    if (this.parent?.aborted) throw this.#abortedBeforeStart(c);
    const b = this.base;
    const ctx: HookContext = {
      config,
      lkg: b.lkg,
      changes: b.changes,
      stage,
      attempt,
      get signal(): AbortSignal {
        return c.signal;
      },
      rolloutId: b.rolloutId,
    };
    let r: unknown;
    try {
      r = hook(target, ctx);
    } catch (err) {
      throw this.#threw(c, err);
    }
    return this.#returned(c, r);
  }

  /** Like {@link call} for hooks with another shape (approval, promote): `invoke` gets the call's signal. */
  run(invoke: (signal: AbortSignal) => unknown): unknown {
    const c = new HookCall('');
    if (this.parent?.aborted) throw this.#abortedBeforeStart(c);
    let r: unknown;
    try {
      r = invoke(c.signal);
    } catch (err) {
      throw this.#threw(c, err);
    }
    return this.#returned(c, r);
  }

  #abortError(c: HookCall): Error {
    const reason: unknown = this.parent!.reason;
    return reason instanceof Error ? reason : new Error(`${this.prefix}${c.id} aborted`);
  }

  #abortedBeforeStart(c: HookCall): Error {
    c.settled = true;
    c.aborted = true;
    c.reason = this.parent!.reason;
    return this.#abortError(c);
  }

  /** The hook threw synchronously: its error, unless the parent aborted meanwhile (the abort wins, as in a race). */
  #threw(c: HookCall, err: unknown): unknown {
    c.settled = true;
    if (this.parent?.aborted) return this.#abortedBeforeStart(c);
    return err;
  }

  #returned(c: HookCall, r: unknown): unknown {
    if (this.parent?.aborted) {
      if (isThenable(r)) Promise.resolve(r).then(ignore, ignore);
      throw this.#abortedBeforeStart(c);
    }
    if (!isThenable(r)) {
      c.settled = true;
      return r;
    }
    c.deadline = performance.now() + this.timeoutMs;
    if (this.#tail === undefined) this.#head = c;
    else this.#tail.next = c;
    this.#tail = c;
    this.#live++;
    if (this.#timer === undefined) this.#arm(this.timeoutMs);
    const out = new Promise<unknown>((resolve, reject) => {
      c.resolve = resolve;
      c.reject = reject;
    });
    Promise.resolve(r).then(
      (v) => {
        if (c.settled) return;
        const resolve = c.resolve;
        this.#settle(c);
        resolve(v);
      },
      (e: unknown) => {
        if (c.settled) return;
        const reject = c.reject;
        this.#settle(c);
        reject(e);
      },
    );
    return out;
  }

  /** Mark a call in flight settled (it may stay in the FIFO a while: drop what it holds). */
  #settle(c: HookCall): void {
    c.settled = true;
    c.resolve = c.reject = ignore;
    this.#done();
  }

  /** A call in flight settled: forget it (the FIFO drops settled calls from its head; empty = no timer). */
  #done(): void {
    if (--this.#live === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#head = this.#tail = undefined;
      return;
    }
    while (this.#head !== undefined && this.#head.settled) this.#head = this.#head.next;
  }

  #arm(ms: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onTimer, Math.min(Math.max(1, Math.ceil(ms)), MAX_TIMER));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (;;) {
      const c = this.#head;
      if (c === undefined) {
        this.#tail = undefined;
        return;
      }
      if (c.settled) {
        this.#head = c.next;
        continue;
      }
      if (c.deadline > now) {
        this.#arm(c.deadline - now); // never early: timers may fire before the monotonic deadline
        return;
      }
      this.#head = c.next;
      if (this.#head === undefined) this.#tail = undefined;
      const e = new TimeoutError(`${this.prefix}${c.id} timed out after ${formatDuration(this.timeoutMs)}`);
      const reject = c.reject;
      c.settled = true;
      c.aborted = true;
      c.reason = e;
      c.resolve = c.reject = ignore;
      if (--this.#live === 0) this.#tail = this.#head = undefined;
      c.ctrl?.abort(e);
      reject(e);
    }
  };

  /** The parent aborted: every call in flight fails now, its signal aborted with the parent's reason. */
  #abortAll(): void {
    let c = this.#head;
    this.#head = this.#tail = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#live = 0;
    const reason: unknown = this.parent!.reason;
    while (c !== undefined) {
      const next = c.next;
      if (!c.settled) {
        const reject = c.reject;
        c.settled = true;
        c.aborted = true;
        c.reason = reason;
        c.resolve = c.reject = ignore;
        c.ctrl?.abort(reason);
        reject(this.#abortError(c));
      }
      c = next;
    }
  }
}

/** Run one hook call (approval, promote) with its own signal, aborted on timeout or when `parent` aborts. */
async function callHook<T>(invoke: (signal: AbortSignal) => T | Promise<T>, timeoutMs: number, parent: AbortSignal, what: string): Promise<T> {
  const runner = new HookRunner(timeoutMs, parent, what, { lkg: undefined, changes: [], rolloutId: '' });
  try {
    return (await runner.run(invoke)) as T;
  } finally {
    runner.dispose();
  }
}

/**
 * Run `task(0..n-1)` with at most `concurrency` tasks in flight, started in index order (p-limit).
 * Tasks handle their own errors; a rejection is not expected and would surface here.
 */
async function pool(n: number, concurrency: number, task: (i: number) => Promise<void> | undefined): Promise<void> {
  if (n <= 0) return;
  const limit = pLimit(Math.max(1, Math.min(concurrency, n)));
  const all: Promise<void>[] = new Array(n);
  for (let i = 0; i < n; i++) all[i] = limit(() => task(i));
  await Promise.all(all);
}

function resolveOptions(o: Partial<RunOptions>): Resolved {
  const h = o.healthOptions ?? {};
  const concurrency = posInt(o.concurrency, 'concurrency', 1, 16);
  const applyTimeoutMs = timeoutMs(o.applyTimeout, 'applyTimeout', '5m');
  return {
    concurrency,
    rollbackConcurrency: posInt(o.rollbackConcurrency, 'rollbackConcurrency', 1, concurrency),
    applyTimeoutMs,
    rollbackTimeoutMs: o.rollbackTimeout === undefined ? applyTimeoutMs : timeoutMs(o.rollbackTimeout, 'rollbackTimeout', '5m'),
    intervalMs: parseDuration(h.interval ?? '30s', 'healthOptions.interval'),
    healthTimeoutMs: timeoutMs(h.timeout, 'healthOptions.timeout', '10s'),
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

/** The state of every target not yet attempted (shared: pending states never reach a result). */
const PENDING: TargetState = Object.freeze({ status: 'pending' });

/**
 * The JSON line of a target record: exactly what `JSON.stringify({ type: 'target', targetId, state })` writes for the
 * states the engine builds (keys in the order status, stage, error / reason), without the generic serialiser.
 */
function encodeTarget(id: string, state: TargetState): string {
  const s = state as { status: string; stage?: unknown; error?: unknown; reason?: unknown };
  if (s.stage !== undefined && !(typeof s.stage === 'number' && Number.isFinite(s.stage))) return `${JSON.stringify({ type: 'target', targetId: id, state })}\n`;
  let line = '{"type":"target","targetId":' + JSON.stringify(id) + ',"state":{"status":"' + s.status + '"';
  if (s.stage !== undefined) line += ',"stage":' + s.stage;
  if (s.error !== undefined) line += ',"error":' + JSON.stringify(s.error);
  if (s.reason !== undefined) line += ',"reason":' + JSON.stringify(s.reason);
  return line + '}}\n';
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

  constructor(readonly init: EngineInit) {
    this.listening = init.onEvent !== undefined;
    const j = init.journal;
    this.encode = j instanceof FileJournal && j.append === FileJournal.prototype.append;
    this.ctxBase = { lkg: init.lkg, changes: init.changes, rolloutId: init.id };
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

  set(id: string, state: TargetState): void {
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

  /** The wave a target belongs to (`current` for targets outside the plan, such as judge baselines). */
  stageOf(id: string, current?: PlannedWave): PlannedWave {
    return this.waveOf.get(id) ?? current ?? this.init.plan.waves[0] ?? { index: 0, name: '', targets: [], bakeMs: 0, approval: false };
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
    const runner = new HookRunner(this.init.settings.rollbackTimeoutMs, undefined, 'rollback of ', this.ctxBase);
    const rolledBack = (id: string, prev: Extract<TargetState, { status: 'rolling-back' }>): void => {
      this.set(id, prev.error === undefined ? { status: 'rolled-back', stage: prev.stage } : { status: 'rolled-back', stage: prev.stage, error: prev.error });
      if (this.listening) this.emit({ type: 'target.rolled-back', targetId: id });
    };
    const failed = (id: string, prev: Extract<TargetState, { status: 'rolling-back' }>, err: unknown): void => {
      const msg = describeError(err);
      this.set(id, { status: 'rollback-failed', stage: prev.stage, error: msg });
      this.errors.push(new RolloutError('rollback', `rollback of ${id} failed: ${msg}`, { targetId: id, cause: err }));
      this.emit({ type: 'target.rollback-failed', targetId: id, error: msg });
    };
    await pool(ids.length, this.init.settings.rollbackConcurrency, (i) => {
      const id = ids[i]!;
      const target = this.targets.get(id) ?? { id, labels: {} };
      const prev = this.states.get(id) as Extract<TargetState, { status: 'rolling-back' }>;
      const attempt = (this.rollbackAttempts.get(id) ?? 0) + 1;
      this.rollbackAttempts.set(id, attempt);
      let r: unknown;
      try {
        r = runner.call(this.init.rollback, target, this.init.lkg, this.stageOf(id), attempt);
      } catch (err) {
        failed(id, prev, err);
        return undefined;
      }
      if (r instanceof Promise) {
        return r.then(
          () => rolledBack(id, prev),
          (err: unknown) => failed(id, prev, err),
        );
      }
      rolledBack(id, prev);
      return undefined;
    });
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
const HEALTHY: Check = Object.freeze({ healthy: true });

function interpretHealth(r: HealthResult | boolean | void): Check {
  if (r === undefined || r === true) return HEALTHY;
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
 * `apply` (at most `concurrency` at once, each with `applyTimeout`); journal the results. A batch's hooks start only
 * once its `applying` records are durable; the next batch's records are flushed while the current batch runs, and
 * batches grow (from max(256, 4 x concurrency) up to 64x that) while the flush is slower than the hooks. Targets
 * journaled `applying` but never started (the rollout stopped) are journaled `pending` again. Apply failures beyond
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
  const sig = options.signal as unknown;
  if (sig !== undefined && !(sig instanceof AbortSignal)) {
    throw new OptionsError('`signal` must be an AbortSignal (e.g. `new AbortController().signal` or `AbortSignal.timeout(ms)`)');
  }
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

/** A batch of a wave's targets journaled as `applying`, with the write that makes that durable. */
interface Batch {
  from: number;
  to: number;
  written: Promise<void>;
  /** Set once `written` resolved. */
  durable: boolean;
}

async function forward(engine: Engine, options: RunOptions, s: Resolved, signal: AbortSignal): Promise<RolloutResult> {
  const { plan } = engine.init;
  const total = plan.waves.reduce((n, w) => n + w.targets.length, 0);
  engine.emit({ type: 'rollout.started', id: engine.init.id, waves: plan.waves.length, targets: total });
  if (!options.health) engine.emit({ type: 'warning', message: 'no health hook: health is not checked, stages only wait their bake time' });
  const unknown = unknownOptions(options);
  if (unknown.length > 0) engine.emit({ type: 'warning', message: `unknown runRollout options ignored: ${unknown.map((k) => `\`${k}\``).join(', ')}` });
  // One runner per hook kind for the whole rollout: one abort listener each, one timer for all calls in flight.
  const applyRunner = new HookRunner(s.applyTimeoutMs, signal, 'apply on ', engine.ctxBase);
  const healthRunner = new HookRunner(s.healthTimeoutMs, signal, 'health check of ', engine.ctxBase);
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

      // ---- apply, in journaled batches (group commit). A batch's `applying` records are durable BEFORE its hooks
      // run; the next batch's records are written while this batch's hooks run (the fsync is off the critical path).
      // the `stage started` record goes out with the first batch (same flush, written first)
      engine.queue({ type: 'stage', ts: new Date().toISOString(), stage: wave.index, status: 'started' });
      engine.emit({ type: 'stage.started', stage: wave.index, name: wave.name, targets: wave.targets.length });
      let stopApply: Stop | undefined;
      const targets = wave.targets;
      const n = targets.length;
      const stage = wave.index;
      // Group commit: at least max(256, 4 x concurrency) targets per flush. When the hooks finish a batch before the
      // next batch's flush is durable (fast hooks, slow fsync), the batches after it double, up to 64x that.
      const minBatch = Math.max(256, s.concurrency * 4);
      const maxBatch = minBatch * 64;
      let batchSize = minBatch;
      const applied = (t: Target): void => {
        engine.set(t.id, { status: 'applied', stage });
        outcome.applied++;
        if (engine.listening) engine.emit({ type: 'target.applied', targetId: t.id, stage });
      };
      const failed = (t: Target, err: unknown): void => {
        const msg = describeError(err);
        engine.set(t.id, { status: 'failed', stage, error: msg });
        outcome.applyFailures++;
        engine.errors.push(new RolloutError('apply', `apply on ${t.id} failed: ${msg}`, { targetId: t.id, cause: err }));
        engine.emit({ type: 'target.apply-failed', targetId: t.id, stage, error: msg });
        if (outcome.applyFailures > s.failureBudget && !stopApply) {
          stopApply = new Stop('budget', `stage "${wave.name}": ${outcome.applyFailures} apply failures exceed the failure budget of ${s.failureBudget} (first: ${t.id}: ${msg})`);
        }
      };
      const applyOne = (t: Target): Promise<void> | undefined => {
        if (stopApply || signal.aborted) {
          engine.set(t.id, PENDING); // never attempted
          return undefined;
        }
        engine.changedOrder.push(t.id);
        if (engine.listening) engine.emit({ type: 'target.applying', targetId: t.id, stage });
        let r: unknown;
        try {
          r = applyRunner.call(options.apply, t, options.proposed, wave, 1);
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
          if (stopApply || signal.aborted) {
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
      await healthGate(engine, options, s, wave, outcome, healthRunner, signal);
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
  } finally {
    applyRunner.dispose();
    healthRunner.dispose();
  }
}

async function healthGate(
  engine: Engine,
  options: RunOptions,
  s: Resolved,
  wave: PlannedWave,
  outcome: StageOutcome,
  runner: HookRunner,
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
  // every target applied so far, in plan order, with its own wave (the hook's ctx.stage)
  const checked: Target[] = [];
  const checkedWave: PlannedWave[] = [];
  for (const w of engine.init.plan.waves) {
    for (const t of w.targets) {
      const st = engine.states.get(t.id)!.status;
      if (st === 'applied' || st === 'healthy') {
        checked.push(t);
        checkedWave.push(w);
      }
    }
  }
  const baseline = judge ? judge.baseline.filter((t) => !engine.states.has(t.id) || !CHANGED.has(engine.states.get(t.id)!.status)) : [];
  const nChecked = checked.length;
  const total = nChecked + baseline.length;
  /** Consecutive passes of checked[i]. */
  const consecutive = new Uint32Array(nChecked);
  const samples = { canary: new Map<string, number[]>(), baseline: new Map<string, number[]>() };
  const proposed = options.proposed;
  const lkg = engine.init.lkg;
  let firstFailure: string | undefined;
  let round = 0;
  const record = (i: number, c: Check): void => {
    const isBaseline = i >= nChecked;
    const t = isBaseline ? baseline[i - nChecked]! : checked[i]!;
    if (engine.listening) {
      const ev: RolloutEvent = { type: 'health.result', targetId: t.id, stage: wave.index, round, healthy: c.healthy, baseline: isBaseline };
      if (c.error !== undefined) ev.error = c.error;
      if (c.metrics !== undefined) ev.metrics = c.metrics;
      engine.emit(ev);
    }
    if (judge && c.metrics) {
      const into = isBaseline ? samples.baseline : samples.canary;
      for (const name of Object.keys(judge.metrics)) {
        const v = c.metrics[name];
        if (typeof v === 'number' && Number.isFinite(v)) (into.get(name) ?? into.set(name, []).get(name)!).push(v);
      }
    }
    if (isBaseline) return; // baseline targets are not changed: their failures do not fail the gate
    if (c.healthy) consecutive[i] = consecutive[i]! + 1;
    else {
      consecutive[i] = 0;
      outcome.healthFailures++;
      firstFailure ??= `${t.id}: ${c.error ?? 'unhealthy'}`;
    }
  };
  const failed = (i: number, err: unknown): void => {
    if (signal.aborted) throw err;
    record(i, { healthy: false, error: describeError(err) });
  };
  const passed = (i: number, v: unknown): void => {
    let c: Check;
    try {
      c = interpretHealth(v as HealthResult | boolean | void);
    } catch (err) {
      failed(i, err);
      return;
    }
    record(i, c);
  };
  const check = (i: number): Promise<void> | undefined => {
    const isBaseline = i >= nChecked;
    const t = isBaseline ? baseline[i - nChecked]! : checked[i]!;
    let r: unknown;
    try {
      r = runner.call(health, t, isBaseline ? lkg : proposed, isBaseline ? engine.stageOf(t.id, wave) : checkedWave[i]!, round);
    } catch (err) {
      failed(i, err);
      return undefined;
    }
    if (r instanceof Promise) {
      return r.then(
        (v: unknown) => passed(i, v),
        (err: unknown) => failed(i, err),
      );
    }
    passed(i, r);
    return undefined;
  };
  for (;;) {
    signal.throwIfAborted();
    round++;
    outcome.healthRounds = round;
    await pool(total, s.concurrency, check);
    signal.throwIfAborted();
    if (outcome.healthFailures > s.failureLimit) {
      throw new Stop('gate', `stage "${wave.name}": ${outcome.healthFailures} failed health checks exceed the limit of ${s.failureLimit} (first: ${firstFailure})`);
    }
    const now = Date.now();
    if (now >= deadline) {
      let all = true;
      for (let i = 0; i < nChecked && all; i++) if (consecutive[i]! < s.successes) all = false;
      if (all) break;
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
  const rollbackTimeoutMs = timeoutMs(hooks.rollbackTimeout, 'rollbackTimeout', '5m');
  await journal.lock();
  try {
    const records = await journal.read();
    const { start, finished } = lastRollout(records);
    if (start < 0) throw new ConfgateError('E_JOURNAL', 'the journal holds no rollout to resume');
    if (finished) {
      const r = finished.result;
      const errors = (r.errors ?? []).map((e) => RolloutError.fromJSON(e));
      const res: RolloutResult = { ...r, errors, resumed: true };
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
    const seenApplied = new Set<string>();
    for (let i = start + 1; i < records.length; i++) {
      const r = records[i]!;
      if (r.type === 'target') {
        engine.states.set(r.targetId, r.state);
        // rebuild the stage counts the crashed run had journaled (the summary said "0/1 applied" for applied stages)
        if (r.state.status === 'applied' && !seenApplied.has(r.targetId)) {
          seenApplied.add(r.targetId);
          const o = engine.stages[r.state.stage];
          if (o) o.applied++;
        }
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
