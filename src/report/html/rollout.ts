/**
 * The rollout report as one self-contained HTML page: the status first (and why), then a timeline of the waves on a
 * real time axis (approval waits, apply, bake, holds, rollback, operator commands), a grid of the targets by wave and
 * state, each analysis metric's measurements per stage against its condition, the judge's verdicts and samples, the
 * operator commands and the audit fields. Pure: the same input gives the same bytes (nothing reads the clock).
 */
import { formatDuration } from '../../units.js';
import { plural } from '../util.js';
import { esc, num, safeHref } from './escape.js';
import { chartBox, page } from './page.js';
import { wavesTable } from './parts.js';
import { buildRolloutModel, type MeasurementRow, type RolloutModel, type RolloutReportInput } from './rollout-model.js';

export type { RolloutReportInput, TimedRolloutEvent } from './rollout-model.js';

/** Options of {@link formatRolloutReport}. */
export interface RolloutReportOptions {
  /**
   * Applied to every text taken from the rollout (ids, reasons, errors, notes, commands) before it is escaped: pass a
   * masker's `text` (`createMasker(policy, docs).text`) so that secrets quoted in hook errors never reach the page.
   * @default identity
   */
  mask?: ((text: string) => string) | undefined;
  /** Tool version in the footer. @default none */
  toolVersion?: string | undefined;
  /** Page title. @default `confgate rollout <id>: <STATUS>` */
  title?: string | undefined;
}

/** Most targets listed by name in the table of targets needing attention. */
const MAX_LISTED = 200;
/** Most points drawn per metric chart (the rest are counted in its table). */
const MAX_POINTS = 2000;

const STATE_ORDER = ['healthy', 'applied', 'applying', 'pending', 'skipped', 'rolling-back', 'rolled-back', 'failed', 'apply-timed-out', 'rollback-failed'];
const PHASE_COLOR: Record<string, string> = { Successful: 'var(--allow)', Failed: 'var(--block)', Inconclusive: 'var(--hold)', Error: '#757575' };

/**
 * Render a rollout (from its journal records, its result and/or its timed events) as a self-contained HTML page.
 * Records give the durable times; events add the apply/bake split, health metrics, measurements and judgements.
 */
export function formatRolloutReport(input: RolloutReportInput, options: RolloutReportOptions = {}): string {
  const m = buildRolloutModel(input);
  const mask = options.mask ?? ((s: string) => s);
  const t = (s: unknown): string => esc(mask(s === undefined || s === null ? '' : String(s)));
  const parts: string[] = [];
  const dur = m.start !== undefined && m.end !== undefined ? ` · ${formatDuration(Math.max(0, m.end - m.start))}` : '';
  parts.push(
    `<header class="verdict v-${esc(m.status)}" id="verdict"><h1 data-status="${esc(m.status)}">${esc(m.status.toUpperCase())}</h1>` +
      `<span class="sub">rollout ${t(m.id)}${esc(dur)}${m.resumed ? ' · resumed' : ''}</span>` +
      (m.reason ? `<span class="sub" id="reason" style="flex-basis:100%">${t(m.reason)}</span>` : '') +
      `</header>`,
  );
  const meta: Array<[string, string]> = [];
  if (m.start !== undefined) meta.push(['started', `<time>${esc(iso(m.start))}</time>`]);
  if (m.end !== undefined) meta.push([m.finished ? 'finished' : 'last seen', `<time>${esc(iso(m.end))}</time>`]);
  meta.push(['targets', esc(`${m.waves.reduce((n, w) => n + w.targets.length, 0)} in ${plural(m.waves.length, 'wave')}`)]);
  if (m.audit) {
    meta.push(['actor', t(m.audit.actor)]);
    if (m.audit.reason !== undefined) meta.push(['why', t(m.audit.reason)]);
    if (m.audit.commit !== undefined) meta.push(['commit', `<code>${t(m.audit.commit)}</code>`]);
    if (m.audit.ciUrl !== undefined) {
      const href = safeHref(mask(m.audit.ciUrl));
      meta.push(['CI run', href ? `<a href="${href}" rel="noreferrer noopener">${t(m.audit.ciUrl)}</a>` : t(m.audit.ciUrl)]);
    }
  }
  const gate = m.gate ?? (m.audit?.verdict !== undefined ? { verdict: m.audit.verdict, score: m.audit.score } : undefined);
  if (gate) meta.push(['gate', esc(`${gate.verdict}${gate.score !== undefined ? `, score ${gate.score}/100` : ''}`)]);
  parts.push(`<dl class="meta">${meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`);
  for (const n of m.notes) parts.push(`<p class="note">${t(n)}</p>`);
  const open = m.holds.find((h) => h.to === undefined);
  if (open && !m.finished) {
    parts.push(`<p class="finding warn" id="hold"><strong>Held</strong> at wave ${esc(open.stage)} since ${esc(iso(open.from))} (${t(open.kind)}): ${t(open.reason)}. Decide with <code>confgate control continue|promote|abort</code>.</p>`);
  }

  parts.push(timelineSection(m, t));
  parts.push(targetsSection(m, t));
  parts.push(stagesSection(m, t));
  parts.push(analysisSection(m, t));
  parts.push(commandsSection(m, t));
  if (m.errors.length > 0) {
    parts.push(`<section id="errors"><h2>Errors: ${esc(m.errors.length)}</h2><div class="scroll"><table><thead><tr><th>phase</th><th>target</th><th>error</th></tr></thead><tbody>`);
    for (const e of m.errors.slice(0, MAX_LISTED)) parts.push(`<tr><td>${esc(e.phase)}</td><td class="path">${t(e.targetId ?? '')}</td><td class="val">${t(e.message)}</td></tr>`);
    parts.push('</tbody></table></div></section>');
  }
  if (m.plan) parts.push(`<section id="plan"><h2>Plan</h2>${wavesTable(m.plan)}</section>`);
  parts.push(`<footer>confgate${options.toolVersion ? ` ${esc(options.toolVersion)}` : ''} rollout report · times in UTC · ${esc(sourceNote(m))}</footer>`);
  return page(options.title ?? `confgate rollout ${mask(m.id)}: ${m.status.toUpperCase()}`, parts.join('\n'));
}

