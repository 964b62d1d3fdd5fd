/**
 * Golden output of the BUILT CLI on the seed's day (fixtures/cases/60-seed-day-scl-mia-lax): a routing/feature
 * push at 2025-11-18T11:20Z while SCL, MIA and LAX are under Statuspage maintenance.
 *
 * `confgate check` in every format, `confgate windows` and `confgate plan` (text and json), run from the repo
 * root with relative paths and NO_COLOR so the output is stable. Golden files live in `test/golden/` and were
 * written from the implementation once and reviewed by eye; comparisons are exact (update with `vitest -u`
 * only after reading the diff). The SARIF output is also validated against the official SARIF 2.1.0 schema.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'dist', 'cli', 'bin.cjs');
const CASE = 'fixtures/cases/60-seed-day-scl-mia-lax';
const AT = '2025-11-18T11:20:00Z';
const PKG_VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

// CI has a copy of shared/ next to the repository; the development machines have it at /work/shared.
const SARIF_SCHEMA = [
  path.resolve(ROOT, '../shared/schemas/sarif-schema-2.1.0.json'),
  '/work/shared/schemas/sarif-schema-2.1.0.json',
].find((p) => existsSync(p));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Same cap as the fixture runner: the machines are small and shared.
const slots = pLimit(2);

function confgate(args: string[]): Promise<Run> {
  return slots(
    () =>
      new Promise<Run>((resolve, reject) => {
        const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
        delete env['FORCE_COLOR'];
        const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      }),
  );
}

/** The tool version is the package's: keep the golden files independent of releases. */
function stableVersion(out: string): string {
  return out.split(`"version": "${PKG_VERSION}"`).join('"version": "<confgate version>"');
}

const CHECK = [
  'check',
  '--proposed', `${CASE}/proposed.json`,
  '--current', `${CASE}/current.json`,
  '--policy', `${CASE}/confgate.yaml`,
  '--targets', `${CASE}/targets.yaml`,
  '--at', AT,
];

const FORMATS: Array<[format: string, file: string]> = [
  ['text', 'seed-day.check.txt'],
  ['json', 'seed-day.check.json'],
  ['markdown', 'seed-day.check.md'],
  ['sarif', 'seed-day.check.sarif'],
  ['github', 'seed-day.check.github.txt'],
];

describe.runIf(existsSync(BIN))('golden CLI output: the seed\'s day (built dist/cli/bin.cjs)', () => {
  // Start every process at once (capped), then compare one by one.
  const runs = new Map<string, Promise<Run>>();
  const run = (key: string, args: string[]): Promise<Run> => {
    let p = runs.get(key);
    if (!p) runs.set(key, (p = confgate(args)));
    return p;
  };

  for (const [format, file] of FORMATS) {
    it(`check --format ${format}`, async () => {
      const r = await run(`check ${format}`, [...CHECK, '--format', format]);
      expect(r.stderr).toBe('');
      expect(r.status, r.stdout).toBe(0); // warn exits 0
      await expect(stableVersion(r.stdout)).toMatchFileSnapshot(`../golden/${file}`);
    });
  }

  it('check --format json: the maintenance finding, the score and the plan', async () => {
    const r = await run('check json', [...CHECK, '--format', 'json']);
    const report = JSON.parse(r.stdout) as {
      verdict: string;
      score: number;
      factors: Array<{ id: string; points: number }>;
      findings: Array<{ rule: string; detail?: { targets?: string[] } }>;
      plan: { waves: Array<{ targets: Array<{ id: string }> }>; notes: Array<{ targetId: string; action: string }> };
    };
    const inMaintenance = ['SCL', 'MIA', 'LAX'].flatMap((r) => [1, 2, 3].map((i) => `${r.toLowerCase()}-edge-0${i}`));
    expect(report.verdict).toBe('warn');
    expect(report.score).toBe(31);
    expect(report.factors.map((f) => [f.id, f.points])).toEqual([['change.size', 13], ['blast-radius', 3], ['maintenance', 15]]);
    const maint = report.findings.find((f) => f.rule === 'window.maintenance');
    expect([...(maint?.detail?.targets ?? [])].sort()).toEqual([...inMaintenance].sort());
    const placed = report.plan.waves.flatMap((w) => w.targets.map((t) => t.id));
    expect(placed).toHaveLength(15);
    for (const id of inMaintenance) expect(placed).not.toContain(id);
    expect(report.plan.notes.map((n) => n.targetId).sort()).toEqual([...inMaintenance].sort());
  });

  it('check --format sarif is valid SARIF 2.1.0 (official schema)', async () => {
    expect(SARIF_SCHEMA, 'sarif-schema-2.1.0.json not found in ../shared/schemas or /work/shared/schemas').toBeDefined();
    const Ajv = AjvDraft04.default;
    const addFormats = ajvFormats.default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(SARIF_SCHEMA!, 'utf8')));
    const r = await run('check sarif', [...CHECK, '--format', 'sarif']);
    const log = JSON.parse(r.stdout) as { runs: Array<{ results: Array<{ ruleId: string; level: string }> }> };
    const ok = validate(log);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    expect(log.runs[0]!.results.map((x) => [x.ruleId, x.level])).toContainEqual(['window.maintenance', 'warning']);
    // the check can fail: a broken level is rejected
    (log.runs[0]!.results[0] as { level: string }).level = 'fatal';
    expect(validate(log)).toBe(false);
  });

  for (const format of ['text', 'json'] as const) {
    it(`windows --format ${format}`, async () => {
      const r = await run(`windows ${format}`, ['windows', '--policy', `${CASE}/confgate.yaml`, '--at', AT, '--format', format]);
      expect(r.stderr).toBe('');
      expect(r.status, r.stdout).toBe(0);
      await expect(r.stdout).toMatchFileSnapshot(`../golden/seed-day.windows.${format === 'text' ? 'txt' : 'json'}`);
    });

    it(`plan --format ${format}`, async () => {
      const r = await run(`plan ${format}`, [
        'plan', '--targets', `${CASE}/targets.yaml`, '--policy', `${CASE}/confgate.yaml`, '--at', AT, '--format', format,
      ]);
      expect(r.stderr).toBe('');
      expect(r.status, r.stdout).toBe(0);
      await expect(r.stdout).toMatchFileSnapshot(`../golden/seed-day.plan.${format === 'text' ? 'txt' : 'json'}`);
    });
  }

  it('windows --format json lists SCL, MIA and LAX as active and skips the completed FRA maintenance', async () => {
    const r = await run('windows json', ['windows', '--policy', `${CASE}/confgate.yaml`, '--at', AT, '--format', 'json']);
    const out = JSON.parse(r.stdout) as { active: Array<{ name: string; targets: Record<string, string> | null }>; upcoming: Array<{ name: string }> };
    expect(out.active.map((w) => w.targets?.['region']).sort()).toEqual(['LAX', 'MIA', 'SCL']);
    expect([...out.active, ...out.upcoming].map((w) => w.name).join('\n')).not.toContain('FRA');
  });
});

describe('golden CLI output: prerequisites', () => {
  it('the CLI is built (npm test builds it first; otherwise run `npx tsup`)', () => {
    expect(existsSync(BIN), `${BIN} is missing`).toBe(true);
  });
});
