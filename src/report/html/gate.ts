/**
 * The gate report as one self-contained HTML page: the verdict first, then why (every finding, with the source lines
 * around its location), the score as an SVG chart of its factors, the plan, then the diff. Pure: the same report and
 * options give the same bytes. Everything from the report is escaped; values are the report's (already masked by the
 * gate); excerpts come masked from {@link reportSources}.
 */
import { RULES } from '../rules.js';
import { changeMarker, findingWhere, plural, stageText } from '../util.js';
import type { Finding, GateReport, RuleId, Severity } from '../../types.js';
import { esc, jsonPreview, num } from './escape.js';
import { chartBox, page } from './page.js';
import { MAX_LINE, type ReportSource } from './sources.js';
import { wavesTable } from './parts.js';

/** Options of the HTML gate report. */
export interface GateHtmlOptions {
  /** Masked source lines (see `reportSources`): findings with a location show the lines around it. @default none */
  sources?: readonly ReportSource[] | undefined;
  /** The policy's score thresholds, drawn on the score chart. @default taken from a `score.threshold` finding, else none */
  scoring?: { warn?: number | undefined; block?: number | undefined } | undefined;
  /** Tool version in the footer. @default none */
  toolVersion?: string | undefined;
}

/** Most changes listed (the rest are counted). */
export const MAX_CHANGES = 500;

const SEVERITY_ORDER: Record<Severity, number> = { block: 0, warn: 1, info: 2 };
const SEVERITY_WORD: Record<Severity, string> = { block: 'BLOCK', warn: 'WARN', info: 'INFO' };

function ruleTitle(report: GateReport, rule: RuleId): string | undefined {
  return (RULES as Record<string, { title: string } | undefined>)[rule]?.title ?? report.ruleInfo?.[rule]?.title;
}

/** Render the gate report. */
export function gateHtml(report: GateReport, options: GateHtmlOptions = {}): string {
  const counts = { block: 0, warn: 0, info: 0 };
  for (const f of report.findings) counts[f.severity]++;
  const summary = [
    `score ${report.score}/100`,
    counts.block > 0 ? plural(counts.block, 'blocking finding') : '',
    counts.warn > 0 ? plural(counts.warn, 'warning') : '',
    plural(report.changes.total, 'change'),
  ].filter(Boolean);
  const parts: string[] = [];
  parts.push(
    `<header class="verdict v-${esc(report.verdict)}" id="verdict"><h1 data-verdict="${esc(report.verdict)}">${esc(report.verdict.toUpperCase())}</h1>` +
      `<span class="sub">${esc(summary.join(' · '))}</span></header>`,
  );
  const meta: Array<[string, string]> = [['proposed', `<code>${esc(report.files.proposed)}</code>`]];
  if (report.files.current !== undefined) meta.push(['current (LKG)', `<code>${esc(report.files.current)}</code>`]);
  meta.push(['policy', report.files.policy !== undefined ? `<code>${esc(report.files.policy)}</code>` : 'built-in defaults']);
  meta.push(['evaluated at', `<time>${esc(report.at)}</time>`]);
  if (report.tier) meta.push(['risk tier', `${esc(report.tier.name)}${report.tier.approval ? ' (approval required)' : ''}`]);
  if (report.override) meta.push(['override', `<strong>break-glass</strong>: ${esc(report.override.reason)}`]);
  if (report.revert) meta.push(['revert', esc(report.revert.reason)]);
  parts.push(`<dl class="meta">${meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`);

  parts.push(findingsSection(report, options.sources ?? []));
  parts.push(scoreSection(report, options.scoring ?? thresholdsFrom(report.findings)));
  if (report.plan) {
    parts.push(`<section id="plan"><h2>Rollout plan: ${esc(plural(report.plan.waves.length, 'wave'))}, ${esc(plural(report.plan.totalTargets, 'target'))}</h2>${wavesTable(report.plan)}`);
    const notes = report.plan.notes;
    if (notes.length > 0) {
      parts.push(`<details><summary>${esc(plural(notes.length, 'target'))} deferred or excluded</summary><div class="scroll"><table><thead><tr><th>target</th><th>action</th><th>reason</th></tr></thead><tbody>`);
      for (const n of notes.slice(0, MAX_CHANGES)) parts.push(`<tr><td class="path">${esc(n.targetId)}</td><td>${esc(n.action)}${n.wave !== undefined ? ` to wave ${n.wave}` : ''}</td><td>${esc(n.reason)}</td></tr>`);
      parts.push('</tbody></table></div></details>');
    }
    for (const w of report.plan.warnings) parts.push(`<p class="note">${esc(w)}</p>`);
    parts.push('</section>');
  } else if (report.tier) {
    parts.push(`<section id="plan"><h2>Stages of tier ${esc(report.tier.name)}</h2><ul>${report.tier.stages.map((s) => `<li>${esc(stageText(s))}</li>`).join('')}</ul></section>`);
  }
  parts.push(changesSection(report));
  parts.push(`<footer>confgate${options.toolVersion ? ` ${esc(options.toolVersion)}` : ''} gate report · evaluated at ${esc(report.at)} · values at secret paths are shown as fingerprints</footer>`);
  const title = `confgate: ${report.verdict.toUpperCase()} ${report.files.proposed}`;
  return page(title, parts.join('\n'));
}