function sourceNote(m: RolloutModel): string {
  if (m.timeSource === 'journal') return m.hasEvents ? 'times from the journal and the progress events' : 'times from the journal (apply and bake are one bar: the journal does not record when a bake starts)';
  if (m.timeSource === 'events') return 'times from the progress events';
  return 'no times known';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/* ------------------------------------------------------------------ timeline */

const TICKS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800].map((s) => s * 1000);

function tickStep(span: number, maxTicks: number): number {
  for (const s of TICKS) if (span / s <= maxTicks) return s;
  return TICKS[TICKS.length - 1]!;
}

function clock(ms: number, step: number): string {
  const d = new Date(ms).toISOString();
  if (step >= 86400000) return d.slice(5, 10);
  if (step >= 60000) return d.slice(11, 16);
  if (step < 1000) return d.slice(11, 23);
  return d.slice(11, 19);
}

function timelineSection(m: RolloutModel, t: (s: unknown) => string): string {
  const head = `<section id="timeline"><h2>Timeline</h2>`;
  if (m.start === undefined || m.end === undefined || m.waves.length === 0) {
    return `${head}<p class="note">No times are known for this rollout (give its journal records or its timed events).</p></section>`;
  }
  const t0 = m.start;
  let t1 = Math.max(m.end, t0 + 1000);
  for (const s of m.stages.values()) for (const v of [s.end, s.answeredAt]) if (v !== undefined) t1 = Math.max(t1, v);
  const W = 960;
  const gutter = 130;
  const right = W - 12;
  const rowH = 30;
  const top = 26;
  const rows = m.waves.length + (m.rollback ? 1 : 0);
  const axisY = top + rows * rowH + 6;
  const H = axisY + 34;
  const x = (ms: number): number => gutter + ((right - gutter) * (ms - t0)) / (t1 - t0);
  const seg = (cls: string, from: number, to: number, y: number, label: string, fill: string, extra = '', h = rowH - 10): string => {
    const x0 = x(from);
    const w = Math.max(2, x(to) - x0);
    return `<rect class="seg ${cls}" x="${num(x0)}" y="${num(y)}" width="${num(w)}" height="${h}" rx="2" fill="${fill}"${extra}><title>${t(`${label}: ${iso(from).slice(11, 19)} → ${iso(to).slice(11, 19)} (${formatDuration(Math.max(0, to - from))})`)}</title></rect>`;
  };
  const out: string[] = [];
  out.push(`<svg id="timeline-chart" class="chart" ${chartBox(W, H)} role="img" aria-label="${esc(`timeline of ${plural(m.waves.length, 'wave')}`)}">`);
  out.push(`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="var(--wait)"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-opacity=".6" stroke-width="2"/></pattern></defs>`);
  // grid and axis
  const step = tickStep(t1 - t0, 8);
  const first = Math.ceil(t0 / step) * step;
  for (let v = first; v <= t1; v += step) {
    const xv = x(v);
    out.push(`<line x1="${num(xv)}" x2="${num(xv)}" y1="${top - 4}" y2="${axisY}" stroke="currentColor" stroke-opacity=".12"/><text x="${num(xv)}" y="${axisY + 16}" text-anchor="middle" class="muted">${esc(clock(v, step))}</text>`);
  }
  out.push(`<line x1="${gutter}" x2="${right}" y1="${axisY}" y2="${axisY}" stroke="currentColor" stroke-opacity=".4"/>`);
  out.push(`<text x="${gutter}" y="${axisY + 30}" class="muted">${esc(`${iso(t0).slice(0, 10)} UTC · ${formatDuration(t1 - t0)}`)}</text>`);
  m.waves.forEach((w, i) => {
    const y = top + i * rowH;
    const s = m.stages.get(w.index) ?? {};
    const g: string[] = [`<g class="band" data-wave="${esc(w.index)}" data-outcome="${esc(s.outcome ?? (s.start !== undefined ? 'running' : 'not-started'))}">`];
    g.push(`<text x="4" y="${y + 15}">${t(truncate(w.name, 16))}</text><text x="${gutter - 6}" y="${y + 15}" text-anchor="end" class="muted">${esc(w.targets.length)}</text>`);
    g.push(`<rect x="${gutter}" y="${y + 3}" width="${right - gutter}" height="${rowH - 6}" fill="currentColor" fill-opacity="${i % 2 ? '0.03' : '0.06'}"/>`);
    if (s.waitFrom !== undefined && s.answeredAt !== undefined && s.answeredAt >= s.waitFrom) {
      g.push(seg('wait', s.waitFrom, s.answeredAt, y + 5, `approval ${s.approved ? 'granted' : 'denied'}`, 'url(#hatch)'));
    }
    if (s.start !== undefined) {
      const end = s.end ?? (m.rollback?.from ?? t1);
      if (s.applyEnd !== undefined) {
        g.push(seg('apply', s.start, s.applyEnd, y + 5, 'apply', 'var(--apply)'));
        if (end > s.applyEnd) g.push(seg('bake', s.applyEnd, end, y + 5, w.bakeMs > 0 ? `bake (${formatDuration(w.bakeMs)} planned) and health` : 'health', 'var(--bake)'));
      } else {
        g.push(seg('apply-bake', s.start, end, y + 5, 'apply, bake and health', 'var(--apply)', ' fill-opacity=".7"'));
      }
      if (s.outcome === 'failed') {
        // a cross at the end of a failed stage (its reason is in the header and the stages table)
        g.push(`<text class="fail-mark" x="${num(x(end) + 3)}" y="${y + 17}" style="fill:var(--block);font-weight:700">✕<title>${t(s.reason ?? 'failed')}</title></text>`);
      }
    }
    for (const h of m.holds.filter((hh) => hh.stage === w.index)) {
      g.push(seg('hold', h.from, h.to ?? t1, y + 9, `hold (${h.kind}): ${h.reason}${h.by ? `; released by ${h.by}` : ''}`, 'var(--hold)', ' fill-opacity=".85"', 12));
    }
    g.push('</g>');
    out.push(g.join(''));
  });
  if (m.rollback) {
    const y = top + m.waves.length * rowH;
    out.push(`<g class="rollback-band"><text x="4" y="${y + 15}" style="fill:var(--block)">rollback</text>${seg('rollback', m.rollback.from, m.rollback.to ?? t1, y + 5, `rollback: ${m.rollback.reason}`, 'var(--rb)')}</g>`);
  }
  for (const c of m.commands) {
    if (!c.ts) continue;
    const xc = x(c.ts);
    out.push(`<g class="command-mark"><line x1="${num(xc)}" x2="${num(xc)}" y1="${top - 6}" y2="${axisY}" stroke="var(--hold)" stroke-dasharray="3 3"/><text x="${num(xc)}" y="${top - 10}" text-anchor="middle" style="fill:var(--hold)">${t(c.command)}</text><title>${t(`${c.command} by ${c.user}@${c.host}${c.reason ? `: ${c.reason}` : ''} (${c.action})`)}</title></g>`);
  }
  for (const r of m.resumes) out.push(`<line class="resume-mark" x1="${num(x(r))}" x2="${num(x(r))}" y1="${top - 4}" y2="${axisY}" stroke="var(--info)" stroke-width="2"><title>resumed ${esc(iso(r))}</title></line>`);
  out.push('</svg>');
  const legend = [
    ['var(--apply)', m.hasEvents ? 'apply' : 'apply + bake'],
    ...(m.hasEvents ? [['var(--bake)', 'bake and health']] : []),
    ['var(--wait)', 'approval wait'],
    ['var(--hold)', 'hold'],
    ['var(--rb)', 'rollback'],
  ]
    .map(([c, l]) => `<span><span class="sw" style="background:${c}"></span>${esc(l)}</span>`)
    .join('');
  return `${head}<div class="scroll">${out.join('')}</div><div class="legend">${legend}</div></section>`;
}

