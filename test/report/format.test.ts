import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfgateError, OptionsError } from '../../src/errors.js';
import { formatChanges, formatPlan, formatReport, REPORT_FORMATS, type ReportFormat } from '../../src/report/index.js';
import { displayPath, JSON_INDENT_MAX_CHARS } from '../../src/report/util.js';
import type { Change, GateReport } from '../../src/types.js';
import { allowReport, bigPlan, blockReport, summary, warnReport } from './fixtures.js';

const ANSI = /\u001b\[/;

/** The annotation lines of `github` output: what follows the text report wrapped in `::stop-commands::`. */
function annotations(out: string): string[] {
  const lines = out.trimEnd().split('\n');
  const start = lines[0]!.match(/^::stop-commands::(.+)$/);
  expect(start, 'github output starts with ::stop-commands::').not.toBeNull();
  const end = lines.indexOf(`::${start![1]}::`);
  expect(end).toBeGreaterThan(0);
  return lines.slice(end + 1);
}

describe('github workflow commands', () => {
  it('escapes % \\r \\n in data and also : , in properties', () => {
    const r = allowReport();
    r.verdict = 'block';
    r.findings = [
      {
        rule: 'schema',
        severity: 'block',
        message: '100% bad\r\nnext: a,b',
        location: { file: 'dir,x/a:b%.yaml', line: 7, column: 2 },
      },
    ];
    const lines = annotations(formatReport(r, 'github'));
    expect(lines[0]).toBe('::error file=dir%2Cx/a%3Ab%25.yaml,line=7,col=2,title=schema::100%25 bad%0D%0Anext: a,b');
    expect(lines).toHaveLength(2);
  });

  it('uses error/warning/notice; document-level findings point at line 1 of their file; no file, no file=', () => {
    const lines = annotations(formatReport(warnReport(), 'github'));
    expect(lines[0]).toMatch(/^::warning file=tls\.json,line=1,title=window\.freeze::Inside freeze/);
    // a finding on the current document, whose file the report does not name: no file
    expect(lines[1]).toMatch(/^::warning title=rollback\.lkg-invalid::/);
    expect(lines[2]).toMatch(/^::notice title=override\.used::/);
    expect(lines[3]).toMatch(/^::notice::confgate verdict WARN \(score 45\/100\).*; policy defaults/);
  });

  it('the text report comes first, inside ::stop-commands:: so a config value cannot inject a command', () => {
    const r = allowReport();
    r.findings = [{ rule: 'schema', severity: 'warn', message: 'x\n::add-mask::secret' }];
    const out = formatReport(r, 'github');
    const token = out.split('\n')[0]!.slice('::stop-commands::'.length);
    expect(token).toMatch(/^confgate-[0-9a-f]{16}$/);
    const text = out.slice(out.indexOf('\n') + 1, out.indexOf(`::${token}::`));
    expect(text).toBe(formatReport(r, 'text'));
    expect(text).not.toContain(token);
  });

  it('at most 10 annotations per level: the 10th groups the rest; the verdict notice counts as a notice', () => {
    const r = allowReport();
    r.verdict = 'block';
    const many = (severity: 'block' | 'warn' | 'info', n: number) =>
      Array.from({ length: n }, (_, i) => ({ rule: 'schema' as const, severity, message: `${severity} ${i}`, location: { file: 'edge.yaml', line: i + 1, column: 1 } }));
    r.findings = [...many('block', 25), ...many('warn', 10), ...many('info', 12)];
    const lines = annotations(formatReport(r, 'github'));
    const level = (cmd: string) => lines.filter((l) => l.startsWith(`::${cmd} `) || l.startsWith(`::${cmd}::`));
    expect(level('error')).toHaveLength(10);
    expect(level('error')[9]).toMatch(/^::error title=confgate%3A 16 more errors .*::schema \(edge\.yaml:10\); schema \(edge\.yaml:11\)/);
    expect(level('warning')).toHaveLength(10); // exactly 10: all shown, none grouped
    expect(level('warning').every((l) => l.startsWith('::warning file=edge.yaml'))).toBe(true);
    expect(level('notice')).toHaveLength(10); // 8 notes + 1 group of 4 + the verdict
    expect(level('notice')[8]).toMatch(/^::notice title=confgate%3A 4 more notices/);
  });

  it('a multi-line message cannot start a new workflow command', () => {
    const r = allowReport();
    r.findings = [{ rule: 'schema', severity: 'warn', message: 'x\n::add-mask::secret\n::error::fake' }];
    const out = annotations(formatReport(r, 'github'));
    expect(out.filter((l) => l.startsWith('::'))).toHaveLength(2);
  });

  it('makes file paths relative to baseDir', () => {
    const r = blockReport();
    r.findings[0]!.location!.file = '/repo/configs/edge.yaml';
    expect(formatReport(r, 'github', { baseDir: '/repo' })).toContain('::error file=configs/edge.yaml,line=412,');
  });
});

describe('colour', () => {
  const reports = { block: blockReport, warn: warnReport, allow: allowReport };
  it('no ANSI escapes anywhere when color is false or absent', () => {
    for (const make of Object.values(reports)) {
      for (const format of REPORT_FORMATS) {
        expect(formatReport(make(), format)).not.toMatch(ANSI);
        expect(formatReport(make(), format, { color: false })).not.toMatch(ANSI);
      }
    }
    expect(formatChanges(blockReport().changes, 'text')).not.toMatch(ANSI);
    expect(formatPlan(bigPlan(), 'text')).not.toMatch(ANSI);
  });

  it('text uses red for block, yellow for warn, dim for info when color is true', () => {
    const block = formatReport(blockReport(), 'text', { color: true });
    expect(block.startsWith('\u001b[1m\u001b[31mBLOCK')).toBe(true);
    const warn = formatReport(warnReport(), 'text', { color: true });
    expect(warn.startsWith('\u001b[1m\u001b[33mWARN')).toBe(true);
    expect(warn).toContain('\u001b[2minfo ');
    expect(formatChanges(blockReport().changes, 'text', { color: true })).toMatch(ANSI);
    // colour never leaks into machine formats
    for (const format of ['json', 'sarif', 'github', 'markdown'] as const) {
      expect(formatReport(blockReport(), format, { color: true })).not.toMatch(ANSI);
    }
  });

  it('escape sequences inside data are shown, not sent to the terminal', () => {
    const r = allowReport();
    r.findings = [{ rule: 'schema', severity: 'warn', message: 'evil \u001b[2J clear', path: '/a\u001b]0;x\u0007' }];
    const out = formatReport(r, 'text');
    expect(out).not.toMatch(/\u001b/);
    expect(out).toContain('evil \\u001b[2J clear');
    const ch = formatChanges(summary([{ kind: 'added', path: '/k\u009b31m', pointer: '/k', newValue: 'v\u009b' }]), 'text');
    expect(ch).not.toMatch(/\u009b/);
  });
});

describe('determinism', () => {
  it('formatting twice gives identical output, for every format', () => {
    for (const make of [blockReport, warnReport, allowReport]) {
      for (const format of REPORT_FORMATS) {
        expect(formatReport(make(), format)).toBe(formatReport(make(), format));
      }
    }
    expect(formatPlan(bigPlan(), 'text')).toBe(formatPlan(bigPlan(), 'text'));
  });

  it('json output does not depend on the key order of the input objects', () => {
    const a = warnReport();
    const shuffle = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).reverse()) as T;
    const b = shuffle(warnReport());
    b.findings = b.findings.map(shuffle);
    b.changes = shuffle(b.changes);
    b.plan = shuffle(b.plan!);
    b.tier = shuffle(b.tier!);
    expect(JSON.stringify(b)).not.toBe(JSON.stringify(a));
    expect(formatReport(b, 'json')).toBe(formatReport(a, 'json'));
    expect(formatReport(b, 'sarif')).toBe(formatReport(a, 'sarif'));
    expect(formatReport(b, 'text')).toBe(formatReport(a, 'text'));
  });

  it('json has the fixed top-level key order, 2-space indent and a trailing newline', () => {
    const out = formatReport(warnReport(), 'json');
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.split('\n')[1]).toBe('  "verdict": "warn",');
    expect(Object.keys(JSON.parse(out))).toEqual(['verdict', 'score', 'findings', 'factors', 'changes', 'tier', 'plan', 'override', 'at', 'files']);
    expect(Object.keys(JSON.parse(formatReport(allowReport(), 'json')))).toEqual(['verdict', 'score', 'findings', 'factors', 'changes', 'at', 'files']);
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(warnReport())));
  });

  it(`json longer than ${JSON_INDENT_MAX_CHARS} characters on one line is written on one line, with the same value and escaping`, () => {
    // Changes of ~100 characters each: the limit falls between n and n + 1 of them.
    const change = (i: number): Change => ({ kind: 'added', path: `/k${i}`, pointer: `/k${i}`, newValue: `v##[${i}]` });
    const reportOf = (n: number): GateReport => ({ ...allowReport(), changes: summary(Array.from({ length: n }, (_, i) => change(i))) });
    let n = 1;
    while (JSON.stringify(JSON.parse(formatReport(reportOf(n), 'json'))).length <= JSON_INDENT_MAX_CHARS) n *= 2;
    let lo = n / 2;
    let hi = n; // the one-line text of lo changes fits, of hi does not
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (JSON.stringify(JSON.parse(formatReport(reportOf(mid), 'json'))).length <= JSON_INDENT_MAX_CHARS) lo = mid;
      else hi = mid;
    }
    const small = formatReport(reportOf(lo), 'json');
    const big = formatReport(reportOf(hi), 'json');
    expect(small.split('\n')[1]).toBe('  "verdict": "allow",');
    expect(big.indexOf('\n')).toBe(big.length - 1);
    expect(big.startsWith('{"verdict":"allow",')).toBe(true);
    expect(JSON.parse(big)).toEqual(JSON.parse(JSON.stringify(reportOf(hi))));
    // `##[` in data is neutralised on one line too; a diff's JSON follows the same rule.
    expect(big).not.toContain('##[');
    expect(big).toContain('v##\\u005b0]');
    expect(formatChanges(reportOf(2 * hi).changes, 'json').split('\n')).toHaveLength(2);
    expect(formatChanges(reportOf(3).changes, 'json').split('\n').length).toBeGreaterThan(10);
  });
});

