/**
 * The gate: load -> validate -> diff -> windows -> score -> plan, as one pure evaluation.
 *
 * `createGate(policy)` compiles the policy once (ajv validators, patterns, regex analysis cache) and returns an
 * evaluator that can be called many times. Every problem is a finding; an exception inside any stage becomes an
 * `internal.error` block finding, never an `allow`.
 */
import { statSync } from 'node:fs';
import { diffConfigs, summarizeChanges } from './diff/index.js';
import { OptionsError } from './errors.js';
import { getAtPointer } from './pointer.js';
import { isConfigDoc, loadConfig, type ConfigSource } from './load/index.js';
import { isInlineText } from './load/load.js';
import { markStableDoc, stableKeyListings } from './load/stable.js';
import { shareListings } from './diff/keys.js';
import { defaultPolicy, loadPolicy, resolvePolicy } from './policy/index.js';
import type { PolicyDocument, ResolvedPolicy } from './policy/types.js';
import { planRollout } from './rollout/index.js';
import { scorePush, type ScoreMember } from './score/index.js';
import { normalizeTargets } from './targets.js';
import type {
  Change,
  ChangeSummary,
  ConfigDoc,
  ConfigSet,
  Finding,
  GateReport,
  JsonValue,
  OverrideRecord,
  RevertRecord,
  RolloutPlan,
  StageSpec,
  Target,
  Verdict,
} from './types.js';
import { compileValidator } from './validate/index.js';
import { withSizeCache } from './validate/limits.js';
import { windowFindings } from './windows/index.js';
import { maskReport } from './secrets.js';
import { createRuleEngine, customRuleInfo, runRules, type GateOptions, type RuleEngine } from './rules/index.js';
import { isConfigSet, isFilesInput, loadConfigSet, type SetMemberInput } from './load/set.js';
import { PolicyViews } from './set/views.js';
import { setStage } from './set/evaluate.js';

/** A config given to `evaluate`: a loaded document, a path or text (see `loadConfig`), or an already-parsed value. */
export type ConfigInput = ConfigDoc | ConfigSource | JsonValue;

/**
 * A config set given to `evaluate`: from `loadConfigSet(dir)`, or `{ files: { 'edge/base.yaml': doc, ... } }` (an
 * object whose only key is `files`; each member a `ConfigDoc`, text, `{ path }` or a parsed value). To pass a single
 * parsed document whose only key happens to be `files`, pass it as a `ConfigDoc` (`parseConfig`).
 */
export type ConfigSetInput = ConfigSet | { files: Readonly<Record<string, SetMemberInput>> };

/** Inputs of one evaluation. */
export interface EvaluateInput {
  /** The config about to be pushed: one document, or a config set (several files pushed as one unit). */
  proposed: ConfigInput | ConfigSetInput;
  /** The config live now (last known good): a document, or a set when `proposed` is one. Absent for a first push. */
  current?: ConfigInput | ConfigSetInput | undefined;
  /** Targets that would receive the push (`{ targets: [...] }` or a list). Enables target checks, windows per target and the plan. */
  targets?: readonly Target[] | { targets: readonly Target[] } | undefined;
  /**
   * Evaluation time. Every time-dependent check (expiry, windows) uses it; the report records it.
   * @default the current time, read once at the API boundary
   */
  at?: Date | string | number | undefined;
  /** Break-glass reason: freeze findings become warnings and the reason is recorded. Nothing else is relaxed. */
  override?: string | { reason: string } | undefined;
  /**
   * Evaluate the push as a revert (putting the last known good back over a bad config), with a reason.
   * Version, growth, shrink and risk-score findings (`version.not-increasing`, `limit.growth`, `limit.shrink`,
   * `score.threshold`, `rollout.no-canary`) do not block: they are reported as warnings. Parse, schema, regex,
   * expiry, target and window checks still block. The plan uses `rollout.revert.stages` when the policy gives
   * them. The report records `revert` and a `revert.used` finding.
   * @default undefined (not a revert)
   */
  revert?: string | { reason: string } | undefined;
}