function truncate(s: string, n: number): string {
  const c = Array.from(s);
  return c.length <= n ? s : `${c.slice(0, n - 1).join('')}…`;
}

/* ------------------------------------------------------------------- targets */

function targetsSection(m: RolloutModel, t: (s: unknown) => string): string {
  const counts = new Map<string, number>();
  for (const s of Object.values(m.targets)) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const order = (s: string): number => {
    const i = STATE_ORDER.indexOf(s);
    return i === -1 ? STATE_ORDER.length : i;
  };
  const out = [`<section id="targets"><h2>Targets by wave and state</h2>`];
  out.push(`<div class="legend">${[...counts.entries()].sort((a, b) => order(a[0]) - order(b[0])).map(([s, n]) => `<span><span class="sw t-${esc(s)}"></span>${esc(`${s} ${n}`)}</span>`).join('')}</div>`);
  const inWave = new Set<string>();
  for (const w of m.waves) {
    out.push(`<h3>${esc(`${w.index}`)} ${t(w.name)} <span class="note">${esc(plural(w.targets.length, 'target'))}</span></h3><div class="grid" data-wave="${esc(w.index)}">`);
    for (const tg of w.targets) {
      inWave.add(tg.id);
      const st = m.targets[tg.id] ?? { status: 'pending' };
      const why = 'error' in st && st.error ? `: ${st.error}` : 'reason' in st && st.reason ? `: ${st.reason}` : '';
      out.push(`<span class="cell t-${esc(st.status)}" data-state="${esc(st.status)}" title="${t(`${tg.id}: ${st.status}${why}`)}" role="img" aria-label="${t(`${tg.id} ${st.status}`)}"></span>`);
    }
    out.push('</div>');
  }
  const outside = Object.keys(m.targets).filter((id) => !inWave.has(id));
  if (outside.length > 0) out.push(`<p class="note">${esc(plural(outside.length, 'target'))} not in the plan's waves.</p>`);
  const notable = Object.entries(m.targets).filter(([, s]) => !['healthy', 'applied', 'pending'].includes(s.status));
  if (notable.length > 0 || m.remaining.length > 0 || m.deferred.length > 0) {
    out.push(`<details${notable.some(([, s]) => s.status === 'rollback-failed' || s.status === 'apply-timed-out' || s.status === 'failed') ? ' open' : ''}><summary>${esc(plural(notable.length + m.remaining.length + m.deferred.length, 'target note'))}</summary><div class="scroll"><table><thead><tr><th>target</th><th>state</th><th>why</th></tr></thead><tbody>`);
    for (const [id, s] of notable.slice(0, MAX_LISTED)) {
      const why = 'error' in s && s.error ? s.error : 'reason' in s ? s.reason : '';
      out.push(`<tr><td class="path">${t(id)}</td><td>${esc(s.status)}${'stage' in s ? ` (wave ${esc(s.stage)})` : ''}</td><td class="val">${t(why)}</td></tr>`);
    }
    for (const d of m.deferred.slice(0, MAX_LISTED)) out.push(`<tr><td class="path">${t(d.targetId)}</td><td>deferred from wave ${esc(d.from)}${d.to !== undefined ? ` to ${esc(d.to)}` : ''}</td><td class="val">${t(d.reason)}</td></tr>`);
    for (const r of m.remaining.slice(0, MAX_LISTED)) out.push(`<tr><td class="path">${t(r.targetId)}</td><td>still on the LKG</td><td class="val">${t(r.reason)}</td></tr>`);
    out.push('</tbody></table></div></details>');
    if (notable.length > MAX_LISTED) out.push(`<p class="note">… and ${esc(notable.length - MAX_LISTED)} more.</p>`);
  }
  out.push('</section>');
  return out.join('\n');
}

