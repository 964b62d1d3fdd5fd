/**
 * Rollout-only types: hook contexts, target and stage states, events, results and journal records.
 * Shared plan types (`PlannedWave`, `RolloutPlan`, `Target`...) live in `src/types.ts`.
 */
import type { AnalysisFinding, StageMeasurement } from '../analysis/monitor.js';
import type { AnalysisMetric } from '../analysis/measure.js';
import type { Judgement } from '../analysis/judge/index.js';
import type { Change, PlannedWave, RolloutPlan, Target } from '../types.js';

/**
 * What a health hook may return. Health fails closed: only `true` or `{ healthy: true }` passes. `false`,
 * `{ healthy: false }`, `undefined` (a forgotten `return`), `null`, any other value, a throw or a timeout is a failure.
 * `{ inconclusive: true }` (whatever `healthy` says) means "could not decide": not a pass, not a failure; a stage whose
 * checks stay inconclusive is held for an operator (status `held`) instead of advancing or rolling back.
 * `{ pending: true }` means "not decided yet": the stage waits (more rounds) for that target.
 */
export interface HealthResult {
  healthy: boolean;
  /** The check could not decide (no data, a provider down...): counts toward a hold, not toward a failure. @default false */
  inconclusive?: boolean;
  /**
   * Not decided yet (a metric's last measurement was not good but is still within its limits, or it has not been
   * measured yet): neither a pass nor a failure; the stage does not pass while a target is pending (its bake is
   * extended by more rounds until the target passes, fails or turns inconclusive). Analysis answers it; a hook that
   * answers it forever keeps the stage waiting. @default false
   */
  pending?: boolean;
  /** Numeric samples (latency, error rate...) used by the optional baseline comparison. */
  metrics?: Record<string, number>;
  /** A short explanation for people. */
  message?: string;
}

/** Context passed to `apply`, `health` and `rollback` hooks. */
export interface HookContext {
  /** The config this hook should put in place: the proposed config for `apply`/`health`, the LKG for `rollback`. */
  config: unknown;
  /** The last known good config. */
  lkg: unknown;
  /** The changes between the LKG and the proposed config, when given. */
  changes: Change[];
  /** The wave the target belongs to. */
  stage: PlannedWave;
  /** 1 for the first call of this hook on this target; higher when a resume retries a rollback (health: the round). */
  attempt: number;
  /** Aborted on timeout or when the rollout is aborted; hooks should stop promptly. */
  signal: AbortSignal;
  /** The rollout id. */
  rolloutId: string;
  /**
   * Fencing number of this call for this target: it increases with every apply or rollback call the rollout makes
   * for the target (also across a resume). A fleet that remembers the highest generation it saw per target can refuse a
   * call with a lower one: a late apply can then never overwrite a rollback. Command hooks get it as
   * `CONFGATE_GENERATION`. Health and verify calls carry the generation of the target's last apply or rollback. Every
   * hook call the engine makes has one (code that calls a hook by hand passes one too, e.g. `0` for a call outside a
   * rollout).
   */
  generation: number;
  /**
   * Provided by the engine to apply and rollback calls: a hook that spawns a process group reports it here, so that
   * the engine journals it and, after a crash, waits for (then kills) that group before rolling the target back.
   */
  onSpawn?: ((info: SpawnInfo) => void) | undefined;
  /**
   * The fencing token of the lease the rollout holds on its scope (stores with leases): it grows with every take-over,
   * so a system that remembers the highest token it saw can refuse a call from a holder that lost its lease. Command
   * hooks get it as `CONFGATE_FENCE`, HTTP hooks as `fence` in the body.
   */
  fence?: number;
  /**
   * Provided by the engine when the journal holds a lease: `undefined` when the lease is surely still held, else a
   * promise that renews it and rejects with ConfgateError `E_FENCED` when it was lost. The engine runs it before every
   * hook call (a holder that lost its lease calls no hook); a hook that starts work elsewhere late in its call may run
   * it again right before (command hooks do, and once more right after their spawn).
   */
  confirmLease?: (() => Promise<void> | undefined) | undefined;
}

/** A process group a hook spawned (see {@link HookContext.onSpawn}). */
export interface SpawnInfo {
  pid: number;
  pgid: number;
}

