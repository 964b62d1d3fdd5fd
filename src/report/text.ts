/** Plain-text formatters for people (terminals, CI logs). */
import type { ChangeSummary, Finding, GateReport, RolloutPlan, Verdict } from '../types.js';
import { formatDuration } from '../units.js';
import {
  changeCountsText,
  changeWhere,
  changeMarker,
  compactList,
  compactValue,
  domainsOf,
  findingWhere,
  paintSeverity,
  painter,
  plural,
  safeText,
  scoreText,
  signed,
  stageText,
  type Painter,
} from './util.js';

/** How many changed paths the report's change summary lists. */
const REPORT_CHANGE_LINES = 20;
/** Widest location/rule column before alignment stops padding. */
const MAX_COLUMN = 48;

function verdictWord(p: Painter, v: Verdict): string {
  const word = v.toUpperCase();
  return p.bold(v === 'block' ? p.red(word) : v === 'warn' ? p.yellow(word) : p.green(word));
}

/**
 * Continuation lines of a multi-line message (its newlines may come from config data) are indented under the
 * message and marked with `| `: each stays part of its finding, and none can start with `::` (a CI runner trims
 * the indentation and would execute a line starting with a workflow command).
 */
function markContinuation(s: string, indent: string): string {
  return s.replace(/\n/g, `\n${indent}| `);
}

function findingLines(p: Painter, findings: readonly Finding[]): string[] {
  const rows = findings.map((f) => ({ f, where: safeText(findingWhere(f), true), rule: safeText(f.rule, true) }));
  const whereWidth = Math.min(MAX_COLUMN, Math.max(0, ...rows.map((r) => r.where.length)));
  const ruleWidth = Math.min(MAX_COLUMN, Math.max(0, ...rows.map((r) => r.rule.length)));
  const indent = ' '.repeat(2 + 5 + 2 + whereWidth + 2 + ruleWidth + 2);
  return rows.map(({ f, where, rule }) => {
    const marker = paintSeverity(p, f.severity, f.severity.padEnd(5));
    const message = markContinuation(safeText(f.message), indent);
    return `  ${marker}  ${where.padEnd(whereWidth)}  ${rule.padEnd(ruleWidth)}  ${message}`;
  });
}

/** The change summary block shared by the report. */
function changeSummaryLines(p: Painter, c: ChangeSummary, max: number): string[] {
  if (c.total === 0 && c.changes.length === 0) return ['No changes.'];
  const lines = [`${changeCountsText(c)}`];
  for (const ch of c.changes.slice(0, max)) lines.push(`  ${paintChange(p, ch.kind, changeMarker(ch.kind))} ${safeText(changeWhere(ch), true)}`);
  if (c.changes.length > max) lines.push(`  ... and ${c.changes.length - max} more`);
  return lines;
}

function paintChange(p: Painter, kind: string, s: string): string {
  return kind === 'added' ? p.green(s) : kind === 'removed' ? p.red(s) : kind === 'modified' ? p.yellow(s) : p.cyan(s);
}