describe('markdown', () => {
  it('escapes | and newlines in table cells so the row stays one row with four cells', () => {
    const r = allowReport();
    r.findings = [{ rule: 'schema', severity: 'warn', message: 'a | b\nc <script>', path: '/x|y' }];
    const md = formatReport(r, 'markdown');
    const row = md.split('\n').find((l) => l.startsWith('| warn'))!;
    expect(row).toBe('| warn | `schema` | `/x\\|y` | a \\| b<br>c &lt;script&gt; |');
    // unescaped pipes split cells: exactly 5 separators
    expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(6);
  });

  it('has the heading, factors and a collapsible list capped at 200 rows', () => {
    const r = blockReport();
    const changes = Array.from({ length: 230 }, (_, i) => ({ kind: 'added' as const, path: `/k${i}`, pointer: `/k${i}`, newValue: i }));
    r.changes = summary(changes);
    const md = formatReport(r, 'markdown');
    expect(md.startsWith('## confgate: BLOCK (score 85/100)\n')).toBe(true);
    expect(md).toContain('| +40 | `growth` | /features grew 2.00x |');
    expect(md).toContain('<details>');
    expect(md.match(/^\| `\+` added \|/gm)).toHaveLength(200);
    expect(md).toContain('... and 30 more');
  });

  it('code spans survive backticks', () => {
    const r = allowReport();
    r.findings = [{ rule: 'schema', severity: 'info', message: 'm', path: '/a`b' }];
    expect(formatReport(r, 'markdown')).toContain('| ``/a`b`` |');
  });
});

