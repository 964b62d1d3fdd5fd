/**
 * The analysis monitor: runs the policy's metrics while a rollout runs and decides per target, Argo Rollouts style
 * (failureLimit, inconclusiveLimit, consecutiveErrorLimit, count, initialDelay, dryRun), and judges each stage
 * against its baseline. It plugs into the engine as a health hook (`health`) plus a stage-end step (`judgeStage`), so
 * the engine needs no metric-specific code.
 */
import type { HealthHook, HealthResult, HookContext } from '../rollout/types.js';
import type { PlannedWave, Target } from '../types.js';
import { aggregate, judge } from './judge/index.js';
import type { Judgement, JudgeSpec, Observation } from './judge/index.js';
import { measure } from './measure.js';
import type { AnalysisMetric, Measurement } from './measure.js';

/**
 * A measurement as the monitor reports it: the stage it belongs to and the role of the target. This is the payload of
 * the rollout's `analysis.measurement` event and `measurement` journal record.
 */
export interface StageMeasurement extends Measurement {
  /** Index of the stage: the changed target's own stage (`canary`), or the stage being judged or applied (`baseline`, `before`). */
  stage: number;
  /** Name of that stage. */
  stageName: string;
  /**
   * `canary`: a changed target, measured in a health round (its conditions and limits decide);
   * `baseline`: a target still on the LKG, measured at the end of a stage for the judge (`baseline: lkg`);
   * `before`: a target measured just before its change, for the judge's `baseline: self`.
   */
  role: 'canary' | 'baseline' | 'before';
}

/** Options of {@link createAnalysis}. */
export interface AnalysisOptions {
  /** Every measurement, as it is taken (the engine turns them into events and journal records). */
  onMeasurement?: (m: StageMeasurement) => void;
  /** Every finding, as it is made (a target stopped or held by its measurements, or a stage judged fail or marginal). */
  onFinding?: (f: AnalysisFinding) => void;
  /** Label naming failure domains: judge baselines come from the canary's own domain. @default none (one group) */
  failureDomain?: string;
  /** Environment for `env:NAME` headers. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Keep every measurement in {@link Analysis.measurements} (a long rollout over many targets keeps many). @default true */
  retain?: boolean;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/**
 * Why analysis stopped or held a rollout: which metric, which target, the value and the condition.
 * - `source: 'measurement'`: one target's measurements passed a limit (`targetId`, its last `value`, the `condition`);
 * - `source: 'judge'`: the stage-end judge (`targets`: the canary targets judged, `domain`, `value`: the canary median,
 *   `baseline`: the baseline median, `condition`: what the judge requires).
 */
export interface AnalysisFinding {
  metric: string;
  /** `failed`: rolls back; `inconclusive`: holds for a person. */
  kind: 'failed' | 'inconclusive';
  source: 'measurement' | 'judge';
  /** Index of the stage (the target's own stage for a measurement finding, the judged stage for a judge finding). */
  stage: number;
  stageName: string;
  /** The target (measurement findings). */
  targetId?: string;
  /** The canary targets judged (judge findings). */
  targets?: string[];
  /** The failure domain judged (judge findings, when targets have one). */
  domain?: string;
  /** The last value (measurement findings) or the canary median (judge findings). */
  value?: number | number[];
  /** The baseline median (judge findings). */
  baseline?: number;
  /** The condition that decided, as written (measurement findings), or the judge's requirement. */
  condition?: string;
  /** One sentence for people, naming metric, target(s), value and condition. */
  message: string;
}

/** The stage-end verdict of the judge metrics. */
export interface StageJudgement {
  verdict: 'pass' | 'fail' | 'inconclusive';
  reason?: string;
  judgements: Judgement[];
  /** Things people should know that do not change the verdict (a domain not judged at this stage, and why). */
  notes: string[];
}

/** A running analysis. */
export interface Analysis {
  /** Health hook for `runRollout`: measures the due metrics on one target and answers healthy / unhealthy / inconclusive. */
  readonly health: HealthHook;
  /** True when a metric has a `judge`. */
  readonly judges: boolean;
  /** True when a metric's judge uses `baseline: self` (then {@link measureBefore} must run before each apply). */
  readonly needsBefore: boolean;
  /**
   * Judges the stage's changed targets against the baseline: for `baseline: lkg`, `onLkg` (targets still on the LKG,
   * re-chosen by the caller at every stage: an applied target is never a baseline), same failure domain only. No judge
   * metric: `pass`.
   */
  judgeStage(stage: PlannedWave, changed: readonly Target[], onLkg: readonly Target[], signal: AbortSignal): Promise<StageJudgement>;
  /** Readings of targets before their change, for `baseline: self` (call before applying them). */
  measureBefore(targets: readonly Target[], stage: PlannedWave, signal: AbortSignal): Promise<void>;
  /**
   * A person released a hold: inconclusive counters start again from zero (the next inconclusive answers past the
   * limit hold again), and domains the judge found marginal count as judged (a later stage with no baseline left in
   * them does not hold again).
   */
  acknowledge(): void;
  /** Every measurement taken so far (empty with `retain: false`). */
  readonly measurements: readonly StageMeasurement[];
  /** Targets stopped or held by analysis, and stages the judge failed or held, with the reason. */
  readonly findings: readonly AnalysisFinding[];
}

interface Counter {
  failed: number;
  inconclusive: number;
  consecutiveErrors: number;
  taken: number;
  lastAt: number;
  firstSeen: number;
  last?: Measurement;
}

function valueText(v: number | number[]): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
}