/** Text form of a gate report: verdict, findings, factors, tier/override, change summary. */
export function reportText(report: GateReport, color: boolean): string {
  const p = painter(color);
  const out: string[] = [];
  out.push(`${verdictWord(p, report.verdict)}  score ${scoreText(report.score)}`);
  const files = [`proposed ${report.files.proposed}`];
  if (report.files.current !== undefined) files.push(`current ${report.files.current}`);
  files.push(`policy ${report.files.policy ?? 'defaults'}`);
  out.push(p.dim(safeText(`${files.join(', ')}; at ${report.at}`, true)));
  out.push('');

  if (report.findings.length === 0) {
    out.push('No findings.');
  } else {
    const counts = (['block', 'warn', 'info'] as const)
      .map((s) => [s, report.findings.filter((f) => f.severity === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`);
    out.push(`${plural(report.findings.length, 'finding')} (${counts.join(', ')}):`);
    out.push(...findingLines(p, report.findings));
  }

  if (report.factors.length > 0) {
    out.push('');
    out.push('Score factors:');
    const pts = report.factors.map((f) => signed(f.points));
    const pw = Math.max(...pts.map((s) => s.length));
    const iw = Math.min(MAX_COLUMN, Math.max(...report.factors.map((f) => safeText(f.id, true).length)));
    report.factors.forEach((f, i) => {
      out.push(`  ${pts[i]!.padStart(pw)}  ${safeText(f.id, true).padEnd(iw)}  ${safeText(f.detail, true)}`);
    });
  }

  if (report.tier || report.override || report.revert) out.push('');
  if (report.tier) {
    const t = report.tier;
    const stages = t.stages.map((s) => safeText(stageText(s), true)).join(' -> ');
    out.push(`Tier: ${safeText(t.name, true)}${t.approval ? ' (approval required)' : ''}${stages ? `: ${stages}` : ''}`);
  }
  if (report.override) {
    out.push(p.yellow(`Override: ${safeText(JSON.stringify(report.override.reason), true)} at ${safeText(report.override.at, true)}`));
  }
  if (report.revert) {
    out.push(p.yellow(`Revert: ${safeText(JSON.stringify(report.revert.reason), true)} at ${safeText(report.revert.at, true)}`));
  }

  out.push('');
  out.push(...changeSummaryLines(p, report.changes, REPORT_CHANGE_LINES));

  if (report.plan) {
    const pl = report.plan;
    const placed = pl.waves.reduce((n, w) => n + w.targets.length, 0);
    out.push('');
    out.push(`Plan: ${plural(pl.waves.length, 'wave')}, ${placed} of ${plural(pl.totalTargets, 'target')} placed` +
      (pl.notes.length > 0 ? `, ${plural(pl.notes.length, 'note')}` : '') +
      (pl.warnings.length > 0 ? `, ${plural(pl.warnings.length, 'warning')}` : ''));
  }
  return `${out.join('\n')}\n`;
}

/** Text form of a change list: one line per change, then the counts. */
export function changesText(changes: ChangeSummary, color: boolean): string {
  const p = painter(color);
  if (changes.changes.length === 0 && changes.total === 0) return 'No changes.\n';
  const out: string[] = [];
  for (const c of changes.changes) {
    const marker = paintChange(p, c.kind, changeMarker(c.kind));
    const path = safeText(changeWhere(c), true);
    switch (c.kind) {
      case 'modified':
        out.push(`${marker} ${path}: ${safeText(compactValue(c.oldValue), true)} -> ${safeText(compactValue(c.newValue), true)}`);
        break;
      case 'added':
        out.push(`${marker} ${path}: ${safeText(compactValue(c.newValue), true)}`);
        break;
      case 'removed':
        out.push(`${marker} ${path}`);
        break;
      case 'reordered':
        out.push(`${marker} ${path} reordered`);
        break;
    }
  }
  out.push('');
  out.push(changeCountsText(changes));
  return `${out.join('\n')}\n`;
}

/** How many target ids a wave lists before `+N more`. */
const PLAN_TARGET_IDS = 10;

/** Text form of a rollout plan: waves, notes, warnings. */
export function planText(plan: RolloutPlan, color: boolean): string {
  const p = painter(color);
  const out: string[] = [];
  const placed = plan.waves.reduce((n, w) => n + w.targets.length, 0);
  out.push(
    p.bold(`Rollout plan: ${plural(plan.waves.length, 'wave')}, ${placed} of ${plural(plan.totalTargets, 'target')}`) +
      (plan.failureDomain !== undefined ? `, failure domain ${safeText(plan.failureDomain, true)}` : ''),
  );
  out.push(p.dim(`at ${safeText(plan.at, true)}`));
  plan.waves.forEach((w, i) => {
    out.push('');
    const parts = [`${i + 1}. ${safeText(w.name, true)}`, plural(w.targets.length, 'target'), `bake ${formatDuration(w.bakeMs)}`];
    if (w.approval) parts.push(p.yellow('approval required'));
    out.push(parts.join('  '));
    if (plan.failureDomain !== undefined) {
      const d = domainsOf(w.targets, plan.failureDomain);
      const fd = safeText(plan.failureDomain, true);
      let line = `   ${fd}: ${d.values.length} (${safeText(compactList(d.values, 5), true)})`;
      if (d.values.length === 0) line = `   ${fd}: 0`;
      if (d.missing > 0) line += `, ${d.missing} without ${fd}`;
      out.push(line);
    }
    if (w.targets.length > 0) out.push(`   targets: ${safeText(compactList(w.targets.map((t) => t.id), PLAN_TARGET_IDS), true)}`);
  });

  const deferred = plan.notes.filter((n) => n.action === 'deferred');
  const excluded = plan.notes.filter((n) => n.action === 'excluded');
  const waveName = (index: number | undefined): string => {
    if (index === undefined) return 'a later wave';
    const pos = plan.waves.findIndex((w) => w.index === index);
    return pos >= 0 ? `wave ${pos + 1} (${safeText(plan.waves[pos]!.name, true)})` : `wave index ${index}`;
  };
  if (deferred.length > 0) {
    out.push('');
    out.push(`Deferred (${deferred.length}):`);
    for (const n of deferred) out.push(`  ${safeText(n.targetId, true)} -> ${waveName(n.wave)}: ${safeText(n.reason, true)}`);
  }
  if (excluded.length > 0) {
    out.push('');
    out.push(`Excluded (${excluded.length}):`);
    for (const n of excluded) out.push(`  ${safeText(n.targetId, true)}: ${safeText(n.reason, true)}`);
  }
  if (plan.warnings.length > 0) {
    out.push('');
    out.push(p.yellow(`Warnings (${plan.warnings.length}):`));
    for (const w of plan.warnings) out.push(`  ${safeText(w, true)}`);
  }
  return `${out.join('\n')}\n`;
}
