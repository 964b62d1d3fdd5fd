/**
 * The explainable risk score: an additive sum of factors, each `{ id, points, detail }`, clamped to 0..100.
 *
 * Pure and deterministic: no clock, no I/O; the order of changes, findings, targets or object keys does
 * not change the result. Weights are in {@link WEIGHTS}.
 */
import { parse as semverParse, type SemVer } from 'semver';
import type { ResolvedPolicy, TierSpec } from '../policy/types.js';
import { compilePattern, getAtPointer } from '../pointer.js';
import { canonicalSize } from '../validate/limits.js';
import type {
  Change,
  ChangeSummary,
  ConfigDoc,
  Factor,
  Finding,
  JsonValue,
  OverrideRecord,
  RolloutPlan,
  StageSpec,
  Target,
} from '../types.js';
import { isCustomRule } from '../rules/ids.js';
import { prepareChanges, touches, type PreparedChange } from './touch.js';
import { compileGlob, splitFilePattern, type Glob } from '../set/paths.js';
import type { PathPattern } from '../pointer.js';
import { FACTOR_ORDER, WEIGHTS, type FactorId } from './weights.js';

/** Everything the score looks at. */
export interface ScoreInput {
  policy: ResolvedPolicy;
  /** The diff between `current` and `proposed`. */
  changes: ChangeSummary;
  /** Findings so far (load, validate, diff.reorder, window.*). `limit.growth`, `limit.shrink` and `window.maintenance` feed factors. */
  findings: readonly Finding[];
  proposed: ConfigDoc;
  /** The live config (LKG). Absent for a first push: the whole proposed document then counts as one added change. */
  current?: ConfigDoc | undefined;
  targets?: readonly Target[] | undefined;
  /** Plan computed with the policy's default stages (or no stages) when targets are known; for blast radius. */
  plan?: RolloutPlan | undefined;
  override?: OverrideRecord | undefined;
  /** Evaluation time. No factor depends on it today; it is an input so time-aware factors stay pure. */
  at: Date;
  /**
   * A config set: each member's documents. `proposed`/`current` are then the whole set (for sizes), the version is
   * checked per member, and `GLOB#` patterns of `sensitive` and `planes` match the changes' `file`.
   */
  members?: readonly ScoreMember[] | undefined;
}

/** One member of a config set, for the score. */
export interface ScoreMember {
  /** Path relative to the set's folder. */
  file: string;
  /** The proposed document (absent when the member is removed or did not load). */
  proposed?: ConfigDoc | undefined;
  /** The current document (absent when the member is new or did not load). */
  current?: ConfigDoc | undefined;
}

/** The score, the factors that make it up, the findings scoring adds, and the risk tier it selects. */
export interface ScoreResult {
  /** 0..100, integer: the sum of the factors' points, clamped. */
  score: number;
  /**
   * Factors in the fixed order of {@link FACTOR_ORDER}. Only factors with points > 0 are listed, with one
   * exception: `blast-radius` is listed with 0 points when targets are unknown, so the report says it was not measured.
   */
  factors: Factor[];
  /** New findings: `plane.coupled`, `version.not-increasing`, `rollout.no-canary`, `score.threshold`, in that order. */
  findings: Finding[];
  /** The tier whose range holds the score, when the policy defines tiers; its stages replace the default stages. */
  tier?: { name: string; stages: StageSpec[]; approval: boolean };
}

/**
 * Score the risk of a push.
 *
 * An empty change set (identical configs, or a proposed config that did not load) scores 0 and adds no
 * findings. The verdict is not decided here: the gate takes the most severe of all findings, and the
 * `score.threshold` finding carries the score's part.
 */
