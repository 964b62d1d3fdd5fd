/**
 * Options of `runRollout` / `resumeRollout`: their types, defaults (one resolver) and the up-front validation that
 * rejects everything knowable before the first apply.
 */
import { OptionsError } from '../../errors.js';
import { isConfigDoc } from '../../load/index.js';
import type { Change, RolloutPlan, Target, WindowSpec } from '../../types.js';
import { parseDuration } from '../../units.js';
import { checkWindow } from '../../windows/index.js';
import { FileJournal, MemoryJournal } from '../journal.js';
import type {
  ActionHook,
  ApprovalHook,
  HealthHook,
  HealthOptions,
  Journal,
  JournalRecord,
  JudgeOptions,
  PromoteHook,
  RolloutAnalysis,
  RolloutEvent,
} from '../types.js';

/** Options of `runRollout`. */
export interface RunOptions {
  /** The plan from `planRollout`. */
  plan: RolloutPlan;
  /**
   * The proposed config (passed to `apply` and `health` as `ctx.config`; stored in the journal, so JSON-serialisable).
   * A `ConfigDoc` from `loadConfig` is accepted and unwrapped (hooks get its `value`).
   */
  proposed: unknown;
  /** The last known good config (passed to `rollback` as `ctx.config`). A `ConfigDoc` is unwrapped like `proposed`. */
  lkg: unknown;
  /** The changes between LKG and proposed, passed to hooks. @default [] */
  changes?: Change[] | undefined;
  /** Put the proposed config on a target. Must be idempotent (a resume may roll back and a new run re-apply). */
  apply: ActionHook;
  /**
   * Health check. Without it (and without `analysis`) health is not checked (a `warning` event says so) and each stage
   * only waits its bake.
   */
  health?: HealthHook | undefined;
  /**
   * Metrics measured on every changed target while the rollout runs (the policy's `rollout.analysis`, e.g. from
   * `rolloutOptionsFromPolicy(policy)`): beside `health` (both must pass) or instead of it. Each measurement is an
   * `analysis.measurement` event and a journal record; metrics with a `judge` are judged at the end of every stage
   * against targets of the same failure domain (`plan.failureDomain`) still on the LKG, or their own readings before
   * the change (`baseline: self`). @default none
   */
  analysis?: RolloutAnalysis | undefined;
  /** Put the LKG back on a target. Must be idempotent: it may run on a target whose apply never happened. */
  rollback: ActionHook;
  /**
   * Called after each successful rollback with the LKG as `ctx.config`: confirm the target really is back. A throw (or
   * timeout) makes that target `rollback-failed` (phase `verify`). @default none
   */
  verify?: ActionHook | undefined;
  /** Asked before each stage with `approval: true`. Required when the plan has such a stage (checked up front). */
  approval?: ApprovalHook | undefined;
  /** Time an approval may take; expiry is a denial. @default '4h' */
  approvalTimeout?: number | string | undefined;
  /**
   * What a denied approval (a `false`, a throw, or `approvalTimeout` expiring) does:
   * - `'hold'`: nothing is rolled back; the rollout is held (kind `approval`) before the stage, keeps checking the
   *   health of every changed target, and waits for an operator: `continue` (or `promote`) asks the approval hook
   *   again (an operator cannot approve through the command channel: the hook stays the authority), `abort` rolls back.
   *   `holdTimeout` ends the wait with status `held` (resumable with `forward: true`, which asks again).
   * - `'rollback'`: every changed target is rolled back at once (status `rolled-back`, the stage `denied`).
   * @default 'hold'
   */
  onApprovalDenied?: 'hold' | 'rollback' | undefined;
  /**
   * Called once after the last stage baked (promote the proposed config to LKG). A failure is retried
   * (`promoteAttempts`, with doubling backoff); if it keeps failing the rollout is held: a failing promote never rolls
   * back a healthy fleet.
   */
  promote?: PromoteHook | undefined;
  /** Promote calls per try before holding. @default 3 */
  promoteAttempts?: number | undefined;
  /** Wait before the first promote retry (doubling each retry). @default '1s' */
  promoteBackoff?: number | string | undefined;
  /** Parallel apply and health calls. @default 16 */
  concurrency?: number | undefined;
  /** Parallel rollback calls. @default the value of `concurrency` */
  rollbackConcurrency?: number | undefined;
  /**
   * Time allowed for one apply call. When it passes, the call's signal is aborted and the target becomes
   * `apply-timed-out` (its outcome is unknown). An abort of the rollout never cuts an apply shorter than this: the
   * engine waits for the apply to settle (up to this limit) before it rolls the target back. @default '5m'
   */
  applyTimeout?: number | string | undefined;
  /** Time allowed for one rollback (and one verify) call. @default the value of `applyTimeout` */
  rollbackTimeout?: number | string | undefined;
  /**
   * At the end of a rollout, how long to wait for applies that outlived their timeout to settle (each one that settles
   * is rolled back again); those still running after it stay `apply-timed-out`. @default the value of `applyTimeout`
   */
  settleTimeout?: number | string | undefined;
  /** Health gate settings. @default { interval: '30s', timeout: '10s', failureLimit: 0, successes: 1 } */
  healthOptions?: HealthOptions | undefined;
  /** Apply failures tolerated per stage; tolerated failures are rolled back at once. @default 0 */
  failureBudget?: number | undefined;
  /**
   * Baseline comparison of health metrics against fixed targets outside the plan; needs a non-empty `baseline`.
   * @deprecated use `analysis` with a metric `judge` (see {@link JudgeOptions}).
   */
  judge?: JudgeOptions | undefined;
  /**
   * The policy's windows, re-evaluated at the real time before each stage: targets under an active maintenance window
   * are deferred to the next stage (or, at the last stage, left on the LKG with a `target.deferred` event and listed in
   * `remaining`); an active freeze (or, when allow windows exist, being outside all of them) holds the rollout until
   * it ends or an operator decides. @default [] (no run-time window checks)
   */
  windows?: WindowSpec[] | undefined;
  /** The clock used for window checks. @default () => new Date() */
  now?: (() => Date) | undefined;
  /**
   * Every target the plan was made from. When given, a plan that names a target not in this list is rejected up front
   * (the plan is stale or for another fleet). @default not checked
   */
  targets?: Target[] | undefined;
  /**
   * How long a held rollout waits for an operator before `runRollout` returns with status `held` (the journal stays
   * unfinished; resume it with `forward: true`). @default no limit (wait for an operator)
   */
  holdTimeout?: number | string | undefined;
  /** Aborting rolls back every changed target (rollback hooks get their own, un-aborted signal) and ends `aborted`. */
  signal?: AbortSignal | undefined;
  /** Where transitions are journaled: a {@link Journal} or a file path (a {@link FileJournal}). @default an in-memory journal */
  journal?: Journal | string | undefined;
  /** Progress events; exceptions thrown by it are ignored. */
  onEvent?: ((event: RolloutEvent) => void) | undefined;
  /** Rollout id. @default a random UUID */
  id?: string | undefined;
}