/**
 * An apply or rollback hook. Resolving means success; throwing (or rejecting), or outliving its timeout, is a failure.
 *
 * **Both must be idempotent** (calling one twice with the same target and config must leave the target as calling it
 * once does), because a hook may run again for the same target:
 * - within one run the engine calls `apply` at most once per target and never retries it; `rollback` runs at most once
 *   per target too, and also on a target whose `apply` failed or timed out (it may have half-happened);
 * - a timed-out call is abandoned, not cancelled: its signal is aborted, but work it already started may still land;
 * - after a crash, `resumeRollout` rolls back every target journaled as `applying` — whether or not its apply ran — and
 *   retries rollbacks that were in flight (`ctx.attempt` > 1);
 * - a later run (after a resume, or a retry of the same push) applies the same config to the same targets again.
 * Pass `ctx.rolloutId` and `ctx.attempt` to your system as an idempotency key when it supports one.
 */
export type ActionHook = (target: Target, ctx: HookContext) => Promise<void | boolean> | void;
/**
 * A health hook: only `true` or `{ healthy: true }` passes (see {@link HealthResult}); anything else, a throw or a
 * timeout is a failure. It is called many times per target (at every health interval from the target's apply to the
 * end of the rollout, including approval waits and holds), so it must be read-only.
 */
export type HealthHook = (
  target: Target,
  ctx: HookContext,
) => Promise<HealthResult | boolean | void> | HealthResult | boolean | void;
/**
 * Asked before a stage whose `approval` flag is set. Anything but `true` (including a throw, or outliving
 * `approvalTimeout`) denies. Health keeps being checked while it waits.
 */
export type ApprovalHook = (stage: PlannedWave, ctx: { signal: AbortSignal; rolloutId: string }) => Promise<boolean> | boolean;
/** Called once after the last stage baked: promote the proposed config to LKG. Must be idempotent (a later run may repeat it). */
export type PromoteHook = (ctx: { signal: AbortSignal; rolloutId: string; proposed: unknown; plan: RolloutPlan }) => Promise<void> | void;

/** Options of the health gate. */
export interface HealthOptions {
  /** Time between health rounds during the bake. @default '30s' */
  interval?: number | string | undefined;
  /** Time allowed for one health call; a timeout is a failure. @default '10s' */
  timeout?: number | string | undefined;
  /**
   * Failed health checks tolerated per stage (across all targets and rounds; checks made while the rollout waits for an
   * approval, an operator or a window count toward the stage in progress). A count of failed checks, not of targets.
   * @default 0
   */
  failureLimit?: number | undefined;
  /** Consecutive successful checks every checked target needs before the stage passes. @default 1 */
  successes?: number | undefined;
  /** Not an option: rejects a resolved policy's `rollout.health` (`intervalMs`...) at compile time; use `rolloutOptionsFromPolicy`. */
  intervalMs?: never;
  /** Not an option: see `intervalMs`. */
  timeoutMs?: never;
}

/**
 * How one metric is compared between canary and baseline targets (the deprecated `judge` option).
 * @deprecated declare the metric with a `judge` in `analysis` (the policy's `rollout.analysis`) instead.
 */
export interface JudgeMetric {
  /** Which direction is a degradation: `increase` (latency, errors) or `decrease` (throughput). */
  direction: 'increase' | 'decrease';
  /** Significance level of the one-sided Mann–Whitney U test. @default 0.05 */
  alpha?: number | undefined;
  /**
   * Fewest observations (targets: one observation per target, the median of its readings over the stage) on each side
   * for the judge to run; with fewer, a `warning` event is emitted and the metric is not judged. @default 5
   */
  minSamples?: number | undefined;
}

/**
 * Baseline comparison: canary metrics (from the health hook's `metrics`) against fixed targets outside the plan.
 * @deprecated use `analysis` with a metric `judge` (baselines of the same failure domain, re-chosen at every stage,
 * an effect-size `tolerance`). Kept working: each target is one observation (the median of its readings over the
 * stage), judged by the same judge with tolerance 0.
 */
export interface JudgeOptions {
  /** Targets that keep the LKG during the rollout (should not be in the plan); their health hook supplies baseline metrics. */
  baseline: Target[];
  metrics: Record<string, JudgeMetric>;
}

