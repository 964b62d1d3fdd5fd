/**
 * `confgate test [DIR]`: policy unit tests. DIR (default: `confgate-tests/` next to the policy) holds one folder per
 * case with `proposed.*` (or a `proposed/` folder: a config set), optional `current.*` (`current/`) and `targets.*`, and `expect.yaml`:
 *
 * ```yaml
 * verdict: block                  # allow | warn | block (required)
 * rules: [rule.route-pool-exists] # ids that must appear (optional)
 * absent: [limit.growth]          # ids that must not appear (optional)
 * at: 2025-11-18T11:20:00Z        # evaluation time (optional; default: now)
 * policy: ../../other.yaml        # this case's policy, relative to the case folder (optional)
 * ```
 *
 * Exit 0 when every case passes, 1 when any fails, 2 on a usage error (no such folder, no cases, a malformed
 * `expect.yaml`, an invalid policy). Output: `--format text|json|junit`; failures show expected vs actual.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { createGate, type Gate } from '../gate.js';
import { loadConfig } from '../load/index.js';
import { defaultPolicy, loadPolicy } from '../policy/index.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { normalizeTargets } from '../targets.js';
import type { ConfigDoc, ConfigSet, GateReport, Target, Verdict } from '../types.js';
import { isFolderArg, readSet } from './set.js';
import type { CliIo } from './main.js';

/** One case's expectations, as written in `expect.yaml`. */
export interface TestExpectation {
  verdict: Verdict;
  rules: string[];
  absent: string[];
  at?: string;
  policy?: string;
}

/** The outcome of one case. */
export interface TestCaseResult {
  name: string;
  status: 'pass' | 'fail';
  expected: { verdict: Verdict; rules: string[]; absent: string[] };
  actual: { verdict: Verdict; rules: string[]; score: number };
  /** One line per unmet expectation: what was expected and what happened. */
  failures: string[];
  /** The findings behind an unexpected id (rule, message, path), for people. */
  findings: Array<{ rule: string; severity: string; message: string; path?: string }>;
  policy: string;
}

const VERDICTS = new Set<Verdict>(['allow', 'warn', 'block']);
const EXPECT_KEYS = new Set(['verdict', 'rules', 'absent', 'at', 'policy']);
const CONFIG_EXTS = ['.yaml', '.yml', '.json'];
const POLICY_NAMES = ['confgate.yaml', 'confgate.yml', 'confgate.json'];

/** Thrown for a usage problem (exit 2). */
export class TestUsageError extends InputError {}

interface Deps {
  str(values: Record<string, string | boolean | undefined>, key: string): string | undefined;
  formatOf<T extends string>(values: Record<string, string | boolean | undefined>, allowed: readonly T[]): T;
}

/** Runs `confgate test`; returns the exit code. */
export function runTestCommand(values: Record<string, string | boolean | undefined>, positionals: readonly string[], io: CliIo, deps: Deps): number {
  const format = deps.formatOf(values, ['text', 'json', 'junit'] as const);
  const policyArg = deps.str(values, 'policy');
  const policyFile = policyArg !== undefined ? path.resolve(io.cwd, policyArg) : discoverPolicy(positionals[0] !== undefined ? path.resolve(io.cwd, positionals[0], '..') : io.cwd);
  const dir = positionals[0] !== undefined
    ? path.resolve(io.cwd, positionals[0])
    : path.join(policyFile !== undefined ? path.dirname(policyFile) : io.cwd, 'confgate-tests');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TestUsageError(`no test folder ${rel(io, dir)} (give one: confgate test DIR)`);
  const cases = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (cases.length === 0) throw new TestUsageError(`${rel(io, dir)} holds no test cases (one folder per case, each with proposed.* and expect.yaml)`);

  const gates = new Map<string, Gate>();
  const gateFor = (file: string | undefined): Gate => {
    const key = file ?? '';
    let g = gates.get(key);
    if (!g) {
      const policy: ResolvedPolicy = file === undefined ? defaultPolicy() : { ...loadPolicy({ path: file }), file: rel(io, file) };
      g = createGate(policy);
      gates.set(key, g);
    }
    return g;
  };

  const results: TestCaseResult[] = [];
  for (const name of cases) {
    const caseDir = path.join(dir, name);
    const expect = readExpect(io, caseDir);
    const casePolicy = expect.policy !== undefined ? path.resolve(caseDir, expect.policy) : policyFile;
    if (casePolicy !== undefined && !existsSync(casePolicy)) throw new TestUsageError(`${rel(io, path.join(caseDir, 'expect.yaml'))}: policy ${rel(io, casePolicy)} does not exist`);
    const gate = gateFor(casePolicy);
    const limits = gate.policy.limits.input;
    const proposedFile = findInput(caseDir, 'proposed');
    if (!proposedFile) throw new TestUsageError(`${rel(io, caseDir)}: no proposed.yaml, proposed.yml, proposed.json or proposed/ (a config set)`);
    const currentFile = findInput(caseDir, 'current');
    // A `proposed/` folder is a config set (and `current/` must then be one too).
    const setMode = isFolderArg(caseDir, proposedFile);
    if (currentFile !== undefined && isFolderArg(caseDir, currentFile) !== setMode) {
      throw new TestUsageError(`${rel(io, caseDir)}: proposed and current must both be folders (a config set) or both be files`);
    }
    const load = (file: string): ConfigDoc | ConfigSet =>
      setMode ? readSet(io.cwd, rel(io, file), gate.policy) : loadConfig({ path: file }, { file: rel(io, file), limits });
    const proposed = load(proposedFile);
    const current = currentFile ? load(currentFile) : undefined;
    const targetsFile = findInput(caseDir, 'targets');
    const targets = targetsFile ? readTargetsFile(io, targetsFile) : undefined;
    const report = gate.evaluate({ proposed, ...(current ? { current } : {}), ...(targets ? { targets } : {}), at: expect.at ?? io.now() });
    results.push(judge(name, expect, report, casePolicy === undefined ? '(default policy)' : rel(io, casePolicy)));
  }

  if (format === 'json') io.stdout(JSON.stringify(jsonOf(results), null, 2) + '\n');
  else if (format === 'junit') io.stdout(junitOf(results, rel(io, dir)));
  else io.stdout(textOf(results, rel(io, dir)));
  return results.every((r) => r.status === 'pass') ? 0 : 1;
}