/** The threshold a `score.threshold` finding names (the only one the report knows without the policy). */
function thresholdsFrom(findings: readonly Finding[]): { warn?: number; block?: number } | undefined {
  const f = findings.find((x) => x.rule === 'score.threshold');
  const t = f?.detail?.['threshold'];
  if (typeof t !== 'number') return undefined;
  return f!.severity === 'block' || f!.detail?.['revert'] === true ? { block: t } : { warn: t };
}

function findingsSection(report: GateReport, sources: readonly ReportSource[]): string {
  const sorted = report.findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] || a.i - b.i);
  const byFile = new Map<string, ReportSource>();
  for (const s of sources) if (!byFile.has(s.file)) byFile.set(s.file, s);
  const out = [`<section id="findings"><h2>Why: ${esc(plural(report.findings.length, 'finding'))}</h2>`];
  if (sorted.length === 0) out.push('<p>No findings: nothing in this push breaks a rule.</p>');
  for (const { f, i } of sorted) {
    const title = ruleTitle(report, f.rule);
    const where = [findingWhere(f)].filter((w) => w !== '-');
    if (f.location && f.path !== undefined) where.push(f.path === '' ? '/' : f.path);
    out.push(
      `<article class="finding ${esc(f.severity)}" id="finding-${i + 1}" data-rule="${esc(f.rule)}" data-severity="${esc(f.severity)}">` +
        `<div><span class="badge s-${esc(f.severity)}">${SEVERITY_WORD[f.severity]}</span> <code>${esc(f.rule)}</code>${title ? ` ${esc(title)}` : ''}</div>` +
        `<p class="msg">${esc(f.message)}</p>` +
        (where.length > 0 ? `<div class="where">${where.map((w) => esc(w)).join(' · ')}</div>` : '') +
        excerpt(f, byFile) +
        `</article>`,
    );
  }
  out.push('</section>');
  return out.join('\n');
}

/** The lines around a finding's location, when the masked source has them. */
function excerpt(f: Finding, byFile: ReadonlyMap<string, ReportSource>): string {
  const loc = f.location;
  if (!loc) return '';
  const src = byFile.get(loc.file);
  if (!src) return '';
  const rows: string[] = [];
  const width = String(loc.line + 3).length;
  for (let n = Math.max(1, loc.line - 3); n <= loc.line + 3; n++) {
    const text = src.lines[String(n)];
    if (text === undefined) continue;
    const hit = n === loc.line;
    const { shown, offset } = cut(text, hit ? loc.column : 1);
    const num = `<span class="n">${String(n).padStart(width, ' ')}</span>`;
    rows.push(`<span class="l${hit ? ' hit' : ''}">${num}${esc(shown)}</span>`);
    if (hit && loc.column >= 1) {
      const pad = ' '.repeat(Math.max(0, loc.column - 1 - offset));
      rows.push(`<span class="l"><span class="n"> </span>${pad}<span class="caret">^</span></span>`);
    }
  }
  if (rows.length === 0) return '';
  return `<div class="scroll"><pre class="src" aria-label="${esc(`${loc.file} around line ${loc.line}`)}">${rows.join('')}</pre></div>`;
}

/** A line cut to {@link MAX_LINE} code units around `column` (1-based); `offset`: characters dropped at the start. */
function cut(text: string, column: number): { shown: string; offset: number } {
  if (text.length <= MAX_LINE) return { shown: text, offset: 0 };
  const start = Math.max(0, Math.min(column - 1 - 80, text.length - MAX_LINE));
  const head = start > 0 ? '…' : '';
  const body = text.slice(start, start + MAX_LINE);
  return { shown: `${head}${body}${start + MAX_LINE < text.length ? '…' : ''}`, offset: start - head.length };
}

const PALETTE = ['#1e88e5', '#e53935', '#8e24aa', '#fb8c00', '#00897b', '#6d4c41', '#3949ab', '#c0ca33', '#d81b60', '#546e7a'];

