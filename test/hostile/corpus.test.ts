/**
 * The hostile corpus (test/hostile/corpus/*) through the library: never a throw, the expected verdict and rule
 * ids, every report format renders, no prototype pollution, no tag ever executed, no hidden precision loss.
 * The same corpus through the built CLI: corpus-cli.test.ts.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGate, formatReport } from '../../src/index.js';
import type { GateReport } from '../../src/types.js';
import { AT, EXPECTED, SECRETS } from './expected.js';
import { binExists, CORPUS, runCli, type CliReport } from './helpers.js';

const files = readdirSync(CORPUS)
  .filter((f) => !f.startsWith('policy-') && !f.startsWith('targets-'))
  .sort();
const gate = createGate();
const rulesOf = (r: { findings: ReadonlyArray<{ rule: string }> }): string[] => [...new Set(r.findings.map((f) => f.rule))];
const g = globalThis as { pwned?: unknown };

function expectClean(): void {
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect((Object.prototype as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(g.pwned).toBeUndefined();
}


describe('hostile corpus: library', () => {
  it('has an expectation for every corpus file', () => {
    expect(files.filter((f) => !(f in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(files)('%s', (file) => {
    const exp = EXPECTED[file]!;
    let report!: GateReport;
    expect(() => {
      report = gate.evaluate({ proposed: { path: path.join(CORPUS, file) }, at: AT });
    }).not.toThrow();
    expect(report.verdict).toBe(exp.verdict);
    const rules = rulesOf(report);
    for (const r of exp.rules ?? []) expect(rules).toContain(r);
    if (exp.verdict === 'block' && exp.rules?.some((r) => r.startsWith('parse.error') || r.startsWith('input.'))) {
      // A proposed config that cannot be used: nothing was diffed.
      expect(report.changes.total).toBe(0);
    }
    // Every finding of the load stage has a location in the file.
    for (const f of report.findings) {
      if (f.rule.startsWith('parse.') || f.rule.startsWith('input.')) {
        if (f.detail?.['omitted'] === undefined) expect(f.location?.line, `${f.rule}: ${f.message}`).toBeGreaterThanOrEqual(1);
      }
    }
    // Every report format renders; JSON and SARIF parse; secrets never appear.
    for (const format of ['text', 'json', 'markdown', 'sarif', 'github'] as const) {
      const out = formatReport(report, format);
      expect(typeof out).toBe('string');
      if (format === 'json' || format === 'sarif') expect(() => JSON.parse(out) as unknown).not.toThrow();
      for (const s of SECRETS) expect(out).not.toContain(s);
      if (format === 'text') expect(out).not.toMatch(/\u001b/);
    }
    expectClean();
  });
});

describe('prototype pollution: keys are data everywhere', () => {
  const proto = '{"__proto__": {"polluted": 1}, "a": {"__proto__": {"polluted": 2}, "b": [{"constructor": {"prototype": {"polluted": 3}}}]}}';
  const protoYaml = '__proto__:\n  polluted: 1\na:\n  __proto__: {polluted: 2}\n  b:\n    - constructor:\n        prototype: {polluted: 3}\n';

  it.each([
    ['json', proto, 'p.json'],
    ['yaml', protoYaml, 'p.yaml'],
  ])('%s: through load, diff, secrets, every report format; __proto__ survives as data', (_fmt, text, file) => {
    const report = gate.evaluate({ current: { text: '{"a": {"x": 1}}', file: 'c.json' }, proposed: { text, file }, at: AT });
    expectClean();
    const pointers = report.changes.changes.map((c) => c.pointer);
    expect(pointers).toContain('/__proto__');
    expect(pointers).toContain('/a/__proto__');
    const top = report.changes.changes.find((c) => c.pointer === '/__proto__')!;
    expect(Object.prototype.hasOwnProperty.call(top, 'newValue')).toBe(true);
    expect(top.newValue).toEqual(JSON.parse('{"polluted": 1}'));
    const json = JSON.parse(formatReport(report, 'json')) as CliReport;
    expect(json.changes.changes.map((c) => c.pointer)).toContain('/__proto__');
    for (const format of ['text', 'markdown'] as const) expect(formatReport(report, format)).toContain('__proto__');
    expectClean();
  });

  it('through a JSON Schema with __proto__/constructor properties (validate stage)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'confgate-proto-'));
    try {
      const schema = path.join(dir, 'schema.json');
      writeFileSync(
        schema,
        '{"type": "object", "properties": {"__proto__": {"type": "object", "properties": {"polluted": {"type": "string"}}}, "constructor": {"type": "object"}}, "required": ["__proto__"]}',
      );
      const g2 = createGate({ version: 1, schema });
      // ajv deliberately ignores a `__proto__` entry of `properties`, so its own value is not type-checked; but an
      // own `constructor` key is validated as data, and a required `__proto__` is not satisfied by Object.prototype.
      const bad = g2.evaluate({ proposed: { text: '{"__proto__": {"polluted": 1}, "constructor": 5}', file: 'p.json' }, at: AT });
      expect(bad.verdict).toBe('block');
      expect(bad.findings.filter((f) => f.rule === 'schema').map((f) => f.path)).toEqual(['/constructor']);
      const missing = g2.evaluate({ proposed: { text: '{"constructor": {}}', file: 'p.json' }, at: AT });
      expect(missing.findings.filter((f) => f.rule === 'schema').map((f) => f.path)).toEqual(['/__proto__']);
      // An absent `constructor` must not be "present" through Object.prototype (it would fail `type: object`).
      const good = g2.evaluate({ proposed: { text: '{"__proto__": {"polluted": "no"}}', file: 'p.json' }, at: AT });
      expect(good.findings.filter((f) => f.rule === 'schema')).toEqual([]);
      expectClean();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a secret under __proto__ is masked in every format', () => {
    const report = gate.evaluate({
      current: { text: '{"__proto__": {"password": "old-hunter2-pw"}}', file: 'c.json' },
      proposed: { path: path.join(CORPUS, 'secret-proto.json') },
      at: AT,
    });
    expect(report.changes.total).toBeGreaterThan(0);
    for (const format of ['text', 'json', 'markdown', 'sarif', 'github'] as const) {
      const out = formatReport(report, format);
      for (const s of [...SECRETS, 'old-hunter2-pw']) expect(out).not.toContain(s);
    }
    expectClean();
  });

  it('the CLI diff command keeps __proto__ as data', async () => {
    if (!binExists()) return;
    const dir = mkdtempSync(path.join(tmpdir(), 'confgate-proto-'));
    try {
      writeFileSync(path.join(dir, 'c.json'), '{"a": 1}');
      const r = await runCli(['diff', path.join(dir, 'c.json'), path.join(CORPUS, 'proto-nested.yaml'), '--format', 'json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as CliReport['changes'];
      expect(out.changes.map((c) => c.pointer)).toEqual(expect.arrayContaining(['/a', '/constructor', '/prototype']));
      expect(JSON.stringify(out)).toContain('__proto__');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('custom tags never execute', () => {
  it('!!js/function and friends: parse.error at the tag, no global side effect', () => {
    for (const file of ['js-function.yaml', 'js-function-quoted-key.yaml', 'python-object.yaml', 'tagged-key.yaml']) {
      const r = gate.evaluate({ proposed: { path: path.join(CORPUS, file) }, at: AT });
      const f = r.findings.find((x) => x.rule === 'parse.error')!;
      expect(f.message).toMatch(/tag/i);
      expect(f.location?.line).toBe(1);
    }
    expectClean();
  });
});

describe('numbers beyond 2^53: a change hidden by rounding is reported', () => {
  const cases = [
    ['json', '{"id": 9007199254740993}', '{"id": 9007199254740992}', 'json'],
    ['yaml', 'id: 9007199254740993\n', 'id: 9007199254740992\n', 'yaml'],
    ['json decimal form', '{"id": 9007199254740993.0}', '{"id": 9007199254740992}', 'json'],
  ] as const;

  it.each(cases)('%s: current ...993 -> proposed ...992 is not a silent allow', (_n, cur, prop, ext) => {
    const r = gate.evaluate({ current: { text: cur, file: `c.${ext}` }, proposed: { text: prop, file: `p.${ext}` }, at: AT });
    // The diff cannot see the change (both read as 2^53) ...
    expect(r.changes.total).toBe(0);
    // ... so the report must say so: a precision-loss warning on the current document, located.
    expect(r.verdict).not.toBe('allow');
    const f = r.findings.find((x) => x.rule === 'parse.precision-loss')!;
    expect(f).toMatchObject({ severity: 'warn', document: 'current', path: '/id', location: { file: `c.${ext}`, line: 1 } });
    expect(f.message).toMatch(/reads equal/);
  });

  it.each(cases)('%s: the reverse direction is reported on the proposed document', (_n, cur, prop, ext) => {
    const r = gate.evaluate({ current: { text: prop, file: `c.${ext}` }, proposed: { text: cur, file: `p.${ext}` }, at: AT });
    expect(r.verdict).toBe('warn');
    const f = r.findings.find((x) => x.rule === 'parse.precision-loss')!;
    expect(f.document ?? 'proposed').toBe('proposed');
    expect(f.location).toMatchObject({ file: `p.${ext}`, line: 1 });
  });

  it('through the CLI (JSON and YAML files)', async () => {
    if (!binExists()) return;
    const dir = mkdtempSync(path.join(tmpdir(), 'confgate-big-'));
    try {
      for (const [, cur, prop, ext] of cases.slice(0, 2)) {
        writeFileSync(path.join(dir, `c.${ext}`), cur);
        writeFileSync(path.join(dir, `p.${ext}`), prop);
        const r = await runCli(['check', '--current', path.join(dir, `c.${ext}`), '--proposed', path.join(dir, `p.${ext}`), '--format', 'json', '--at', AT]);
        expect(r.code).toBe(0);
        const report = JSON.parse(r.stdout) as CliReport;
        expect(report.verdict).toBe('warn');
        expect(report.findings.find((f) => f.rule === 'parse.precision-loss')).toMatchObject({ document: 'current', path: '/id' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a secret number that lost precision is reported without its digits', () => {
    const r = gate.evaluate({
      current: { text: '{"api_token": 12345678901234567891}', file: 'c.json' },
      proposed: { text: '{"api_token": 12345678901234567893, "x": 1}', file: 'p.json' },
      at: AT,
    });
    expect(r.findings.filter((f) => f.rule === 'parse.precision-loss')).toHaveLength(2);
    for (const format of ['text', 'json', 'markdown', 'sarif', 'github'] as const) {
      expect(formatReport(r, format)).not.toMatch(/1234567890123456/);
    }
  });

  it('exact large numbers and short float literals are not flagged', () => {
    const r = gate.evaluate({ proposed: { text: '{"a": 9007199254740992, "b": 1e300, "c": 18014398509481984, "d": 1.5e16}', file: 'p.json' }, at: AT });
    expect(rulesOf(r)).not.toContain('parse.precision-loss');
  });
});

