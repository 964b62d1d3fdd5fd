/**
 * confgate: stop bad configuration pushes before they take a fleet down.
 *
 * The public API. Named re-exports only; internal helpers are not exported.
 */

// Gate
export { createGate, verdictOf } from './gate.js';
export type { ConfigInput, ConfigSetInput, EvaluateInput, Gate } from './gate.js';
export type { CheckFinding, CheckInput, CheckPlugin, CheckRuleInfo, GateOptions, ResolvedRule, RuleSpec } from './rules/index.js';

// Load
export { DEFAULT_INPUT_LIMITS, isConfigDoc, loadConfig, parseConfig } from './load/index.js';
export type { ConfigSource, ParseOptions } from './load/index.js';
export { isConfigSet, loadConfigSet } from './load/set.js';
export type { ConfigSetSource, LoadSetOptions, SetMemberInput } from './load/set.js';
export { diffConfigSets } from './set/diff.js';
export type { DiffSetsOptions } from './set/diff.js';

// Policy
export { defaultPolicy, loadPolicy, resolvePolicy } from './policy/index.js';
export type { LoadPolicyOptions } from './policy/index.js';
export type {
  CheckSpec,
  Duration,
  FilesSpec,
  PolicyDocument,
  ResolvedCheck,
  ResolvedPolicy,
  SensitiveSpec,
  Size,
  Thresholds,
  TierSpec,
  WindowImportSpec,
} from './policy/types.js';

// Validate, diff, score
export { compileValidator } from './validate/index.js';
export type { CompiledValidator, ValidateInput } from './validate/index.js';
export { diffConfigs, summarizeChanges } from './diff/index.js';
export type { DiffOptions } from './diff/index.js';
export { scorePush, WEIGHTS } from './score/index.js';
export type { ScoreInput, ScoreMember, ScoreResult } from './score/index.js';

// CEL (the expression language of policy rules and analysis conditions)
export { CelCompileError, CelEvalError, compileCel } from './cel/index.js';
export type { CelCompileOptions, CelPosition, CelProgram } from './cel/index.js';

// Windows
export {
  activeAt,
  checkWindow,
  importICal,
  importStatuspage,
  listWindows,
  MAX_TOTAL_OCCURRENCES,
  MAX_WINDOWS,
  occurrencesBetween,
  targetsUnderMaintenance,
  windowFindings,
} from './windows/index.js';
export type { ICalImportOptions, StatuspageImportOptions, WindowFindingsInput, WindowListing } from './windows/index.js';

// Stores: file (one host) and PostgreSQL (many deployers), leases, fencing, audit
export { PostgresJournal, auditFromEnv, ciFromEnv, documentHash, isPostgresUrl, JOURNAL_KEY_ENV, openJournal } from './store/index.js';
export type {
  AuditInfo,
  FileJournalOptions,
  HistoryEntry,
  JournalProblem,
  LeaseOptions,
  LeaseRecord,
  LeasedJournal,
  LockHolder,
  PostgresJournalOptions,
  ReadOutcome,
  StoreOptions,
  SuppliedDocuments,
} from './store/index.js';

// Rollout
export {
  FileJournal,
  HookError,
  MemoryJournal,
  RolloutError,
  commandApprovalHook,
  commandHook,
  expandStrategy,
  httpApprovalHook,
  httpHook,
  parseHookSpec,
  rolloutOptionsFromPolicy,
  mannWhitneyU,
  planRollout,
  resumeRollout,
  runRollout,
  serializeResult,
} from './rollout/index.js';
export type {
  ActionHook,
  AdapterHook,
  AnalysisSummary,
  ApprovalHook,
  CommandHookOptions,
  HealthHook,
  HealthOptions,
  HealthResult,
  HoldKind,
  HookContext,
  HttpHookOptions,
  Journal,
  JournalRecord,
  JudgeMetric,
  JudgeOptions,
  MannWhitneyResult,
  MeasurementEvent,
  OperatorCommand,
  OperatorCommandName,
  OperatorCommandRecord,
  ParsedHookSpec,
  PlanOptions,
  PolicyRolloutOptions,
  PromoteHook,
  RemainingTarget,
  ResumeOptions,
  RolloutAnalysis,
  RolloutErrorPhase,
  RolloutEvent,
  RolloutResult,
  RolloutStatus,
  RunOptions,
  SerializedError,
  SerializedResult,
  SpawnInfo,
  StageJudgementRecord,
  StageOutcome,
  TargetState,
  TargetStatus,
} from './rollout/index.js';

// Analysis (metric providers, measurements, canary judge)
export {
  aggregate,
  classify,
  combineHealth,
  commandProvider,
  compileJsonPath,
  compileTemplate,
  createAnalysis,
  hodgesLehmann,
  judge,
  mannWhitney,
  measure,
  prometheusProvider,
  ProviderError,
  webProvider,
} from './analysis/index.js';
export type {
  Alternative,
  Analysis,
  AnalysisFinding,
  AnalysisMetric,
  AnalysisOptions,
  AnalysisSpec,
  CommandSpec,
  Condition,
  DomainJudgement,
  JsonPath,
  Judgement,
  JudgeOutcome,
  JudgeSpec,
  MannWhitneyOptions,
  MannWhitneyTestResult,
  Measurement,
  MeasurementPhase,
  MeasureContext,
  MetricSpec,
  Observation,
  PrometheusSpec,
  Provider,
  ProviderContext,
  ProviderOptions,
  ProviderResult,
  ResolvedAnalysis,
  Series,
  ShiftEstimate,
  StageJudgement,
  StageMeasurement,
  Template,
  TemplateContext,
  WebSpec,
} from './analysis/index.js';

// Notifications (webhook, Slack) of gate and rollout events
export { createNotifier, eventSummary, gateEvent, NOTIFY_EVENTS, notifyNames } from './notify/index.js';
export type { FlushOutcome, GateEvent, NotifiableEvent, Notifier, NotifierOptions, NotifyEventName, NotifyFailedEvent, NotifySpec, SlackSpec, WebhookSpec } from './notify/index.js';

// Reports
export { ANNOTATIONS_PER_LEVEL, formatChanges, formatPlan, formatReport, formatRolloutReport, REPORT_FORMATS, reportSources, RULES, toSarif } from './report/index.js';
export type {
  CodeQualityIssue,
  FailOn,
  FormatOptions,
  ReportFormat,
  ReportSource,
  ReportSourcesOptions,
  RolloutReportInput,
  RolloutReportOptions,
  RuleInfo,
  TimedRolloutEvent,
} from './report/index.js';
export type {
  SarifLevel,
  SarifLocation,
  SarifLog,
  SarifMessage,
  SarifPropertyBag,
  SarifRegion,
  SarifReportingDescriptor,
  SarifResult,
  SarifRun,
} from './report/sarif-types.js';

// Shared helpers that users need
export { matchesSelector, MAX_TARGET_ID_LENGTH, normalizeTargets, targetIdProblem } from './targets.js';
export { compilePattern, decodePointer, encodePointer, getAtPointer } from './pointer.js';
export type { PathPattern } from './pointer.js';
export { formatDuration, parseDuration, parseSize } from './units.js';
export { fingerprint, isSecretKey } from './secrets.js';
export { VERSION } from './version.js';

// Errors
export { ConfgateError, InputError, OptionsError, PolicyError, TargetsError } from './errors.js';
export type { ConfgateErrorCode } from './errors.js';

// Data types
export type * from './types.js';
