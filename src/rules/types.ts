/** Types of policy rules (CEL) and check plugins. */
import type { ResolvedPolicy } from '../policy/types.js';
import type { Change, ConfigDoc, JsonValue, Severity, Target } from '../types.js';

/** A CEL rule as written in the policy's `rules` list. */
export interface RuleSpec {
  /** Stable id: findings carry the rule id `rule.<id>`. Lowercase letters, digits, `.`, `_` and `-`. */
  id: string;
  /**
   * Where the rule applies: a path pattern (`/routes/*`, `/listeners/**`); the rule is evaluated once per matching
   * value, with `self` bound to it. Omit it to evaluate once on the whole document.
   * @default '' (the whole document, once)
   */
  path?: string;
  /** A CEL expression that must return `true` for the value to pass. */
  expr: string;
  /**
   * The finding's message; `{{ cel }}` parts are CEL expressions over the same variables (`{{self.name}}`). Secrets
   * are masked in the rendered text like everywhere else in reports.
   * @default 'rule <id> failed at <path>: `<expr>`'
   */
  message?: string;
  /** @default 'block' */
  severity?: 'block' | 'warn';
  /** What the rule protects, for people (SARIF `fullDescription` and `help`). */
  description?: string;
}

/** A rule after validation, with defaults filled. */
export interface ResolvedRule {
  id: string;
  /** `''` for the whole document. */
  path: string;
  expr: string;
  message?: string;
  severity: 'block' | 'warn';
  description?: string;
}

/** What a check plugin receives: the loaded documents, the changes, the targets and the time. Read-only. */
export interface CheckInput {
  /** The proposed document (loaded, with `locate(pointer)` for positions). */
  readonly proposed: ConfigDoc;
  /** The current (last known good) document, when given and loadable. */
  readonly current?: ConfigDoc;
  /** The changes from current to proposed (every change when there is no current document). */
  readonly changes: readonly Change[];
  /** The targets of the push; empty when none were given. */
  readonly targets: readonly Target[];
  /** The evaluation time. Checks must not read the clock: time is an input. */
  readonly at: Date;
  /** The resolved policy. */
  readonly policy: ResolvedPolicy;
  /**
   * Config sets: the member this call checks (path relative to the set's folder; `proposed` and `current` are its
   * documents). A check runs once per member; a check about the set as a whole can run on one member
   * (`if (input.file !== 'edge/base.yaml') return []`) and read the others from `files`.
   */
  readonly file?: string;
  /** Config sets: every member of the proposed set, by relative path (sorted). */
  readonly files?: ReadonlyMap<string, ConfigDoc>;
  /** Config sets: every member of the current set, by relative path (sorted); empty for a first push. */
  readonly currentFiles?: ReadonlyMap<string, ConfigDoc>;
}

/** A finding returned by a check plugin. `location` is filled from `path` when omitted. */
export interface CheckFinding {
  /** One of the ids the check registered in `rules`. */
  rule: string;
  /** @default the registered rule's severity */
  severity?: Severity;
  message: string;
  /** JSON Pointer into the proposed document. */
  path?: string;
  detail?: Record<string, JsonValue>;
}

/** Metadata of a rule id a check plugin reports (SARIF `tool.driver.rules`). */
export interface CheckRuleInfo {
  /** Short title. */
  title: string;
  /** What the rule checks and what to do about it. @default the title */
  help?: string;
  /** Severity of findings that do not set one. @default 'block' */
  severity?: Severity;
}

/**
 * A check written in TypeScript, passed to `createGate(policy, { checks: [...] })`. Runs on every evaluation after
 * the diff; must be synchronous and pure. A throw, a promise or a finding with an unregistered rule id becomes an
 * `internal.error` block finding (the gate fails closed).
 */
export interface CheckPlugin {
  /** Name for messages (`internal.error` says which check failed). */
  name: string;
  /** The rule ids this check reports, with their metadata. Ids must not be built-in ids nor start with `rule.`. */
  rules: Readonly<Record<string, CheckRuleInfo>>;
  check(input: CheckInput): readonly CheckFinding[] | undefined | void;
}

/** Options of `createGate`. */
export interface GateOptions {
  /** Check plugins run on every evaluation, in order. @default [] */
  checks?: readonly CheckPlugin[];
}
