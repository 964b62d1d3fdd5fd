/** Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`. */
import type { Finding, GateReport } from '../types.js';
import { formatDuration } from '../units.js';
import { changeCountsText, changeMarker, changeWhere, findingWhere, plural, safeText, scoreText, signed, stageText } from './util.js';

/** Changed paths listed in the collapsible list before "... and N more". */
const MARKDOWN_CHANGE_ROWS = 200;

/** Text in a table cell or paragraph: HTML-significant characters as entities, `|` escaped, newlines as `<br>`. */
export function mdText(s: string): string {
  return safeText(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\\/g, '\\\\')
    .replace(/([`*_~[\]|])/g, '\\$1')
    .replace(/\r?\n/g, '<br>');
}

/** A code span that survives backticks in the content; `|` escaped so it is safe in a table cell. */
export function mdCode(s: string): string {
  const one = safeText(s, true); // `##[` comes out as `##\[`: inside a code span a visible escape
  const longest = Math.max(0, ...(one.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') || one === '' ? ' ' : '';
  return `${fence}${pad}${one.replace(/\|/g, '\\|')}${pad}${fence}`;
}

function where(f: Finding): string {
  const w = findingWhere(f);
  return w === '-' ? '-' : mdCode(w);
}

/** Markdown form of a gate report. */
export function reportMarkdown(r: GateReport): string {
  const out: string[] = [];
  out.push(`## confgate: ${r.verdict.toUpperCase()} (score ${scoreText(r.score)})`);
  out.push('');
  const files = [`proposed ${mdCode(r.files.proposed)}`];
  if (r.files.current !== undefined) files.push(`current ${mdCode(r.files.current)}`);
  files.push(r.files.policy !== undefined ? `policy ${mdCode(r.files.policy)}` : 'policy defaults');
  out.push(`${files.join(', ')}; evaluated at ${mdCode(r.at)}`);
  out.push('');

  out.push(`### Findings (${r.findings.length})`);
  out.push('');
  if (r.findings.length === 0) {
    out.push('No findings.');
  } else {
    out.push('| Severity | Rule | Location | Message |');
    out.push('| --- | --- | --- | --- |');
    for (const f of r.findings) {
      const sev = f.severity === 'block' ? '**block**' : f.severity;
      out.push(`| ${sev} | ${mdCode(f.rule)} | ${where(f)} | ${mdText(f.message)} |`);
    }
  }
  out.push('');

  out.push('### Score');
  out.push('');
  if (r.factors.length === 0) {
    out.push(`Score ${scoreText(r.score)}; no risk factors.`);
  } else {
    out.push('| Points | Factor | Detail |');
    out.push('| ---: | --- | --- |');
    for (const f of r.factors) out.push(`| ${signed(f.points)} | ${mdCode(f.id)} | ${mdText(f.detail)} |`);
    out.push(`| **${r.score}** | | **score (out of 100)** |`);
  }
  out.push('');

  if (r.tier || r.override || r.revert) {
    if (r.tier) {
      const stages = r.tier.stages.map((s) => mdText(stageText(s))).join(' → ');
      out.push(`**Tier:** ${mdText(r.tier.name)}${r.tier.approval ? ' (approval required)' : ''}${stages ? ` — ${stages}` : ''}`);
      out.push('');
    }
    if (r.override) {
      out.push(`**Override used** at ${mdCode(r.override.at)}: ${mdText(r.override.reason)}`);
      out.push('');
    }
    if (r.revert) {
      out.push(`**Revert** at ${mdCode(r.revert.at)}: ${mdText(r.revert.reason)}`);
      out.push('');
    }
  }

  out.push('### Changes');
  out.push('');
  const c = r.changes;
  if (c.total === 0 && c.changes.length === 0) {
    out.push('No changes.');
  } else {
    out.push(`${changeCountsText(c)}`);
    if (c.changes.length > 0) {
      out.push('');
      out.push('<details>');
      out.push(`<summary>Changed paths (${c.changes.length})</summary>`);
      out.push('');
      out.push('| Change | Path |');
      out.push('| --- | --- |');
      for (const ch of c.changes.slice(0, MARKDOWN_CHANGE_ROWS)) out.push(`| ${mdCode(changeMarker(ch.kind))} ${ch.kind} | ${mdCode(changeWhere(ch))} |`);
      if (c.changes.length > MARKDOWN_CHANGE_ROWS) out.push(`| | ... and ${c.changes.length - MARKDOWN_CHANGE_ROWS} more |`);
      out.push('');
      out.push('</details>');
    }
  }

  if (r.plan) {
    const pl = r.plan;
    const placed = pl.waves.reduce((n, w) => n + w.targets.length, 0);
    out.push('');
    out.push('### Rollout plan');
    out.push('');
    out.push(`${plural(pl.waves.length, 'wave')}, ${placed} of ${plural(pl.totalTargets, 'target')} placed.`);
    if (pl.waves.length > 0) {
      out.push('');
      out.push('| # | Wave | Targets | Bake | Approval |');
      out.push('| ---: | --- | ---: | ---: | --- |');
      pl.waves.forEach((w, i) => out.push(`| ${i + 1} | ${mdText(w.name)} | ${w.targets.length} | ${formatDuration(w.bakeMs)} | ${w.approval ? 'yes' : 'no'} |`));
    }
    if (pl.notes.length + pl.warnings.length > 0) out.push('');
    for (const n of pl.notes) out.push(`- ${n.action} ${mdCode(n.targetId)}: ${mdText(n.reason)}`);
    for (const w of pl.warnings) out.push(`- warning: ${mdText(w)}`);
  }
  return `${out.join('\n')}\n`;
}
