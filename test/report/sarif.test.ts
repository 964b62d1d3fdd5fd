import { readFileSync } from 'node:fs';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { formatReport, RULES, toSarif } from '../../src/report/index.js';
import type { GateReport, RuleId } from '../../src/types.js';
import { allowReport, blockReport, warnReport } from './fixtures.js';

// CommonJS packages: under NodeNext the default import is `module.exports`, whose `.default` is the export.
const Ajv = AjvDraft04.default;
const addFormats = ajvFormats.default;
const schema = JSON.parse(readFileSync('/work/shared/schemas/sarif-schema-2.1.0.json', 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

function expectValid(log: unknown): void {
  const ok = validate(log);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
  expect(ok).toBe(true);
}

describe('SARIF output', () => {
  const reports: Record<string, () => GateReport> = {
    'block (located findings)': blockReport,
    'warn (no locations, document current/policy)': warnReport,
    'allow (zero findings)': allowReport,
  };
  for (const [name, make] of Object.entries(reports)) {
    it(`is valid against the official schema: ${name}`, () => {
      expectValid(toSarif(make()));
      expectValid(JSON.parse(formatReport(make(), 'sarif', { baseDir: '/somewhere/else' })));
    });
  }

  it('the validator rejects a broken log (the check can fail)', () => {
    const log = toSarif(blockReport()) as unknown as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    log.runs[0]!.results[0]!['level'] = 'fatal';
    expect(validate(log)).toBe(false);
  });

  it('is valid with awkward file names and a rule outside the catalog', () => {
    const r = blockReport();
    r.findings[0]!.location!.file = 'dir with space/ed#ge%.yaml';
    r.findings[1]!.location!.file = 'C:\\ci\\repo\\edge.yaml';
    r.files.proposed = '<input>';
    r.findings.push({ rule: 'future.rule' as RuleId, severity: 'info', message: '' });
    const log = toSarif(r, { baseDir: 'C:\\ci\\repo' });
    expectValid(log);
    const run = log.runs[0]!;
    const uris = run.results!.map((x) => x.locations?.[0]?.physicalLocation?.artifactLocation?.uri);
    expect(uris[0]).toBe('dir%20with%20space/ed%23ge%25.yaml');
    expect(uris[1]).toBe('edge.yaml');
    // an in-memory document has no file: no physical location, never a `%3Cinput%3E` URI
    expect(uris[3]).toBeUndefined();
    const extra = run.results![4]!;
    expect(extra.ruleId).toBe('future.rule');
    expect(run.tool.driver.rules![extra.ruleIndex!]!.id).toBe('future.rule');
    expect(extra.message.text).toBe('future.rule');
  });

  it('maps findings to results: ruleId, ruleIndex, level, message, region', () => {
    const log = toSarif(blockReport(), { toolVersion: '9.9.9' });
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0]!;
    expect(run.tool.driver.name).toBe('confgate');
    expect(run.tool.driver.version).toBe('9.9.9');
    expect(run.properties).toMatchObject({ verdict: 'block', score: 85 });
    const rules = run.tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(Object.keys(RULES));
    const results = run.results!;
    expect(results.map((r) => r.level)).toEqual(['error', 'error', 'warning', 'error']);
    for (const res of results) expect(rules[res.ruleIndex!]!.id).toBe(res.ruleId);
    expect(results[0]!.message.text).toBe(blockReport().findings[0]!.message);
    expect(results[0]!.locations![0]!.physicalLocation!.region).toEqual({ startLine: 412, startColumn: 5 });
    // no location: the document's file at line 1 (GitHub needs a startLine) plus the JSON Pointer as a logical location
    expect(results[2]!.locations![0]!.physicalLocation!.region).toEqual({ startLine: 1 });
    expect(results[2]!.locations![0]!.logicalLocations).toEqual([{ fullyQualifiedName: '/features', kind: 'value' }]);
  });

  it('info findings are notes; a finding about the targets file has no physical location', () => {
    const r = allowReport();
    r.findings = [{ rule: 'override.used', severity: 'info', message: 'm' }, { rule: 'check.target-mismatch', severity: 'warn', message: 'x', document: 'targets', path: '/targets/0' }];
    const results = toSarif(r).runs[0]!.results!;
    expect(results[0]!.level).toBe('note');
    expect(results[1]!.locations![0]!.physicalLocation).toBeUndefined();
    expect(results[1]!.locations![0]!.logicalLocations![0]!.fullyQualifiedName).toBe('/targets/0');
    expectValid(toSarif(r));
  });

  it('uses the package version by default and absolute paths become file URIs', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const r = blockReport();
    r.findings[0]!.location!.file = '/abs/path/edge.yaml';
    const log = toSarif(r);
    expect(log.runs[0]!.tool.driver.version).toBe(pkg.version);
    expect(log.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation!.uri).toBe('file:///abs/path/edge.yaml');
    expectValid(log);
  });

  it('every catalog rule has a title, help and a level', () => {
    const ids = Object.keys(RULES);
    for (const id of ['parse.error', 'parse.duplicate-key', 'schema', 'limit.unique', 'check.regex', 'window.freeze', 'plane.coupled', 'rollout.no-canary', 'internal.error']) {
      expect(ids).toContain(id);
    }
    for (const info of Object.values(RULES)) {
      expect(info.title.length).toBeGreaterThan(0);
      expect(info.help.length).toBeGreaterThan(info.title.length);
      expect(['block', 'warn', 'info']).toContain(info.severity);
    }
    expect(RULES['internal.error'].severity).toBe('block');
  });
});

