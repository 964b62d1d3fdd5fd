/** SARIF 2.1.0 output (GitHub code scanning and other SARIF viewers). */
import type { SarifLevel, SarifLocation, SarifLog, SarifPropertyBag, SarifRegion, SarifReportingDescriptor, SarifResult } from './sarif-types.js';
import { createHash } from 'node:crypto';
import type { BuiltinRuleId, Finding, GateReport, Severity } from '../types.js';
import { RULES, type RuleInfo } from './rules.js';
import { documentFile, pathToUri, repoPath, sortedJson } from './util.js';
import { PACKAGE_VERSION } from './version.js';

/** The SARIF schema URI written into `$schema`. */
export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
/** Where people can read about the tool (SARIF `tool.driver.informationUri`). */
export const INFORMATION_URI = 'https://www.npmjs.com/package/confgate';

const LEVEL: Record<Severity, SarifLevel> = { block: 'error', warn: 'warning', info: 'note' };

function descriptor(id: string, info: RuleInfo): SarifReportingDescriptor {
  return {
    id,
    name: id
      .split(/[.-]/)
      .map((w) => (w === '' ? '' : w[0]!.toUpperCase() + w.slice(1)))
      .join(''),
    shortDescription: { text: info.title },
    fullDescription: { text: info.help },
    help: { text: info.help },
    defaultConfiguration: { level: LEVEL[info.severity] },
  };
}

function fingerprint(f: Finding, file: string | undefined): string {
  const key = [f.rule, f.document ?? 'proposed', f.path ?? '', file ?? ''].join('\u0000');
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/**
 * Convert a gate report to a SARIF 2.1.0 log: one run, the whole rule catalog in `tool.driver.rules`
 * (plus any rule id not in it), one result per finding, `verdict` and `score` in the run's properties.
 *
 * For GitHub code scanning every result with a file has `region.startLine` (document-level findings point at
 * line 1) and `partialFingerprints.primaryLocationLineHash` (`<hash>:<n>`, the hash of rule, document, JSON
 * pointer and file, never of line numbers, so an alert survives edits elsewhere in the file; `n` numbers equal
 * hashes). File URIs are relative to `root` (the repository root) when inside it, absolute `file:` URIs
 * otherwise; in-memory documents (`<proposed>`) get no physical location.
 */
export function sarifLog(report: GateReport, toolVersion: string | undefined, baseDir: string | undefined, root?: string): SarifLog {
  const rules: SarifReportingDescriptor[] = [];
  const indexOf = new Map<string, number>();
  for (const id of Object.keys(RULES) as BuiltinRuleId[]) {
    indexOf.set(id, rules.length);
    rules.push(descriptor(id, RULES[id]));
  }
  const seen = new Map<string, number>();
  const results: SarifResult[] = report.findings.map((f) => {
    let ruleIndex = indexOf.get(f.rule);
    if (ruleIndex === undefined) {
      // A rule id outside the catalog (a policy rule, a plugin's id): its metadata from the report, else the finding.
      ruleIndex = rules.length;
      indexOf.set(f.rule, ruleIndex);
      rules.push(descriptor(f.rule, report.ruleInfo?.[f.rule] ?? { title: f.rule, help: f.rule, severity: f.severity }));
    }
    const name = f.location?.file ?? documentFile(f, report.files);
    const where = name === undefined ? undefined : repoPath(name, root, baseDir);
    const location: SarifLocation = {};
    if (where !== undefined) {
      const line = f.location && Number.isInteger(f.location.line) && f.location.line >= 1 ? f.location.line : undefined;
      const region: SarifRegion = { startLine: line ?? 1 };
      if (line !== undefined && Number.isInteger(f.location!.column) && f.location!.column >= 1) region.startColumn = f.location!.column;
      location.physicalLocation = { artifactLocation: { uri: pathToUri(where.path) }, region };
    }
    if (f.path !== undefined) {
      location.logicalLocations = [{ fullyQualifiedName: f.path === '' ? '/' : f.path, kind: 'value' }];
    }
    const result: SarifResult = {
      ruleId: f.rule,
      ruleIndex,
      level: LEVEL[f.severity],
      message: { text: f.message === '' ? f.rule : f.message },
    };
    if (location.physicalLocation || location.logicalLocations) result.locations = [location];
    const hash = fingerprint(f, where?.path ?? name);
    const n = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, n);
    result.partialFingerprints = { primaryLocationLineHash: `${hash.slice(0, 16)}:${n}`, 'confgateFinding/v1': hash };
    const props: SarifPropertyBag = { severity: f.severity };
    if (f.document !== undefined) props['document'] = f.document;
    if (f.detail !== undefined) props['detail'] = sortedJson(f.detail);
    result.properties = props;
    return result;
  });

  const runProps: SarifPropertyBag = { verdict: report.verdict, score: report.score, at: report.at, policy: report.files.policy ?? 'defaults' };
  if (report.tier) runProps['tier'] = report.tier.name;
  if (report.override) runProps['override'] = { reason: report.override.reason, at: report.override.at };
  if (report.revert) runProps['revert'] = { reason: report.revert.reason, at: report.revert.at };
  runProps['changes'] = {
    added: report.changes.added,
    removed: report.changes.removed,
    modified: report.changes.modified,
    reordered: report.changes.reordered,
    total: report.changes.total,
  };

  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'confgate',
            informationUri: INFORMATION_URI,
            version: toolVersion ?? PACKAGE_VERSION,
            rules,
          },
        },
        results,
        properties: runProps,
      },
    ],
  };
}