export function scorePush(input: ScoreInput): ScoreResult {
  const { policy } = input;
  const changes = effectiveChanges(input);
  if (changes.length === 0) return { score: 0, factors: [], findings: [], ...tierPart(policy.scoring.tiers, 0) };

  // Decoded pointers are only needed to match policy paths (sensitive, planes): prepared on first use, so a push
  // of 300,000 changes under a policy without such paths decodes none.
  let preparedList: PreparedChange[] | undefined;
  const prepared = (): PreparedChange[] => (preparedList ??= prepareChanges(changes));
  const points = new Map<FactorId, Factor>();
  const add = (id: FactorId, pts: number, detail: string, keepZero = false): void => {
    const p = Math.max(0, Math.round(pts));
    if (p > 0 || keepZero) points.set(id, { id, points: p, detail });
  };
  const findings: Finding[] = [];

  // change.size and change.removals
  const n = Math.max(input.changes.total, changes.length);
  const wSize = WEIGHTS['change.size'];
  const pathPts = Math.min(wSize.pathsMax, Math.round(wSize.pathsPerDoubling * Math.log2(1 + n)));
  let sizeDetail = `${n} changed ${plural(n, 'path')} (${pathPts})`;
  let bytePts = 0;
  if (input.current && !input.current.failed) {
    const delta = canonicalSize(input.proposed) - canonicalSize(input.current);
    bytePts = Math.min(wSize.bytesMax, Math.floor(wSize.bytesPerDoublingKiB * Math.log2(1 + Math.abs(delta) / 1024)));
    sizeDetail += `, ${delta >= 0 ? '+' : '-'}${formatBytes(Math.abs(delta))} (${bytePts})`;
  }
  add('change.size', pathPts + bytePts, sizeDetail);

  const removed = Math.max(input.changes.removed, changes.filter((c) => c.kind === 'removed').length);
  const wRem = WEIGHTS['change.removals'];
  add('change.removals', Math.min(wRem.max, wRem.perDoubling * Math.log2(1 + removed)), `${removed} removed ${plural(removed, 'path')}`);

  // growth and shrink
  const growth = largestGrowth(input);
  if (growth) {
    const w = WEIGHTS.growth;
    add('growth', Math.min(w.max, w.perUnit * (growth.ratio - 1)), `grew ×${growth.ratio.toFixed(2)} (${growth.where})`);
  }
  const shrink = largestShrink(input);
  if (shrink) {
    const w = WEIGHTS.shrink;
    add('shrink', Math.min(w.max, w.perUnit * shrink.fraction), `lost ${Math.round(shrink.fraction * 100)}% (${shrink.where})`);
  }

  // sensitive
  const sensitiveHits = policy.sensitive.filter((s) => {
    const pattern = compileFilePattern(s.path);
    return prepared().some((c) => touchesIn(pattern, c));
  });
  if (sensitiveHits.length > 0) {
    const pts = sensitiveHits.reduce((sum, s) => sum + weightOf(s.weight), 0);
    add('sensitive', pts, sensitiveHits.map((s) => `${s.reason || s.path} (${s.path}, ${Math.round(weightOf(s.weight))})`).join('; '));
  }

  // blast-radius
  const blast = blastRadius(input);
  add('blast-radius', blast.points, blast.detail, blast.unknown);

  // plane.coupled
  const controlChange = policy.planes.control.length > 0 ? firstTouching(policy.planes.control.map(compileFilePattern), prepared()) : undefined;
  const dataChange = policy.planes.data.length > 0 ? firstTouching(policy.planes.data.map(compileFilePattern), prepared()) : undefined;
  const control = controlChange && changeName(controlChange);
  const data = dataChange && changeName(dataChange);
  if (control !== undefined && data !== undefined) {
    add('plane.coupled', WEIGHTS['plane.coupled'].points, `control ${control} and data ${data} changed together`);
    findings.push({
      rule: 'plane.coupled',
      severity: 'warn',
      message:
        `This push changes the control plane (${control}) and the data plane (${data}) at once; ` +
        'if both fail together nothing is left to roll back with. Push them separately, control plane first.',
      path: controlChange!.pointer,
      ...(controlChange!.file !== undefined ? { file: controlChange!.file } : {}),
      detail: { control, data },
    });
  }

  // version
  const version: { from: string; to: string; order: number; file?: string } | undefined = input.members
    ? memberVersionCheck(input, input.members, changes)
    : versionCheck(input, changes);
  if (version) {
    const lower = version.order < 0;
    add('version', lower ? WEIGHTS.version.lower : WEIGHTS.version.equal, `${version.file !== undefined ? `${version.file}: ` : ''}version ${version.from} -> ${version.to} ${lower ? 'went down' : 'did not change'}`);
    findings.push({
      rule: 'version.not-increasing',
      severity: lower ? 'block' : 'warn',
      message: lower
        ? `The config version went down from ${version.from} to ${version.to} at ${policy.versionPath}${version.file !== undefined ? ` in ${version.file}` : ''}; a new config needs a higher version than the live one.`
        : `The config content changed but its version stayed ${version.to} at ${policy.versionPath}${version.file !== undefined ? ` in ${version.file}` : ''}; raise the version so consumers and caches see a new config.`,
      path: policy.versionPath,
      ...(version.file !== undefined ? { file: version.file } : {}),
      detail: { from: version.from, to: version.to },
    });
  }

  // maintenance
  const maint = maintenanceCount(input.findings);
  if (maint > 0) {
    const w = WEIGHTS.maintenance;
    add('maintenance', Math.min(w.max, w.perTarget * maint), `${maint} ${plural(maint, 'target')} under maintenance`);
  }

  // rules: the policy's CEL rules and plugin checks that found something
  const failing = customRulesFailing(input.findings);
  if (failing.length > 0) {
    const w = WEIGHTS.rules;
    add('rules', Math.min(w.max, w.perRule * failing.length), `${failing.length} ${plural(failing.length, 'rule')} failed: ${failing.slice(0, 5).join(', ')}${failing.length > 5 ? ', ...' : ''}`);
  }

  // override
  if (input.override) add('override', WEIGHTS.override.points, `override in use: ${input.override.reason}`);

  const factors = FACTOR_ORDER.flatMap((id) => {
    const f = points.get(id);
    return f ? [f] : [];
  });
  const total = factors.reduce((sum, f) => sum + f.points, 0);
  const score = Math.min(100, Math.max(0, total));
  // The tier is chosen by the change's own risk, without blast-radius: the tier picks the stages, and the stages
  // decide the blast radius (the gate re-plans with the tier's stages and scores again; the tier cannot move).
  const tier = tierPart(policy.scoring.tiers, Math.max(0, score - (points.get('blast-radius')?.points ?? 0)));

  // rollout.no-canary
  const noCanary = noCanaryReach(input, tier.tier?.stages);
  if (noCanary.reachesAll) {
    const risky = score >= policy.scoring.warn || sensitiveHits.length > 0;
    const who = noCanary.targets === undefined ? 'every target' : `all ${noCanary.targets} targets`;
    findings.push({
      rule: 'rollout.no-canary',
      // A risky change at once everywhere is blocked; a low-risk one is noted (it still shows in blast-radius).
      severity: risky ? 'block' : 'info',
      message:
        `This push would reach ${who} in one stage${risky ? ' and it is risky (score ' + score + (sensitiveHits.length > 0 ? ', sensitive paths' : '') + ')' : ''}. ` +
        'Add `rollout.stages` with a small canary first, e.g. `- { name: canary, percent: 1, bake: 10m }`.',
      detail: { targets: noCanary.targets ?? null, stages: noCanary.stages },
    });
  }

  // score.threshold
  const threshold =
    score >= policy.scoring.block ? { severity: 'block' as const, name: 'block', value: policy.scoring.block } :
    score >= policy.scoring.warn ? { severity: 'warn' as const, name: 'warn', value: policy.scoring.warn } : undefined;
  if (threshold) {
    const top = [...factors].filter((f) => f.points > 0).sort((a, b) => b.points - a.points).slice(0, 3);
    findings.push({
      rule: 'score.threshold',
      severity: threshold.severity,
      message:
        `Risk score ${score} is at or above \`scoring.${threshold.name}\` (${threshold.value}); ` +
        `top factors: ${top.map((f) => `${f.id} ${f.points}`).join(', ')}.`,
      detail: { score, threshold: threshold.value, factors: top.map((f) => f.id) },
    });
  }

  return { score, factors, findings, ...tier };
}

