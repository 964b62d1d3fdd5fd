/** Rollout: plan, run with health gates and automatic rollback, crash-safe journal, resume. */
export { planRollout } from './plan.js';
export type { PlanOptions } from './plan.js';
export { expandStrategy, MAX_STRATEGY_STAGES } from './strategy.js';
export { rolloutOptionsFromPolicy } from './from-policy.js';
export type { PolicyRolloutOptions } from './from-policy.js';
export { runRollout, resumeRollout } from './run.js';
export type { RunOptions, ResumeOptions } from './run.js';
export { FileJournal, MemoryJournal } from './journal.js';
export { RolloutError, serializeResult } from './errors.js';
export { mannWhitneyU } from './stats.js';
export type { MannWhitneyResult } from './stats.js';
export { commandApprovalHook, commandHook, httpApprovalHook, httpHook, HookError, parseHookSpec } from './hooks.js';
export type { AdapterHook, CommandHookOptions, HttpHookOptions, ParsedHookSpec } from './hooks.js';
export type {
  ActionHook,
  AnalysisSummary,
  ApprovalHook,
  HealthHook,
  HealthOptions,
  HealthResult,
  HoldKind,
  HookContext,
  Journal,
  JournalRecord,
  JudgeMetric,
  JudgeOptions,
  MeasurementEvent,
  OperatorCommand,
  OperatorCommandName,
  OperatorCommandRecord,
  PromoteHook,
  RemainingTarget,
  RolloutAnalysis,
  RolloutErrorPhase,
  RolloutEvent,
  RolloutResult,
  RolloutStatus,
  SerializedError,
  SerializedResult,
  SpawnInfo,
  StageJudgementRecord,
  StageOutcome,
  TargetState,
  TargetStatus,
} from './types.js';