/**
 * Hooks and settings for `resumeRollout`. By default a crashed rollout is rolled back (only `rollback` is needed).
 * With `forward: true` it is continued: every changed target's health is re-checked first, then the interrupted stage
 * and the later ones run as in `runRollout` (which then needs `apply`, and `health` to re-check).
 */
export interface ResumeOptions extends Partial<Omit<RunOptions, 'plan' | 'proposed' | 'lkg' | 'changes' | 'journal' | 'id' | 'rollback'>> {
  rollback: ActionHook;
  /**
   * `true`: continue the interrupted (or held) rollout instead of rolling it back (an operator's pending `abort` still
   * rolls back). `false`: roll back whatever operator commands are pending. Left out: roll back, unless an operator
   * posted `continue` or `promote` while no process ran the rollout: then go forward (which needs `apply`; without it
   * the resume throws an `OptionsError` and does nothing). Pending commands are journaled with what the resume did.
   * @default undefined (follow the pending commands; roll back when there are none)
   */
  forward?: boolean | undefined;
}

/** Options with defaults applied, durations in ms. */
export interface Resolved {
  concurrency: number;
  rollbackConcurrency: number;
  applyTimeoutMs: number;
  rollbackTimeoutMs: number;
  settleTimeoutMs: number;
  intervalMs: number;
  healthTimeoutMs: number;
  failureLimit: number;
  successes: number;
  failureBudget: number;
  approvalTimeoutMs: number;
  onApprovalDenied: 'hold' | 'rollback';
  promoteAttempts: number;
  promoteBackoffMs: number;
  holdTimeoutMs: number;
}