function describe(m: Measurement): string {
  const v = m.value === undefined ? '' : ` (value ${valueText(m.value)})`;
  return `metric "${m.metric}" on ${m.targetId}: ${m.message ?? m.phase}${v}`;
}

/** The judge's requirement, as a condition people can read. */
function judgeCondition(spec: JudgeSpec): string {
  const tol = spec.tolerance === undefined ? '0' : typeof spec.tolerance === 'number' ? String(spec.tolerance) : `${Number((spec.tolerance.relative * 100).toPrecision(6))}% of the baseline median`;
  const worse = spec.direction === 'decrease' ? 'drop' : 'rise';
  return `canary ${worse} vs baseline ${spec.baseline ?? 'lkg'} <= ${tol} (Hodges–Lehmann shift, one-sided Mann–Whitney at alpha ${spec.alpha ?? 0.05})`;
}

const DOMAINLESS = '\0none';

/** Creates the monitor for a set of metrics (from the policy's `rollout.analysis`, or built by hand). */
export function createAnalysis(metrics: readonly AnalysisMetric[], options: AnalysisOptions = {}): Analysis {
  const now = options.now ?? Date.now;
  const retain = options.retain ?? true;
  const env = options.env ? { env: options.env } : {};
  const counters = new Map<string, Counter>(); // `${stage}\0${metric}\0${target}`
  const readings = new Map<string, number[]>(); // `${stage}\0${metric}\0${target}` → values after the change (judge metrics)
  const before = new Map<string, number[]>(); // `${metric}\0${target}` → values before the change
  const stageQueries = new Map<string, { at: number; result: Promise<Map<string, Measurement>> }>();
  const measurements: StageMeasurement[] = [];
  const findings: AnalysisFinding[] = [];
  const held = new Set<string>();
  const stopped = new Map<string, AnalysisFinding>(); // per stage+target: the decision is sticky within a stage
  /** Per metric: failure domains judged `pass` (or released by a person) at some stage of this rollout. */
  const judged = new Map<string, Set<string>>();
  /** Marginal domains of the last judgement, per metric (accepted when a person releases the hold). */
  let lastMarginal: Array<[string, string]> = [];

  const record = (m: Measurement, stage: PlannedWave, role: StageMeasurement['role']): void => {
    const e: StageMeasurement = { ...m, stage: stage.index, stageName: stage.name, role };
    if (retain) measurements.push(e);
    options.onMeasurement?.(e);
  };
  const found = (f: AnalysisFinding): void => {
    findings.push(f);
    options.onFinding?.(f);
  };

  async function measureOne(metric: AnalysisMetric, target: Target, ctx: HookContext): Promise<Measurement> {
    const stage = { name: ctx.stage.name, targets: ctx.stage.targets };
    if (metric.scope === 'stage') {
      // One query per round for the whole stage, shared by the stage's targets' health calls of that round.
      const key = `${ctx.stage.index}\0${metric.name}`;
      const cached = stageQueries.get(key);
      let result: Promise<Map<string, Measurement>>;
      if (cached && now() - cached.at < metric.intervalMs / 2) result = cached.result;
      else {
        // indexed by target id: every target of the stage looks its own measurement up (no scan per target)
        result = measure(metric, { targets: ctx.stage.targets, stage, signal: ctx.signal, ...env }).then((ms) => new Map(ms.map((m) => [m.targetId, m])));
        stageQueries.set(key, { at: now(), result });
        result.catch(() => stageQueries.delete(key));
      }
      const all = await result;
      return all.get(target.id) ?? { metric: metric.name, targetId: target.id, phase: metric.noData === 'inconclusive' ? 'Inconclusive' : 'Failed', message: 'no data' };
    }
    const [m] = await measure(metric, { targets: [target], stage, signal: ctx.signal, ...env });
    return m!;
  }

  const health: HealthHook = async (target, ctx) => {
    const stopKey = `${ctx.stage.index}\0${target.id}`;
    const prior = stopped.get(stopKey);
    if (prior) return verdictOf(prior);
    let inconclusive: AnalysisFinding | undefined;
    let pending: string | undefined;
    const values: Record<string, number> = {};
    for (const metric of metrics) {
      const key = `${ctx.stage.index}\0${metric.name}\0${target.id}`;
      let c = counters.get(key);
      const t = now();
      if (!c) counters.set(key, (c = { failed: 0, inconclusive: 0, consecutiveErrors: 0, taken: 0, lastAt: -Infinity, firstSeen: t }));
      const due = t - c.firstSeen >= metric.initialDelayMs && (metric.count === undefined || c.taken < metric.count) && (c.taken === 0 || t - c.lastAt >= metric.intervalMs);
      if (due) {
        const m = await measureOne(metric, target, ctx);
        c.taken++;
        c.lastAt = t;
        c.last = m;
        record(m, ctx.stage, 'canary');
        if (typeof m.value === 'number' && Number.isFinite(m.value)) {
          values[metric.name] = m.value;
          if (metric.judge) {
            const list = readings.get(key);
            if (list) list.push(m.value);
            else readings.set(key, [m.value]);
          }
        }
        if (!metric.dryRun) {
          if (m.phase === 'Error') c.consecutiveErrors++;
          else c.consecutiveErrors = 0;
          if (m.phase === 'Failed') c.failed++;
          if (m.phase === 'Inconclusive') c.inconclusive++;
        }
      }
      if (metric.dryRun) continue;
      if (!c.last) {
        pending ??= `metric "${metric.name}" on ${target.id}: not measured yet (initialDelay ${metric.initialDelayMs}ms)`;
        continue;
      }
      // Counters only grow within a stage: once past a limit, the answer stays (a failure rolls back, a hold waits for a person).
      const m = c.last;
      const base = { metric: metric.name, source: 'measurement' as const, stage: ctx.stage.index, stageName: ctx.stage.name, targetId: target.id };
      // the condition that decided; for no data or an error, the one the metric would have applied
      const condition = m.condition ?? metric.failureCondition?.source ?? metric.successCondition?.source;
      const extra = { ...(m.value !== undefined ? { value: m.value } : {}), ...(condition !== undefined ? { condition } : {}) };
      if (c.failed > metric.failureLimit || c.consecutiveErrors > metric.consecutiveErrorLimit) {
        const why = c.failed > metric.failureLimit
          ? `${describe(m)}; ${c.failed} failed measurement${c.failed === 1 ? '' : 's'} > failureLimit ${metric.failureLimit}`
          : `${describe(m)}; ${c.consecutiveErrors} consecutive errors > consecutiveErrorLimit ${metric.consecutiveErrorLimit}`;
        const f: AnalysisFinding = { ...base, ...extra, kind: 'failed', message: why };
        found(f);
        stopped.set(stopKey, f);
        return verdictOf(f);
      }
      if (c.inconclusive > metric.inconclusiveLimit && !inconclusive) {
        inconclusive = { ...base, ...extra, kind: 'inconclusive', message: `${describe(m)}; ${c.inconclusive} inconclusive measurement${c.inconclusive === 1 ? '' : 's'} > inconclusiveLimit ${metric.inconclusiveLimit}` };
      } else if (m.phase !== 'Successful') {
        // Within its limits, but no data is never a pass: the target waits for its next measurement, unless `count`
        // allows no more (then nothing can show it healthy: a hold).
        if (metric.count !== undefined && c.taken >= metric.count) {
          inconclusive ??= { ...base, ...extra, kind: 'inconclusive', message: `${describe(m)}; the last of its ${metric.count} measurements (count) is not a success` };
        } else pending ??= `${describe(m)}; within its limits: waiting for the next measurement`;
      }
    }
    if (inconclusive) {
      const k = `${ctx.stage.index}\0${inconclusive.metric}\0${target.id}`;
      if (!held.has(k)) {
        held.add(k);
        found(inconclusive);
      }
      return verdictOf(inconclusive);
    }
    if (pending !== undefined) return { healthy: false, pending: true, message: pending };
    const ok: HealthResult = { healthy: true };
    if (Object.keys(values).length > 0) ok.metrics = values;
    return ok;
  };

  const selfMetrics = metrics.filter((m) => m.judge?.baseline === 'self');

  async function measureBefore(targets: readonly Target[], stage: PlannedWave, signal: AbortSignal): Promise<void> {
    if (targets.length === 0) return;
    for (const metric of selfMetrics) {
      const ms = await measure(metric, { targets, stage: { name: stage.name, targets: stage.targets }, signal, ...env });
      for (const m of ms) {
        record(m, stage, 'before');
        if (typeof m.value !== 'number' || !Number.isFinite(m.value)) continue;
        const key = `${metric.name}\0${m.targetId}`;
        const list = before.get(key);
        if (list) list.push(m.value);
        else before.set(key, [m.value]);
      }
    }
  }

  async function judgeStage(stage: PlannedWave, changed: readonly Target[], onLkg: readonly Target[], signal: AbortSignal): Promise<StageJudgement> {
    const judgements: Judgement[] = [];
    const notes: string[] = [];
    const domainOf = (t: Target): string | undefined => (options.failureDomain ? t.labels[options.failureDomain] : undefined);
    const obs = (t: Target, value: number): Observation => {
      const d = domainOf(t);
      return d === undefined ? { targetId: t.id, value } : { targetId: t.id, domain: d, value };
    };
    const marginal: Array<[string, string]> = [];
    for (const metric of metrics) {
      if (!metric.judge) continue;
      let judgedChanged = changed;
      const baseline: Observation[] = [];
      if (metric.judge.baseline === 'self') {
        for (const t of changed) {
          const v = aggregate(before.get(`${metric.name}\0${t.id}`) ?? []);
          if (Number.isFinite(v)) baseline.push(obs(t, v));
        }
      } else {
        // Baseline: targets still on the LKG, re-chosen now (an applied target is never a baseline), same domains only.
        const domains = new Set(changed.map(domainOf));
        const candidates = onLkg.filter((t) => domains.has(domainOf(t)));
        // A domain with no target left on the LKG (the last stage) cannot be compared: when it was judged at an
        // earlier stage of this rollout it is not judged again (a note says so); otherwise it is marginal (hold).
        const passed = judged.get(metric.name);
        const left = new Set(candidates.map(domainOf));
        const skip = new Set([...domains].filter((d) => !left.has(d) && passed?.has(d ?? DOMAINLESS)));
        for (const d of skip) {
          notes.push(`stage "${stage.name}": metric "${metric.name}"${d === undefined ? '' : ` in ${d}`}: not judged: no target${d === undefined ? '' : ' of this domain'} is left on the LKG (it was judged at an earlier stage; its conditions still apply)`);
        }
        if (skip.size > 0) judgedChanged = changed.filter((t) => !skip.has(domainOf(t)));
        if (skip.size > 0 && judgedChanged.length === 0) {
          judgements.push({ metric: metric.name, outcome: 'pass', reason: `metric "${metric.name}": not judged at stage "${stage.name}": no baseline target is left on the LKG`, domains: [] });
          continue;
        }
        if (candidates.length > 0) {
          const ms = await measure(metric, { targets: candidates, stage: { name: stage.name, targets: candidates }, signal, ...env });
          const byId = new Map(candidates.map((t) => [t.id, t]));
          for (const m of ms) {
            record(m, stage, 'baseline');
            if (typeof m.value === 'number' && Number.isFinite(m.value)) baseline.push(obs(byId.get(m.targetId)!, m.value));
          }
        }
      }
      const canary: Observation[] = [];
      for (const t of judgedChanged) {
        const v = aggregate(readings.get(`${stage.index}\0${metric.name}\0${t.id}`) ?? []);
        if (Number.isFinite(v)) canary.push(obs(t, v));
      }
      const j = judge(metric.name, metric.judge, canary, baseline);
      judgements.push(j);
      const set = judged.get(metric.name) ?? new Set<string>();
      judged.set(metric.name, set);
      const self = metric.judge.baseline === 'self';
      for (const d of j.domains) {
        const key = d.domain ?? DOMAINLESS;
        if (d.outcome === 'pass') set.add(key);
        if (metric.dryRun || d.outcome === 'pass') continue;
        if (d.outcome === 'marginal') marginal.push([metric.name, key]);
        const inDomain = judgedChanged.filter((t) => self || (domainOf(t) ?? DOMAINLESS) === key).map((t) => t.id);
        const f: AnalysisFinding = {
          metric: metric.name,
          kind: d.outcome === 'fail' ? 'failed' : 'inconclusive',
          source: 'judge',
          stage: stage.index,
          stageName: stage.name,
          targets: inDomain,
          ...(d.domain !== undefined ? { domain: d.domain } : {}),
          ...(Number.isFinite(d.canaryMedian) ? { value: d.canaryMedian } : {}),
          ...(Number.isFinite(d.baselineMedian) ? { baseline: d.baselineMedian } : {}),
          condition: judgeCondition(metric.judge),
          message: `stage "${stage.name}": ${d.reason} (canary targets: ${inDomain.slice(0, 10).join(', ')}${inDomain.length > 10 ? `, ... ${inDomain.length - 10} more` : ''})`,
        };
        found(f);
      }
      if (j.domains.length === 0 && !metric.dryRun && j.outcome !== 'pass') {
        found({ metric: metric.name, kind: j.outcome === 'fail' ? 'failed' : 'inconclusive', source: 'judge', stage: stage.index, stageName: stage.name, targets: judgedChanged.map((t) => t.id), condition: judgeCondition(metric.judge), message: `stage "${stage.name}": ${j.reason}` });
      }
    }
    lastMarginal = marginal;
    const dry = new Set(metrics.filter((m) => m.dryRun).map((m) => m.name));
    const decisive = judgements.filter((j) => !dry.has(j.metric));
    const failed = decisive.find((j) => j.outcome === 'fail');
    if (failed) return { verdict: 'fail', reason: `stage "${stage.name}": ${failed.reason}`, judgements, notes };
    const worst = decisive.find((j) => j.outcome === 'marginal');
    if (worst) return { verdict: 'inconclusive', reason: `stage "${stage.name}": ${worst.reason}`, judgements, notes };
    return { verdict: 'pass', judgements, notes };
  }

  function acknowledge(): void {
    for (const c of counters.values()) c.inconclusive = 0;
    held.clear();
    for (const [metric, d] of lastMarginal) {
      const set = judged.get(metric) ?? new Set<string>();
      judged.set(metric, set);
      set.add(d);
    }
    lastMarginal = [];
  }

  return {
    health,
    judges: metrics.some((m) => m.judge !== undefined),
    needsBefore: selfMetrics.length > 0,
    judgeStage,
    measureBefore,
    acknowledge,
    measurements,
    findings,
  };
}