/**
 * Health analysis for `runRollout`: the metrics of the policy's `rollout.analysis` (`policy.rollout.analysis`, or
 * `rolloutOptionsFromPolicy(policy).analysis`). Their measurements are a health check (beside `health`, both must
 * pass) and judge metrics are judged at the end of every stage against baselines of the plan's failure domain.
 */
export interface RolloutAnalysis {
  /** The runnable metrics (from the policy loader, or built by hand). */
  metrics: readonly AnalysisMetric[];
  /** Environment for `env:NAME` header values. @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** What analysis found during a rollout (`RolloutResult.analysis`). */
export interface AnalysisSummary {
  /** Targets stopped or held by their measurements, and stages the judge failed or held: metric, target(s), value, condition. */
  findings: AnalysisFinding[];
  /** The judge's verdict per stage and metric, in order. */
  judgements: StageJudgementRecord[];
}

/** The judgement of one metric at the end of one stage. */
export interface StageJudgementRecord extends Judgement {
  stage: number;
  stageName: string;
  /** The metric is dry-run: its outcome decided nothing. */
  dryRun?: boolean;
}

/**
 * Detail of a target's state. No target is reported in a state it is not in: `apply-timed-out` is a target whose apply
 * outlived `applyTimeout` and had not settled yet (its outcome is unknown). The engine rolls it back, then rolls it
 * back again once that apply settles; if the apply never settles before the rollout ends (see `settleTimeout`), the
 * target stays `apply-timed-out`: a person must check it (the result's status is then `failed`).
 */
export type TargetState =
  | { status: 'pending' }
  | { status: 'skipped'; reason: string }
  | { status: 'applying'; stage: number }
  | { status: 'applied'; stage: number }
  | { status: 'healthy'; stage: number }
  | { status: 'failed'; stage: number; error: string }
  | { status: 'apply-timed-out'; stage: number; error: string }
  | { status: 'rolling-back'; stage: number; error?: string }
  | { status: 'rolled-back'; stage: number; error?: string }
  | { status: 'rollback-failed'; stage: number; error: string };

/** Status of a target. */
export type TargetStatus = TargetState['status'];

/** Outcome of one stage (wave). */
export interface StageOutcome {
  index: number;
  name: string;
  /** `interrupted`: the process stopped during this stage (a resume says so); `held`: the rollout returned while held here. */
  status: 'passed' | 'failed' | 'denied' | 'aborted' | 'not-started' | 'interrupted' | 'held';
  targets: number;
  /** Apply calls that succeeded. */
  applied: number;
  applyFailures: number;
  healthRounds: number;
  healthFailures: number;
  reason?: string;
}

/** Final status of a rollout. */
export type RolloutStatus = 'completed' | 'incomplete' | 'held' | 'rolled-back' | 'aborted' | 'failed';

/** A target still on the LKG at the end of a rollout that did not roll back (see `RolloutResult.remaining`). */
export interface RemainingTarget {
  targetId: string;
  /** Why: excluded by the plan, deferred by a maintenance window active at run time... */
  reason: string;
}

/** Result of `runRollout` / `resumeRollout`. */
export interface RolloutResult {
  /**
   * - `completed`: every stage passed, `promote` ran, and EVERY planned target got the config.
   * - `incomplete`: every stage passed and `promote` ran, but some targets are still on the LKG (excluded by the plan,
   *   or deferred past the last stage by a maintenance window): they are listed in `remaining`, with the reason.
   * - `held`: the rollout was held (inconclusive health, a freeze, a failing promote, an operator's `pause`) and
   *   `holdTimeout` expired before an operator decided; nothing was rolled back, the journal stays unfinished and
   *   `resumeRollout(journal, { forward: true, ... })` (`confgate rollout --resume --forward`) continues it.
   * - `rolled-back`: a gate failed (or an approval was denied) and every changed target was rolled back.
   * - `aborted`: the signal or an operator's `abort` stopped the rollout and every changed target was rolled back.
   * - `failed`: a person must look: a rollback failed (`rollback-failed`) or an apply never settled (`apply-timed-out`).
   */
  status: RolloutStatus;
  id: string;
  targets: Record<string, TargetState>;
  stages: StageOutcome[];
  /** Every error met (apply, rollback, promote, journal), each a {@link RolloutError} with `cause`. */
  errors: unknown[];
  /** The same errors as one `AggregateError`, when there are any. */
  error?: AggregateError;
  /** Why the rollout did not complete. */
  reason?: string;
  /** True when this result comes from `resumeRollout`. */
  resumed?: boolean;
  /** For `completed`/`incomplete`/`held`: the targets still on the LKG, and why (empty when `completed`). */
  remaining?: RemainingTarget[];
  /** With `analysis`: what it found (which metric stopped or held which target, with the value and the condition). */
  analysis?: AnalysisSummary;
}

/** Typed progress events. */
export type RolloutEvent =
  | { type: 'rollout.started'; id: string; waves: number; targets: number }
  | { type: 'stage.started'; stage: number; name: string; targets: number }
  | { type: 'target.applying'; targetId: string; stage: number }
  | { type: 'target.applied'; targetId: string; stage: number }
  | { type: 'target.apply-failed'; targetId: string; stage: number; error: string }
  | {
      type: 'health.result';
      targetId: string;
      stage: number;
      round: number;
      healthy: boolean;
      /** The check could not decide (neither a pass nor a failure). */
      inconclusive?: boolean;
      /** Not decided yet (see {@link HealthResult.pending}): the stage waits for this target. */
      pending?: boolean;
      baseline: boolean;
      error?: string;
      metrics?: Record<string, number>;
    }
  | MeasurementEvent
  | ({ type: 'analysis.finding' } & AnalysisFinding)
  | ({ type: 'analysis.judgement' } & StageJudgementRecord)
  | { type: 'stage.baked'; stage: number; name: string; rounds: number; failures: number }
  | { type: 'stage.passed'; stage: number; name: string }
  | { type: 'stage.failed'; stage: number; name: string; reason: string }
  | { type: 'approval'; stage: number; name: string; approved: boolean; error?: string }
  | { type: 'rollback.started'; reason: string; targets: number }
  | { type: 'target.rolled-back'; targetId: string }
  | { type: 'target.rollback-failed'; targetId: string; error: string }
  | { type: 'target.apply-timed-out'; targetId: string; stage: number; error: string }
  | { type: 'target.apply-settled'; targetId: string; ok: boolean; error?: string }
  | { type: 'target.deferred'; targetId: string; stage: number; to?: number; reason: string }
  | { type: 'rollout.held'; stage: number; kind: HoldKind; reason: string }
  | { type: 'rollout.released'; stage: number; by: string; reason: string }
  | { type: 'command'; command: OperatorCommandName; user: string; host: string; reason?: string; action: 'applied' | 'ignored'; note?: string }
  | { type: 'promote.failed'; attempt: number; error: string; retryInMs?: number }
  | { type: 'warning'; message: string }
  | { type: 'rollout.finished'; id: string; status: RolloutStatus; reason?: string };

/**
 * One measurement of one metric on one target (with `analysis`): the `analysis.measurement` event. The same fields,
 * with `ts`, are journaled as a `measurement` record. Values are numbers; messages never contain credentials.
 */
export interface MeasurementEvent extends StageMeasurement {
  type: 'analysis.measurement';
}

/**
 * Why a rollout is held: `inconclusive` health, a `freeze` (or being outside the allow windows), every target of a
 * stage under `maintenance` (a wider stage never starts before an earlier one was applied and baked), a failing
 * `promote`, a denied `approval` (see `onApprovalDenied`), or an `operator`'s pause.
 */
export type HoldKind = 'inconclusive' | 'freeze' | 'maintenance' | 'promote' | 'approval' | 'operator';

/** What an operator can ask of a running (or held) rollout. */
export type OperatorCommandName = 'pause' | 'continue' | 'promote' | 'abort';

/**
 * An operator command, posted from another process through the journal (`confgate control`):
 * - `pause`: hold the rollout (it stops advancing and keeps checking health);
 * - `continue`: release a hold (including a freeze hold: that is a person's break-glass decision, journaled);
 * - `promote`: skip the remaining bakes and run the remaining stages at once (releases a hold too);
 * - `abort`: roll every changed target back (status `aborted`).
 */
export interface OperatorCommand {
  command: OperatorCommandName;
  /** A unique id (to find the command in the channel). */
  id: string;
  /** The rollout the command is meant for; a command for another rollout is ignored. Absent = the running one. */
  rolloutId?: string;
  reason?: string;
  /** Who asked (user name) and from where (host name). */
  user: string;
  host: string;
  /** ISO-8601 time it was posted. */
  ts: string;
}

/** A command as read back from the channel: `seq` is its 1-based position (increasing, never reused). */
export interface OperatorCommandRecord extends OperatorCommand {
  seq: number;
}

/** A serialisable form of an error stored in the journal. */
export interface SerializedError {
  message: string;
  phase: RolloutErrorPhase;
  targetId?: string;
  code?: string;
}

/** Where an error happened. */
export type RolloutErrorPhase = 'apply' | 'rollback' | 'verify' | 'promote' | 'approval' | 'journal';

/** The result as stored in the journal (errors serialised). */
export type SerializedResult = Omit<RolloutResult, 'errors' | 'error'> & { errors: SerializedError[] };

/** One journal record (one JSON line in a {@link FileJournal}). */
export type JournalRecord =
  | {
      type: 'rollout.started';
      v: 1;
      id: string;
      ts: string;
      plan: RolloutPlan;
      proposed: unknown;
      lkg: unknown;
      changes: Change[];
    }
  | { type: 'stage'; ts: string; stage: number; status: 'started' | 'passed' | 'failed'; reason?: string }
  | { type: 'approval'; ts: string; stage: number; approved: boolean; error?: string }
  | { type: 'spawn'; ts: string; targetId: string; generation: number; pid: number; pgid: number; host: string }
  | { type: 'apply.settled'; ts: string; targetId: string; ok: boolean }
  | { type: 'deferred'; ts: string; targetId: string; from: number; to?: number; reason: string }
  | { type: 'hold'; ts: string; stage: number; kind: HoldKind; reason: string }
  | { type: 'release'; ts: string; stage: number; by: string; reason: string }
  | { type: 'command'; ts: string; seq: number; command: OperatorCommandName; user: string; host: string; reason?: string; action: 'applied' | 'ignored'; note?: string }
  | { type: 'promote.failed'; ts: string; attempt: number; error: string }
  | ({ type: 'measurement'; ts: string } & StageMeasurement)
  | { type: 'analysis.finding'; ts: string; finding: AnalysisFinding }
  | { type: 'analysis.judgement'; ts: string; judgement: StageJudgementRecord }
  | { type: 'target'; targetId: string; state: TargetState }
  | { type: 'rollback.started'; ts: string; reason: string }
  | { type: 'resume.started'; ts: string; forward?: boolean }
  | { type: 'promoted'; ts: string }
  | { type: 'rollout.finished'; ts: string; result: SerializedResult };

/**
 * A durable, store-agnostic journal of rollout transitions.
 *
 * The optional operator-command channel (`postCommand`/`readCommands`) lets another process steer a running rollout
 * (`confgate control`). It must work while the rollout holds the lock, and `readCommands(n)` must return every command
 * posted after the n-th, in order, with increasing `seq`. Without it a rollout cannot be paused or promoted from
 * outside (a `warning` event says so when it would matter).
 */
export interface Journal {
  /** Take the exclusive lock; throws a ConfgateError `E_ROLLOUT_LOCKED` when another rollout holds it. */
  lock(): Promise<void>;
  /** Append records durably (one flush per call: callers batch). Throws ConfgateError `E_JOURNAL` when it cannot. */
  append(records: JournalRecord[]): Promise<void>;
  /** Every record, in order. A torn last record is ignored. */
  read(): Promise<JournalRecord[]>;
  /** Release the lock. */
  unlock(): Promise<void>;
  /**
   * Stores with a lease (`FileJournal`, `PostgresJournal`): before the engine calls any hook, `undefined` when the lease
   * is surely still held, else a promise that renews it and rejects with ConfgateError `E_FENCED` when it was lost
   * (the hook is then not called). A journal without it has no lease to check.
   */
  guard?(): Promise<void> | undefined;
  /** Stores with a lease: the fencing token held (hooks get it as `ctx.fence`), undefined when none. */
  readonly fence?: number | undefined;
  /** Post an operator command (no lock needed). Throws ConfgateError `E_JOURNAL` when it cannot be made durable. */
  postCommand?(command: OperatorCommand): Promise<void>;
  /** Commands with `seq > afterSeq`, in order. */
  readCommands?(afterSeq: number): Promise<OperatorCommandRecord[]>;
}
