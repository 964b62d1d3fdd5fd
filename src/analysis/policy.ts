/**
 * `rollout.analysis` of the policy: checks what the JSON Schema cannot (one provider per metric, templates, URLs,
 * JSONPath, secrets in headers, CEL conditions) and builds the runnable metrics. Conditions are compiled here, once,
 * at policy load: a bad condition is a policy error naming the metric.
 */
import { compileCel } from '../cel/index.js';
import { isSecretKey } from '../secrets.js';
import { tryParseDuration } from '../units.js';
import type { JudgeSpec } from './judge/index.js';
import type { AnalysisMetric, Condition } from './measure.js';
import { checkCommandSpec, commandProvider } from './providers/command/index.js';
import type { CommandSpec } from './providers/command/index.js';
import { checkPrometheusSpec, prometheusProvider } from './providers/prometheus/index.js';
import type { PrometheusSpec } from './providers/prometheus/index.js';
import { checkWebSpec, webProvider } from './providers/web/index.js';
import type { WebSpec } from './providers/web/index.js';
import { compileTemplate } from './template.js';
import type { Provider } from './types.js';

/** A metric as written in the policy (`rollout.analysis.metrics[]`). */
export interface MetricSpec {
  /** Unique name, used in events, results and reports. */
  name: string;
  prometheus?: PrometheusSpec;
  web?: WebSpec;
  command?: CommandSpec;
  /** CEL expression over `result` that must be true for a measurement to pass, e.g. `result <= 0.01`. */
  successCondition?: string;
  /** CEL expression over `result` that fails a measurement when true (checked before `successCondition`). */
  failureCondition?: string;
  /** What a query without data means: a failed measurement, or an inconclusive one. @default 'fail' */
  noData?: 'fail' | 'inconclusive';
  /** Failed measurements of one target tolerated per stage; one more rolls back. @default 0 */
  failureLimit?: number;
  /** Inconclusive measurements of one target tolerated per stage; one more holds the rollout. @default 0 */
  inconclusiveLimit?: number;
  /** Consecutive query errors of one target tolerated; one more fails the metric for it. @default 4 */
  consecutiveErrorLimit?: number;
  /** Time between measurements. @default rollout.health.interval */
  interval?: string | number;
  /** Wait after a target's change before measuring it. @default 0 */
  initialDelay?: string | number;
  /** Time limit of one query. @default rollout.health.timeout */
  timeout?: string | number;
  /** Most measurements per target per stage. @default unbounded */
  count?: number;
  /** Measure and report, never decide. @default false */
  dryRun?: boolean;
  /** One query per target, or one per round for the whole stage. @default 'target' */
  scope?: 'target' | 'stage';
  /** Label of a stage query's series naming the target. @default 'target' */
  targetLabel?: string;
  /** Canary judgement against a baseline at the end of each stage. */
  judge?: { baseline?: 'lkg' | 'self'; direction: 'increase' | 'decrease'; tolerance?: number | string; alpha?: number };
}

/** `rollout.analysis` as written. */
export interface AnalysisSpec {
  metrics: MetricSpec[];
  /** Per-target queries in flight at once, per metric. @default 16 */
  concurrency?: number;
}

/** `rollout.analysis` resolved: runnable metrics. */
export interface ResolvedAnalysis {
  metrics: AnalysisMetric[];
}

/** Defaults of analysis settings. */
export const ANALYSIS_DEFAULTS = { noData: 'fail', failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, concurrency: 16, targetLabel: 'target' } as const;

const PROVIDERS = ['prometheus', 'web', 'command'] as const;
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token)$/i;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parses `10%` (relative) or a number (absolute). */
function tolerance(v: number | string | undefined): JudgeSpec['tolerance'] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)%$/.exec(v.trim());
  return m ? { relative: Number(m[1]) / 100 } : undefined;
}

/**
 * Checks `rollout.analysis` (already valid against the JSON Schema) and builds the metrics. `add(pointer, message)`
 * receives every problem; returns undefined when there were any.
 */