function rel(io: CliIo, file: string): string {
  const r = path.relative(io.cwd, file);
  return r === '' ? '.' : r.startsWith('..') && path.isAbsolute(file) && r.split(path.sep).filter((s) => s === '..').length > 3 ? file : r;
}

function discoverPolicy(dir: string): string | undefined {
  for (const name of POLICY_NAMES) {
    const f = path.join(dir, name);
    if (existsSync(f)) return f;
  }
  return undefined;
}

function findInput(dir: string, base: string): string | undefined {
  if (isFolderArg(dir, base)) return path.join(dir, base);
  for (const ext of CONFIG_EXTS) {
    const f = path.join(dir, base + ext);
    if (existsSync(f)) return f;
  }
  return undefined;
}

function readTargetsFile(io: CliIo, file: string): Target[] {
  const doc = loadConfig({ path: file }, { file: rel(io, file) });
  const bad = doc.findings.find((f) => f.severity === 'block');
  if (bad || doc.value === undefined) throw new TestUsageError(`invalid targets file ${rel(io, file)}: ${bad?.message ?? 'could not be loaded'}`);
  return normalizeTargets(doc.value, rel(io, file));
}

function readExpect(io: CliIo, caseDir: string): TestExpectation {
  const file = path.join(caseDir, 'expect.yaml');
  const shown = rel(io, file);
  if (!existsSync(file)) throw new TestUsageError(`${rel(io, caseDir)}: no expect.yaml`);
  const doc = loadConfig({ path: file }, { file: shown });
  const bad = doc.findings.find((f) => f.severity === 'block');
  if (bad || doc.value === null || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    const where = bad?.location ? `${bad.location.file}:${bad.location.line}:${bad.location.column}` : shown;
    throw new TestUsageError(`${where}: ${bad?.message ?? 'expect.yaml must be a mapping with at least `verdict`'}`);
  }
  const v = doc.value as Record<string, unknown>;
  const problem = (key: string, msg: string): never => {
    const loc = doc.locate(`/${key}`);
    throw new TestUsageError(`${loc ? `${loc.file}:${loc.line}:${loc.column}` : shown}: ${msg}`);
  };
  for (const k of Object.keys(v)) if (!EXPECT_KEYS.has(k)) problem(k, `unknown key \`${k}\` (expected verdict, rules, absent, at, policy)`);
  if (typeof v['verdict'] !== 'string' || !VERDICTS.has(v['verdict'] as Verdict)) problem('verdict', `\`verdict\` must be allow, warn or block, got ${JSON.stringify(v['verdict'] ?? null)}`);
  const ids = (key: string): string[] => {
    const x = v[key];
    if (x === undefined) return [];
    if (!Array.isArray(x) || x.some((e) => typeof e !== 'string' || e === '')) problem(key, `\`${key}\` must be a list of rule ids`);
    return x as string[];
  };
  const out: TestExpectation = { verdict: v['verdict'] as Verdict, rules: ids('rules'), absent: ids('absent') };
  const both = out.rules.filter((r) => out.absent.includes(r));
  if (both.length > 0) problem('absent', `\`${both[0]}\` is in both \`rules\` and \`absent\``);
  if (v['at'] !== undefined) {
    const at = v['at'];
    if (typeof at !== 'string' || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(at) || Number.isNaN(new Date(at).getTime())) {
      problem('at', `\`at\` must be an ISO-8601 date-time with a zone, like 2025-11-18T11:20:00Z, got ${JSON.stringify(at)}`);
    }
    out.at = at as string;
  }
  if (v['policy'] !== undefined) {
    if (typeof v['policy'] !== 'string' || v['policy'] === '') problem('policy', '`policy` must be a path relative to the case folder');
    out.policy = v['policy'] as string;
  }
  return out;
}

