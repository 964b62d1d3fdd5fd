/**
 * The canary judge: compares one observation per canary target with one observation per baseline target, per failure
 * domain, with a one-sided Mann–Whitney test and a Hodges–Lehmann shift against a tolerance. Pure: it knows nothing of
 * Prometheus, providers or the engine (Kayenta keeps its judge apart the same way).
 */
import { hodgesLehmann } from './hodges-lehmann.js';
import { EXACT_MAX_TOTAL, exactUDistribution, mannWhitney } from './mann-whitney.js';

export { mannWhitney, exactUDistribution, normalSf, EXACT_MAX_TOTAL } from './mann-whitney.js';
export type { Alternative, MannWhitneyOptions, MannWhitneyTestResult } from './mann-whitney.js';
export { hodgesLehmann } from './hodges-lehmann.js';
export type { ShiftEstimate } from './hodges-lehmann.js';

/** How a metric is judged against its baseline. */
export interface JudgeSpec {
  /**
   * `lkg`: targets of the same failure domain still on the last known good config, re-chosen at every stage;
   * `self`: the canary targets' own readings from before their change.
   * @default 'lkg'
   */
  baseline?: 'lkg' | 'self';
  /** Which change is harmful: `increase` (errors, latency), `decrease` (throughput, success rate). */
  direction: 'increase' | 'decrease';
  /**
   * Largest harmful shift that is still acceptable: an absolute amount in the metric's unit, or `{ relative }`, a
   * fraction of the baseline median (the policy writes `10%`).
   * @default 0
   */
  tolerance?: number | { relative: number };
  /** Significance level of the one-sided test; the shift's interval is at confidence 1 − 2·alpha (one-sided 1 − alpha). @default 0.05 */
  alpha?: number;
}

/** One target's value for a metric over a stage (already aggregated from its readings, see {@link aggregate}). */
export interface Observation {
  targetId: string;
  /** The target's failure domain (its `failureDomain` label); observations are only compared within a domain. */
  domain?: string;
  value: number;
}

/** Outcome of a judgement. `marginal` means the data cannot decide: the rollout holds. */
export type JudgeOutcome = 'pass' | 'marginal' | 'fail';

/** The judgement of one failure domain. */
export interface DomainJudgement {
  /** The failure domain (absent when targets have none or with `baseline: self`). */
  domain?: string;
  outcome: JudgeOutcome;
  /** Why, in one sentence. */
  reason: string;
  canary: number;
  baseline: number;
  canaryMedian: number;
  baselineMedian: number;
  /** One-sided p-value (harmful direction); absent when no test ran. */
  p?: number;
  method?: 'exact' | 'asymptotic';
  /** Hodges–Lehmann shift in the harmful direction (positive = worse), with its interval. */
  shift?: number;
  low?: number;
  high?: number;
  /** The tolerance in the metric's unit. */
  tolerance: number;
}

/** The judgement of one metric for one stage. */
export interface Judgement {
  metric: string;
  /** The worst domain's outcome (fail over marginal over pass). */
  outcome: JudgeOutcome;
  /** The deciding domain's reason. */
  reason: string;
  domains: DomainJudgement[];
}