/** The score: a stacked bar of the positive factors up to 100, then one bar per factor with its points and detail. */
function scoreSection(report: GateReport, scoring: { warn?: number | undefined; block?: number | undefined } | undefined): string {
  const factors = report.factors;
  const W = 480;
  const left = 8;
  const right = W - 8;
  const scale = (p: number): number => left + ((right - left) * Math.max(0, Math.min(100, p))) / 100;
  // the score's own marker
  const mark = (s: number): string => `<line x1="${num(scale(s))}" x2="${num(scale(s))}" y1="6" y2="28" stroke="currentColor" stroke-width="2"/>`;
  const rowH = 34;
  const top = 46;
  const H = top + Math.max(1, factors.length) * rowH + 6;
  const svg: string[] = [];
  svg.push(`<svg id="score-chart" ${chartBox(W, H)} class="chart" role="img" aria-label="${esc(`risk score ${report.score} of 100 from ${plural(factors.length, 'factor')}`)}">`);
  svg.push(`<rect x="${left}" y="8" width="${right - left}" height="18" rx="3" fill="currentColor" fill-opacity="0.08"/>`);
  let x = 0;
  factors.forEach((f, i) => {
    if (f.points <= 0) return;
    const x0 = scale(x);
    x += f.points;
    const x1 = scale(x);
    if (x1 > x0) svg.push(`<rect class="stack" x="${num(x0)}" y="8" width="${num(x1 - x0)}" height="18" fill="${PALETTE[i % PALETTE.length]}"><title>${esc(`${f.id}: ${f.points}`)}</title></rect>`);
  });
  svg.push(`<text x="${left}" y="42" class="muted">0</text><text x="${right}" y="42" text-anchor="end" class="muted">100</text>`);
  if (scoring) {
    for (const [name, value, color] of [['warn', scoring.warn, 'var(--warn)'], ['block', scoring.block, 'var(--block)']] as const) {
      if (value === undefined) continue;
      const tx = scale(value);
      svg.push(`<line x1="${num(tx)}" x2="${num(tx)}" y1="4" y2="30" stroke="${color}" stroke-width="2"/><text x="${num(tx)}" y="42" text-anchor="middle" class="muted">${esc(`${name} ${value}`)}</text>`);
    }
  }
  factors.forEach((f, i) => {
    const y = top + i * rowH;
    const w = Math.abs(scale(Math.abs(f.points)) - left);
    svg.push(`<g class="factor" data-factor="${esc(f.id)}"><text x="${left}" y="${y + 11}"><tspan font-weight="600">${esc(f.id)}</tspan> ${esc(signedPoints(f.points))}</text>`);
    svg.push(`<rect x="${left}" y="${y + 16}" width="${num(Math.max(w, f.points === 0 ? 0 : 2))}" height="10" rx="2" fill="${f.points < 0 ? 'var(--allow)' : PALETTE[i % PALETTE.length]}"><title>${esc(f.detail)}</title></rect></g>`);
  });
  svg.push(mark(report.score));
  svg.push('</svg>');
  const list = factors.length
    ? `<table class="factors"><thead><tr><th>factor</th><th>points</th><th>why</th></tr></thead><tbody>${factors
        .map((f) => `<tr><td><code>${esc(f.id)}</code></td><td>${esc(signedPoints(f.points))}</td><td>${esc(f.detail)}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p>No risk factor: the score is 0.</p>';
  return `<section id="score"><h2>Risk score ${esc(report.score)}/100</h2><div class="scroll" style="max-width:640px">${svg.join('')}</div>${list}</section>`;
}

function signedPoints(p: number): string {
  return p > 0 ? `+${p}` : String(p);
}

function changesSection(report: GateReport): string {
  const c = report.changes;
  const counts = [`${c.added} added`, `${c.removed} removed`, `${c.modified} modified`];
  if (c.reordered > 0) counts.push(`${c.reordered} reordered`);
  const out = [`<section id="changes"><h2>Changes: ${esc(plural(c.total, 'change'))}</h2><p>${esc(counts.join(', '))}</p>`];
  if (c.changes.length === 0) {
    out.push(report.files.current === undefined ? '<p class="note">No current (LKG) config was given: nothing to compare with.</p>' : '<p>The proposed config is the same as the current one.</p>');
  } else {
    out.push('<div class="scroll"><table id="diff"><thead><tr><th></th><th>path</th><th>old</th><th>new</th></tr></thead><tbody>');
    for (const ch of c.changes.slice(0, MAX_CHANGES)) {
      out.push(
        `<tr class="k-${esc(ch.kind)}"><td title="${esc(ch.kind)}">${esc(changeMarker(ch.kind))}</td><td class="path">${esc(ch.path)}</td>` +
          `<td class="val">${ch.oldValue === undefined ? '' : esc(jsonPreview(ch.oldValue))}</td><td class="val">${ch.newValue === undefined ? (ch.kind === 'reordered' ? 'reordered' : '') : esc(jsonPreview(ch.newValue))}</td></tr>`,
      );
    }
    out.push('</tbody></table></div>');
    if (c.changes.length > MAX_CHANGES) out.push(`<p class="note">… and ${esc(c.changes.length - MAX_CHANGES)} more changes (see <code>--format json</code>).</p>`);
  }
  out.push('</section>');
  return out.join('\n');
}
