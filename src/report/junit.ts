/** JUnit XML (GitLab test reports, Jenkins `junit`): one test case per rule and file. */
import type { Finding, GateReport, RuleId, Severity } from '../types.js';
import { RULES } from './rules.js';
import { documentFile, repoPath } from './util.js';

/** Which findings fail a JUnit test case or a GitLab entry's gate: `block` only, or `warn` and `block`. */
export type FailOn = 'warn' | 'block';

/** Characters XML 1.0 forbids even escaped (C0 controls other than tab, LF, CR; lone surrogates; U+FFFE/U+FFFF). */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escape text for an XML attribute or element; characters XML cannot hold become U+FFFD. */
export function xmlEscape(s: string): string {
  return s
    .replace(INVALID_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

function attrEscape(s: string): string {
  return xmlEscape(s).replace(/\n/g, '&#10;');
}

function fails(severity: Severity, failOn: FailOn): boolean {
  return severity === 'block' || (failOn === 'warn' && severity === 'warn');
}

function findingLine(f: Finding, file: string): string {
  const at = f.location ? `${file}:${f.location.line}:${f.location.column}` : f.path !== undefined ? `${file} ${f.path === '' ? '/' : f.path}` : file;
  return `${f.severity} ${at}: ${f.message}`;
}

/**
 * The report as JUnit XML: one `<testsuite>` per file (the proposed config first, then the current config and
 * the policy when they have findings), one `<testcase name="RULE" classname="FILE">` per rule of the catalog for
 * the proposed file and per rule with findings for the others. A case fails (`<failure type="RULE">`) when it has a
 * finding at the `failOn` level or above; warnings below it and notes are listed in `<system-out>`.
 * File names are relative to `root` when inside it (see `repoPath`).
 */
export function reportJunit(report: GateReport, options: { baseDir?: string; root?: string; failOn?: FailOn } = {}): string {
  const failOn = options.failOn ?? 'block';
  const nameOf = (file: string): string => repoPath(file, options.root, options.baseDir)?.path ?? file;
  const byFile = new Map<string, Map<string, Finding[]>>();
  const proposed = nameOf(report.files.proposed);
  byFile.set(proposed, new Map((Object.keys(RULES) as RuleId[]).map((r) => [r, [] as Finding[]])));
  for (const f of report.findings) {
    const file = nameOf(f.location?.file ?? documentFile(f, report.files) ?? report.files.proposed);
    let rules = byFile.get(file);
    if (!rules) byFile.set(file, (rules = new Map()));
    let list = rules.get(f.rule);
    if (!list) rules.set(f.rule, (list = []));
    list.push(f);
  }
  const suites: string[] = [];
  let totalTests = 0;
  let totalFailures = 0;
  for (const [file, rules] of byFile) {
    const cases: string[] = [];
    let failures = 0;
    for (const [rule, list] of rules) {
      const failing = list.filter((f) => fails(f.severity, failOn));
      const other = list.filter((f) => !fails(f.severity, failOn));
      const open = `    <testcase name="${attrEscape(rule)}" classname="${attrEscape(file)}" time="0"`;
      if (list.length === 0) {
        cases.push(`${open}/>`);
        continue;
      }
      const body: string[] = [];
      if (failing.length > 0) {
        failures++;
        body.push(
          `      <failure type="${attrEscape(rule)}" message="${attrEscape(failing[0]!.message)}">${xmlEscape(failing.map((f) => findingLine(f, file)).join('\n'))}</failure>`,
        );
      }
      if (other.length > 0) body.push(`      <system-out>${xmlEscape(other.map((f) => findingLine(f, file)).join('\n'))}</system-out>`);
      cases.push(`${open}>`, ...body, '    </testcase>');
    }
    totalTests += rules.size;
    totalFailures += failures;
    suites.push(
      `  <testsuite name="confgate ${attrEscape(file)}" tests="${rules.size}" failures="${failures}" errors="0" skipped="0" time="0" timestamp="${attrEscape(report.at.replace(/\.\d+Z$/, ''))}">`,
      '    <properties>',
      `      <property name="verdict" value="${report.verdict}"/>`,
      `      <property name="score" value="${report.score}"/>`,
      `      <property name="policy" value="${attrEscape(report.files.policy ?? 'defaults')}"/>`,
      ...(report.override ? [`      <property name="override" value="${attrEscape(report.override.reason)}"/>`] : []),
      ...(report.revert ? [`      <property name="revert" value="${attrEscape(report.revert.reason)}"/>`] : []),
      '    </properties>',
      ...cases,
      '  </testsuite>',
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="confgate" tests="${totalTests}" failures="${totalFailures}" errors="0" time="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
