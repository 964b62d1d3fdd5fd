/**
 * Rollout-only types: hook contexts, target and stage states, events, results and journal records.
 * Shared plan types (`PlannedWave`, `RolloutPlan`, `Target`...) live in `src/types.ts`.
 */
import type { Change, PlannedWave, RolloutPlan, Target } from '../types.js';

/** What a health hook may return. `undefined` (or `true`) means healthy; `false` or `{ healthy: false }` means unhealthy. */
export interface HealthResult {
  healthy: boolean;
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
  /** Told the pid and process group of a process a hook adapter spawned (e.g. to journal it); may be absent. */
  onSpawn?: ((info: { pid: number; pgid: number }) => void) | undefined;
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
export type ActionHook = (target: Target, ctx: HookContext) => Promise<void> | void;
/**
 * A health hook: throwing, returning `false` or `{ healthy: false }`, or timing out is a failure. It is called many
 * times per target (every round of every later stage), so it must be read-only.
 */
export type HealthHook = (
  target: Target,
  ctx: HookContext,
) => Promise<HealthResult | boolean | void> | HealthResult | boolean | void;
/** Asked before a stage whose `approval` flag is set. Anything but `true` (including a throw) denies. */
export type ApprovalHook = (stage: PlannedWave, ctx: { signal: AbortSignal; rolloutId: string }) => Promise<boolean> | boolean;
/** Called once after the last stage baked: promote the proposed config to LKG. Must be idempotent (a later run may repeat it). */
export type PromoteHook = (ctx: { signal: AbortSignal; rolloutId: string; proposed: unknown; plan: RolloutPlan }) => Promise<void> | void;

/** Options of the health gate. */
export interface HealthOptions {
  /** Time between health rounds during the bake. @default '30s' */
  interval?: number | string | undefined;
  /** Time allowed for one health call; a timeout is a failure. @default '10s' */
  timeout?: number | string | undefined;
  /** Failed health checks tolerated per stage (across all targets and rounds). @default 0 */
  failureLimit?: number | undefined;
  /** Consecutive successful checks every checked target needs before the stage passes. @default 1 */
  successes?: number | undefined;
  /** Not an option: rejects a resolved policy's `rollout.health` (`intervalMs`...) at compile time; use `rolloutOptionsFromPolicy`. */
  intervalMs?: never;
  /** Not an option: see `intervalMs`. */
  timeoutMs?: never;
}

/** How one metric is compared between canary and baseline targets. */
export interface JudgeMetric {
  /** Which direction is a degradation: `increase` (latency, errors) or `decrease` (throughput). */
  direction: 'increase' | 'decrease';
  /** Significance level of the one-sided Mann–Whitney U test. @default 0.05 */
  alpha?: number | undefined;
  /** Fewest samples on each side for the test to run; with fewer, a `warning` event is emitted and the metric is not judged. @default 5 */
  minSamples?: number | undefined;
}

/** Baseline comparison: canary metrics against targets still on the LKG. */
export interface JudgeOptions {
  /** Targets that keep the LKG during the rollout (should not be in the plan); their health hook supplies baseline metrics. */
  baseline: Target[];
  metrics: Record<string, JudgeMetric>;
}

/** Detail of a target's state. Every target of the plan ends in a known state; never "unknown". */
export type TargetState =
  | { status: 'pending' }
  | { status: 'skipped'; reason: string }
  | { status: 'applying'; stage: number }
  | { status: 'applied'; stage: number }
  | { status: 'healthy'; stage: number }
  | { status: 'failed'; stage: number; error: string }
  | { status: 'rolling-back'; stage: number; error?: string }
  | { status: 'rolled-back'; stage: number; error?: string }
  | { status: 'rollback-failed'; stage: number; error: string };

/** Status of a target. */
export type TargetStatus = TargetState['status'];

/** Outcome of one stage (wave). */
export interface StageOutcome {
  index: number;
  name: string;
  status: 'passed' | 'failed' | 'denied' | 'aborted' | 'not-started';
  targets: number;
  /** Apply calls that succeeded. */
  applied: number;
  applyFailures: number;
  healthRounds: number;
  healthFailures: number;
  reason?: string;
}

/** Final status of a rollout. */
export type RolloutStatus = 'completed' | 'rolled-back' | 'aborted' | 'failed';

/** Result of `runRollout` / `resumeRollout`. */
export interface RolloutResult {
  /**
   * `completed`: every wave passed and `promote` ran; `rolled-back`: a gate failed and every changed target was rolled back;
   * `aborted`: the signal aborted the rollout and every changed target was rolled back; `failed`: at least one rollback
   * failed (those targets are `rollback-failed`).
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
      baseline: boolean;
      error?: string;
      metrics?: Record<string, number>;
    }
  | { type: 'stage.baked'; stage: number; name: string; rounds: number; failures: number }
  | { type: 'stage.passed'; stage: number; name: string }
  | { type: 'stage.failed'; stage: number; name: string; reason: string }
  | { type: 'approval'; stage: number; name: string; approved: boolean; error?: string }
  | { type: 'rollback.started'; reason: string; targets: number }
  | { type: 'target.rolled-back'; targetId: string }
  | { type: 'target.rollback-failed'; targetId: string; error: string }
  | { type: 'warning'; message: string }
  | { type: 'rollout.finished'; id: string; status: RolloutStatus; reason?: string };

/** A serialisable form of an error stored in the journal. */
export interface SerializedError {
  message: string;
  phase: RolloutErrorPhase;
  targetId?: string;
  code?: string;
}

/** Where an error happened. */
export type RolloutErrorPhase = 'apply' | 'rollback' | 'promote' | 'approval' | 'journal';

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
  | { type: 'approval'; ts: string; stage: number; approved: boolean }
  | { type: 'target'; targetId: string; state: TargetState }
  | { type: 'rollback.started'; ts: string; reason: string }
  | { type: 'resume.started'; ts: string }
  | { type: 'promoted'; ts: string }
  | { type: 'rollout.finished'; ts: string; result: SerializedResult };

/** A durable, store-agnostic journal of rollout transitions. */
export interface Journal {
  /** Take the exclusive lock; throws a ConfgateError `E_ROLLOUT_LOCKED` when another rollout holds it. */
  lock(): Promise<void>;
  /** Append records durably (one flush per call: callers batch). Throws ConfgateError `E_JOURNAL` when it cannot. */
  append(records: JournalRecord[]): Promise<void>;
  /** Every record, in order. A torn last record is ignored. */
  read(): Promise<JournalRecord[]>;
  /** Release the lock. */
  unlock(): Promise<void>;
}