export function posInt(v: unknown, field: string, min: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new OptionsError(`\`${field}\` must be an integer >= ${min}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
  }
  return v;
}

/** A timeout: a duration > 0 (a zero timeout would fail every call). */
export function timeoutMs(v: unknown, field: string, dflt: string | number): number {
  const ms = parseDuration(v ?? dflt, field);
  if (!(ms > 0)) throw new OptionsError(`\`${field}\` must be a duration greater than 0, got ${JSON.stringify(v)}`);
  return ms;
}

const RUN_KEYS: ReadonlySet<string> = new Set([
  'plan', 'proposed', 'lkg', 'changes', 'apply', 'health', 'analysis', 'rollback', 'verify', 'approval', 'approvalTimeout', 'onApprovalDenied', 'promote',
  'promoteAttempts', 'promoteBackoff', 'concurrency', 'rollbackConcurrency', 'applyTimeout', 'rollbackTimeout',
  'settleTimeout', 'healthOptions', 'failureBudget', 'judge', 'windows', 'now', 'targets', 'holdTimeout', 'signal',
  'journal', 'onEvent', 'id', 'forward',
]);
const HEALTH_KEYS: ReadonlySet<string> = new Set(['interval', 'timeout', 'failureLimit', 'successes']);

/** Option names runRollout does not know (typos, guesses): reported as `warning` events, not silently dropped. */
export function unknownOptions(o: object): string[] {
  const out = Object.keys(o).filter((k) => !RUN_KEYS.has(k));
  const h = (o as RunOptions).healthOptions;
  if (h !== null && typeof h === 'object') out.push(...Object.keys(h).filter((k) => !HEALTH_KEYS.has(k)).map((k) => `healthOptions.${k}`));
  return out;
}

export function fn(v: unknown, field: string, required: boolean): void {
  if (v === undefined && !required) return;
  if (typeof v !== 'function') throw new OptionsError(`\`${field}\` must be a function, got ${v === undefined ? 'undefined' : typeof v}`);
}

export function resolveOptions(o: Partial<RunOptions>): Resolved {
  const h = o.healthOptions ?? {};
  if (h === null || typeof h !== 'object') throw new OptionsError('`healthOptions` must be an object');
  const concurrency = posInt(o.concurrency, 'concurrency', 1, 16);
  const applyTimeoutMs = timeoutMs(o.applyTimeout, 'applyTimeout', '5m');
  const intervalMs = parseDuration(h.interval ?? '30s', 'healthOptions.interval');
  if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) throw new OptionsError(`\`healthOptions.interval\` must be a finite duration >= 0, got ${JSON.stringify(h.interval)}`);
  const holdTimeoutMs = o.holdTimeout === undefined ? Number.POSITIVE_INFINITY : parseDuration(o.holdTimeout, 'holdTimeout');
  if (!(holdTimeoutMs >= 0)) throw new OptionsError(`\`holdTimeout\` must be a duration >= 0, got ${JSON.stringify(o.holdTimeout)}`);
  const promoteBackoffMs = parseDuration(o.promoteBackoff ?? '1s', 'promoteBackoff');
  if (!(promoteBackoffMs >= 0) || !Number.isFinite(promoteBackoffMs)) throw new OptionsError(`\`promoteBackoff\` must be a finite duration >= 0, got ${JSON.stringify(o.promoteBackoff)}`);
  const onApprovalDenied = o.onApprovalDenied ?? 'hold';
  if (onApprovalDenied !== 'hold' && onApprovalDenied !== 'rollback') {
    throw new OptionsError(`\`onApprovalDenied\` must be "hold" or "rollback", got ${JSON.stringify(o.onApprovalDenied)}`);
  }
  return {
    concurrency,
    rollbackConcurrency: posInt(o.rollbackConcurrency, 'rollbackConcurrency', 1, concurrency),
    applyTimeoutMs,
    rollbackTimeoutMs: o.rollbackTimeout === undefined ? applyTimeoutMs : timeoutMs(o.rollbackTimeout, 'rollbackTimeout', '5m'),
    settleTimeoutMs: o.settleTimeout === undefined ? applyTimeoutMs : parseDuration(o.settleTimeout, 'settleTimeout'),
    intervalMs,
    healthTimeoutMs: timeoutMs(h.timeout, 'healthOptions.timeout', '10s'),
    failureLimit: posInt(h.failureLimit, 'healthOptions.failureLimit', 0, 0),
    successes: posInt(h.successes, 'healthOptions.successes', 1, 1),
    failureBudget: posInt(o.failureBudget, 'failureBudget', 0, 0),
    approvalTimeoutMs: timeoutMs(o.approvalTimeout, 'approvalTimeout', '4h'),
    onApprovalDenied,
    promoteAttempts: posInt(o.promoteAttempts, 'promoteAttempts', 1, 3),
    promoteBackoffMs,
    holdTimeoutMs,
  };
}

