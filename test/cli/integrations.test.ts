/**
 * The GitHub composite action (action.yml) and the pre-commit hook (.pre-commit-hooks.yaml), run locally the way a
 * runner would: the action's `run:` steps with bash (`bash --noprofile --norc -eo pipefail`, as GitHub runs
 * `shell: bash`) in the environment a runner gives (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_ACTION_PATH,
 * RUNNER_TEMP, ...), `uses:` steps skipped; the hook's entry with the file names pre-commit would pass, in a real
 * git repository. Needs the build (`dist/cli/bin.cjs`, made by `npm test`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'dist', 'cli', 'bin.cjs');
/** Each test spawns a few node processes; generous for a loaded machine (seconds when idle). */
const SLOW = 600_000;

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  'working-directory'?: string;
}
interface Action {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parseYaml(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as Action;

/** Parse a GITHUB_OUTPUT file (`name=value` lines; the `name<<EOF` form too). */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(l);
    if (heredoc) {
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) body.push(lines[i]!);
      out[heredoc[1]!] = body.join('\n');
    } else if (l.includes('=')) out[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  }
  return out;
}

/**
 * Run the composite action's steps like a runner: `${{ inputs.* }}`, `${{ github.action_path }}` and
 * `${{ steps.<id>.outputs.* }}` substituted; `uses:` steps skipped (recorded with their inputs).
 */
function runAction(workspace: string, inputs: Record<string, string>) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'confgate-runner-'));
  const summary = path.join(tmp, 'step_summary.md');
  const stepOutputs: Record<string, Record<string, string>> = {};
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.inputs)) values[k] = inputs[k] ?? v.default ?? '';
  const expr = (s: string): string =>
    s.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => {
      let m = /^inputs\.([\w-]+)$/.exec(e);
      if (m) return values[m[1]!] ?? '';
      if (e === 'github.action_path') return ROOT;
      m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(e);
      if (m) return stepOutputs[m[1]!]?.[m[2]!] ?? '';
      throw new Error(`expression not supported by the local runner: ${e}`);
    });
  const skipped: Step[] = [];
  const logs: Array<{ name: string; status: number | null; stdout: string; stderr: string }> = [];
  for (const step of action.runs.steps) {
    if (step.uses) {
      skipped.push(step);
      continue;
    }
    const outputFile = path.join(tmp, `output-${logs.length}`);
    writeFileSync(outputFile, '');
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? tmp,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_ACTION_PATH: ROOT,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: outputFile,
      GITHUB_ENV: path.join(tmp, 'env'),
      RUNNER_TEMP: tmp,
      RUNNER_OS: 'Linux',
    };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = expr(String(v));
    const script = path.join(tmp, `step-${logs.length}.sh`);
    writeFileSync(script, step.run!);
    const cwd = path.resolve(workspace, expr(step['working-directory'] ?? '.'));
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, encoding: 'utf8', timeout: 120_000 });
    logs.push({ name: step.name ?? '', status: r.status, stdout: r.stdout, stderr: r.stderr });
    if (step.id) stepOutputs[step.id] = readOutputs(outputFile);
    if (r.status !== 0) break; // a failed step ends the job (the remaining steps have no `if: always()`)
  }
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.outputs)) outputs[k] = expr(v.value);
  return { logs, skipped, outputs, summary: existsSync(summary) ? readFileSync(summary, 'utf8') : '', values };
}

function workspace(): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'confgate-ws-'));
  mkdirSync(path.join(ws, '.git'));
  mkdirSync(path.join(ws, 'config'));
  const features = (n: number, dup = false) => {
    const list = Array.from({ length: n }, (_, i) => ({ name: `f${i}`, weight: i }));
    return { version: '1.0.0', features: dup ? [...list, ...list] : list };
  };
  writeFileSync(path.join(ws, 'config', 'live.json'), JSON.stringify(features(60), null, 2));
  writeFileSync(path.join(ws, 'config', 'doubled.json'), JSON.stringify(features(60, true), null, 2));
  const tweak = features(60);
  tweak.features[1]!.weight = 7;
  tweak.version = '1.0.1';
  writeFileSync(path.join(ws, 'config', 'tweak.json'), JSON.stringify(tweak, null, 2));
  writeFileSync(path.join(ws, 'confgate.yaml'), 'version: 1\nkeys:\n  /features: name\n');
  return ws;
}