function judge(name: string, expect: TestExpectation, report: GateReport, policy: string): TestCaseResult {
  const present = [...new Set(report.findings.map((f) => f.rule as string))].sort();
  const failures: string[] = [];
  const findings: TestCaseResult['findings'] = [];
  const show = (id: string) => {
    for (const f of report.findings) {
      if (f.rule !== id) continue;
      // In a config set the member is part of where: `regions/us.yaml#/routes/0`.
      const where = f.file !== undefined ? `${f.file}#${f.path ?? ''}` : f.path;
      findings.push({ rule: f.rule, severity: f.severity, message: f.message, ...(where !== undefined ? { path: where } : {}) });
    }
  };
  if (report.verdict !== expect.verdict) {
    failures.push(`verdict: expected ${expect.verdict}, got ${report.verdict}`);
    for (const f of report.findings) if (f.severity === report.verdict) show(f.rule);
  }
  const missing = expect.rules.filter((r) => !present.includes(r));
  if (missing.length > 0) failures.push(`rules: expected ${missing.join(', ')} to appear; found ${present.join(', ') || 'no findings'}`);
  const unwanted = expect.absent.filter((r) => present.includes(r));
  if (unwanted.length > 0) {
    failures.push(`absent: expected ${unwanted.join(', ')} not to appear, but ${unwanted.length === 1 ? 'it did' : 'they did'}`);
    for (const r of unwanted) show(r);
  }
  const seen = new Set<string>();
  const uniq = findings.filter((f) => {
    const k = `${f.rule}\0${f.path ?? ''}\0${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return {
    name,
    status: failures.length === 0 ? 'pass' : 'fail',
    expected: { verdict: expect.verdict, rules: expect.rules, absent: expect.absent },
    actual: { verdict: report.verdict, rules: present, score: report.score },
    failures,
    findings: uniq.slice(0, 10),
    policy,
  };
}

function summary(results: readonly TestCaseResult[]): { passed: number; failed: number } {
  const failed = results.filter((r) => r.status === 'fail').length;
  return { passed: results.length - failed, failed };
}

function textOf(results: readonly TestCaseResult[], dir: string): string {
  const lines: string[] = [`confgate test ${dir}`];
  for (const r of results) {
    lines.push(`${r.status === 'pass' ? 'PASS' : 'FAIL'} ${r.name}`);
    for (const f of r.failures) lines.push(`  ${f}`);
    if (r.status === 'fail') {
      for (const f of r.findings) lines.push(`    ${f.severity} ${f.rule}${f.path !== undefined ? ` at ${f.path === '' ? '/' : f.path}` : ''}: ${f.message}`);
      lines.push(`  (policy: ${r.policy}; actual verdict ${r.actual.verdict}, score ${r.actual.score}, rules: ${r.actual.rules.join(', ') || 'none'})`);
    }
  }
  const s = summary(results);
  lines.push(`${results.length} case${results.length === 1 ? '' : 's'}: ${s.passed} passed, ${s.failed} failed`);
  return lines.join('\n') + '\n';
}

function jsonOf(results: readonly TestCaseResult[]): object {
  return { ...summary(results), total: results.length, cases: results };
}

function xml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function junitOf(results: readonly TestCaseResult[], dir: string): string {
  const s = summary(results);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="confgate test" tests="${results.length}" failures="${s.failed}">`];
  out.push(`  <testsuite name="${xml(dir)}" tests="${results.length}" failures="${s.failed}" errors="0" skipped="0">`);
  for (const r of results) {
    out.push(`    <testcase classname="${xml(dir)}" name="${xml(r.name)}">`);
    if (r.status === 'fail') {
      const body = [
        ...r.failures,
        `expected: verdict ${r.expected.verdict}; rules ${r.expected.rules.join(', ') || '-'}; absent ${r.expected.absent.join(', ') || '-'}`,
        `actual: verdict ${r.actual.verdict}; rules ${r.actual.rules.join(', ') || '-'}; score ${r.actual.score}`,
        ...r.findings.map((f) => `${f.severity} ${f.rule}${f.path !== undefined ? ` at ${f.path || '/'}` : ''}: ${f.message}`),
      ].join('\n');
      out.push(`      <failure message="${xml(r.failures[0] ?? 'failed')}" type="expectation">${xml(body)}</failure>`);
    }
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return out.join('\n') + '\n';
}
