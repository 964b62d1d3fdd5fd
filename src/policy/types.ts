import type { NotifySpec } from '../notify/types.js';
import type { ResolvedRule, RuleSpec } from '../rules/types.js';
import type { InputLimits, JsonObject, LabelSelector, StageSpec, StrategySpec, WindowKind, WindowSpec } from '../types.js';
import type { AnalysisSpec, ResolvedAnalysis } from '../analysis/policy.js';

/** A duration: milliseconds, or a string such as `90s`, `10m`, `4h`, `7d`. */
export type Duration = number | string;
/** A size: bytes, or a string such as `512KB`, `1MB`, `2GiB`. */
export type Size = number | string;

/** Warn/block thresholds for growth (ratio proposed/current, e.g. 1.5) or shrink (fraction of entries removed, e.g. 0.2). */
export interface Thresholds {
  warn?: number;
  block?: number;
}

/** A per-path check. `path` is a JSON Pointer pattern (`*` = one segment, `**` = any depth). */
export interface CheckSpec {
  path: string;
  /** Lists at the path may hold at most this many entries (`limit.max-items`). */
  maxItems?: number;
  /** Lists at the path must hold at least this many entries (`limit.min-items`). */
  minItems?: number;
  /** Entries of lists at the path must be unique by this field (`limit.unique`). `true` = whole-entry uniqueness. */
  unique?: string | true;
  /** String values at the path are regular expressions: they must compile and be free of catastrophic backtracking (`check.regex`). */
  regex?: boolean | { flags?: string };
  /** Date-time values at the path must lie at least this far after the evaluation time (`check.expiry`). */
  expiresAfter?: Duration;
  /** Values at the path must equal this label of every target (`check.target-mismatch`). */
  matchesTarget?: string;
  /** Severity of findings of this check. @default 'block' */
  severity?: 'block' | 'warn';
}

/** A path whose change adds risk. */
export interface SensitiveSpec {
  path: string;
  /** Points added to the score when the path changes. @default 20 */
  weight?: number;
  reason?: string;
}

/** Imports of windows from files published by other systems. Paths resolve relative to the policy file. */
export interface WindowImportSpec {
  /** An Atlassian Statuspage `scheduled-maintenances.json` export. */
  statuspage?: string;
  /** An iCalendar `.ics` file. */
  ical?: string;
  /** Kind of every window from this file. @default 'maintenance' for statuspage, 'freeze' for ical */
  kind?: WindowKind;
  /**
   * How a Statuspage component name maps to a target selector: the label to match (`region` by default)
   * and an optional table from component name to label value (default: the code in the name, e.g.
   * "Santiago (SCL)" -> `SCL`, else the whole name).
   */
  label?: string;
  components?: Record<string, string>;
  /** Selector applied to every window of an iCalendar file. */
  targets?: LabelSelector;
  /** iCalendar: IANA time zone for all-day events and times without a zone. @default the calendar's X-WR-TIMEZONE, else 'UTC' */
  timeZone?: string;
}

/** A risk tier: scores from `min` up to the next tier select these stages. */
export interface TierSpec {
  name: string;
  /** Lowest score (inclusive) of the tier. */
  min: number;
  stages: StageSpec[];
  /** Require approval before every stage after the first. @default false */
  approval?: boolean;
}

/** Config sets: how the files of a folder are read and validated. Globs are relative to the set's folder. */
export interface FilesSpec {
  /** Files (globs) that are not members of the set: they are not loaded, validated nor delivered. @default [] */
  ignore?: string[];
  /**
   * A JSON Schema per glob: the first entry whose `match` matches a member's relative path gives its schema (a path
   * relative to the policy file, or an inline schema); members that match none use the policy's `schema`.
   * @default []
   */
  schemas?: Array<{ match: string; schema: string | JsonObject }>;
  /** Members that must be present in the proposed set (relative paths): a missing one blocks (`input.unreadable`). @default [] */
  required?: string[];
  /** Most files a set may hold (more is `input.too-large`). @default 10000 */
  maxFiles?: number;
}

