/** GitHub Actions workflow commands (annotations) for a gate report. */
import type { Finding, GateReport } from '../types.js';
import { changeCountsText, displayPath, plural, scoreText } from './util.js';

/** Escape the data (message) part of a workflow command: `%`, `\r`, `\n`. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a property value of a workflow command: as data, plus `:` and `,`. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const COMMAND = { block: 'error', warn: 'warning', info: 'notice' } as const;

function findingCommand(f: Finding, baseDir: string | undefined): string {
  const props: string[] = [];
  if (f.location) {
    props.push(`file=${escapeProperty(displayPath(f.location.file, baseDir))}`);
    props.push(`line=${escapeProperty(String(f.location.line))}`);
    props.push(`col=${escapeProperty(String(f.location.column))}`);
  }
  props.push(`title=${escapeProperty(f.rule)}`);
  return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(f.message)}`;
}

/** One workflow command per finding, then a final `::notice::confgate verdict ...` line. */
export function reportGithub(report: GateReport, baseDir: string | undefined): string {
  const lines = report.findings.map((f) => findingCommand(f, baseDir));
  let summary = `confgate verdict ${report.verdict.toUpperCase()} (score ${scoreText(report.score)}): ${plural(report.findings.length, 'finding')}`;
  summary += `; ${changeCountsText(report.changes)}`;
  if (report.tier) summary += `; tier ${report.tier.name}`;
  if (report.override) summary += `; override: ${report.override.reason}`;
  lines.push(`::notice::${escapeData(summary)}`);
  return `${lines.join('\n')}\n`;
}
