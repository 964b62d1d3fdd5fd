/** JSON formatters: fixed key order, 2-space indent, trailing newline, byte-identical for equal inputs. */
import type { ChangeSummary, GateReport, RolloutPlan } from '../types.js';
import { jsonText, orderedChanges, orderedFactor, orderedFinding, orderedPlan, orderedStage } from './util.js';

/** The report as a plain object with keys in the fixed order of the CLI contract. */
export function reportObject(r: GateReport): GateReport {
  return {
    verdict: r.verdict,
    score: r.score,
    findings: r.findings.map(orderedFinding),
    factors: r.factors.map(orderedFactor),
    changes: orderedChanges(r.changes),
    tier: r.tier ? { name: r.tier.name, stages: r.tier.stages.map(orderedStage), approval: r.tier.approval } : undefined,
    plan: r.plan ? orderedPlan(r.plan) : undefined,
    override: r.override ? { reason: r.override.reason, at: r.override.at } : undefined,
    revert: r.revert ? { reason: r.revert.reason, at: r.revert.at } : undefined,
    at: r.at,
    files: {
      proposed: r.files.proposed,
      current: r.files.current,
      policy: r.files.policy,
      set: r.files.set ? { proposed: [...r.files.set.proposed], current: r.files.set.current ? [...r.files.set.current] : undefined } : undefined,
    },
  };
}

/** JSON text of a gate report. */
export function reportJson(r: GateReport): string {
  return jsonText(reportObject(r));
}

/** JSON text of a change summary. */
export function changesJson(c: ChangeSummary): string {
  return jsonText(orderedChanges(c));
}

/** JSON text of a rollout plan. */
export function planJson(p: RolloutPlan): string {
  return jsonText(orderedPlan(p));
}
