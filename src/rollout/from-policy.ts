/** The bridge from a resolved policy to `runRollout`'s options: what the CLI does, for scripts to do the same. */
import type { ResolvedPolicy } from '../policy/types.js';
import type { WindowSpec } from '../types.js';
import type { HealthOptions, RolloutAnalysis } from './types.js';

/** What a resolved policy decides of `runRollout`'s options; spread it into the options you pass. */
export interface PolicyRolloutOptions {
  /** From the policy's `rollout.health` (`interval`, `timeout`, `failureLimit`, `successes`), durations in milliseconds. */
  healthOptions: HealthOptions;
  /** The policy's windows (its own and imported ones): the engine re-checks them before each stage. */
  windows: WindowSpec[];
  /** `rollout.onApprovalDenied`, when the policy sets it. @default absent (the engine's default, `'hold'`) */
  onApprovalDenied?: 'hold' | 'rollback';
  /**
   * The policy's metrics (`rollout.analysis`), when it declares any: measured on every changed target, judge metrics
   * judged at the end of every stage. Absent when the policy has no `rollout.analysis`.
   */
  analysis?: RolloutAnalysis;
}

/**
 * The options a resolved policy gives `runRollout`: `healthOptions` from `rollout.health`, the policy's `windows`,
 * `onApprovalDenied` (when set) and its metrics (`analysis`, from `rollout.analysis`), exactly as the CLI builds them.
 * Spread it: `runRollout({ ...rolloutOptionsFromPolicy(policy), plan, proposed, lkg,
 * apply, rollback })`. The resolved policy's own `rollout.health` block (`intervalMs`, `timeoutMs`...) is NOT a
 * `HealthOptions`: the types reject passing it as one, and `runRollout` warns about the unknown keys at run time.
 */
export function rolloutOptionsFromPolicy(policy: ResolvedPolicy): PolicyRolloutOptions {
  const h = policy.rollout.health;
  const out: PolicyRolloutOptions = {
    healthOptions: { interval: h.intervalMs, timeout: h.timeoutMs, failureLimit: h.failureLimit, successes: h.successes },
    windows: policy.windows.map((w) => ({ ...w })),
  };
  if (policy.rollout.onApprovalDenied !== undefined) out.onApprovalDenied = policy.rollout.onApprovalDenied;
  if (policy.rollout.analysis) out.analysis = { metrics: policy.rollout.analysis.metrics };
  return out;
}