/** A compiled policy, ready to evaluate pushes. */
export interface Gate {
  /** The resolved policy (defaults filled). */
  readonly policy: ResolvedPolicy;
  /** Evaluate one push. Never throws for bad configs (they are findings); throws `OptionsError` for misuse. */
  evaluate(input: EvaluateInput): GateReport;
}

/**
 * Compile a policy into a gate (`options.checks`: check plugins, see src/rules/). Accepts a resolved policy (from `loadPolicy`), a policy document as written in
 * `confgate.yaml` (validated here; relative paths resolve against `process.cwd()`), a path to a policy file, or
 * nothing (the default policy, which still catches duplicate keys, growth, shrink and unsafe YAML).
 */
export function createGate(policy?: ResolvedPolicy | PolicyDocument | string, options?: GateOptions): Gate {
  const resolved = toResolvedPolicy(policy);
  // One compiled policy per distinct set of `GLOB#` patterns that apply to a file (just one without globs).
  const views = new PolicyViews(resolved, (p) => ({ policy: p, validator: compileValidator(p), rules: createRuleEngine(p, options) }));
  const currentDocs = new CurrentDocCache();
  // Rule metadata of a set's findings names the rules as written (with their globs): compiled on first use.
  let allRules: RuleEngine | undefined;
  const setRules = (): RuleEngine => (allRules ??= views.base.policy === resolved ? views.base.rules : createRuleEngine(resolved, options));
  return {
    policy: resolved,
    evaluate(input: EvaluateInput): GateReport {
      if (input === null || typeof input !== 'object') {
        throw new OptionsError(`evaluate() expects an object { proposed, current?, targets?, at?, override?, revert? }, got ${typeof input}`);
      }
      if (input.proposed === undefined) throw new OptionsError('`proposed` is required');
      const at = toDate(input.at);
      const override = toOverride(input.override, at);
      const revert = toRevert(input.revert, at);
      const limits = resolved.limits.input;
      const targets = input.targets === undefined ? undefined : normalizeTargets(input.targets);
      const common = { policy: resolved, targets, at, override, revert };
      if (isSetInput(input.proposed) || (input.current !== undefined && isSetInput(input.current)) || isFolder(input.proposed)) {
        // A config set: every member validated, diffed and located on its own; scored and planned as one push.
        const proposed = toSet(input.proposed, 'proposed', resolved);
        const current = input.current === undefined ? undefined : toSet(input.current, 'current', resolved);
        return withSizeCache(() => finishPush({ ...common, rules: setRules() }, setStage({ policy: resolved, views, proposed, current, targets, at })));
      }
      const proposed = toDoc(input.proposed as ConfigInput, 'proposed', limits);
      const current = input.current === undefined ? undefined : currentDoc(input.current as ConfigInput, limits, currentDocs);
      const view = views.forFileName(proposed.file);
      return withSizeCache(() => evaluatePush({ ...common, policy: view.policy, validator: view.validator, rules: view.rules, proposed, current }));
    },
  };
}

/** A config set given to `evaluate`: a `ConfigSet` or `{ files: { ... } }`; anything else there is misuse. */
function toSet(input: ConfigInput | ConfigSetInput, field: string, policy: ResolvedPolicy): ConfigSet {
  if (isConfigSet(input)) return input;
  if (isFolder(input)) {
    const dir = typeof input === 'string' ? input : (input as { path: string }).path;
    return loadConfigSet(dir, { policy });
  }
  if (isFilesInput(input)) {
    return loadConfigSet(input, { policy, name: `<${field}>` });
  }
  throw new OptionsError(`\`${field}\` must be a config set like \`proposed\` ({ files: { 'edge/base.yaml': ... } } or loadConfigSet(dir)): a set is compared with a set, not with one document`);
}

function toResolvedPolicy(policy: ResolvedPolicy | PolicyDocument | string | undefined): ResolvedPolicy {
  if (policy === undefined) return defaultPolicy();
  if (typeof policy === 'string') return loadPolicy(policy);
  if (isResolvedPolicy(policy)) return policy;
  return resolvePolicy(policy);
}

function isResolvedPolicy(p: ResolvedPolicy | PolicyDocument): p is ResolvedPolicy {
  return typeof (p as ResolvedPolicy).baseDir === 'string' && typeof (p as ResolvedPolicy).document === 'object';
}

