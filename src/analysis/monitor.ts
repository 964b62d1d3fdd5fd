/**
 * The analysis monitor: runs the policy's metrics while a rollout runs and decides per target, Argo Rollouts style
 * (failureLimit, inconclusiveLimit, consecutiveErrorLimit, count, initialDelay, dryRun), and judges each stage
 * against its baseline. It plugs into the engine as a health hook (`health`) plus a stage-end step (`judgeStage`), so
 * the engine needs no metric-specific code.
 */
import type { HealthHook, HealthResult, HookContext } from '../rollout/types.js';
import type { PlannedWave, Target } from '../types.js';
import { aggregate, judge } from './judge/index.js';
import type { Judgement, Observation } from './judge/index.js';
import { measure } from './measure.js';
import type { AnalysisMetric, Measurement } from './measure.js';

/** Options of {@link createAnalysis}. */
export interface AnalysisOptions {
  /** Every measurement, as it is taken (for events and the journal). */
  onMeasurement?: (m: Measurement & { stage: string }) => void;
  /** Label naming failure domains: judge baselines come from the canary's own domain. */
  failureDomain?: string;
  /** Environment for `env:NAME` headers. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** Why analysis stopped a target: which metric, which target, the value and the condition. */
export interface AnalysisFinding {
  metric: string;
  targetId: string;
  stage: string;
  /** `failed`: rolls back; `inconclusive`: holds. */
  kind: 'failed' | 'inconclusive';
  value?: number | number[];
  condition?: string;
  message: string;
}

/** The stage-end verdict of the judge metrics. */
export interface StageJudgement {
  verdict: 'pass' | 'fail' | 'inconclusive';
  reason?: string;
  judgements: Judgement[];
}

/** A running analysis. */
export interface Analysis {
  /** Health hook for `runRollout`: measures the due metrics on one target and answers healthy / unhealthy / inconclusive. */
  readonly health: HealthHook;
  /** Judges the stage's changed targets against the baseline (targets still on the LKG). No judge metric: `pass`. */
  judgeStage(stage: PlannedWave, changed: readonly Target[], onLkg: readonly Target[], signal: AbortSignal): Promise<StageJudgement>;
  /** Readings of targets before their change, for `baseline: self` (call before applying them). */
  measureBefore(targets: readonly Target[], stage: PlannedWave, signal: AbortSignal): Promise<void>;
  /** Every measurement taken so far. */
  readonly measurements: ReadonlyArray<Measurement & { stage: string }>;
  /** Targets stopped by analysis, with the reason. */
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

function describe(m: Measurement): string {
  const v = m.value === undefined ? '' : ` (value ${Array.isArray(m.value) ? `[${m.value.join(', ')}]` : String(m.value)})`;
  return `metric "${m.metric}" on ${m.targetId}: ${m.message ?? m.phase}${v}`;
}

/** Creates the monitor for a set of metrics (from the policy's `rollout.analysis`, or built by hand). */
export function createAnalysis(metrics: readonly AnalysisMetric[], options: AnalysisOptions = {}): Analysis {
  const now = options.now ?? Date.now;
  const counters = new Map<string, Counter>(); // `${stage}\0${metric}\0${target}`
  const readings = new Map<string, number[]>(); // `${stage}\0${metric}\0${target}` → values after the change
  const before = new Map<string, number[]>(); // `${metric}\0${target}` → values before the change
  const stageQueries = new Map<string, { at: number; result: Promise<Measurement[]> }>();
  const measurements: Array<Measurement & { stage: string }> = [];
  const findings: AnalysisFinding[] = [];
  const held = new Set<string>();
  const stopped = new Map<string, AnalysisFinding>(); // per stage+target: the decision is sticky within a stage

  const record = (m: Measurement, stage: string) => {
    const e = { ...m, stage };
    measurements.push(e);
    options.onMeasurement?.(e);
  };

  async function measureOne(metric: AnalysisMetric, target: Target, ctx: HookContext): Promise<Measurement> {
    const stage = { name: ctx.stage.name, targets: ctx.stage.targets };
    if (metric.scope === 'stage') {
      // One query per round for the whole stage, shared by the stage's targets' health calls of that round.
      const key = `${ctx.stage.index}\0${metric.name}`;
      const cached = stageQueries.get(key);
      let result: Promise<Measurement[]>;
      if (cached && now() - cached.at < metric.intervalMs / 2) result = cached.result;
      else {
        result = measure(metric, { targets: ctx.stage.targets, stage, signal: ctx.signal, ...(options.env ? { env: options.env } : {}) });
        stageQueries.set(key, { at: now(), result });
        result.catch(() => stageQueries.delete(key));
      }
      const all = await result;
      return all.find((m) => m.targetId === target.id) ?? { metric: metric.name, targetId: target.id, phase: metric.noData === 'inconclusive' ? 'Inconclusive' : 'Failed', message: 'no data' };
    }
    const [m] = await measure(metric, { targets: [target], stage, signal: ctx.signal, ...(options.env ? { env: options.env } : {}) });
    return m!;
  }

  const health: HealthHook = async (target, ctx) => {
    const stageName = ctx.stage.name;
    const stopKey = `${ctx.stage.index}\0${target.id}`;
    const prior = stopped.get(stopKey);
    if (prior) return verdictOf(prior);
    let inconclusive: AnalysisFinding | undefined;
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
        record(m, stageName);
        if (typeof m.value === 'number' && Number.isFinite(m.value)) {
          values[metric.name] = m.value;
          const list = readings.get(key);
          if (list) list.push(m.value);
          else readings.set(key, [m.value]);
        }
        if (!metric.dryRun) {
          if (m.phase === 'Error') c.consecutiveErrors++;
          else c.consecutiveErrors = 0;
          if (m.phase === 'Failed') c.failed++;
          if (m.phase === 'Inconclusive') c.inconclusive++;
        }
      }
      if (metric.dryRun || !c.last) continue;
      // Counters only grow within a stage: once past a limit, the answer stays (a failure rolls back, a hold waits for a person).
      const m = c.last;
      const base = { metric: metric.name, targetId: target.id, stage: stageName };
      const extra = { ...(m.value !== undefined ? { value: m.value } : {}), ...(m.condition !== undefined ? { condition: m.condition } : {}) };
      if (c.failed > metric.failureLimit || c.consecutiveErrors > metric.consecutiveErrorLimit) {
        const why = c.failed > metric.failureLimit
          ? `${describe(m)}; ${c.failed} failed measurement${c.failed === 1 ? '' : 's'} > failureLimit ${metric.failureLimit}`
          : `${describe(m)}; ${c.consecutiveErrors} consecutive errors > consecutiveErrorLimit ${metric.consecutiveErrorLimit}`;
        const f: AnalysisFinding = { ...base, ...extra, kind: 'failed', message: why };
        findings.push(f);
        stopped.set(stopKey, f);
        return verdictOf(f);
      }
      if (c.inconclusive > metric.inconclusiveLimit && !inconclusive) {
        inconclusive = { ...base, ...extra, kind: 'inconclusive', message: `${describe(m)}; ${c.inconclusive} inconclusive measurement${c.inconclusive === 1 ? '' : 's'} > inconclusiveLimit ${metric.inconclusiveLimit}` };
      }
    }
    if (inconclusive) {
      const k = `${ctx.stage.index}\0${inconclusive.metric}\0${target.id}`;
      if (!held.has(k)) {
        held.add(k);
        findings.push(inconclusive);
      }
      return verdictOf(inconclusive);
    }
    const ok: HealthResult = { healthy: true };
    if (Object.keys(values).length > 0) ok.metrics = values;
    return ok;
  };