describe('text', () => {
  it('lists findings as file:line:col  rule  message, or the path', () => {
    const out = formatReport(blockReport(), 'text');
    expect(out.split('\n')[0]).toBe('BLOCK  score 85/100');
    expect(out).toMatch(/^ {2}block {2}configs\/edge\.yaml:412:5 {2}limit\.unique {4}Duplicate entry/m);
    expect(out).toMatch(/^ {2}warn {3}\/features {16}limit\.growth/m);
    expect(out).toContain('25 changes: 22 added, 1 removed, 1 modified, 1 reordered');
    expect(out).toContain('... and 5 more');
  });

  it('shows the tier and override of a warn report', () => {
    const out = formatReport(warnReport(), 'text');
    expect(out).toContain('Tier: careful (approval required): canary 1 target bake 10m -> early 25% bake 30m -> global 100%');
    expect(out).toContain('Override: "INC-4711 | rollback of bad cert" at 2025-11-22T03:00:00.000Z');
  });

  it('an allow report says so', () => {
    expect(formatReport(allowReport(), 'text')).toBe(
      'ALLOW  score 0/100\nproposed edge.yaml, current edge.lkg.yaml, policy defaults; at 2025-11-18T11:05:00.000Z\n\nNo findings.\n\nNo changes.\n',
    );
  });
});