function toDate(at: Date | string | number | undefined): Date {
  // The only clock read in the gate: at the API boundary, recorded in the report.
  const d = at === undefined ? new Date() : at instanceof Date ? new Date(at.getTime()) : new Date(at);
  if (Number.isNaN(d.getTime())) {
    throw new OptionsError(`\`at\` must be an ISO-8601 date-time, a Date or epoch milliseconds, got ${JSON.stringify(String(at))}`);
  }
  return d;
}

function toOverride(override: EvaluateInput['override'], at: Date): OverrideRecord | undefined {
  if (override === undefined) return undefined;
  const reason = typeof override === 'string' ? override : override?.reason;
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new OptionsError('`override` must be a non-empty reason, got ' + JSON.stringify(override));
  }
  return { reason: reason.trim(), at: at.toISOString() };
}

function toRevert(revert: EvaluateInput['revert'], at: Date): RevertRecord | undefined {
  if (revert === undefined) return undefined;
  const reason = typeof revert === 'string' ? revert : revert?.reason;
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new OptionsError('`revert` must be a non-empty reason (string or { reason }), got ' + JSON.stringify(revert));
  }
  return { reason: reason.trim(), at: at.toISOString() };
}

/** Rules that do not block a revert: an LKG is older, smaller or larger than the bad config by nature. */
export const REVERT_RELAXED_RULES: ReadonlySet<string> = new Set([
  'version.not-increasing',
  'limit.growth',
  'limit.shrink',
  'score.threshold',
  'rollout.no-canary',
]);

/** A revert's findings: relaxed rules that would block become warnings, marked in their detail. */
function relaxForRevert(findings: Finding[]): Finding[] {
  return findings.map((f) =>
    f.severity === 'block' && REVERT_RELAXED_RULES.has(f.rule)
      ? { ...f, severity: 'warn' as const, message: `${f.message} (a revert: not blocking)`, detail: { ...(f.detail ?? {}), revert: true } }
      : f,
  );
}

function isSetInput(x: unknown): boolean {
  return isConfigSet(x) || isFilesInput(x);
}

/** A path (a string that is not inline text, or `{ path }`) naming a folder: a config set to read. */
function isFolder(x: unknown): boolean {
  let p: string | undefined;
  if (typeof x === 'string') p = isInlineText(x) ? undefined : x;
  else if (x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 1 && typeof (x as { path?: unknown }).path === 'string') {
    p = (x as { path: string }).path;
  }
  if (p === undefined || p === '') return false;
  try {
    return statSync(p).isDirectory();
  } catch {
    return false; // loadConfig reports a missing or unreadable path
  }
}

function toDoc(input: ConfigInput, field: string, limits: ResolvedPolicy['limits']['input']): ConfigDoc {
  if (isConfigDoc(input)) return input;
  if (typeof input === 'string' || input instanceof Uint8Array) return owned(loadConfig(input, { limits }));
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const keys = Object.keys(input);
    const only = (k: string) => keys.length === 1 && keys[0] === k;
    if (only('path') && typeof (input as { path: unknown }).path === 'string') {
      return owned(loadConfig(input as { path: string }, { limits }));
    }
    if ((only('text') || (keys.length === 2 && keys.includes('text') && keys.includes('file'))) &&
      (typeof (input as { text: unknown }).text === 'string' || (input as { text: unknown }).text instanceof Uint8Array)) {
      return owned(loadConfig(input as { text: string | Uint8Array; file?: string }, { limits }));
    }
  }
  if (input === undefined) throw new OptionsError(`\`${field}\` must be a config`);
  return valueDoc(input as JsonValue, field);
}

/**
 * A document the gate loaded itself: no caller holds it, so its value cannot change while it is used, and facts
 * recorded while loading it (no secret-looking key) stay true. See `load/stable.ts`.
 */
function owned(doc: ConfigDoc): ConfigDoc {
  markStableDoc(doc);
  return doc;
}

/** Texts of current documents up to this many UTF-16 code units are cached per gate. */
const CURRENT_CACHE_MAX_CHARS = 1 << 20;
/** Current documents cached per gate (most recently used first). */
const CURRENT_CACHE_ENTRIES = 4;

