/**
 * The one place that decides what a reading means (providers only measure): runs a metric's query for a set of targets
 * and turns each target's values into a {@link Measurement} with a phase, applying `noData`, `failureCondition` and
 * `successCondition`. Rounds, limits and the judge are the monitor's (src/analysis/monitor.ts).
 */
import pLimit from 'p-limit';
import type { Target } from '../types.js';
import type { JudgeSpec } from './judge/index.js';
import type { MeasurementPhase, Provider, Series } from './types.js';

/** A compiled condition over `result` (a CEL program from src/cel). */
export interface Condition {
  readonly source: string;
  evaluate(bindings: Record<string, unknown>): unknown;
}

/** A metric ready to run: provider built, conditions compiled, durations in ms. */
export interface AnalysisMetric {
  name: string;
  provider: Provider;
  /** True when the value is good; a measurement that is not `true` here is Failed. */
  successCondition?: Condition;
  /** True when the value is bad (checked first). */
  failureCondition?: Condition;
  /** What no data means. @default 'fail' */
  noData: 'fail' | 'inconclusive';
  /** Failed measurements of one target tolerated before the metric fails for it. @default 0 */
  failureLimit: number;
  /** Inconclusive measurements of one target tolerated; past it the rollout is held. @default 0 */
  inconclusiveLimit: number;
  /** Consecutive errors of one target tolerated; past it the metric fails for it (fail closed). @default 4 */
  consecutiveErrorLimit: number;
  /** Time between measurements. */
  intervalMs: number;
  /** Wait after a target's change before its first measurement. @default 0 */
  initialDelayMs: number;
  /** Most measurements per target per stage (unbounded when absent: measured until the stage ends). */
  count?: number;
  /** Measured and reported, never decides. @default false */
  dryRun: boolean;
  /** `target`: one query per target; `stage`: one query per round for the whole stage, matched by `targetLabel`. */
  scope: 'target' | 'stage';
  /** Label of a stage query's series that holds the target id. @default 'target' */
  targetLabel: string;
  /** Canary judgement at the end of each stage. */
  judge?: JudgeSpec;
  /** Concurrency of per-target queries. @default 16 */
  concurrency: number;
}

/** One measurement of one metric for one target. */
export interface Measurement {
  metric: string;
  targetId: string;
  phase: MeasurementPhase;
  /** The value (one number, or a list when the query gave several); absent with no data or an error. */
  value?: number | number[];
  /** Why it is not Successful: the condition that failed, "no data", or the error. Never contains credentials. */
  message?: string;
  /** The condition that decided, as written. */
  condition?: string;
  /** Whether the metric is dry-run (this measurement decides nothing). */
  dryRun?: boolean;
}


/**
 * Classifies one target's values. `values` undefined or empty = no data; `error` = the query failed.
 * A condition that throws or does not return a boolean makes the measurement an Error (never a pass).
 */
export function classify(metric: AnalysisMetric, targetId: string, values: readonly number[] | undefined, error?: string): Measurement {
  const m: Measurement = { metric: metric.name, targetId, phase: 'Successful' };
  if (metric.dryRun) m.dryRun = true;
  if (error !== undefined) return { ...m, phase: 'Error', message: error };
  if (!values || values.length === 0) {
    return { ...m, phase: metric.noData === 'inconclusive' ? 'Inconclusive' : 'Failed', message: 'no data' };
  }
  const result = values.length === 1 ? values[0]! : [...values];
  m.value = result;
  const check = (c: Condition, failWhen: boolean): Measurement | undefined => {
    let out: unknown;
    try {
      out = c.evaluate({ result });
    } catch (err) {
      return { ...m, phase: 'Error', condition: c.source, message: `condition \`${c.source}\` could not be evaluated: ${(err as Error).message}` };
    }
    if (typeof out !== 'boolean') return { ...m, phase: 'Error', condition: c.source, message: `condition \`${c.source}\` did not give true or false` };
    if (out === failWhen) {
      return { ...m, phase: 'Failed', condition: c.source, message: failWhen ? `failureCondition \`${c.source}\` is true` : `successCondition \`${c.source}\` is false` };
    }
    return undefined;
  };
  if (metric.failureCondition) {
    const r = check(metric.failureCondition, true);
    if (r) return r;
  }
  if (metric.successCondition) {
    const r = check(metric.successCondition, false);
    if (r) return r;
    m.condition = metric.successCondition.source;
  }
  return m;
}

/** Values of the series that belong to a target (`labels[targetLabel] === id`). */
function indexByTarget(series: readonly Series[], label: string): Map<string, number[]> {
  const by = new Map<string, number[]>();
  for (const s of series) {
    const id = s.labels[label];
    if (id === undefined) continue;
    const list = by.get(id);
    if (list) list.push(s.value);
    else by.set(id, [s.value]);
  }
  return by;
}

/** What {@link measure} needs. */
export interface MeasureContext {
  /** The targets to measure. */
  targets: readonly Target[];
  /** The stage: its name and all its targets (for `{{stage.targets}}`). */
  stage: { name: string; targets: readonly Target[] };
  signal: AbortSignal;
  /** Environment for `env:NAME` headers. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * One round of a metric: a query per target (`scope: target`, at most `metric.concurrency` at a time) or one query for
 * the stage (`scope: stage`), then one {@link Measurement} per target. Never throws for a failed query (that is an
 * Error measurement); throws only when `signal` is aborted.
 */
export async function measure(metric: AnalysisMetric, ctx: MeasureContext): Promise<Measurement[]> {
  ctx.signal.throwIfAborted();
  const base = { stage: ctx.stage, signal: ctx.signal, ...(ctx.env ? { env: ctx.env } : {}) };
  if (metric.scope === 'stage') {
    let by: Map<string, number[]> | undefined;
    let error: string | undefined;
    try {
      by = indexByTarget((await metric.provider.query(base)).series, metric.targetLabel);
    } catch (err) {
      ctx.signal.throwIfAborted();
      error = errorText(err);
    }
    const out = new Array<Measurement>(ctx.targets.length);
    for (let i = 0; i < ctx.targets.length; i++) {
      const id = ctx.targets[i]!.id;
      out[i] = classify(metric, id, by?.get(id), error);
    }
    return out;
  }
  const limit = pLimit(metric.concurrency);
  return Promise.all(
    ctx.targets.map((target) =>
      limit(async () => {
        try {
          const r = await metric.provider.query({ ...base, target });
          return classify(metric, target.id, r.series.map((s) => s.value));
        } catch (err) {
          ctx.signal.throwIfAborted();
          return classify(metric, target.id, undefined, errorText(err));
        }
      }),
    ),
  );
}