/** The health answer for a finding: unhealthy, and `inconclusive` for a hold (the engine holds instead of rolling back). */
function verdictOf(f: AnalysisFinding): HealthResult {
  const r: HealthResult = { healthy: false, message: f.message };
  if (f.kind === 'inconclusive') r.inconclusive = true;
  return r;
}

/**
 * Both health hooks must pass: the first failure answers (unhealthy over inconclusive over pending over healthy);
 * metrics of both are merged. `undefined` hooks are left out; with none, `undefined`.
 */
export function combineHealth(...hooks: Array<HealthHook | undefined>): HealthHook | undefined {
  const list = hooks.filter((h): h is HealthHook => h !== undefined);
  if (list.length <= 1) return list[0];
  return async (target, ctx) => {
    const answers = await Promise.all(list.map(async (h) => h(target, ctx)));
    let metrics: Record<string, number> | undefined;
    let inconclusive: HealthResult | undefined;
    let pending: HealthResult | undefined;
    for (const a of answers) {
      // `undefined` is a failure here too (a forgotten return): the engine fails it closed, so does the combination
      const r: HealthResult =
        a === true ? { healthy: true } : a === false || a === undefined || a === null || typeof a !== 'object' ? { healthy: false, message: 'health check reported unhealthy' } : a;
      if (r.inconclusive === true) inconclusive ??= r;
      else if (r.pending === true) pending ??= r;
      else if (r.healthy !== true) return r;
      if (r.metrics) metrics = { ...metrics, ...r.metrics };
    }
    if (inconclusive) return inconclusive;
    if (pending) return pending;
    return metrics ? { healthy: true, metrics } : { healthy: true };
  };
}