/** Median of a target's readings: the one observation that target contributes, however many rounds ran. */
export function aggregate(readings: readonly number[]): number {
  const v = readings.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

function medianOf(values: readonly number[]): number {
  return aggregate(values);
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toPrecision(3) : String(Number(v.toPrecision(4)));
}

const RANK: Record<JudgeOutcome, number> = { pass: 0, marginal: 1, fail: 2 };

function judgeGroup(metric: string, spec: JudgeSpec, canary: number[], baseline: number[], domain: string | undefined): DomainJudgement {
  const alpha = spec.alpha ?? 0.05;
  const sign = spec.direction === 'decrease' ? -1 : 1;
  const where = domain === undefined ? '' : ` in ${domain}`;
  const canaryMedian = medianOf(canary);
  const baselineMedian = medianOf(baseline);
  const tol = spec.tolerance === undefined ? 0 : typeof spec.tolerance === 'number' ? spec.tolerance : spec.tolerance.relative * Math.abs(baselineMedian);
  const base: DomainJudgement = {
    outcome: 'marginal', reason: '', canary: canary.length, baseline: baseline.length, canaryMedian, baselineMedian, tolerance: Number.isFinite(tol) ? tol : 0,
  };
  if (domain !== undefined) base.domain = domain;
  if (canary.length === 0) return { ...base, outcome: 'pass', reason: `no canary targets${where}` };
  if (baseline.length === 0) {
    return { ...base, reason: `metric "${metric}"${where}: no baseline observations (no target of this domain is still on the LKG): cannot judge` };
  }
  const x = canary.map((v) => sign * v);
  const y = baseline.map((v) => sign * v);
  const mw = mannWhitney(x, y, { alternative: 'greater' });
  const exact = mw.method === 'exact';
  const hl = hodgesLehmann(x, y, 1 - 2 * alpha, exact);
  const out: DomainJudgement = { ...base, p: mw.p, method: mw.method, shift: hl.shift, low: hl.low, high: hl.high };
  const worse = spec.direction === 'decrease' ? 'lower' : 'higher';
  const stats = `canary median ${fmt(canaryMedian)} vs baseline ${fmt(baselineMedian)} (${canary.length} vs ${baseline.length} targets${where}), shift ${fmt(hl.shift)} [${fmt(hl.low)}, ${fmt(hl.high)}], tolerance ${fmt(base.tolerance)}, p=${mw.p.toPrecision(3)} (${mw.method})`;
  // The smallest p-value these sample sizes can give (exact test): unless it is below alpha, no data can show harm.
  if (!mw.ties && x.length + y.length <= EXACT_MAX_TOTAL) {
    const pmf = exactUDistribution(x.length, y.length);
    const minP = pmf[pmf.length - 1]!;
    if (minP >= alpha) {
      return { ...out, outcome: 'marginal', reason: `metric "${metric}": too few observations to judge at alpha ${alpha} (smallest reachable p=${minP.toPrecision(3)}): ${stats}` };
    }
  }
  const significant = mw.p < alpha;
  if (significant && hl.shift > base.tolerance) {
    return { ...out, outcome: 'fail', reason: `metric "${metric}" degraded: canary ${worse} than baseline beyond tolerance: ${stats}` };
  }
  if (significant && hl.high > base.tolerance) {
    return { ...out, outcome: 'marginal', reason: `metric "${metric}": canary ${worse} than baseline, within tolerance but the interval reaches past it: ${stats}` };
  }
  if (!significant && hl.shift > base.tolerance) {
    return { ...out, outcome: 'marginal', reason: `metric "${metric}": shift beyond tolerance but not significant (too noisy to decide): ${stats}` };
  }
  return { ...out, outcome: 'pass', reason: `metric "${metric}": no harmful shift beyond tolerance: ${stats}` };
}

/**
 * Judges one metric for one stage. Canary observations are compared with baseline observations of the same domain
 * (targets without a domain form one group); the metric's outcome is the worst domain's. Non-finite observations are
 * dropped (a target without readings gives no observation; the caller decides what missing data means).
 */
export function judge(metric: string, spec: JudgeSpec, canary: readonly Observation[], baseline: readonly Observation[]): Judgement {
  const groups = new Map<string | undefined, { c: number[]; b: number[] }>();
  const group = (d: string | undefined) => {
    let g = groups.get(d);
    if (!g) groups.set(d, (g = { c: [], b: [] }));
    return g;
  };
  const self = spec.baseline === 'self';
  for (const o of canary) if (Number.isFinite(o.value)) group(self ? undefined : o.domain).c.push(o.value);
  for (const o of baseline) if (Number.isFinite(o.value)) {
    const d = self ? undefined : o.domain;
    // Baselines of domains without canaries are not needed.
    if (groups.has(d)) group(d).b.push(o.value);
  }
  const domains: DomainJudgement[] = [];
  for (const [d, g] of groups) domains.push(judgeGroup(metric, spec, g.c, g.b, d));
  if (domains.length === 0) {
    return { metric, outcome: 'marginal', reason: `metric "${metric}": no canary observations: cannot judge`, domains };
  }
  let worst = domains[0]!;
  for (const d of domains) if (RANK[d.outcome] > RANK[worst.outcome]) worst = d;
  return { metric, outcome: worst.outcome, reason: worst.reason, domains };
}
