/**
 * The CLI contract CI pipelines depend on: exit codes, one clear stderr line for usage/unreadable input,
 * parseable JSON, colour rules. Runs `runCli` in-process with injected streams, and the built bin once.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.js';

let dir: string;

function io(env: Record<string, string> = {}, isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env,
    isTTY,
    cwd: dir,
    now: () => new Date('2025-11-18T11:20:00Z'),
  };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

async function run(args: string[], env: Record<string, string> = {}, isTTY = false) {
  const x = io(env, isTTY);
  const code = await runCli(args, x.io);
  return { code, stdout: x.out(), stderr: x.err() };
}

const features = (n: number, dup = false) => {
  const list = Array.from({ length: n }, (_, i) => ({ name: `f${i}`, weight: i }));
  return { version: '1.0.0', features: dup ? [...list, ...list] : list };
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'confgate-cli-'));
  writeFileSync(path.join(dir, 'live.json'), JSON.stringify(features(60), null, 2));
  writeFileSync(path.join(dir, 'doubled.json'), JSON.stringify(features(60, true), null, 2));
  const tweak = features(60);
  tweak.features[3]!.weight = 99;
  tweak.version = '1.0.1';
  writeFileSync(path.join(dir, 'tweak.json'), JSON.stringify(tweak, null, 2));
  writeFileSync(path.join(dir, 'broken.yaml'), 'features:\n  - name: a\n    weight: [1, 2\n');
  writeFileSync(path.join(dir, 'dupkey.json'), '{\n  "a": 1,\n  "a": 2\n}\n');
  writeFileSync(
    path.join(dir, 'confgate.yaml'),
    'version: 1\nkeys:\n  /features: name\nrollout:\n  stages:\n    - { name: canary, percent: 10, bake: 10m }\n    - { name: all, percent: 100 }\n  failureDomain: region\n',
  );
  writeFileSync(path.join(dir, 'bad-policy.yaml'), 'version: 1\nlimits:\n  growth:\n    wran: 2\n');
  writeFileSync(
    path.join(dir, 'targets.yaml'),
    'targets:\n' + Array.from({ length: 10 }, (_, i) => `  - { id: t${i}, labels: { region: r${i % 3}, env: production } }`).join('\n') + '\n',
  );
  writeFileSync(
    path.join(dir, 'windows.yaml'),
    'version: 1\nwindows:\n  - { name: weekend freeze, kind: freeze, schedule: "0 18 * * FRI", duration: 62h, timeZone: America/Los_Angeles }\n',
  );
});

describe('confgate check', () => {
  it('exits 0 for a benign change, with the verdict first in text output', async () => {
    const r = await run(['check', '--proposed', 'tweak.json', '--current', 'live.json', '--policy', 'confgate.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/ALLOW|WARN/);
  });

  it('exits 1 when the push doubles a keyed list with duplicate rows', async () => {
    const r = await run(['check', '--proposed', 'doubled.json', '--current', 'live.json', '--policy', 'confgate.yaml', '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { verdict: string; findings: Array<{ rule: string }>; changes: { total: number } };
    expect(report.verdict).toBe('block');
    expect(report.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['limit.growth', 'limit.unique']));
  });

  it('exits 1 (block) when the proposed config does not parse, with file:line:col', async () => {
    const r = await run(['check', '--proposed', 'broken.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/broken\.yaml:\d+:\d+/);
    expect(r.stdout).toContain('parse.error');
  });

  it('reports a duplicate JSON key at the line of the second key', async () => {
    const r = await run(['check', '--proposed', 'dupkey.json', '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { findings: Array<{ rule: string; location?: { line: number } }> };
    const dup = report.findings.find((f) => f.rule === 'parse.duplicate-key');
    expect(dup?.location?.line).toBe(3);
  });

  it('exits 2 with one clear line for a missing file', async () => {
    const r = await run(['check', '--proposed', 'nope.json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('nope.json');
  });

  it('exits 2 naming the key and line of an invalid policy', async () => {
    const r = await run(['check', '--proposed', 'tweak.json', '--policy', 'bad-policy.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/wran/);
    expect(r.stderr).toMatch(/:4/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 for usage errors: missing --proposed, bad --format, bad --at, unknown flag', async () => {
    for (const args of [
      ['check'],
      ['check', '--proposed', 'tweak.json', '--format', 'xml'],
      ['check', '--proposed', 'tweak.json', '--at', 'yesterday'],
      // no zone: would depend on the machine's TZ; impossible day: Date() would roll it to March
      ['check', '--proposed', 'tweak.json', '--at', '2025-11-18T11:20:00'],
      ['check', '--proposed', 'tweak.json', '--at', '2025-02-30T00:00:00Z'],
      ['check', '--proposed', 'tweak.json', '--frobnicate'],
      ['frobnicate'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^confgate: /);
    }
  });

  it('colours text only on a TTY without NO_COLOR', async () => {
    const args = ['check', '--proposed', 'doubled.json', '--current', 'live.json', '--policy', 'confgate.yaml'];
    expect((await run(args, {}, true)).stdout).toMatch(/\u001b\[/);
    expect((await run(args, { NO_COLOR: '1' }, true)).stdout).not.toMatch(/\u001b\[/);
    expect((await run(args, {}, false)).stdout).not.toMatch(/\u001b\[/);
  });

  it('freeze blocks; --override turns it into a warning and records the reason', async () => {
    const base = ['check', '--proposed', 'tweak.json', '--current', 'live.json', '--policy', 'windows.yaml', '--format', 'json'];
    // Saturday 2025-11-22 10:00 in Los Angeles is inside the Friday 18:00 + 62h freeze.
    const frozen = await run([...base, '--at', '2025-11-22T18:00:00Z']);
    expect(frozen.code).toBe(1);
    expect(frozen.stdout).toContain('window.freeze');
    const overridden = await run([...base, '--at', '2025-11-22T18:00:00Z', '--override', 'SEV1 mitigation INC-42']);
    expect(overridden.code).toBe(0);
    const report = JSON.parse(overridden.stdout) as { override?: { reason: string }; findings: Array<{ rule: string; severity: string }> };
    expect(report.override?.reason).toBe('SEV1 mitigation INC-42');
    expect(report.findings.find((f) => f.rule === 'window.freeze')?.severity).toBe('warn');
  });

  it('prints SARIF and GitHub annotations', async () => {
    const args = ['check', '--proposed', 'doubled.json', '--current', 'live.json', '--policy', 'confgate.yaml'];
    const sarif = JSON.parse((await run([...args, '--format', 'sarif'])).stdout) as { version: string; runs: Array<{ results: unknown[] }> };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.length).toBeGreaterThan(0);
    const gh = await run([...args, '--format', 'github']);
    expect(gh.stdout).toMatch(/^::error /m);
  });
});

describe('confgate diff, plan, windows', () => {
  it('diff prints keyed changes as JSON', async () => {
    const r = await run(['diff', 'live.json', 'tweak.json', '--policy', 'confgate.yaml', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { modified: number; changes: Array<{ path: string }> };
    expect(out.modified).toBe(2);
    expect(out.changes.map((c) => c.path)).toContain('/features/[name=f3]/weight');
  });

  it('diff needs two files', async () => {
    expect((await run(['diff', 'live.json'])).code).toBe(2);
  });

  it('plan spreads the canary across regions', async () => {
    const r = await run(['plan', '--targets', 'targets.yaml', '--policy', 'confgate.yaml', '--format', 'json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { waves: Array<{ name: string; targets: Array<{ id: string }> }> };
    expect(plan.waves.map((w) => w.name)).toEqual(['canary', 'all']);
    expect(plan.waves[0]!.targets).toHaveLength(1);
    expect(plan.waves.flatMap((w) => w.targets)).toHaveLength(10);
  });

  it('windows lists the active freeze', async () => {
    const r = await run(['windows', '--policy', 'windows.yaml', '--at', '2025-11-22T18:00:00Z', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { active: Array<{ name: string; end: string }> };
    expect(out.active.map((w) => w.name)).toEqual(['weekend freeze']);
    expect(out.active[0]!.end).toBe('2025-11-24T16:00:00.000Z');
  });
});

describe('the built bin', () => {
  it('exits 1 on block and 2 on a missing file, without stack traces', () => {
    const bin = path.resolve(__dirname, '../../dist/cli/bin.cjs');
    const block = spawnSync(process.execPath, [bin, 'check', '--proposed', 'dupkey.json'], { cwd: dir, encoding: 'utf8' });
    expect(block.status).toBe(1);
    const missing = spawnSync(process.execPath, [bin, 'check', '--proposed', 'missing.json'], { cwd: dir, encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});