function stagesSection(m: RolloutModel, t: (s: unknown) => string): string {
  if (m.waves.length === 0) return '';
  const out = ['<section id="stages"><h2>Stages</h2><div class="scroll"><table><thead><tr><th>#</th><th>wave</th><th>outcome</th><th>applied</th><th class="hide-narrow">health</th><th>started</th><th>took</th><th>why</th></tr></thead><tbody>'];
  for (const w of m.waves) {
    const s = m.stages.get(w.index) ?? {};
    const o = m.outcomes.find((x) => x.index === w.index);
    const outcome = o?.status ?? s.outcome ?? (s.start !== undefined ? 'running' : 'not started');
    const took = s.start !== undefined && s.end !== undefined ? formatDuration(s.end - s.start) : '';
    const approval = s.approved === undefined ? '' : ` approval ${s.approved ? 'granted' : 'denied'}${s.approvalError ? ` (${s.approvalError})` : ''}.`;
    out.push(
      `<tr><td>${esc(w.index)}</td><td>${t(w.name)}</td><td>${esc(outcome)}</td><td>${o ? esc(`${o.applied}/${o.targets}`) : esc(w.targets.length)}</td>` +
        `<td class="hide-narrow">${o ? esc(`${o.healthRounds} rounds, ${o.healthFailures} failed`) : ''}</td><td>${s.start !== undefined ? esc(iso(s.start).slice(11, 19)) : ''}</td><td>${esc(took)}</td>` +
        `<td class="val">${t(`${o?.reason ?? s.reason ?? ''}${approval}`)}</td></tr>`,
    );
  }
  out.push('</tbody></table></div></section>');
  return out.join('');
}

