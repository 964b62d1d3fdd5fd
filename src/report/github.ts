/** GitHub Actions workflow commands (annotations) for a gate report, after the text report. */
import { createHash } from 'node:crypto';
import type { Finding, GateReport, Severity } from '../types.js';
import { reportText } from './text.js';
import { changeCountsText, documentFile, plural, repoPath, scoreText, stripCommandControls } from './util.js';

/** Escape the data (message) part of a workflow command: `%`, `\r`, `\n`; C0/C1 controls and bidi overrides are stripped. */
export function escapeData(s: string): string {
  return stripCommandControls(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a property value of a workflow command: as data, plus `:` and `,`. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const COMMAND = { block: 'error', warn: 'warning', info: 'notice' } as const;

/**
 * GitHub shows at most 10 annotations of each level (error, warning, notice) per step and drops the rest
 * silently. Each level gets at most this many lines; when a level has more findings, the last line groups them.
 */
export const ANNOTATIONS_PER_LEVEL = 10;

function fileOf(f: Finding, report: GateReport, root: string | undefined, baseDir: string | undefined): string | undefined {
  const name = f.location?.file ?? documentFile(f, report.files);
  const where = name === undefined ? undefined : repoPath(name, root, baseDir);
  return where?.path;
}

function findingCommand(f: Finding, report: GateReport, root: string | undefined, baseDir: string | undefined): string {
  const props: string[] = [];
  const file = fileOf(f, report, root, baseDir);
  if (file !== undefined) {
    props.push(`file=${escapeProperty(file)}`);
    props.push(`line=${escapeProperty(String(f.location?.line ?? 1))}`);
    if (f.location) props.push(`col=${escapeProperty(String(f.location.column))}`);
  }
  props.push(`title=${escapeProperty(f.rule)}`);
  return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(f.message)}`;
}

function groupedCommand(severity: Severity, rest: readonly Finding[], report: GateReport, root: string | undefined, baseDir: string | undefined): string {
  const shown = rest.slice(0, 20).map((f) => {
    const file = fileOf(f, report, root, baseDir);
    return `${f.rule}${file !== undefined ? ` (${file}${f.location ? `:${f.location.line}` : ''})` : ''}`;
  });
  const more = rest.length > shown.length ? `, and ${rest.length - shown.length} more` : '';
  const title = `confgate: ${plural(rest.length, `more ${COMMAND[severity]}`)} (see the report in the log)`;
  return `::${COMMAND[severity]} title=${escapeProperty(title)}::${escapeData(`${shown.join('; ')}${more}`)}`;
}

/**
 * The text report (wrapped in `::stop-commands::` so that nothing in it is read as a workflow command), then
 * one workflow command per finding, at most {@link ANNOTATIONS_PER_LEVEL} per level (the last one groups the
 * rest), then a final `::notice::confgate verdict ...` line (counted with the notices).
 */
export function reportGithub(report: GateReport, baseDir: string | undefined, root?: string): string {
  const text = reportText(report, false);
  const token = `confgate-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
  const lines = [`::stop-commands::${token}`, text.replace(/\n$/, ''), `::${token}::`];
  for (const severity of ['block', 'warn', 'info'] as const) {
    const list = report.findings.filter((f) => f.severity === severity);
    const budget = severity === 'info' ? ANNOTATIONS_PER_LEVEL - 1 : ANNOTATIONS_PER_LEVEL;
    const direct = list.length <= budget ? list : list.slice(0, budget - 1);
    for (const f of direct) lines.push(findingCommand(f, report, root, baseDir));
    if (direct.length < list.length) lines.push(groupedCommand(severity, list.slice(direct.length), report, root, baseDir));
  }
  let summary = `confgate verdict ${report.verdict.toUpperCase()} (score ${scoreText(report.score)}): ${plural(report.findings.length, 'finding')}`;
  summary += `; ${changeCountsText(report.changes)}`;
  summary += `; policy ${report.files.policy ?? 'defaults'}`;
  if (report.tier) summary += `; tier ${report.tier.name}`;
  if (report.override) summary += `; override: ${report.override.reason}`;
  if (report.revert) summary += `; revert: ${report.revert.reason}`;
  lines.push(`::notice::${escapeData(summary)}`);
  return `${lines.join('\n')}\n`;
}
