/**
 * Data-driven fixture table (ajv style): one folder per case under `fixtures/cases/<NN-name>/` with
 * `case.yaml` (description, evaluation time, optional override, expectations) and its inputs:
 * `proposed.(yaml|json)`, optional `current.(yaml|json)`, `confgate.yaml` (may reference `schema.json`)
 * and `targets.yaml`.
 *
 * Every case runs twice: through the library's public entry (with a determinism check), and through the
 * built CLI (`dist/cli/bin.cjs check ... --format json`), asserting the exit code, the same verdict and the
 * same expectations.
 *
 * `expect` keys: `verdict`, `rules`, `absent`, `locations`, `changes`, and optionally (only what a case declares
 * is asserted): `score` (exact), `scoreMin`/`scoreMax` (inclusive), `factors` (ids listed with points > 0),
 * `absentFactors`, `tier` (name of the selected risk tier), `maintenanceTargets` (ids the `window.maintenance`
 * finding names), `override` (the reason recorded; defaults to the case's `override`, which also requires an
 * `override.used` finding), `plan: { waves, excluded }` (number of waves; ids in no wave, each with a plan note).
 * The bundled example in `fixtures/example/` runs the same way.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createGate, loadPolicy, normalizeTargets } from '../src/index.js';
import type { GateReport, RuleId, Target, Verdict } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CASES_DIR = join(ROOT, 'fixtures', 'cases');
const EXAMPLE_DIR = join(ROOT, 'fixtures', 'example');
const BIN = join(ROOT, 'dist', 'cli', 'bin.cjs');

/** `case.yaml` as written. */
interface CaseSpec {
  description: string;
  at: string;
  override?: string;
  /** Evaluate as a revert with this reason (`revert` in evaluate, `--revert` in the CLI); requires a `revert.used` finding. */
  revert?: string;
  expect: {
    verdict: Verdict;
    rules: RuleId[];
    absent: RuleId[];
    locations?: Array<{ rule: RuleId; line: number }>;
    /** Total number of changes in the report, when the case pins it. */
    changes?: number;
    /** Exact risk score. */
    score?: number;
    /** Inclusive bounds of the risk score. */
    scoreMin?: number;
    scoreMax?: number;
    /** Factor ids that must be listed with points > 0. */
    factors?: string[];
    /** Factor ids that must not be listed with points > 0. */
    absentFactors?: string[];
    /** Name of the risk tier the score selects. */
    tier?: string;
    /** Target ids that the `window.maintenance` finding must name (in `detail.targets` or its message). */
    maintenanceTargets?: string[];
    /** The override reason the report must record (defaults to the case's `override` when that is set). */
    override?: string;
    /** Rollout plan: number of waves, and target ids that must be in no wave (noted as excluded or deferred). */
    plan?: { waves?: number; excluded?: string[] };
  };
}

/** The parts of a report the extended expectations look at: a `GateReport` or the CLI's `--format json` output. */
interface ReportShape {
  score: number;
  findings: Array<{ rule: string; message: string; detail?: Record<string, unknown> }>;
  factors: Array<{ id: string; points: number }>;
  tier?: { name: string };
  override?: { reason: string };
  plan?: { waves: Array<{ targets: Array<{ id: string }> }>; notes: Array<{ targetId: string; action: string }> };
}

/**
 * Assert the optional expectations of a case (score, factors, tier, maintenance targets, override, plan) on a
 * report or on the CLI's JSON output. Only what the case declares is asserted.
 */
