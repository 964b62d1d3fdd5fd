/**
 * Public data types shared by every stage of confgate.
 *
 * The pipeline: load -> validate -> diff -> score -> plan -> rollout -> report.
 * Everything up to `plan` is pure; these types are plain data (JSON-serialisable)
 * unless stated otherwise.
 */

/* ------------------------------------------------------------------ values */

/** A JSON value as produced by loading a YAML or JSON document. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A JSON object. Keys such as `__proto__` are ordinary data (objects are created with a null prototype or via defineProperty). */
export interface JsonObject {
  [key: string]: JsonValue;
}

/* ---------------------------------------------------------------- findings */

/** How bad a finding is. `block` stops the push, `warn` lets it through with a warning, `info` is context. */
export type Severity = 'block' | 'warn' | 'info';

/** The gate's answer for a push. */
export type Verdict = 'allow' | 'warn' | 'block';

/**
 * Stable rule ids (see the README's rule catalog). Reports and CI match on these, never on message text.
 * More ids may be added; existing ones keep their meaning.
 */
export type RuleId =
  | BuiltinRuleId
  /** A policy CEL rule (`rule.<id>`) or an id a check plugin registered (always namespaced: `acme.weights-sum`). */
  | `${string}.${string}`;

/** The built-in rule ids (the catalog in the README). */
export type BuiltinRuleId =
  | 'parse.error'
  | 'parse.duplicate-key'
  | 'parse.precision-loss'
  | 'input.too-large'
  | 'input.too-deep'
  | 'input.unreadable'
  | 'input.unknown-type'
  | 'input.missing'
  | 'schema'
  | 'limit.max-bytes'
  | 'limit.growth'
  | 'limit.shrink'
  | 'limit.max-items'
  | 'limit.min-items'
  | 'limit.unique'
  | 'check.regex'
  | 'check.expiry'
  | 'check.target-mismatch'
  | 'diff.reorder'
  | 'window.freeze'
  | 'window.maintenance'
  | 'window.outside-allowed'
  | 'plane.coupled'
  | 'version.not-increasing'
  | 'rollback.lkg-invalid'
  | 'rollout.no-canary'
  | 'score.threshold'
  | 'override.used'
  | 'revert.used'
  | 'internal.error';

/** A position in a source file. `line` and `column` are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One reason the gate gives. Every problem is data: checks return findings, they do not throw. */
export interface Finding {
  /** Stable rule id from the catalog. */
  rule: RuleId;
  severity: Severity;
  /** A sentence for people: what is wrong, where, and what to do. Never matched on by tools. */
  message: string;
  /** Plain JSON Pointer into the document the finding is about (the proposed config unless `document` says otherwise). */
  path?: string;
  /** Which document the finding is about. @default 'proposed' */
  document?: 'proposed' | 'current' | 'policy' | 'targets';
  /**
   * In a config set: the member the finding is about, as its path relative to the set's folder (`edge/base.yaml`,
   * always `/`-separated). Absent for single-file pushes and for findings about the push as a whole.
   */
  file?: string;
  /** Where in the source file, when known. */
  location?: SourceLocation;
  /** Machine-readable details (ajv keyword and params, counts, ratios...). */
  detail?: Record<string, JsonValue>;
}

/* ------------------------------------------------------------------- load */

/** Format of a loaded document. */
export type ConfigFormat = 'json' | 'yaml';

/** Input limits applied while loading. Every field has a safe default. */
export interface InputLimits {
  /** Largest accepted input, in bytes. @default 67108864 (64 MiB) */
  maxBytes?: number;
  /** Deepest accepted nesting of arrays/objects. @default 256 */
  maxDepth?: number;
  /** Largest number of YAML alias nodes resolved in one document. @default 1000 */
  maxAliases?: number;
  /** Largest number of nodes (scalars, maps, sequences) after alias expansion. @default 5000000 */
  maxNodes?: number;
}

/** A loaded configuration document. */
export interface ConfigDoc {
  /** The parsed value; `undefined` when the document could not be parsed (see `findings`). */
  readonly value: JsonValue | undefined;
  readonly format: ConfigFormat;
  /** Size of the input in bytes (UTF-8). */
  readonly bytes: number;
  /** File name used in locations (`<input>` for text without a name). */
  readonly file: string;
  /** Findings produced while loading: parse.error, parse.duplicate-key, input.*. */
  readonly findings: readonly Finding[];
  /** True when loading failed so badly that `value` is unusable. */
  readonly failed: boolean;
  /** Source location of the value at a plain JSON Pointer (or of its nearest existing ancestor). */
  locate(pointer: string): SourceLocation | undefined;
}