/* ------------------------------------------------------------------ helpers */

/** The changes that count. A first push (no current) counts as one change adding the whole document. */
function effectiveChanges(input: ScoreInput): Change[] {
  if (input.proposed.failed || input.proposed.value === undefined) return [];
  if (input.changes.changes.length > 0 || input.changes.total > 0) return input.changes.changes;
  if (input.current === undefined) return [{ kind: 'added', path: '', pointer: '', newValue: input.proposed.value }];
  return [];
}

/** A sensitive pattern's weight: the policy's, the default when absent, 0 when not a positive number. */
function weightOf(w: number | undefined): number {
  if (w === undefined) return WEIGHTS.sensitive.defaultWeight;
  return Number.isFinite(w) && w > 0 ? w : 0;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

function num(v: JsonValue | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Largest growth ratio (> 1) from `limit.growth` findings and the document bytes. Ties keep the first in sorted order. */
function largestGrowth(input: ScoreInput): { ratio: number; where: string } | undefined {
  const candidates: Array<{ ratio: number; where: string }> = [];
  for (const f of input.findings) {
    if (f.rule !== 'limit.growth') continue;
    const from = num(f.detail?.from);
    const to = num(f.detail?.to);
    const ratio = num(f.detail?.ratio) ?? (from !== undefined && to !== undefined && from > 0 ? to / from : undefined);
    if (ratio === undefined) continue;
    const span = from !== undefined && to !== undefined ? `: ${from} -> ${to}` : '';
    candidates.push({ ratio, where: `${f.file !== undefined ? `${f.file}#` : ''}${f.path || 'document'}${span}` });
  }
  const cur = input.current;
  const curSize = cur && !cur.failed ? canonicalSize(cur) : 0;
  if (cur && !cur.failed && curSize >= WEIGHTS.growth.minDocumentBytes) {
    const propSize = canonicalSize(input.proposed);
    candidates.push({
      ratio: propSize / curSize,
      where: `document ${formatBytes(curSize)} -> ${formatBytes(propSize)} as compact JSON`,
    });
  }
  return pickLargest(candidates.filter((c) => c.ratio > 1).map((c) => ({ ...c, value: c.ratio })));
}

/** Largest fraction removed (> 0) from `limit.shrink` findings and the document bytes. */
function largestShrink(input: ScoreInput): { fraction: number; where: string } | undefined {
  const candidates: Array<{ fraction: number; where: string }> = [];
  for (const f of input.findings) {
    if (f.rule !== 'limit.shrink') continue;
    const from = num(f.detail?.from);
    const to = num(f.detail?.to);
    const fraction =
      num(f.detail?.fraction) ?? (from !== undefined && to !== undefined && from > 0 ? 1 - to / from : num(f.detail?.ratio));
    if (fraction === undefined) continue;
    const span = from !== undefined && to !== undefined ? `: ${from} -> ${to}` : '';
    candidates.push({ fraction: Math.min(1, fraction), where: `${f.file !== undefined ? `${f.file}#` : ''}${f.path || 'document'}${span}` });
  }
  const cur = input.current;
  const curSize = cur && !cur.failed ? canonicalSize(cur) : 0;
  if (cur && !cur.failed && curSize >= WEIGHTS.shrink.minDocumentBytes) {
    const propSize = canonicalSize(input.proposed);
    candidates.push({
      fraction: 1 - propSize / curSize,
      where: `document ${formatBytes(curSize)} -> ${formatBytes(propSize)} as compact JSON`,
    });
  }
  return pickLargest(candidates.filter((c) => c.fraction > 0).map((c) => ({ ...c, value: c.fraction })));
}

/** The candidate with the largest value; ties broken by `where` so the input order never matters. */
function pickLargest<T extends { value: number; where: string }>(list: T[]): T | undefined {
  let best: T | undefined;
  for (const c of list) {
    if (!best || c.value > best.value || (c.value === best.value && c.where < best.where)) best = c;
  }
  return best;
}

/** The first change in (file, document-like pointer) order (see {@link comparePointers}) touching any of the patterns. */
function firstTouching(patterns: readonly FilePathPattern[], changes: readonly PreparedChange[]): Change | undefined {
  let best: PreparedChange | undefined;
  if (patterns.length === 0) return undefined;
  for (const c of changes) {
    if (best !== undefined && compareFiles(c.change.file, best.change.file) > 0) continue;
    if (best !== undefined && c.change.file === best.change.file && comparePointers(c.segments, best.segments) >= 0) continue;
    if (patterns.some((p) => touchesIn(p, c))) best = c;
  }
  return best?.change;
}

function compareFiles(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A change's place for people: `edge/base.yaml#/api/timeout` in a set, the pointer otherwise. */
function changeName(c: Change): string {
  return c.file !== undefined ? `${c.file}#${c.pointer}` : c.pointer;
}

/** A policy path compiled for matching changes: its glob (config sets) and its pointer pattern. */
interface FilePathPattern {
  glob: Glob | undefined;
  pattern: PathPattern;
}

function compileFilePattern(p: string): FilePathPattern {
  const { glob, pointer } = splitFilePattern(p);
  return { glob: glob === undefined ? undefined : compileGlob(glob), pattern: compilePattern(pointer) };
}

/** {@link touches}, for a pattern that may name files: a `GLOB#` pattern only touches changes of matching members. */
function touchesIn(p: FilePathPattern, c: PreparedChange): boolean {
  if (p.glob !== undefined && (c.change.file === undefined || !p.glob.matches(c.change.file))) return false;
  return touches(p.pattern, c);
}

/** The version check of a config set: per member, the worst one (went down before equal; ties by file order). */
function memberVersionCheck(
  input: ScoreInput,
  members: readonly ScoreMember[],
  changes: readonly Change[],
): { from: string; to: string; order: number; file?: string } | undefined {
  let worst: { from: string; to: string; order: number; file?: string } | undefined;
  // Changes grouped by member once (a set of many files with many changes stays linear).
  const byFile = new Map<string, Change[]>();
  for (const c of changes) {
    if (c.file === undefined) continue;
    let list = byFile.get(c.file);
    if (!list) byFile.set(c.file, (list = []));
    list.push(c);
  }
  for (const m of members) {
    if (!m.proposed || !m.current) continue;
    const own = byFile.get(m.file);
    if (own === undefined) continue;
    const v = versionCheck({ ...input, proposed: m.proposed, current: m.current, members: undefined }, own);
    if (v && (worst === undefined || v.order < worst.order)) worst = { ...v, file: m.file };
  }
  return worst;
}

/** Order of pointers independent of input order: segment by segment, numbers numerically, an ancestor first. */
function comparePointers(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const nx = /^(0|[1-9][0-9]*)$/.test(x);
    const ny = /^(0|[1-9][0-9]*)$/.test(y);
    if (nx && ny) return x.length - y.length || (x < y ? -1 : 1);
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Every target the score knows of: the given list, else the targets of the plan's waves. */
function knownTargets(input: ScoreInput): readonly Target[] | undefined {
  if (input.targets) return input.targets;
  if (input.plan) return input.plan.waves.flatMap((w) => w.targets);
  return undefined;
}

function blastRadius(input: ScoreInput): { points: number; detail: string; unknown: boolean } {
  const all = knownTargets(input);
  if (!all || all.length === 0) return { points: 0, detail: 'targets unknown', unknown: true };
  let first: readonly Target[];
  if (input.plan) first = input.plan.waves[0]?.targets ?? [];
  else if (input.policy.rollout.stages.length === 0) first = all;
  else return { points: 0, detail: 'no rollout plan given', unknown: true };

  const w = WEIGHTS['blast-radius'];
  const targetShare = first.length / all.length;
  let detail = `first stage reaches ${first.length} of ${all.length} ${plural(all.length, 'target')}`;
  const label = input.plan?.failureDomain ?? input.policy.rollout.failureDomain;
  let domainShare = targetShare;
  if (label !== undefined) {
    const domains = new Set(all.map((t) => t.labels[label] ?? ''));
    const reached = new Set(first.map((t) => t.labels[label] ?? ''));
    domainShare = reached.size / domains.size;
    detail += ` and ${reached.size} of ${domains.size} ${label} ${plural(domains.size, 'domain')}`;
  }
  return { points: Math.min(w.targets + w.domains, w.targets * targetShare + w.domains * domainShare), detail, unknown: false };
}

/** `{ order: -1 | 0 }` when the semver at `versionPath` did not increase although other content changed. */
function versionCheck(
  input: ScoreInput,
  changes: readonly Change[],
): { from: string; to: string; order: number } | undefined {
  const cur = input.current;
  if (!cur || cur.failed) return undefined;
  const path = input.policy.versionPath;
  const to = getAtPointer(input.proposed.value, path);
  const from = getAtPointer(cur.value, path);
  if (typeof to !== 'string' || typeof from !== 'string') return undefined;
  const toVersion = parsedSemver(to);
  const fromVersion = parsedSemver(from);
  if (toVersion === null || fromVersion === null) return undefined;
  const contentChanged = changes.some((c) => c.pointer !== path && c.path !== path);
  if (!contentChanged) return undefined;
  const order = toVersion.compare(fromVersion);
  return order > 0 ? undefined : { from, to, order };
}

/** Parsed versions (`semver.parse`; null when not a valid semver), per string: the live version repeats across pushes. */
const semverCache = new Map<string, SemVer | null>();

function parsedSemver(v: string): SemVer | null {
  if (v.length > 256) return semverParse(v); // not a semver (too long); not worth keeping
  let hit = semverCache.get(v);
  if (hit === undefined) {
    hit = semverParse(v);
    if (semverCache.size >= 256) semverCache.clear();
    semverCache.set(v, hit);
  }
  return hit;
}

/** Distinct policy-rule and plugin rule ids among the findings (not built-in ids), in order of appearance. */
function customRulesFailing(findings: readonly Finding[]): string[] {
  const ids = new Set<string>();
  for (const f of findings) if (isCustomRule(f.rule)) ids.add(f.rule);
  return [...ids];
}

/** Distinct targets under maintenance: `detail.targets` lists, else `detail.count`, else one per finding. */
function maintenanceCount(findings: readonly Finding[]): number {
  const ids = new Set<string>();
  let counted = 0;
  for (const f of findings) {
    if (f.rule !== 'window.maintenance') continue;
    const list = f.detail?.targets;
    if (Array.isArray(list)) for (const t of list) ids.add(typeof t === 'string' ? t : JSON.stringify(t));
    else counted += num(f.detail?.count) ?? 1;
  }
  return ids.size + counted;
}

/** The tier whose range holds the score (tiers sorted by `min`; a tier runs up to the next one's `min`). */
function tierPart(tiers: readonly TierSpec[], score: number): { tier?: { name: string; stages: StageSpec[]; approval: boolean } } {
  const sorted = [...tiers].sort((a, b) => a.min - b.min);
  let chosen: TierSpec | undefined;
  for (const t of sorted) if (t.min <= score) chosen = t;
  return chosen ? { tier: { name: chosen.name, stages: [...chosen.stages], approval: chosen.approval ?? false } } : {};
}

/**
 * Whether the push would reach every target in one stage. The stages in effect are the tier's when a tier
 * is selected, else the policy's. With no stages the push goes everywhere at once (also when targets are
 * unknown); with stages, the plan's first wave (or, without a plan, the first stage's `percent`/`count`)
 * decides. A single known target cannot be staged and never triggers it.
 */
function noCanaryReach(
  input: ScoreInput,
  tierStages: readonly StageSpec[] | undefined,
): { reachesAll: boolean; targets?: number; stages: number } {
  const defaults = input.policy.rollout.stages;
  const stages = tierStages ?? defaults;
  const all = knownTargets(input);
  const n = all?.length;
  const result = (reachesAll: boolean): { reachesAll: boolean; targets?: number; stages: number } =>
    n === undefined ? { reachesAll, stages: stages.length } : { reachesAll, targets: n, stages: stages.length };
  if (n !== undefined && n <= 1) return result(false);
  if (stages.length === 0) return result(true);
  const tierReplaces = tierStages !== undefined && JSON.stringify(tierStages) !== JSON.stringify(defaults);
  if (input.plan && !tierReplaces) {
    const planned = input.plan.waves.reduce((sum, w) => sum + w.targets.length, 0);
    const first = input.plan.waves[0]?.targets.length ?? 0;
    return result(planned > 1 && first >= planned);
  }
  const s = stages[0]!;
  if (s.percent !== undefined && s.percent >= 100) return result(true);
  if (s.count !== undefined && n !== undefined && s.count >= n) return result(true);
  return result(false);
}