function assertExtended(want: CaseSpec['expect'], overrideReason: string | undefined, report: ReportShape, why: string): void {
  if (want.score !== undefined) expect(report.score, `${why}\n-> score`).toBe(want.score);
  if (want.scoreMin !== undefined) expect(report.score, `${why}\n-> scoreMin`).toBeGreaterThanOrEqual(want.scoreMin);
  if (want.scoreMax !== undefined) expect(report.score, `${why}\n-> scoreMax`).toBeLessThanOrEqual(want.scoreMax);
  const scored = new Set(report.factors.filter((f) => f.points > 0).map((f) => f.id));
  for (const id of want.factors ?? []) expect(scored.has(id), `${why}\n-> expected factor ${id} with points > 0`).toBe(true);
  for (const id of want.absentFactors ?? []) expect(scored.has(id), `${why}\n-> factor ${id} must be absent`).toBe(false);
  if (want.tier !== undefined) expect(report.tier?.name, `${why}\n-> tier`).toBe(want.tier);
  if (want.maintenanceTargets !== undefined) {
    const maint = report.findings.filter((f) => f.rule === 'window.maintenance');
    expect(maint.length, `${why}\n-> expected a window.maintenance finding`).toBeGreaterThan(0);
    const named = new Set(maint.flatMap((f) => (Array.isArray(f.detail?.['targets']) ? (f.detail['targets'] as unknown[]).map(String) : [])));
    const text = maint.map((f) => f.message).join('\n');
    for (const id of want.maintenanceTargets) {
      expect(named.has(id) || text.includes(id), `${why}\n-> window.maintenance must name target ${id}`).toBe(true);
    }
  }
  const reason = want.override ?? overrideReason;
  if (reason !== undefined) {
    expect(report.override?.reason, `${why}\n-> override reason recorded`).toBe(reason);
    expect(report.findings.some((f) => f.rule === 'override.used'), `${why}\n-> override.used finding`).toBe(true);
  }
  if (want.plan !== undefined) {
    const plan = report.plan;
    expect(plan, `${why}\n-> expected a rollout plan`).toBeDefined();
    if (plan === undefined) return;
    if (want.plan.waves !== undefined) expect(plan.waves.length, `${why}\n-> plan waves`).toBe(want.plan.waves);
    const inWaves = new Set(plan.waves.flatMap((w) => w.targets.map((t) => t.id)));
    const noted = new Set(plan.notes.map((n) => n.targetId));
    for (const id of want.plan.excluded ?? []) {
      expect(inWaves.has(id), `${why}\n-> ${id} must be in no wave`).toBe(false);
      expect(noted.has(id), `${why}\n-> ${id} must have a plan note saying why`).toBe(true);
    }
  }
}

/** One case folder, resolved to file paths. */
interface FixtureCase {
  name: string;
  spec: CaseSpec;
  proposed: string;
  current?: string;
  policy?: string;
  targets?: string;
}