/**
 * A config set: several documents pushed as one unit (a base file plus per-region overrides, generated files).
 * Members are named by their path relative to the set's folder, `/`-separated, in a fixed (sorted) order.
 */
export interface ConfigSet {
  /** The folder the set was read from (as given), or `<set>` for a set given in memory. */
  readonly root: string;
  /** The members by relative path, sorted by path (code units). Each member was loaded with the input limits. */
  readonly files: ReadonlyMap<string, ConfigDoc>;
  /**
   * Problems of the set itself, each with the member's `file` (and a location when there is one): a member that
   * cannot be read (`input.unreadable`: permissions, a symlink leading out of the folder or in a loop, a FIFO or
   * device), a file type the loader does not know (`input.unknown-type`), too many files (`input.too-large`).
   */
  readonly findings: readonly Finding[];
  /** The set as one JSON value, `{ "<relative path>": <document value> }` (members that failed to load are absent). */
  readonly value: JsonObject;
}

/* ------------------------------------------------------------------- diff */

/** Kind of a change between two documents. */
export type ChangeKind = 'added' | 'removed' | 'modified' | 'reordered';

/** One change between the current (LKG) and the proposed config. */
export interface Change {
  kind: ChangeKind;
  /**
   * Where, as a JSON Pointer in which entries of keyed lists are named by key:
   * `/features/[name=bot_score]/type`. Plain pointers for everything else.
   */
  path: string;
  /** Plain JSON Pointer into the proposed document (into the current one for removals). */
  pointer: string;
  /**
   * In a config set: the member that changed (path relative to the set's folder). An added or removed member is one
   * change with `path` and `pointer` `''` and the whole document as `newValue` / `oldValue`.
   */
  file?: string;
  oldValue?: JsonValue;
  newValue?: JsonValue;
}

/** Counts of a diff, as printed by `--format json`. */
export interface ChangeSummary {
  added: number;
  removed: number;
  modified: number;
  reordered: number;
  total: number;
  changes: Change[];
}

/* ---------------------------------------------------------------- targets */

/** A server, PoP, region, cluster or tenant that receives config. */
export interface Target {
  id: string;
  labels: Record<string, string>;
}

/** Label selector: every listed label must equal the given value (a list means any of these values). */
export type LabelSelector = Record<string, string | string[]>;

/* ---------------------------------------------------------------- windows */

/** Kinds of time windows. */
export type WindowKind = 'maintenance' | 'freeze' | 'allow';

/**
 * A time window. Exactly one timing form:
 * - one-off: `start` + `end` (ISO-8601 with offset);
 * - cron: `schedule` (5-field cron) + `duration` + `timeZone` (IANA, default UTC);
 * - RFC 5545: `rrule` (e.g. `FREQ=WEEKLY;BYDAY=FR`) + `start` (first occurrence, local to `timeZone` when it has no offset) + `duration`.
 */
export interface WindowSpec {
  name: string;
  kind: WindowKind;
  /** Targets the window applies to; absent = every target. */
  targets?: LabelSelector;
  start?: string;
  end?: string;
  schedule?: string;
  rrule?: string;
  /** Duration string (`90s`, `10m`, `4h`, `7d`) or milliseconds. */
  duration?: string | number;
  /** IANA time zone for `schedule`/`rrule`. @default 'UTC' */
  timeZone?: string;
  /** Where the window came from (policy, a Statuspage export, an iCalendar file). */
  source?: string;
}

/** One concrete occurrence of a window. */
export interface WindowOccurrence {
  window: WindowSpec;
  /** ISO-8601 UTC. */
  start: string;
  /** ISO-8601 UTC (exclusive). */
  end: string;
}

/* ------------------------------------------------------------------ score */

/** One additive contribution to the risk score. */
export interface Factor {
  /** Stable factor id (`change.size`, `growth`, `sensitive`, `blast-radius`...). */
  id: string;
  points: number;
  detail: string;
}

/** The rollout strategy a risk tier selects. */
export interface RiskTier {
  name: string;
  /** Lowest score (inclusive) of this tier. */
  minScore: number;
  /** Highest score (inclusive) of this tier. */
  maxScore: number;
}