/** A plan's shape: waves of targets with string ids, each target in one wave only. */
export function validatePlan(plan: unknown): RolloutPlan {
  const p = plan as RolloutPlan | null;
  if (p === null || typeof p !== 'object' || !Array.isArray(p.waves)) {
    throw new OptionsError('`plan` must be a RolloutPlan from planRollout (with `waves`)');
  }
  const seen = new Set<string>();
  for (const [i, w] of p.waves.entries()) {
    if (!w || !Array.isArray(w.targets)) throw new OptionsError(`\`plan.waves[${i}].targets\` must be a list of targets`);
    if (typeof w.bakeMs !== 'number' || !(w.bakeMs >= 0)) throw new OptionsError(`\`plan.waves[${i}].bakeMs\` must be a number >= 0, got ${JSON.stringify(w.bakeMs)}`);
    for (const [j, t] of w.targets.entries()) {
      if (t === null || typeof t !== 'object' || typeof t.id !== 'string') {
        throw new OptionsError(`\`plan.waves[${i}].targets[${j}]\` must be a target with a string \`id\``);
      }
      if (seen.has(t.id)) throw new OptionsError(`\`plan.waves[${i}]\` lists target ${JSON.stringify(t.id)}, which is already in an earlier wave`);
      seen.add(t.id);
    }
  }
  return p;
}

/** `ConfigDoc` → its value; anything else as is. A ConfigDoc that failed to load is rejected. */
export function unwrapDoc(v: unknown, field: string): unknown {
  if (!isConfigDoc(v)) return v;
  if (v.failed || v.value === undefined) throw new OptionsError(`\`${field}\` is a ConfigDoc that failed to load (${v.file}): it cannot be rolled out`);
  return v.value;
}

/**
 * Everything knowable before the first apply: hooks, approval stages without an approval hook, a judge without
 * baseline, plan targets missing from `targets`, windows that cannot be evaluated, option ranges. Throws OptionsError.
 */