/* ------------------------------------------------------------------ analysis */

function analysisSection(m: RolloutModel, t: (s: unknown) => string): string {
  const out = ['<section id="analysis"><h2>Analysis</h2>'];
  if (m.findings.length > 0) {
    out.push('<h3>What analysis decided</h3><div class="scroll"><table id="analysis-findings"><thead><tr><th>stage</th><th>metric</th><th>kind</th><th>where</th><th>value</th><th>why</th></tr></thead><tbody>');
    for (const f of m.findings) {
      const value = f.value === undefined ? '' : `${Array.isArray(f.value) ? f.value.map(fmt).join(', ') : fmt(f.value)}${f.baseline !== undefined ? ` vs ${fmt(f.baseline)}` : ''}`;
      out.push(`<tr data-kind="${t(f.kind)}"><td>${t(f.stageName ?? '')}</td><td><code>${t(f.metric)}</code></td><td><strong>${t(f.kind)}</strong></td><td class="path">${t([f.targetId, f.domain].filter(Boolean).join(' · '))}</td><td>${esc(value)}</td><td class="val">${t(f.message)}${f.condition ? ` (<code>${t(f.condition)}</code>)` : ''}</td></tr>`);
    }
    out.push('</tbody></table></div>');
  }
  if (m.measurements.length === 0 && m.judgements.length === 0) {
    if (m.findings.length > 0) {
      out.push('</section>');
      return out.join('');
    }
    out.push('<p class="note">No measurements in this record of the rollout (health hooks returned no metrics, or only the journal was given: measurements are in the progress events).</p></section>');
    return out.join('');
  }
  const byMetric = new Map<string, MeasurementRow[]>();
  for (const r of m.measurements) {
    const key = `${r.source === 'health' ? 'health: ' : ''}${r.metric}`;
    let list = byMetric.get(key);
    if (!list) byMetric.set(key, (list = []));
    list.push(r);
  }
  for (const [name, rows] of [...byMetric.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const conditions = [...new Set(rows.map((r) => r.condition).filter((c): c is string => c !== undefined))];
    out.push(`<article class="metric" data-metric="${t(name)}"><h3><code>${t(name)}</code>${rows.some((r) => r.dryRun) ? ' <span class="badge s-info">dry run</span>' : ''}</h3>`);
    if (conditions.length) out.push(`<p>condition: ${conditions.map((c) => `<code>${t(c)}</code>`).join(', ')}</p>`);
    out.push(metricChart(m, rows, t));
    // per stage: counts by phase, last value
    const stages = new Map<string, MeasurementRow[]>();
    for (const r of rows) {
      const k = r.stageName ?? '(no stage)';
      let l = stages.get(k);
      if (!l) stages.set(k, (l = []));
      l.push(r);
    }
    out.push('<div class="scroll"><table><thead><tr><th>stage</th><th>n</th><th>ok</th><th>failed</th><th>inconcl.</th><th>error</th><th>range</th><th class="hide-narrow">last problem</th></tr></thead><tbody>');
    for (const [stageName, l] of stages) {
      const c = (p: string): number => l.filter((r) => r.phase === p).length;
      const values = l.flatMap((r) => (r.value === undefined ? [] : Array.isArray(r.value) ? r.value : [r.value])).filter(Number.isFinite);
      const range = values.length ? `${fmt(Math.min(...values))} … ${fmt(Math.max(...values))}` : 'no data';
      const bad = [...l].reverse().find((r) => r.phase !== 'Successful');
      out.push(
        `<tr><td>${t(stageName)}</td><td>${esc(l.length)}</td><td>${esc(c('Successful'))}</td><td>${esc(c('Failed'))}</td><td>${esc(c('Inconclusive'))}</td><td>${esc(c('Error'))}</td><td>${esc(range)}</td>` +
          `<td class="val hide-narrow">${bad ? t(`${bad.targetId ?? ''} ${bad.phase}${bad.message ? `: ${bad.message}` : ''}`) : ''}</td></tr>`,
      );
    }
    out.push('</tbody></table></div></article>');
  }
  if (m.judgements.length > 0) {
    out.push('<h3>Judge (canary against baseline)</h3><div class="scroll"><table id="judgements"><thead><tr><th>stage</th><th>metric</th><th>verdict</th><th>why</th><th class="hide-narrow">domains</th></tr></thead><tbody>');
    for (const j of m.judgements) {
      const domains = j.domains
        .map((d) => {
          const parts = [d['domain'] !== undefined ? String(d['domain']) : 'all', String(d['outcome'] ?? '')];
          if (typeof d['canaryMedian'] === 'number' && typeof d['baselineMedian'] === 'number') parts.push(`median ${fmt(d['canaryMedian'])} vs ${fmt(d['baselineMedian'])}`);
          if (typeof d['canary'] === 'number' && typeof d['baseline'] === 'number') parts.push(`n=${d['canary']}/${d['baseline']}`);
          if (typeof d['p'] === 'number') parts.push(`p=${fmt(d['p'])}`);
          if (typeof d['shift'] === 'number') parts.push(`shift ${fmt(d['shift'])}${typeof d['low'] === 'number' && typeof d['high'] === 'number' ? ` [${fmt(d['low'])}, ${fmt(d['high'])}]` : ''}`);
          if (typeof d['tolerance'] === 'number') parts.push(`tolerance ${fmt(d['tolerance'])}`);
          return parts.join(' ');
        })
        .join('; ');
      out.push(
        `<tr data-outcome="${t(j.outcome)}"><td>${t(j.stageName ?? '')}</td><td><code>${t(j.metric ?? '')}</code></td><td><strong>${t(j.outcome)}</strong></td><td class="val">${t(j.reason ?? '')}</td><td class="val hide-narrow">${t(domains)}</td></tr>`,
      );
      if (j.canary?.length || j.baseline?.length) out.push(`<tr><td></td><td colspan="4">${samplesChart(j.canary ?? [], j.baseline ?? [])}</td></tr>`);
    }
    out.push('</tbody></table></div>');
  }
  out.push('</section>');
  return out.join('');
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 0.001 || a >= 1e6) ? v.toExponential(2) : String(Math.round(v * 1000) / 1000);
}