describe('formatChanges', () => {
  it('prints one compact line per change and truncates long values at 80 characters', () => {
    const long = 'x'.repeat(200);
    const out = formatChanges(
      summary([
        { kind: 'modified', path: '/features/[name=x]/type', pointer: '/features/0/type', oldValue: 'a', newValue: 'b' },
        { kind: 'added', path: '/big', pointer: '/big', newValue: long },
        { kind: 'removed', path: '/gone', pointer: '/gone', oldValue: 1 },
        { kind: 'reordered', path: '/terms', pointer: '/terms' },
      ]),
      'text',
    );
    const lines = out.split('\n');
    expect(lines[0]).toBe('~ /features/[name=x]/type: "a" -> "b"');
    expect(lines[1]).toBe(`+ /big: "${'x'.repeat(76)}...`);
    expect(Array.from(lines[1]!.slice('+ /big: '.length))).toHaveLength(80);
    expect(lines[2]).toBe('- /gone');
    expect(lines[3]).toBe('↕ /terms reordered');
    expect(out.trimEnd().split('\n').at(-1)).toBe('4 changes: 1 added, 1 removed, 1 modified, 1 reordered');
  });

  it('json has the counts and changes in fixed order', () => {
    const json = JSON.parse(formatChanges(warnReport().changes, 'json'));
    expect(Object.keys(json)).toEqual(['added', 'removed', 'modified', 'reordered', 'total', 'changes']);
    expect(json.total).toBe(2);
    expect(formatChanges(summary([]), 'text')).toBe('No changes.\n');
  });
});

describe('formatPlan', () => {
  it('shows waves with target counts, bake, approval, domains and compact target ids', () => {
    const out = formatPlan(bigPlan(), 'text');
    expect(out).toContain('2. early  4 targets  bake 1h30m  approval required');
    expect(out).toContain('region: 5 (FRA, LAX, MIA, NRT, SCL), 1 without region');
    expect(out).toContain('pop-19 +5 more');
    expect(out).toContain('scl-1 -> wave 2 (early): under maintenance');
    expect(out).toContain('scl-2: under maintenance in every wave');
    expect(out).toContain('redundancy group provider=acme');
  });

  it('json round-trips the plan', () => {
    expect(JSON.parse(formatPlan(bigPlan(), 'json'))).toEqual(bigPlan());
  });
});

describe('options', () => {
  it('rejects unknown formats and bad options with OptionsError', () => {
    const bad = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(OptionsError);
        expect((e as ConfgateError).code).toBe('E_OPTIONS_INVALID');
        return (e as Error).message;
      }
      throw new Error('did not throw');
    };
    expect(bad(() => formatReport(allowReport(), 'xml' as ReportFormat))).toContain('`format`');
    expect(bad(() => formatChanges(summary([]), 'markdown' as 'text'))).toContain('"markdown"');
    expect(bad(() => formatPlan(bigPlan(), 'sarif' as 'json'))).toContain('`format`');
    expect(bad(() => formatReport(allowReport(), 'text', { color: 'yes' as unknown as boolean }))).toContain('`color`');
  });
});

describe('displayPath', () => {
  it('is relative to baseDir with forward slashes, and never consults the working directory', () => {
    expect(displayPath('/repo/a/b.yaml', '/repo')).toBe('a/b.yaml');
    expect(displayPath('/repo/a/b.yaml', '/repo/c/')).toBe('../a/b.yaml');
    expect(displayPath('C:\\repo\\a\\b.yaml', 'c:\\repo')).toBe('a/b.yaml');
    expect(displayPath('a\\b.yaml', undefined)).toBe('a/b.yaml');
    expect(displayPath('a/b.yaml', '/repo')).toBe('a/b.yaml');
    expect(displayPath('./x/../a/b.yaml', '.')).toBe('a/b.yaml');
    expect(displayPath('a/b.yaml', '../elsewhere')).toBe('a/b.yaml');
  });
});

describe('properties', () => {
  const finding = fc.record({
    rule: fc.constantFrom('schema', 'limit.unique', 'window.freeze'),
    severity: fc.constantFrom('block', 'warn', 'info'),
    message: fc.string(),
    path: fc.option(fc.string(), { nil: undefined }),
  });
  it('every format handles arbitrary messages and paths: github stays one line per finding, text has no raw controls', () => {
    fc.assert(
      fc.property(fc.array(finding, { maxLength: 5 }), (findings) => {
        const r: GateReport = { ...allowReport(), findings: findings.map((f) => (f.path === undefined ? { rule: f.rule, severity: f.severity, message: f.message } : f)) as GateReport['findings'] };
        const gh = annotations(formatReport(r, 'github'));
        expect(gh).toHaveLength(findings.length + 1);
        expect(formatReport(r, 'text')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
        expect(JSON.parse(formatReport(r, 'json')).findings).toEqual(JSON.parse(JSON.stringify(r.findings)));
        const md = formatReport(r, 'markdown');
        const rows = md.split('\n').filter((l) => /^\| (\*\*block\*\*|warn|info) \|/.test(l));
        expect(rows).toHaveLength(findings.length);
      }),
      { numRuns: 200 },
    );
  });
});