/**
 * The gate's cache of current (live, LKG) documents given as text: a deployment tool evaluates many proposed
 * configs against the same live one, so the live text is loaded once. Keyed by the exact text and file name;
 * bounded (entries and size). Only immutable inputs are cached: strings, never bytes (a `Uint8Array` can be
 * changed in place) and never paths (the file can change). The cached documents are never handed out, so
 * their values cannot be changed by a caller (see `load/stable.ts`).
 */
class CurrentDocCache {
  private readonly entries: Array<{ text: string; file: string | undefined; doc: ConfigDoc }> = [];

  get(text: string, file: string | undefined, load: () => ConfigDoc): ConfigDoc {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.file === file && e.text === text) {
        if (i > 0) {
          entries.splice(i, 1);
          entries.unshift(e);
        }
        return e.doc;
      }
    }
    const doc = owned(load());
    if (text.length <= CURRENT_CACHE_MAX_CHARS) {
      entries.unshift({ text, file, doc });
      if (entries.length > CURRENT_CACHE_ENTRIES) entries.pop();
    }
    return doc;
  }
}

/** `toDoc` for the current document, through the gate's cache when the input is text in a string. */
function currentDoc(input: ConfigInput, limits: ResolvedPolicy['limits']['input'], cache: CurrentDocCache): ConfigDoc {
  if (typeof input === 'string') {
    if (isInlineText(input)) return cache.get(input, undefined, () => loadConfig(input, { limits }));
  } else if (input !== null && typeof input === 'object' && !Array.isArray(input) && !isConfigDoc(input)) {
    // The same shapes toDoc reads as `{ text }` / `{ text, file }`.
    const keys = Object.keys(input);
    if ((keys.length === 1 && keys[0] === 'text') || (keys.length === 2 && keys.includes('text') && keys.includes('file'))) {
      const { text, file } = input as { text: unknown; file?: unknown };
      if (typeof text === 'string' && (file === undefined || typeof file === 'string')) {
        return cache.get(text, file, () => loadConfig(file === undefined ? { text } : { text, file }, { limits }));
      }
    }
  }
  return toDoc(input, 'current', limits);
}

/** A document for a value passed in memory: no source positions. */
function valueDoc(value: JsonValue, file: string): ConfigDoc {
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  } catch (cause) {
    throw new OptionsError(`\`${file}\` must be a JSON-compatible value`, { cause });
  }
  return {
    value,
    format: 'json',
    bytes,
    file: `<${file}>`,
    findings: [],
    failed: false,
    locate: () => undefined,
  };
}

interface PushInput {
  policy: ResolvedPolicy;
  validator: ReturnType<typeof compileValidator>;
  rules: RuleEngine;
  proposed: ConfigDoc;
  current: ConfigDoc | undefined;
  targets: Target[] | undefined;
  at: Date;
  override: OverrideRecord | undefined;
  revert: RevertRecord | undefined;
}

export const EMPTY_CHANGES: ChangeSummary = { added: 0, removed: 0, modified: 0, reordered: 0, total: 0, changes: [] };

/** Run one stage; an exception becomes an `internal.error` block finding. */
export function guarded<T>(stage: string, findings: Finding[], fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    findings.push({
      rule: 'internal.error',
      severity: 'block',
      message: `the ${stage} stage failed (${err instanceof Error ? err.message : String(err)}); the gate fails closed`,
      detail: { stage },
    });
    return fallback;
  }
}

/**
 * What the document stage (load, validate, diff, rules) gives the rest of the gate: the findings so far, the changes,
 * the documents the score measures, the report's file names, and how secrets are masked. One document or a set.
 */
export interface DocumentStage {
  findings: Finding[];
  changes: ChangeSummary;
  /** False when the proposed config could not be used at all (nothing to score). */
  usable: boolean;
  /** The documents the score measures (a set: all members as one document per side, and each member for versions). */
  score: { proposed: ConfigDoc; current?: ConfigDoc | undefined; members?: ScoreMember[] | undefined };
  files: GateReport['files'];
  mask(report: GateReport): GateReport;
}