/** Values over time (or over their order), coloured by phase, with the stages as background bands. */
function metricChart(m: RolloutModel, rows: readonly MeasurementRow[], t: (s: unknown) => string): string {
  const pts = rows
    .flatMap((r, i) => (r.value === undefined ? [{ r, i, v: undefined as number | undefined }] : (Array.isArray(r.value) ? r.value : [r.value]).map((v) => ({ r, i, v }))))
    .slice(0, MAX_POINTS);
  const values = pts.map((p) => p.v).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const W = 640;
  const H = 170;
  const L = 56;
  const R = W - 10;
  const T = 10;
  const B = H - 28;
  const timed = pts.every((p) => p.r.ts !== undefined) && pts.length > 0;
  const tmin = timed ? Math.min(...pts.map((p) => p.r.ts!)) : 0;
  const tmax = timed ? Math.max(...pts.map((p) => p.r.ts!)) : Math.max(1, pts.length - 1);
  const xs = (p: { r: MeasurementRow; i: number }, k: number): number => L + ((R - L) * ((timed ? p.r.ts! : k) - tmin)) / Math.max(1, tmax - tmin);
  let vmin = values.length ? Math.min(...values) : 0;
  let vmax = values.length ? Math.max(...values) : 1;
  if (vmin === vmax) {
    vmin -= Math.abs(vmin) * 0.1 || 1;
    vmax += Math.abs(vmax) * 0.1 || 1;
  }
  const ys = (v: number): number => B - ((B - T) * (v - vmin)) / (vmax - vmin);
  const out = [`<div class="scroll"><svg class="chart metric-chart" ${chartBox(W, H)} role="img" aria-label="measurements">`];
  if (timed) {
    // stage bands
    m.waves.forEach((w, i) => {
      const s = m.stages.get(w.index);
      if (s?.start === undefined) return;
      const a = Math.max(tmin, s.start);
      const b = Math.min(tmax, s.end ?? tmax);
      if (b <= a) return;
      const x0 = L + ((R - L) * (a - tmin)) / Math.max(1, tmax - tmin);
      const x1 = L + ((R - L) * (b - tmin)) / Math.max(1, tmax - tmin);
      out.push(`<rect x="${num(x0)}" y="${T}" width="${num(Math.max(1, x1 - x0))}" height="${B - T}" fill="currentColor" fill-opacity="${i % 2 ? '.04' : '.08'}"/><text x="${num(x0 + 3)}" y="${T + 12}" class="muted">${t(truncate(w.name, 14))}</text>`);
    });
  }
  out.push(`<line x1="${L}" x2="${R}" y1="${B}" y2="${B}" stroke="currentColor" stroke-opacity=".4"/><line x1="${L}" x2="${L}" y1="${T}" y2="${B}" stroke="currentColor" stroke-opacity=".4"/>`);
  for (const v of [vmin, (vmin + vmax) / 2, vmax]) out.push(`<text x="${L - 4}" y="${num(ys(v) + 4)}" text-anchor="end" class="muted">${esc(fmt(v))}</text>`);
  out.push(`<text x="${L}" y="${H - 8}" class="muted">${esc(timed ? `${iso(tmin).slice(11, 19)} UTC` : 'first')}</text><text x="${R}" y="${H - 8}" text-anchor="end" class="muted">${esc(timed ? iso(tmax).slice(11, 19) : 'last')}</text>`);
  pts.forEach((p, k) => {
    const cx = xs(p, k);
    const color = PHASE_COLOR[p.r.phase] ?? '#757575';
    const title = t(`${p.r.targetId ?? ''} ${p.r.stageName ?? ''}: ${p.v === undefined ? 'no value' : fmt(p.v)} ${p.r.phase}${p.r.baseline ? ' (baseline)' : ''}${p.r.message ? ` (${p.r.message})` : ''}`);
    if (p.v === undefined || !Number.isFinite(p.v)) out.push(`<path d="M${num(cx - 3)} ${B - 3}l6 6m0 -6l-6 6" stroke="${color}" stroke-width="1.5"><title>${title}</title></path>`);
    else if (p.r.baseline) out.push(`<circle cx="${num(cx)}" cy="${num(ys(p.v))}" r="3" fill="none" stroke="${color}" stroke-width="1.5"><title>${title}</title></circle>`);
    else out.push(`<circle class="pt" cx="${num(cx)}" cy="${num(ys(p.v))}" r="3" fill="${color}"><title>${title}</title></circle>`);
  });
  out.push('</svg></div>');
  const legend = Object.entries(PHASE_COLOR)
    .filter(([ph]) => rows.some((r) => r.phase === ph))
    .map(([ph, c]) => `<span><span class="sw" style="background:${c}"></span>${esc(ph)}</span>`);
  if (rows.some((r) => r.baseline)) legend.push('<span>○ baseline</span>');
  return `${out.join('')}<div class="legend">${legend.join('')}</div>`;
}

