/** Pieces shared by the gate and rollout HTML reports. */
import type { RolloutPlan } from '../../types.js';
import { formatDuration } from '../../units.js';
import { compactList, domainsOf, plural } from '../util.js';
import { esc } from './escape.js';

/** A table of a plan's waves: name, targets, bake, approval, failure domains, first target ids. */
export function wavesTable(plan: RolloutPlan): string {
  const rows = plan.waves.map((w) => {
    const d = plan.failureDomain ? domainsOf(w.targets, plan.failureDomain) : undefined;
    const domains = d ? `${d.values.join(', ')}${d.missing ? ` (+${d.missing} without ${plan.failureDomain})` : ''}` : '';
    return (
      `<tr><td>${esc(w.index)}</td><td>${esc(w.name)}</td><td>${esc(w.targets.length)}</td><td>${w.bakeMs > 0 ? esc(formatDuration(w.bakeMs)) : '-'}</td>` +
      `<td>${w.approval ? 'yes' : ''}</td><td class="hide-narrow">${esc(domains)}</td><td class="path hide-narrow">${esc(compactList(w.targets.map((t) => t.id), 8))}</td></tr>`
    );
  });
  return (
    `<div class="scroll"><table class="waves"><thead><tr><th>#</th><th>wave</th><th>targets</th><th>bake</th><th>approval</th>` +
    `<th class="hide-narrow">${esc(plan.failureDomain ?? 'domains')}</th><th class="hide-narrow">targets</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>` +
    `<p class="note">${esc(plural(plan.totalTargets, 'target'))} in the fleet; planned at ${esc(plan.at)}.</p>`
  );
}