/* ---------------------------------------------------------------- rollout */

/** One stage of a rollout as written in a policy or passed to `planRollout`. */
export interface StageSpec {
  name: string;
  /** Cumulative number of targets reached after this stage. */
  count?: number | undefined;
  /** Cumulative percentage of targets reached after this stage (rounded up, at least one target). */
  percent?: number | undefined;
  /** Targets matching this selector form the stage. */
  select?: LabelSelector | undefined;
  /** Bake time after the stage is applied: milliseconds or a duration string. @default 0 */
  bake?: string | number | undefined;
  /** Ask the approval hook before this stage starts. @default false */
  approval?: boolean | undefined;
}

/**
 * A stage generator (an AWS AppConfig-like deployment strategy): stages grow linearly or exponentially up to 100 % of
 * the targets. Exactly one of `linear` or `exponential`. Percents are numbers or strings like `10%`.
 */
export interface StrategySpec {
  /** Grow by `step` percent per stage: `{ step: '10%' }` gives 10, 20, ... 100. */
  linear?: { step: number | string } | undefined;
  /** Start at `from` percent and multiply by `factor` (> 1) per stage: `{ from: '1%', factor: 2 }` gives 1, 2, 4, ... 64, 100. */
  exponential?: { from: number | string; factor: number } | undefined;
  /** Bake time after every stage: milliseconds or a duration string. @default 0 */
  bake?: string | number | undefined;
  /** Ask the approval hook before every stage after the first. @default false */
  approval?: boolean | undefined;
}

/** One wave of a rollout plan: concrete targets. */
export interface PlannedWave {
  index: number;
  name: string;
  targets: Target[];
  bakeMs: number;
  approval: boolean;
}

/** A target that is not in any wave, or was moved, and why. */
export interface PlanNote {
  targetId: string;
  /** `deferred`: moved to a later wave; `excluded`: in no wave. */
  action: 'deferred' | 'excluded';
  reason: string;
  /** Wave the target was moved to, for `deferred`. */
  wave?: number;
}

/** A staged rollout plan. Pure data. */
export interface RolloutPlan {
  waves: PlannedWave[];
  notes: PlanNote[];
  /** Things the planner changed or refused, for people (redundancy groups reordered...). */
  warnings: string[];
  /** Evaluation time used for window decisions (ISO-8601). */
  at: string;
  failureDomain?: string;
  totalTargets: number;
}

/* ------------------------------------------------------------------ gate */

/** A break-glass override recorded in the report. */
export interface OverrideRecord {
  reason: string;
  /** ISO-8601 evaluation time at which the override was used. */
  at: string;
}

/**
 * A revert recorded in the report: the push puts the last known good back. Version, growth, shrink and score
 * findings do not block it (they are reported as warnings); parse, schema, regex, expiry and target checks still do.
 */
export interface RevertRecord {
  reason: string;
  /** ISO-8601 evaluation time at which the revert was evaluated. */
  at: string;
}

/** The gate's full answer for one push. Deterministic: the same inputs give byte-identical JSON. */
/** Title, help and default severity of rule ids outside the built-in catalog (policy rules, plugin checks). */
export type RuleInfoMap = Record<string, { title: string; help: string; severity: Severity }>;

export interface GateReport {
  verdict: Verdict;
  /** Risk score 0-100. */
  score: number;
  findings: Finding[];
  factors: Factor[];
  changes: ChangeSummary;
  /** Risk tier selected by the score, when the policy defines tiers. */
  tier?: { name: string; stages: StageSpec[]; approval: boolean };
  plan?: RolloutPlan;
  override?: OverrideRecord;
  /** Present when the push was evaluated as a revert (`revert` in `evaluate`, `--revert` in the CLI). */
  revert?: RevertRecord;
  /** Evaluation time (ISO-8601). */
  at: string;
  /** File names of the inputs (for a config set: its folder, or `<proposed>` / `<current>` for a set given in memory). */
  files: {
    proposed: string;
    current?: string;
    policy?: string;
    /** For a config set: the members (paths relative to the set's folder, sorted) of each side. */
    set?: { proposed: string[]; current?: string[] };
  };
  /** Metadata of the policy-rule and plugin rule ids that appear in `findings` (SARIF rule metadata). */
  ruleInfo?: RuleInfoMap;
}