describe('action.yml (composite GitHub Action)', () => {
  it('is a composite action whose run steps use bash and whose upload step is code scanning', () => {
    expect(action.runs.using).toBe('composite');
    for (const s of action.runs.steps) if (s.run) expect(s.shell, s.name).toBe('bash');
    const upload = action.runs.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    expect(upload).toBeDefined();
    expect(upload!.if).toContain('always()');
    expect(action.inputs['proposed']!.required).toBe(true);
  });

  it.runIf(existsSync(BIN))('blocks a doubled list: annotations, SARIF at the repository root, step summary, outputs, failing last step', () => {
    const ws = workspace();
    const r = runAction(ws, { proposed: 'config/doubled.json', current: 'config/live.json', at: '2025-11-18T11:20:00Z' });
    const [check, verdict] = r.logs;
    expect(check!.status, check!.stderr).toBe(0); // the check step passes so that the upload runs
    expect(check!.stdout).toMatch(/^::stop-commands::/);
    expect(check!.stdout).toMatch(/^::error file=config\/doubled\.json,line=\d+/m);
    expect(r.outputs).toMatchObject({ verdict: 'block', 'exit-code': '1', 'sarif-file': 'confgate.sarif' });
    expect(Number(r.outputs['score'])).toBeGreaterThan(0);
    const sarif = JSON.parse(readFileSync(path.join(ws, 'confgate.sarif'), 'utf8'));
    const uris = sarif.runs[0].results.map((x: { locations?: Array<{ physicalLocation?: { artifactLocation: { uri: string } } }> }) => x.locations?.[0]?.physicalLocation?.artifactLocation.uri);
    expect(uris).toContain('config/doubled.json');
    expect(sarif.runs[0].properties.policy).toBe('confgate.yaml'); // discovered
    expect(r.summary).toContain('BLOCK');
    expect(r.skipped.map((s) => s.uses)).toEqual([expect.stringMatching(/^github\/codeql-action\/upload-sarif@/)]);
    // the last step fails the job with confgate's exit code
    expect(verdict!.status).toBe(1);
    expect(verdict!.stdout).toContain('confgate verdict: block (exit 1)');
  }, SLOW);

  it.runIf(existsSync(BIN))('passes a benign change from a working-directory, and fail-on warn turns a warn into a failure', () => {
    const ws = workspace();
    const ok = runAction(ws, { proposed: 'tweak.json', current: 'live.json', 'working-directory': 'config', at: '2025-11-18T11:20:00Z' });
    expect(ok.logs.map((l) => l.status)).toEqual([0, 0]);
    expect(['allow', 'warn']).toContain(ok.outputs['verdict']);
    expect(existsSync(path.join(ws, 'config', 'confgate.sarif'))).toBe(true);
    const sarif = JSON.parse(readFileSync(path.join(ws, 'config', 'confgate.sarif'), 'utf8'));
    for (const res of sarif.runs[0].results) {
      const uri = res.locations?.[0]?.physicalLocation?.artifactLocation.uri;
      if (uri !== undefined) expect(uri.startsWith('config/')).toBe(true); // relative to the repository root, not the working directory
    }
    // a revert of the doubled file passes; fail-on warn fails it (its version/shrink findings are warnings)
    writeFileSync(path.join(ws, 'config', 'old.json'), readFileSync(path.join(ws, 'config', 'live.json')));
    const rev = runAction(ws, { proposed: 'config/live.json', current: 'config/doubled.json', revert: 'INC-9', at: '2025-11-18T11:20:00Z' });
    expect(rev.outputs['exit-code']).toBe('0');
    const strict = runAction(ws, { proposed: 'config/live.json', current: 'config/doubled.json', revert: 'INC-9', 'fail-on': 'warn', at: '2025-11-18T11:20:00Z' });
    expect(strict.outputs).toMatchObject({ verdict: 'warn', 'exit-code': '1' });
    expect(strict.logs[1]!.status).toBe(1);
  }, SLOW);

  it.runIf(existsSync(BIN))('a missing input file fails closed (exit 2), never a pass', () => {
    const ws = workspace();
    const r = runAction(ws, { proposed: 'config/nope.json' });
    expect(r.outputs['exit-code']).toBe('2');
    expect(r.outputs['verdict']).toBe('error');
    expect(r.logs[1]!.status).toBe(2);
  }, SLOW);
});

describe('.pre-commit-hooks.yaml', () => {
  const hooks = parseYaml(readFileSync(path.join(ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as Array<{ id: string; entry: string; language: string }>;
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  /** Run the hook's entry as pre-commit does: split like a shell (here: bash -c '…' --), file names appended. */
  const runHook = (cwd: string, files: string[]) => {
    const entry = hooks[0]!.entry;
    const m = /^bash -c '([\s\S]*)' --$/.exec(entry);
    expect(m, entry).not.toBeNull();
    return spawnSync('bash', ['-c', m![1]!, '--', ...files], { cwd, encoding: 'utf8', timeout: 120_000 });
  };

  it('declares one system hook for yaml and json', () => {
    expect(hooks.map((h) => h.id)).toEqual(['confgate-check']);
    expect(hooks[0]!.language).toBe('system');
  });

  it.runIf(existsSync(BIN))('checks each changed file against its committed version; blocks a doubled list, passes a tweak and a new file', () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'confgate-precommit-'));
    git(repo, 'init', '-q');
    mkdirSync(path.join(repo, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(BIN, path.join(repo, 'node_modules', '.bin', 'confgate'));
    writeFileSync(path.join(repo, 'package.json'), '{"name":"x","private":true}');
    writeFileSync(path.join(repo, 'confgate.yaml'), 'version: 1\nkeys:\n  /features: name\n');
    const list = Array.from({ length: 60 }, (_, i) => ({ name: `f${i}`, weight: i }));
    writeFileSync(path.join(repo, 'features.json'), JSON.stringify({ version: '1.0.0', features: list }, null, 2));
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'live');
    writeFileSync(path.join(repo, 'features.json'), JSON.stringify({ version: '1.0.1', features: [...list, ...list] }, null, 2));
    const blocked = runHook(repo, ['features.json']);
    expect(blocked.status, blocked.stderr).toBe(1);
    expect(blocked.stdout).toMatch(/^BLOCK/);
    expect(blocked.stdout).toContain('current features.json@HEAD');
    writeFileSync(path.join(repo, 'features.json'), JSON.stringify({ version: '1.0.1', features: list.map((f, i) => (i === 2 ? { ...f, weight: 9 } : f)) }, null, 2));
    writeFileSync(path.join(repo, 'new.yaml'), 'a: 1\n');
    const ok = runHook(repo, ['features.json', 'new.yaml']);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toBe(''); // --quiet: nothing when it passes
  }, SLOW);
});