export function validateRun(options: RunOptions, plan: RolloutPlan): Resolved {
  fn(options.apply, 'apply', true);
  fn(options.rollback, 'rollback', true);
  fn(options.health, 'health', false);
  fn(options.verify, 'verify', false);
  fn(options.approval, 'approval', false);
  fn(options.promote, 'promote', false);
  fn(options.onEvent, 'onEvent', false);
  fn(options.now, 'now', false);
  const settings = resolveOptions(options);
  const needApproval = plan.waves.filter((w) => w.approval === true);
  if (needApproval.length > 0 && !options.approval) {
    throw new OptionsError(
      `stage ${needApproval.map((w) => JSON.stringify(w.name)).join(', ')} needs approval but no \`approval\` hook was given (nothing was applied)`,
    );
  }
  const analysis = options.analysis;
  if (analysis !== undefined) {
    if (analysis === null || typeof analysis !== 'object' || !Array.isArray(analysis.metrics)) {
      throw new OptionsError('`analysis` must be `{ metrics }` with the resolved metrics (e.g. `policy.rollout.analysis`)');
    }
    const names = new Set<string>();
    for (const [i, m] of analysis.metrics.entries()) {
      if (m === null || typeof m !== 'object' || typeof m.name !== 'string' || typeof m.provider?.query !== 'function') {
        throw new OptionsError(`\`analysis.metrics[${i}]\` must be a resolved metric (from the policy's \`rollout.analysis\`)`);
      }
      if (names.has(m.name)) throw new OptionsError(`\`analysis.metrics[${i}]\`: the name ${JSON.stringify(m.name)} is used twice`);
      names.add(m.name);
    }
  }
  const judge = options.judge;
  if (judge !== undefined) {
    if (!options.health) throw new OptionsError('`judge` needs a `health` hook that returns `{ metrics }`');
    if (!Array.isArray(judge.baseline) || judge.baseline.length === 0) throw new OptionsError('`judge.baseline` must be a non-empty list of targets that keep the LKG');
    if (judge.metrics === null || typeof judge.metrics !== 'object' || Object.keys(judge.metrics).length === 0) {
      throw new OptionsError('`judge.metrics` must name at least one metric');
    }
    const planned = new Set(plan.waves.flatMap((w) => w.targets.map((t) => t.id)));
    const both = judge.baseline.filter((t) => planned.has(t?.id));
    if (both.length > 0) throw new OptionsError(`\`judge.baseline\` target ${JSON.stringify(both[0]!.id)} is also in the plan: a baseline must keep the LKG`);
    for (const [name, m] of Object.entries(judge.metrics)) {
      if (m?.direction !== 'increase' && m?.direction !== 'decrease') {
        throw new OptionsError(`\`judge.metrics.${name}.direction\` must be "increase" or "decrease", got ${JSON.stringify(m?.direction)}`);
      }
      if (m.alpha !== undefined && !(m.alpha > 0 && m.alpha < 1)) throw new OptionsError(`\`judge.metrics.${name}.alpha\` must be between 0 and 1, got ${JSON.stringify(m.alpha)}`);
      if (m.minSamples !== undefined) posInt(m.minSamples, `judge.metrics.${name}.minSamples`, 1, 5);
    }
  }
  if (options.targets !== undefined) {
    if (!Array.isArray(options.targets)) throw new OptionsError('`targets` must be a list of targets');
    const known = new Set(options.targets.map((t) => t?.id));
    const missing = plan.waves.flatMap((w) => w.targets.filter((t) => !known.has(t.id)).map((t) => t.id));
    if (missing.length > 0) {
      throw new OptionsError(`the plan names ${missing.length} target(s) missing from \`targets\` (first: ${JSON.stringify(missing[0])}): make a new plan`);
    }
  }
  if (options.windows !== undefined) {
    if (!Array.isArray(options.windows)) throw new OptionsError('`windows` must be a list of windows');
    for (const [i, w] of options.windows.entries()) {
      const problems = checkWindow(w);
      if (problems.length > 0) throw new OptionsError(`\`windows[${i}]\` (${JSON.stringify(w?.name)}) is invalid: ${problems[0]}`);
    }
  }
  if (options.changes !== undefined && !Array.isArray(options.changes)) throw new OptionsError('`changes` must be a list of changes');
  const sig = options.signal as unknown;
  if (sig !== undefined && !(sig instanceof AbortSignal)) {
    throw new OptionsError('`signal` must be an AbortSignal (e.g. `new AbortController().signal` or `AbortSignal.timeout(ms)`)');
  }
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id === '')) throw new OptionsError('`id` must be a non-empty string');
  return settings;
}

export function toJournal(j: Journal | string | undefined): Journal {
  if (j === undefined) return new MemoryJournal();
  if (typeof j === 'string') return new FileJournal(j);
  for (const m of ['lock', 'append', 'read', 'unlock'] as const) {
    if (typeof (j as unknown as Record<string, unknown>)[m] !== 'function') throw new OptionsError(`\`journal\` must be a path or a Journal with \`${m}()\``);
  }
  return j;
}

/** Index of the last `rollout.started` record and the `rollout.finished` that follows it, if any. */
export function lastRollout(records: JournalRecord[]): { start: number; finished?: Extract<JournalRecord, { type: 'rollout.finished' }> } {
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

export type { ActionHook, Journal, Target };