function firstExisting(dir: string, base: string): string | undefined {
  for (const ext of ['yaml', 'yml', 'json']) {
    const p = join(dir, `${base}.${ext}`);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function readCase(dir: string, name: string): FixtureCase {
  const spec = parseYaml(readFileSync(join(dir, 'case.yaml'), 'utf8')) as CaseSpec;
  const proposed = firstExisting(dir, 'proposed');
  if (!proposed) throw new Error(`${name}: proposed.(yaml|json) is missing`);
  if (typeof spec.at !== 'string') throw new Error(`${name}: case.yaml needs an ISO \`at\``);
  spec.expect.rules ??= [];
  spec.expect.absent ??= [];
  const c: FixtureCase = { name, spec, proposed };
  const current = firstExisting(dir, 'current');
  if (current) c.current = current;
  const policy = firstExisting(dir, 'confgate');
  if (policy) c.policy = policy;
  const targets = firstExisting(dir, 'targets');
  if (targets) c.targets = targets;
  return c;
}

const cases: FixtureCase[] = readdirSync(CASES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()
  .map((name) => readCase(join(CASES_DIR, name), name));

function loadTargets(file: string | undefined): Target[] | undefined {
  if (file === undefined) return undefined;
  return normalizeTargets(parseYaml(readFileSync(file, 'utf8')), file);
}

function evaluateCase(c: FixtureCase): GateReport {
  const gate = createGate(c.policy === undefined ? undefined : loadPolicy(c.policy));
  const targets = loadTargets(c.targets);
  return gate.evaluate({
    proposed: { path: c.proposed },
    ...(c.current === undefined ? {} : { current: { path: c.current } }),
    ...(targets === undefined ? {} : { targets }),
    at: c.spec.at,
    ...(c.spec.override === undefined ? {} : { override: c.spec.override }),
    ...(c.spec.revert === undefined ? {} : { revert: c.spec.revert }),
  });
}

/** A readable summary of the findings for assertion messages. */
function describeFindings(report: GateReport): string {
  return report.findings
    .map((f) => `${f.severity} ${f.rule}${f.path ? ` ${f.path}` : ''}${f.location ? ` @${f.location.line}` : ''}: ${f.message}`)
    .join('\n');
}

function assertExpectations(c: FixtureCase, report: GateReport): void {
  const { expect: want } = c.spec;
  const why = `${c.name}: ${c.spec.description}\nscore ${report.score}, findings:\n${describeFindings(report)}`;
  const rules = new Set(report.findings.map((f) => f.rule));
  expect(report.verdict, why).toBe(want.verdict);
  for (const rule of want.rules) expect(rules.has(rule), `${why}\n-> expected rule ${rule}`).toBe(true);
  for (const rule of want.absent) expect(rules.has(rule), `${why}\n-> rule ${rule} must be absent`).toBe(false);
  for (const loc of want.locations ?? []) {
    const lines = report.findings.filter((f) => f.rule === loc.rule).map((f) => f.location?.line);
    expect(lines, `${why}\n-> expected a ${loc.rule} finding located at line ${loc.line}`).toContain(loc.line);
  }
  if (want.changes !== undefined) expect(report.changes.total, `${why}\n-> changes`).toBe(want.changes);
  // the verdict is the most severe finding: a block verdict always has a block finding, and an allow has none above info
  const severities = new Set(report.findings.map((f) => f.severity));
  if (want.verdict === 'block') expect(severities.has('block'), why).toBe(true);
  if (want.verdict === 'allow') expect(severities.has('block') || severities.has('warn'), why).toBe(false);
  expect(report.at).toBe(new Date(c.spec.at).toISOString());
  assertExtended(want, c.spec.override, report, why);
}

describe('fixture table', () => {
  it('has enough cases, each with a description and an expectation', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    for (const c of cases) {
      expect(c.spec.description.length, c.name).toBeGreaterThan(20);
      expect(['allow', 'warn', 'block'], c.name).toContain(c.spec.expect.verdict);
    }
  });

  it('covers every catalog rule that a fixture can drive', () => {
    const required = new Set(cases.flatMap((c) => c.spec.expect.rules));
    const catalog: RuleId[] = [
      'parse.error', 'parse.duplicate-key', 'input.too-large', 'input.too-deep', 'schema', 'limit.max-bytes',
      'limit.growth', 'limit.shrink', 'limit.max-items', 'limit.min-items', 'limit.unique', 'check.regex',
      'check.expiry', 'check.target-mismatch', 'diff.reorder', 'window.freeze', 'window.maintenance',
      'window.outside-allowed', 'plane.coupled', 'version.not-increasing', 'rollback.lkg-invalid', 'rollout.no-canary',
    ];
    expect(catalog.filter((r) => !required.has(r))).toEqual([]);
  });
});

describe.each(cases)('case $name (library)', (c) => {
  // Evaluated once for the assertions and once more (with a fresh gate) for the determinism check.
  let first: GateReport | undefined;
  const report = (): GateReport => (first ??= evaluateCase(c));

  it(`gives ${c.spec.expect.verdict} with the expected findings`, () => {
    assertExpectations(c, report());
  });

  it('is deterministic: evaluating twice gives byte-identical JSON', () => {
    expect(JSON.stringify(evaluateCase(c))).toBe(JSON.stringify(report()));
  });

  if (c.spec.override !== undefined) {
    it('records the override reason in the report', () => {
      expect(report().override?.reason).toBe(c.spec.override);
    });
  }

  if (c.spec.revert !== undefined) {
    it('records the revert in the report', () => {
      expect(report().revert?.reason).toBe(c.spec.revert);
      expect(report().findings.some((f) => f.rule === 'revert.used')).toBe(true);
    });
  }
});

/* ------------------------------------------------------------------ CLI */

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

// One CLI process per core at most: the machines are small and shared.
const cliSlots = pLimit(Math.max(1, Math.min(4, availableParallelism())));

function runCli(args: string[]): Promise<RunResult> {
  return cliSlots(() => spawnCli(args));
}

function spawnCli(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function cliArgs(c: FixtureCase): string[] {
  const args = ['check', '--proposed', c.proposed];
  if (c.current) args.push('--current', c.current);
  if (c.policy) args.push('--policy', c.policy);
  if (c.targets) args.push('--targets', c.targets);
  args.push('--at', c.spec.at);
  if (c.spec.override !== undefined) args.push('--override', c.spec.override);
  if (c.spec.revert !== undefined) args.push('--revert', c.spec.revert);
  args.push('--format', 'json');
  return args;
}

async function checkCli(
  name: string,
  args: string[],
  verdict: Verdict,
  rules: readonly RuleId[],
  extra?: { want: CaseSpec['expect']; override: string | undefined },
): Promise<void> {
  const run = await runCli(args);
  const why = `${name}: confgate ${args.join(' ')}\nexit ${run.status}\nstderr: ${run.stderr}\nstdout: ${run.stdout.slice(0, 2000)}`;
  expect(run.status, why).toBe(verdict === 'block' ? 1 : 0);
  const out = JSON.parse(run.stdout) as ReportShape & { verdict: Verdict; findings: Array<{ rule: RuleId }> };
  expect(out.verdict, why).toBe(verdict);
  const seen = new Set(out.findings.map((f) => f.rule));
  for (const r of rules) expect(seen.has(r), `${why}\n-> expected rule ${r}`).toBe(true);
  for (const r of extra?.want.absent ?? []) expect(seen.has(r), `${why}\n-> rule ${r} must be absent`).toBe(false);
  if (extra) assertExtended(extra.want, extra.override, out, why);
}

describe('CLI (built dist/cli/bin.cjs)', () => {
  it('is built (npm test runs the build first; otherwise run `npx tsup`)', () => {
    expect(existsSync(BIN), `${BIN} is missing`).toBe(true);
  });

  // concurrent: each case is one child process; vitest caps parallelism (maxConcurrency)
  it.runIf(existsSync(BIN)).concurrent.each(cases)('case $name: exit code and verdict', async (c) => {
    await checkCli(c.name, cliArgs(c), c.spec.expect.verdict, c.spec.expect.rules, { want: c.spec.expect, override: c.spec.override });
  });
});

/* -------------------------------------------------------------- example */

describe('bundled example (fixtures/example)', () => {
  const policyFile = join(EXAMPLE_DIR, 'confgate.yaml');
  const targetsFile = join(EXAMPLE_DIR, 'targets.yaml');
  const at = '2025-11-18T11:20:00Z';
  const evaluate = (proposed: string): GateReport =>
    createGate(loadPolicy(policyFile)).evaluate({
      proposed: { path: join(EXAMPLE_DIR, proposed) },
      current: { path: join(EXAMPLE_DIR, 'live.json') },
      targets: loadTargets(targetsFile) ?? [],
      at,
    });

  it('blocks next.json: the feature file doubled through duplicate rows', () => {
    const report = evaluate('next.json');
    const rules = new Set(report.findings.map((f) => f.rule));
    expect(report.verdict, describeFindings(report)).toBe('block');
    expect(rules.has('limit.unique'), describeFindings(report)).toBe(true);
    expect(rules.has('limit.growth'), describeFindings(report)).toBe(true);
    expect(rules.has('limit.max-items')).toBe(false);
    expect(rules.has('schema'), describeFindings(report)).toBe(false);
    expect(rules.has('check.expiry'), describeFindings(report)).toBe(false);
    expect(rules.has('rollback.lkg-invalid'), describeFindings(report)).toBe(false);
  });

  it('lets next-good.json through: one weight tweaked, version bumped', () => {
    const report = evaluate('next-good.json');
    expect(['allow', 'warn'], describeFindings(report)).toContain(report.verdict);
    expect(report.findings.filter((f) => f.severity === 'block'), describeFindings(report)).toEqual([]);
    const rules = new Set(report.findings.map((f) => f.rule));
    for (const r of ['limit.unique', 'limit.growth', 'schema', 'check.regex', 'check.expiry', 'version.not-increasing', 'rollout.no-canary'] as const) {
      expect(rules.has(r), `${r}\n${describeFindings(report)}`).toBe(false);
    }
    // SCL is under maintenance at 11:20Z: the planner keeps its targets out of the waves
    expect(rules.has('window.maintenance'), describeFindings(report)).toBe(true);
    expect(report.changes.total).toBeGreaterThanOrEqual(2);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(evaluate('next-good.json'))).toBe(JSON.stringify(evaluate('next-good.json')));
  });

  it.runIf(existsSync(BIN)).concurrent.each([
    ['next.json', 'block', ['limit.unique', 'limit.growth']],
    ['next-good.json', undefined, []],
  ] as const)('CLI check --proposed %s', async (proposed, verdict, rules) => {
    const args = [
      'check', '--proposed', join(EXAMPLE_DIR, proposed), '--current', join(EXAMPLE_DIR, 'live.json'),
      '--policy', policyFile, '--targets', targetsFile, '--at', at, '--format', 'json',
    ];
    const expected = verdict ?? evaluate(proposed).verdict;
    await checkCli(`example ${proposed}`, args, expected, rules);
  });
});