/** The policy file (`confgate.yaml`) as written by users. Validated by `policy.schema.json`. */
export interface PolicyDocument {
  version: 1;
  /** JSON Schema for the config: a path relative to the policy file, or an inline schema. */
  schema?: string | JsonObject;
  /** Keyed lists: list pointer -> identity field. Pointer patterns allowed (`/rules/*\/terms`). */
  keys?: Record<string, string>;
  /** Lists whose order matters. */
  ordered?: string[];
  /** Where the config's semver lives. @default '/version' */
  versionPath?: string;
  limits?: {
    /** Largest accepted proposed document (`limit.max-bytes`). */
    maxBytes?: Size;
    /** Proposed/current ratio for the document and every list. @default { warn: 1.5, block: 2 } */
    growth?: Thresholds;
    /** Fraction of entries removed from a list. @default { warn: 0.2, block: 0.5 } */
    shrink?: Thresholds;
    /** Lists smaller than this (in the current config) are exempt from growth/shrink ratios. @default 3 */
    minListSize?: number;
    /** Input limits for loading. */
    input?: {
      maxBytes?: Size;
      maxDepth?: number;
      maxAliases?: number;
      maxNodes?: number;
    };
  };
  checks?: CheckSpec[];
  /** CEL rules: invariants evaluated on every push (findings `rule.<id>`). */
  rules?: RuleSpec[];
  sensitive?: SensitiveSpec[];
  /** JSON Pointer patterns of secrets: their values never appear in reports, shown as a fingerprint. */
  secrets?: string[];
  /** Key names treated as secrets besides the built-in ones, and built-in ones to exempt (see `SecretKeyNames`). */
  secretKeys?: { add?: string[]; exempt?: string[] };
  planes?: { control?: string[]; data?: string[] };
  /** Config sets (`--proposed DIR`): which files are members, and the schema of each by glob. */
  files?: FilesSpec;
  windows?: WindowSpec[];
  windowImports?: WindowImportSpec[];
  /** Notifications (webhook, Slack) of chosen gate and rollout events (see `NotifySpec`). */
  notify?: NotifySpec[];
  scoring?: {
    /** Score at or above which the gate warns. @default 40 */
    warn?: number;
    /** Score at or above which the gate blocks. @default 70 */
    block?: number;
    tiers?: TierSpec[];
  };
  rollout?: {
    /** Stages written by hand. Not together with `strategy`. */
    stages?: StageSpec[];
    /** Stages generated by linear or exponential growth (`{ linear: { step: 10% }, bake: 10m }`). Not together with `stages`. */
    strategy?: StrategySpec;
    /** What a rollout locks (a lease per scope): two rollouts on one scope never run at once. @default `targets:<targets file name>` (CLI) */
    scope?: string;
    /** Label that names failure domains (e.g. `region`). */
    failureDomain?: string;
    /** Label that names redundancy groups' members (e.g. `provider`): never all members in one stage. */
    redundancy?: string;
    /**
     * What a denied approval does: `hold` (held for an operator; `continue` asks again, `abort` rolls back) or
     * `rollback` (every changed target rolled back at once). @default 'hold'
     */
    onApprovalDenied?: 'hold' | 'rollback';
    /** Reverts (pushing the LKG back): their own stages, typically with short bakes. */
    revert?: {
      /** Stages of a revert, instead of `rollout.stages` and the risk tiers. @default rollout.stages */
      stages?: StageSpec[];
    };
    health?: {
      interval?: Duration;
      timeout?: Duration;
      failureLimit?: number;
      successes?: number;
    };
    /** Health analysis: metrics measured on changed targets while the rollout runs (see the README's Analysis section). */
    analysis?: AnalysisSpec;
  };
}

/** A policy after validation, with defaults filled, durations in ms and sizes in bytes. */
export interface ResolvedPolicy {
  /** The policy file, when loaded from one. */
  file?: string;
  /** Folder that relative paths resolve against. */
  baseDir: string;
  /** The config JSON Schema, loaded. */
  schema?: JsonObject;
  schemaFile?: string;
  keys: Record<string, string>;
  ordered: string[];
  versionPath: string;
  limits: {
    maxBytes?: number;
    growth: { warn?: number; block?: number };
    shrink: { warn?: number; block?: number };
    minListSize: number;
    input: Required<InputLimits>;
  };
  checks: ResolvedCheck[];
  /** CEL rules with defaults filled (compiled once, when the policy is resolved). Absent means none. */
  rules?: ResolvedRule[];
  sensitive: Array<{ path: string; weight: number; reason: string }>;
  secrets: string[];
  /** Secret key names added to and exempted from the built-in ones. */
  secretKeys?: { add: string[]; exempt: string[] };
  planes: { control: string[]; data: string[] };
  /** Config sets: member filter, schemas by glob and limits (absent when the policy has no `files`). */
  files?: {
    ignore: string[];
    schemas: Array<{ match: string; schema: JsonObject; schemaFile?: string }>;
    required: string[];
    maxFiles: number;
  };
  /** Policy windows plus imported ones. */
  windows: WindowSpec[];
  /** The policy's `notify` entries, as written (URLs and `env:` headers are resolved when a notifier is created). */
  notify?: NotifySpec[];
  scoring: { warn: number; block: number; tiers: TierSpec[] };
  rollout: {
    /** The stages: as written, or expanded from `strategy`. */
    stages: StageSpec[];
    /** The strategy the stages were generated from, when one was given. */
    strategy?: StrategySpec;
    scope?: string;
    failureDomain?: string;
    redundancy?: string;
    /** Stages of a revert (`rollout.revert.stages`), when the policy gives them. */
    revertStages?: StageSpec[];
    /** `rollout.onApprovalDenied`, when the policy gives it (absent: the engine's default, `hold`). */
    onApprovalDenied?: 'hold' | 'rollback';
    health: { intervalMs: number; timeoutMs: number; failureLimit: number; successes: number };
    /** The policy's metrics, ready to run (providers built, conditions compiled); absent without `rollout.analysis`. */
    analysis?: ResolvedAnalysis;
  };
  /** The document as written, for reports. */
  document: PolicyDocument;
}

/** A check with durations resolved. */
export interface ResolvedCheck extends Omit<CheckSpec, 'expiresAfter' | 'severity'> {
  expiresAfterMs?: number;
  severity: 'block' | 'warn';
}