function evaluatePush(input: PushInput): GateReport {
  shareLoadListings(input.proposed);
  if (input.current) shareLoadListings(input.current);
  return finishPush(input, singleStage(input));
}

/**
 * The key lists the loader made of a document's large maps, handed to the evaluation's passes when nothing can have
 * changed the document since (a stable document, see load/stable.ts): a 300,000-key map is then enumerated once,
 * by the loader, instead of once more by the evaluation.
 */
function shareLoadListings(doc: ConfigDoc): void {
  const listings = stableKeyListings(doc);
  if (listings !== undefined) shareListings(listings);
}

/** Load findings, validation, diff and rules of a single-document push. */
function singleStage(input: PushInput): DocumentStage {
  const { policy, validator, proposed, current, targets, at } = input;
  const findings: Finding[] = [];
  const tag = (doc: 'proposed' | 'current', list: readonly Finding[]): Finding[] =>
    list.map((f) => (f.document === undefined && doc === 'current' ? { ...f, document: doc } : f));

  // Loops, not `push(...list)`: a document can carry hundreds of thousands of findings and a spread of that
  // many arguments overflows the stack.
  pushAll(findings, tag('proposed', proposed.findings));
  if (current) pushAll(findings, currentLoadFindings(current, proposed));

  const usable = !proposed.failed && proposed.value !== undefined;
  if (!usable && !proposed.findings.some((f) => f.severity === 'block')) {
    findings.push({ rule: 'parse.error', severity: 'block', message: `${proposed.file} could not be loaded` });
  }

  let changes: ChangeSummary = EMPTY_CHANGES;
  if (usable) {
    const currentUsable = current && !current.failed ? current : undefined;
    pushAll(
      findings,
      guarded('validate', findings, [] as Finding[], () => validator.validate({ proposed, current: currentUsable, targets, at })),
    );
    changes = guarded('diff', findings, EMPTY_CHANGES, () => {
      const list = diffConfigs(currentUsable?.value, proposed.value, { keys: policy.keys, ordered: policy.ordered });
      return summarizeChanges(list);
    });
    pushAll(findings, guarded('diff', findings, [] as Finding[], () => reorderFindings(changes.changes, proposed)));
    // CEL rules and check plugins (src/rules/).
    pushAll(findings, guarded('rules', findings, [] as Finding[], () =>
      runRules(input.rules, { policy, proposed, current: currentUsable, changes: changes.changes, targets, at })));
  }
  return {
    findings,
    changes,
    usable,
    score: { proposed, ...(current && !current.failed ? { current } : {}) },
    files: {
      proposed: proposed.file,
      ...(current ? { current: current.file } : {}),
      ...(policy.file ? { policy: policy.file } : {}),
    },
    mask: (report) => maskReport(report, policy, proposed, current),
  };
}

/**
 * Findings about the current document from loading it: numbers that lost precision (they can hide a change), and a
 * current config that does not load (it cannot be rolled back to).
 */
export function currentLoadFindings(current: ConfigDoc, proposed: ConfigDoc | undefined): Finding[] {
  const findings: Finding[] = [];
  // A number in the current config that lost precision can hide a change (9007199254740993 -> ...992 reads
  // as "no change"): say so, with the current file's location.
  pushAll(findings, currentPrecisionFindings(current, proposed));
  // A current config that does not parse cannot be rolled back to.
  if (current.failed) {
    // Point at the first load problem of the current file (its location), so that CI annotations land on it.
    const first = current.findings.find((f) => f.severity === 'block') ?? current.findings[0];
    findings.push({
      rule: 'rollback.lkg-invalid',
      severity: 'warn',
      document: 'current',
      message: `the current config ${current.file} could not be loaded (${first?.message ?? 'unknown error'}); rolling back to it would not be safe and the push cannot be compared with it`,
      ...(first?.path !== undefined ? { path: first.path } : {}),
      ...(first?.location ? { location: first.location } : {}),
    });
  }
  return findings;
}

/** Inputs of the part of an evaluation that does not depend on how the documents were given. */
interface FinishInput {
  policy: ResolvedPolicy;
  rules: RuleEngine;
  targets: Target[] | undefined;
  at: Date;
  override: OverrideRecord | undefined;
  revert: RevertRecord | undefined;
}

