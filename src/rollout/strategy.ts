/**
 * Stage generators (AWS AppConfig-style deployment strategies): `linear` and `exponential` growth expanded into the
 * cumulative percent stages the planner takes. PURE.
 */
import { OptionsError } from '../errors.js';
import type { StageSpec, StrategySpec } from '../types.js';
import { parseDuration } from '../units.js';

/** Most stages a strategy may expand into (a tiny step or a factor close to 1 would make hundreds). */
export const MAX_STRATEGY_STAGES = 100;

/** `10%`, `0.5 %` or a number (a percent) -> the number; `undefined` when it is neither. */
function percentOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** Round away float noise (0.1 * 3 = 0.30000000000000004) without changing a meaningful digit. */
const tidy = (n: number): number => Math.round(n * 1e6) / 1e6;

function percentField(v: unknown, field: string): number {
  const p = percentOf(v);
  if (p === undefined || !Number.isFinite(p) || p <= 0 || p > 100) {
    throw new OptionsError(`\`${field}\` must be a percent greater than 0 and at most 100, like \`10%\`, got ${JSON.stringify(v)}`);
  }
  return p;
}

/**
 * Expand a strategy into stages named after their cumulative percent (`1%`, `2%`, ... `100%`), each with the strategy's
 * `bake`; with `approval`, every stage after the first asks the approval hook.
 * - `linear: { step: 10% }`: 10, 20, ... 100 (a last step that would pass 100 stops at 100).
 * - `exponential: { from: 1%, factor: 2 }`: 1, 2, 4, 8, 16, 32, 64, 100.
 * Throws {@link OptionsError} naming the field for a bad percent or factor, both or neither growth kind, or more than
 * {@link MAX_STRATEGY_STAGES} stages.
 */
export function expandStrategy(strategy: StrategySpec, field = 'strategy'): StageSpec[] {
  if (strategy === null || typeof strategy !== 'object' || Array.isArray(strategy)) {
    throw new OptionsError(`\`${field}\` must be an object like { linear: { step: 10% }, bake: 10m }, got ${JSON.stringify(strategy)}`);
  }
  const kinds = (['linear', 'exponential'] as const).filter((k) => strategy[k] !== undefined);
  if (kinds.length !== 1) {
    throw new OptionsError(`\`${field}\` must have exactly one of \`linear\` or \`exponential\`, got ${kinds.length === 0 ? 'none' : 'both'}`);
  }
  if (strategy.bake !== undefined) parseDuration(strategy.bake, `${field}.bake`);
  if (strategy.approval !== undefined && typeof strategy.approval !== 'boolean') {
    throw new OptionsError(`\`${field}.approval\` must be a boolean, got ${JSON.stringify(strategy.approval)}`);
  }
  const percents: number[] = [];
  const push = (p: number): void => {
    if (percents.length >= MAX_STRATEGY_STAGES) {
      throw new OptionsError(`\`${field}\` expands into more than ${MAX_STRATEGY_STAGES} stages: use a larger ${kinds[0] === 'linear' ? '`step`' : '`from` or `factor`'}`);
    }
    percents.push(p);
  };
  if (strategy.linear !== undefined) {
    const step = percentField((strategy.linear as { step?: unknown } | null)?.step, `${field}.linear.step`);
    for (let k = 1; ; k++) {
      const p = tidy(k * step);
      if (p >= 100) break;
      push(p);
    }
  } else {
    const e = strategy.exponential as { from?: unknown; factor?: unknown } | null;
    const from = percentField(e?.from, `${field}.exponential.from`);
    const factor = e?.factor;
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 1) {
      throw new OptionsError(`\`${field}.exponential.factor\` must be a number greater than 1, got ${JSON.stringify(factor)}`);
    }
    for (let p = from; tidy(p) < 100; p *= factor) push(tidy(p));
  }
  push(100);
  return percents.map((percent, i) => ({
    name: `${percent}%`,
    percent,
    ...(strategy.bake === undefined ? {} : { bake: strategy.bake }),
    ...(strategy.approval && i > 0 ? { approval: true } : {}),
  }));
}
