/** GitLab Code Quality report (the `codequality` artifact): a JSON array of issues. */
import { createHash } from 'node:crypto';
import type { Finding, GateReport, Severity } from '../types.js';
import { documentFile, jsonText, repoPath } from './util.js';

/** One issue of a GitLab Code Quality report (the fields GitLab reads). */
export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  location: { path: string; lines: { begin: number } };
}

const SEVERITY: Record<Severity, CodeQualityIssue['severity']> = { block: 'blocker', warn: 'minor', info: 'info' };

function key(f: Finding, path: string): string {
  return createHash('md5').update([f.rule, f.document ?? 'proposed', f.path ?? '', path].join('\u0000')).digest('hex');
}

/**
 * The report as GitLab Code Quality issues: one per finding, `severity` blocker (block), minor (warn) or info,
 * `location.path` relative to `root` when inside it, `location.lines.begin` the finding's line (1 for
 * document-level findings). Fingerprints hash rule, document, JSON pointer and path (not lines, so an issue keeps
 * its identity when other lines move); equal ones are numbered so every fingerprint is unique.
 */
export function gitlabIssues(report: GateReport, options: { baseDir?: string; root?: string } = {}): CodeQualityIssue[] {
  const seen = new Map<string, number>();
  return report.findings.map((f) => {
    const name = f.location?.file ?? documentFile(f, report.files) ?? report.files.proposed;
    const path = repoPath(name, options.root, options.baseDir)?.path ?? name;
    const base = key(f, path);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    const fingerprint = n === 0 ? base : createHash('md5').update(`${base}:${n}`).digest('hex');
    const where = f.path !== undefined && f.path !== '' ? ` (at ${f.path})` : '';
    return {
      description: `${f.message}${where}`,
      check_name: f.rule,
      fingerprint,
      severity: SEVERITY[f.severity],
      location: { path, lines: { begin: f.location && f.location.line >= 1 ? f.location.line : 1 } },
    };
  });
}

/** JSON text of {@link gitlabIssues}. */
export function reportGitlab(report: GateReport, options: { baseDir?: string; root?: string } = {}): string {
  return jsonText(gitlabIssues(report, options));
}