/** Windows, plan, score, override and revert records, order, masking: the same for one document and for a set. */
function finishPush(input: FinishInput, stage: DocumentStage): GateReport {
  const { policy, targets, at, override, revert } = input;
  const { findings, changes, usable } = stage;
  // A revert is planned with the policy's revert stages when it gives them (short bakes), not the risk tiers.
  const revertStages = revert ? policy.rollout.revertStages : undefined;

  findings.push(
    ...guarded('windows', findings, [] as Finding[], () =>
      windowFindings({ windows: policy.windows, targets, at, ...(override ? { override: { reason: override.reason } } : {}) }),
    ),
  );

  // Blast radius: the plan with the policy's stages. A risk tier is chosen without blast-radius, so when it picks
  // other stages the push is re-planned with them and scored again: the score describes the plan that ships.
  const baseStages = revertStages ?? policy.rollout.stages;
  const basePlan = targets ? guarded('plan', findings, undefined, () => plan(policy, baseStages, targets, at)) : undefined;

  let score = 0;
  let factors: GateReport['factors'] = [];
  let tier: GateReport['tier'];
  let finalPlan: RolloutPlan | undefined = basePlan;
  if (usable) {
    const scoreWith = (p: RolloutPlan | undefined) =>
      guarded('score', findings, undefined, () =>
        scorePush({
          policy,
          changes,
          findings,
          proposed: stage.score.proposed,
          ...(stage.score.current ? { current: stage.score.current } : {}),
          ...(stage.score.members ? { members: stage.score.members } : {}),
          ...(targets ? { targets } : {}),
          ...(p ? { plan: p } : {}),
          ...(override ? { override } : {}),
          at,
        }),
      );
    let scored = scoreWith(basePlan);
    const chosen = scored?.tier;
    if (scored && chosen && chosen.stages.length > 0 && targets && revertStages === undefined) {
      const tierPlan = guarded('plan', findings, undefined, () => plan(policy, chosen.stages, targets, at, chosen.approval));
      if (tierPlan) {
        finalPlan = tierPlan;
        scored = scoreWith(tierPlan) ?? scored;
      }
    }
    if (scored) {
      score = scored.score;
      factors = scored.factors;
      tier = scored.tier;
      pushAll(findings, scored.findings);
    }
  }

  if (override) {
    findings.push({
      rule: 'override.used',
      severity: 'info',
      message: `break-glass override in use at ${override.at}: "${override.reason}" (freeze findings are warnings; nothing else is relaxed)`,
      detail: { reason: override.reason, at: override.at },
    });
  }

  if (revert) {
    findings.push({
      rule: 'revert.used',
      severity: 'info',
      message: `revert at ${revert.at}: "${revert.reason}" (version, growth, shrink and score findings do not block; parse, schema, regex, expiry, target and window checks still do)${revertStages ? `; planned with rollout.revert.stages (${revertStages.length})` : ''}`,
      detail: { reason: revert.reason, at: revert.at, stages: revertStages ? 'rollout.revert.stages' : 'rollout.stages' },
    });
  }

  const sorted = sortFindings(revert ? relaxForRevert(findings) : findings);
  const ruleInfo = customRuleInfo(input.rules, sorted);
  const report: GateReport = {
    verdict: verdictOf(sorted),
    score,
    findings: sorted,
    factors,
    changes,
    ...(tier ? { tier } : {}),
    ...(finalPlan ? { plan: finalPlan } : {}),
    ...(override ? { override } : {}),
    ...(revert ? { revert } : {}),
    at: at.toISOString(),
    files: stage.files,
    ...(ruleInfo ? { ruleInfo } : {}),
  };
  return stage.mask(report);
}

function plan(policy: ResolvedPolicy, stages: StageSpec[], targets: Target[], at: Date, approval = false): RolloutPlan {
  const effective: StageSpec[] =
    stages.length > 0
      ? stages.map((s, i) => (approval && i > 0 ? { ...s, approval: true } : s))
      : [{ name: 'all', percent: 100 }];
  return planRollout({
    targets,
    stages: effective,
    windows: policy.windows,
    at,
    ...(policy.rollout.failureDomain ? { failureDomain: policy.rollout.failureDomain } : {}),
    ...(policy.rollout.redundancy ? { redundancy: policy.rollout.redundancy } : {}),
  });
}