  async function measureBefore(targets: readonly Target[], stage: PlannedWave, signal: AbortSignal): Promise<void> {
    for (const metric of metrics) {
      if (metric.judge?.baseline !== 'self') continue;
      const ms = await measure(metric, { targets, stage: { name: stage.name, targets: stage.targets }, signal, ...(options.env ? { env: options.env } : {}) });
      for (const m of ms) {
        record(m, `${stage.name} (before)`);
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
    const domainOf = (t: Target): string | undefined => (options.failureDomain ? t.labels[options.failureDomain] : undefined);
    const obs = (t: Target, value: number): Observation => {
      const d = domainOf(t);
      return d === undefined ? { targetId: t.id, value } : { targetId: t.id, domain: d, value };
    };
    for (const metric of metrics) {
      if (!metric.judge) continue;
      const canary: Observation[] = [];
      for (const t of changed) {
        const v = aggregate(readings.get(`${stage.index}\0${metric.name}\0${t.id}`) ?? []);
        if (Number.isFinite(v)) canary.push(obs(t, v));
      }
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
        if (candidates.length > 0) {
          const ms = await measure(metric, { targets: candidates, stage: { name: stage.name, targets: candidates }, signal, ...(options.env ? { env: options.env } : {}) });
          const byId = new Map(candidates.map((t) => [t.id, t]));
          for (const m of ms) {
            record(m, `${stage.name} (baseline)`);
            if (typeof m.value === 'number' && Number.isFinite(m.value)) baseline.push(obs(byId.get(m.targetId)!, m.value));
          }
        }
      }
      judgements.push(judge(metric.name, metric.judge, canary, baseline));
    }
    const dry = new Set(metrics.filter((m) => m.dryRun).map((m) => m.name));
    const decisive = judgements.filter((j) => !dry.has(j.metric));
    const failed = decisive.find((j) => j.outcome === 'fail');
    if (failed) return { verdict: 'fail', reason: `stage "${stage.name}": ${failed.reason}`, judgements };
    const marginal = decisive.find((j) => j.outcome === 'marginal');
    if (marginal) return { verdict: 'inconclusive', reason: `stage "${stage.name}": ${marginal.reason}`, judgements };
    return { verdict: 'pass', judgements };
  }

  return { health, judgeStage, measureBefore, measurements, findings };
}

/** The health answer for a finding: unhealthy, and `inconclusive` for a hold (the engine holds instead of rolling back). */
function verdictOf(f: AnalysisFinding): HealthResult {
  const r = { healthy: false, message: f.message } as HealthResult & { inconclusive?: boolean };
  if (f.kind === 'inconclusive') r.inconclusive = true;
  return r;
}

/**
 * Both health hooks must pass: the first failure answers (unhealthy over inconclusive over healthy); metrics of both
 * are merged. `undefined` hooks are left out; with none, `undefined`.
 */
export function combineHealth(...hooks: Array<HealthHook | undefined>): HealthHook | undefined {
  const list = hooks.filter((h): h is HealthHook => h !== undefined);
  if (list.length <= 1) return list[0];
  return async (target, ctx) => {
    const answers = await Promise.all(list.map(async (h) => h(target, ctx)));
    let metrics: Record<string, number> | undefined;
    let inconclusive: HealthResult | undefined;
    for (const a of answers) {
      const r: HealthResult & { inconclusive?: boolean } =
        a === undefined || a === true ? { healthy: true } : a === false ? { healthy: false, message: 'health check reported unhealthy' } : a;
      if (r.inconclusive === true) inconclusive ??= r;
      else if (r.healthy !== true) return r;
      if (r.metrics) metrics = { ...metrics, ...r.metrics };
    }
    if (inconclusive) return inconclusive;
    return metrics ? { healthy: true, metrics } : { healthy: true };
  };
}