describe('SARIF for GitHub code scanning', () => {
  // GitHub's documented rules (docs.github.com, "SARIF support for code scanning"): results are matched across
  // runs by partialFingerprints.primaryLocationLineHash; physicalLocation needs region.startLine; URIs relative
  // to the repository root (or file:// absolute URIs).
  const all = () => [blockReport(), warnReport(), allowReport()];
  it('every result with a file has region.startLine >= 1 and a primaryLocationLineHash', () => {
    for (const r of all()) {
      const log = toSarif(r, { root: '/repo', baseDir: '/repo' });
      expectValid(log);
      for (const res of log.runs[0]!.results!) {
        expect(res.partialFingerprints?.['primaryLocationLineHash'], res.ruleId).toMatch(/^[0-9a-f]{16}:\d+$/);
        const phys = res.locations?.[0]?.physicalLocation;
        if (phys) {
          expect(phys.region?.startLine, res.ruleId).toBeGreaterThanOrEqual(1);
          expect(phys.artifactLocation?.uri, res.ruleId).not.toMatch(/^\.\.\/|%3C/);
        }
      }
    }
  });

  it('fingerprints ignore line numbers and are unique within a run', () => {
    const a = blockReport();
    const b = blockReport();
    b.findings = b.findings.map((f) => (f.location ? { ...f, location: { ...f.location, line: f.location.line + 40 } } : f));
    const fp = (r: GateReport) => toSarif(r).runs[0]!.results!.map((x) => x.partialFingerprints!['primaryLocationLineHash']);
    expect(fp(b)).toEqual(fp(a));
    const twice = blockReport();
    twice.findings = [twice.findings[0]!, { ...twice.findings[0]!, message: 'same rule, path and file' }];
    const hashes = fp(twice);
    expect(new Set(hashes).size).toBe(2);
    expect(hashes[1]!.endsWith(':2')).toBe(true);
  });

  it('paths outside the root are absolute file URIs, never ../; names that are not files get no physical location', () => {
    const r = blockReport();
    r.findings[0]!.location!.file = '/tmp/x/edge.yaml';
    r.findings[1]!.location!.file = 'configs/edge.yaml';
    r.files.proposed = '<proposed>';
    const log = toSarif(r, { root: '/home/ci/repo', baseDir: '/home/ci/repo/services' });
    const uris = log.runs[0]!.results!.map((x) => x.locations?.[0]?.physicalLocation?.artifactLocation?.uri);
    expect(uris[0]).toBe('file:///tmp/x/edge.yaml');
    expect(uris[1]).toBe('services/configs/edge.yaml');
    expect(uris.some((u) => u !== undefined && (u.includes('%3C') || u.startsWith('../')))).toBe(false);
    expectValid(log);
  });
});