export function pushAll<T>(into: T[], list: readonly T[]): void {
  for (let i = 0; i < list.length; i++) into.push(list[i]!);
}

/**
 * The `parse.precision-loss` findings of the current config, as warnings on the current document. When the
 * proposed value at the same path reads the same number, the message says that a change there is invisible.
 */
function currentPrecisionFindings(current: ConfigDoc, proposed: ConfigDoc | undefined): Finding[] {
  const out: Finding[] = [];
  for (const f of current.findings) {
    if (f.rule !== 'parse.precision-loss') continue;
    let message = f.message;
    if (f.path !== undefined && proposed && !proposed.failed && proposed.value !== undefined) {
      const now = getAtPointer(proposed.value, f.path);
      const before = getAtPointer(current.value, f.path);
      if (typeof now === 'number' && now === before) {
        message +=
          ` The proposed config has ${now} at the same path, which reads equal: the diff cannot tell whether this value changed` +
          ' (compare the literals, or quote such numbers as strings).';
      }
    }
    // Location and detail are copied: the current document may be the gate's cached one, shared by later evaluations.
    out.push({
      ...f,
      severity: 'warn',
      document: 'current',
      message,
      ...(f.location ? { location: { ...f.location } } : {}),
      ...(f.detail ? { detail: copyJson(f.detail) } : {}),
    });
  }
  return out;
}

/** A deep copy of a JSON value (plain objects and arrays). */
function copyJson<T extends JsonValue>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => copyJson(x)) as T;
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(v)) {
    const c = copyJson((v as Record<string, JsonValue>)[k]!);
    if (k === '__proto__') Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
    else out[k] = c;
  }
  return out as T;
}

export function reorderFindings(changes: readonly Change[], proposed: ConfigDoc): Finding[] {
  const out: Finding[] = [];
  for (const c of changes) {
    if (c.kind !== 'reordered') continue;
    const location = proposed.locate(c.pointer);
    out.push({
      rule: 'diff.reorder',
      severity: 'warn',
      path: c.pointer,
      ...(location ? { location } : {}),
      message: `\`${c.pointer}\` is order-sensitive and its entries changed order (${describeOrder(c.oldValue)} -> ${describeOrder(c.newValue)}); a reorder changes behaviour even though no entry changed — check that every entry still sits where it must (e.g. accept terms above a final reject)`,
      detail: { from: c.oldValue ?? null, to: c.newValue ?? null },
    });
  }
  return out;
}

function describeOrder(v: JsonValue | undefined): string {
  if (!Array.isArray(v)) return JSON.stringify(v ?? null);
  const shown = v.slice(0, 6).map((x) => String(x));
  return `[${shown.join(', ')}${v.length > 6 ? ', …' : ''}]`;
}

const SEVERITY_RANK: Record<Finding['severity'], number> = { block: 0, warn: 1, info: 2 };

/** Findings in a fixed order: severity, document, location/path, rule, message. */
function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => {
      const x = a.f;
      const y = b.f;
      return (
        SEVERITY_RANK[x.severity] - SEVERITY_RANK[y.severity] ||
        (x.document ?? 'proposed').localeCompare(y.document ?? 'proposed') ||
        compareFile(x.file, y.file) ||
        (x.location?.line ?? 0) - (y.location?.line ?? 0) ||
        (x.location?.column ?? 0) - (y.location?.column ?? 0) ||
        (x.path ?? '').localeCompare(y.path ?? '') ||
        x.rule.localeCompare(y.rule) ||
        x.message.localeCompare(y.message) ||
        a.i - b.i
      );
    })
    .map(({ f }) => f);
}

/** Members of a set by relative path (code units); findings about the whole push first. */
function compareFile(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/** `block` if any block finding, else `warn` if any warn finding, else `allow`. */
export function verdictOf(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.severity === 'block')) return 'block';
  if (findings.some((f) => f.severity === 'warn')) return 'warn';
  return 'allow';
}