export function resolveAnalysis(
  spec: AnalysisSpec,
  health: { intervalMs: number; timeoutMs: number },
  add: (pointer: string, message: string) => void,
): ResolvedAnalysis | undefined {
  let ok = true;
  const problem = (pointer: string, message: string) => {
    ok = false;
    add(pointer, message);
  };
  const names = new Set<string>();
  const metrics: AnalysisMetric[] = [];
  spec.metrics.forEach((m, i) => {
    const at = `/rollout/analysis/metrics/${i}`;
    const label = `metric "${m.name}"`;
    if (names.has(m.name)) problem(`${at}/name`, `${label}: the name is used twice`);
    names.add(m.name);
    const given = PROVIDERS.filter((p) => m[p] !== undefined);
    if (given.length !== 1) {
      problem(at, `${label}: give exactly one provider (prometheus, web or command), got ${given.length === 0 ? 'none' : given.join(' and ')}`);
      return;
    }
    const kind = given[0]!;
    const specProblems = kind === 'prometheus' ? checkPrometheusSpec(m.prometheus!) : kind === 'web' ? checkWebSpec(m.web!) : checkCommandSpec(m.command!);
    for (const [key, msg] of specProblems) problem(`${at}/${kind}${key ? `/${key}` : ''}`, `${label}: ${kind}${key ? `.${key}` : ''}: ${msg}`);
    const headers = kind === 'prometheus' ? m.prometheus!.headers : kind === 'web' ? m.web!.headers : undefined;
    for (const [h, v] of Object.entries(headers ?? {})) {
      if ((SECRET_HEADER.test(h) || isSecretKey(h)) && !v.startsWith('env:')) {
        problem(`${at}/${kind}/headers/${h}`, `${label}: header ${h} carries a credential: write it as \`env:NAME\` and set NAME in the environment (never a literal secret in the policy)`);
      }
      if (v.startsWith('env:') && !/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(v)) problem(`${at}/${kind}/headers/${h}`, `${label}: header ${h}: \`env:\` needs a variable name like env:PROM_TOKEN`);
    }
    const scope = m.scope ?? 'target';
    if (scope === 'stage') {
      const sources = kind === 'prometheus' ? [m.prometheus!.query] : kind === 'web' ? [m.web!.url, m.web!.body ?? ''] : [...m.command!];
      const perTarget = sources.some((s) => {
        try {
          return compileTemplate(s).usesTarget;
        } catch {
          return false;
        }
      });
      if (perTarget) problem(`${at}/scope`, `${label}: \`scope: stage\` runs one query for the whole stage, so it cannot use {{target.*}} (use {{stage.targets}})`);
    }
    if (m.targetLabel !== undefined && scope !== 'stage') problem(`${at}/targetLabel`, `${label}: \`targetLabel\` only applies with \`scope: stage\``);
    const conditions: Partial<Record<'successCondition' | 'failureCondition', Condition>> = {};
    for (const key of ['successCondition', 'failureCondition'] as const) {
      const src = m[key];
      if (src === undefined) continue;
      try {
        conditions[key] = compileCel(src, { variables: ['result'] });
      } catch (err) {
        problem(`${at}/${key}`, `${label}: \`${key}\` is not a valid CEL expression: ${(err as Error).message}`);
      }
    }
    if (m.successCondition === undefined && m.failureCondition === undefined && m.judge === undefined && m.dryRun !== true) {
      problem(at, `${label}: needs \`successCondition\`, \`failureCondition\` or \`judge\` (or \`dryRun: true\` to only measure it)`);
    }
    const ms = (key: 'interval' | 'initialDelay' | 'timeout', fallback: number, min: number): number => {
      const v = m[key];
      if (v === undefined) return fallback;
      const d = tryParseDuration(v);
      if (d === undefined || d < min) {
        problem(`${at}/${key}`, `${label}: \`${key}\` must be a duration${min > 0 ? ' greater than 0' : ''} like \`30s\`, got ${JSON.stringify(v)}`);
        return fallback;
      }
      return d;
    };
    const intervalMs = ms('interval', health.intervalMs, 1);
    const initialDelayMs = ms('initialDelay', 0, 0);
    const timeoutMs = ms('timeout', health.timeoutMs, 1);
    let judge: JudgeSpec | undefined;
    if (m.judge) {
      const tol = tolerance(m.judge.tolerance);
      if (m.judge.tolerance !== undefined && tol === undefined) problem(`${at}/judge/tolerance`, `${label}: \`judge.tolerance\` must be a number or a percentage like \`10%\`, got ${JSON.stringify(m.judge.tolerance)}`);
      judge = { baseline: m.judge.baseline ?? 'lkg', direction: m.judge.direction, alpha: m.judge.alpha ?? 0.05 };
      if (tol !== undefined) judge.tolerance = tol;
    }
    if (!ok) return;
    const targetLabel = m.targetLabel ?? ANALYSIS_DEFAULTS.targetLabel;
    const options = { timeoutMs, targetLabel };
    const provider: Provider =
      kind === 'prometheus' ? prometheusProvider(m.prometheus!, options) : kind === 'web' ? webProvider(m.web!, options) : commandProvider(m.command!, options);
    const metric: AnalysisMetric = {
      name: m.name,
      provider,
      noData: m.noData ?? ANALYSIS_DEFAULTS.noData,
      failureLimit: m.failureLimit ?? ANALYSIS_DEFAULTS.failureLimit,
      inconclusiveLimit: m.inconclusiveLimit ?? ANALYSIS_DEFAULTS.inconclusiveLimit,
      consecutiveErrorLimit: m.consecutiveErrorLimit ?? ANALYSIS_DEFAULTS.consecutiveErrorLimit,
      intervalMs,
      initialDelayMs,
      dryRun: m.dryRun ?? false,
      scope,
      targetLabel,
      concurrency: spec.concurrency ?? ANALYSIS_DEFAULTS.concurrency,
    };
    if (conditions.successCondition) metric.successCondition = conditions.successCondition;
    if (conditions.failureCondition) metric.failureCondition = conditions.failureCondition;
    if (m.count !== undefined) metric.count = m.count;
    if (judge) metric.judge = judge;
    metrics.push(metric);
  });
  return ok ? { metrics } : undefined;
}