/** Canary and baseline samples as two strips on one scale. */
function samplesChart(canary: readonly number[], baseline: readonly number[]): string {
  const all = [...canary, ...baseline];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const W = 480;
  const L = 70;
  const R = W - 10;
  const xs = (v: number): number => L + ((R - L) * (v - lo)) / (hi - lo);
  const strip = (vals: readonly number[], y: number, color: string): string => vals.slice(0, MAX_POINTS).map((v) => `<circle cx="${num(xs(v))}" cy="${y}" r="3.5" fill="${color}" fill-opacity=".7"/>`).join('');
  return (
    `<svg class="chart samples" ${chartBox(W, 70)} role="img" aria-label="canary and baseline samples"><text x="4" y="20">canary</text><text x="4" y="44">baseline</text>` +
    strip(canary, 16, 'var(--warn)') +
    strip(baseline, 40, 'var(--info)') +
    `<text x="${L}" y="64" class="muted">${esc(fmt(lo))}</text><text x="${R}" y="64" text-anchor="end" class="muted">${esc(fmt(hi))}</text></svg>`
  );
}

/* ------------------------------------------------------------------ commands */

function commandsSection(m: RolloutModel, t: (s: unknown) => string): string {
  const out = [`<section id="commands"><h2>Operator commands and holds</h2>`];
  if (m.commands.length === 0 && m.holds.length === 0 && m.resumes.length === 0) {
    out.push('<p class="note">No operator command, hold or resume.</p></section>');
    return out.join('');
  }
  out.push('<div class="scroll"><table><thead><tr><th>time</th><th>what</th><th>who</th><th>why</th><th>outcome</th></tr></thead><tbody>');
  const rows: Array<{ ts: number; html: string }> = [];
  for (const c of m.commands) {
    rows.push({ ts: c.ts, html: `<tr class="command"><td>${esc(c.ts ? iso(c.ts).slice(11, 19) : '')}</td><td><code>${t(c.command)}</code>${c.seq !== undefined ? ` #${esc(c.seq)}` : ''}</td><td>${t(`${c.user}@${c.host}`)}</td><td class="val">${t(c.reason ?? '')}</td><td>${t(`${c.action}${c.note ? `: ${c.note}` : ''}`)}</td></tr>` });
  }
  for (const h of m.holds) {
    rows.push({ ts: h.from, html: `<tr class="hold"><td>${esc(iso(h.from).slice(11, 19))}</td><td>hold (${t(h.kind)}) at wave ${esc(h.stage)}</td><td>${h.by ? t(`released by ${h.by}`) : ''}</td><td class="val">${t(h.reason)}</td><td>${h.to !== undefined ? esc(`${formatDuration(h.to - h.from)} held`) : 'still held'}</td></tr>` });
  }
  for (const r of m.resumes) rows.push({ ts: r, html: `<tr><td>${esc(iso(r).slice(11, 19))}</td><td>resume</td><td></td><td></td><td></td></tr>` });
  rows.sort((a, b) => a.ts - b.ts);
  out.push(rows.map((r) => r.html).join(''), '</tbody></table></div></section>');
  return out.join('');
}
