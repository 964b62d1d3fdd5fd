/**
 * The hooks' temporary config files: with a file journal they live in `<journal>.hooks/` (not in a shared /tmp), and
 * what a confgate killed with SIGKILL left there is removed when the next `confgate rollout` starts (real processes,
 * the built CLI).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.cjs', import.meta.url));
// Without the build these tests would wait for hooks that never run, until vitest's timeout: say so at once.
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('dist/cli/bin.cjs is missing: run `npm run build` first (npm test does)');
});
const root = mkdtempSync(path.join(tmpdir(), 'confgate-hook-tmp-test-'));
const pids: number[] = [];
afterAll(() => {
  for (const p of pids) {
    try {
      process.kill(-p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(root, { recursive: true, force: true });
});

// apply: log where the config file is (and this hook's pid), then stay in the apply until killed
const HOOK = `
import { appendFileSync } from 'node:fs';
const [log, kind] = process.argv.slice(2);
appendFileSync(log, JSON.stringify({ kind, file: process.env.CONFGATE_CONFIG_FILE, pid: process.pid }) + '\\n');
if (kind === 'apply') await new Promise((r) => setTimeout(r, 600000));
`;

function run(dir: string, args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; pid: number }> {
  const child = spawn(process.execPath, [BIN, 'rollout', ...args], { cwd: dir, env: { ...process.env, CONFGATE_LOCK_DIR: path.join(root, 'locks') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr, pid: child.pid! })));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hook temporary files with a file journal', () => {
  it('live in <journal>.hooks, never in /tmp; what SIGKILL left is removed when the next rollout starts', async () => {
    const dir = path.join(root, 'w');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'targets.json'), JSON.stringify({ targets: [{ id: 'a', labels: {} }, { id: 'b', labels: {} }] }));
    writeFileSync(path.join(dir, 'confgate.yaml'), 'version: 1\nrollout:\n  stages:\n    - { name: all, percent: 100 }\n');
    writeFileSync(path.join(dir, 'live.json'), JSON.stringify({ version: '1.0.0', password: 'hunter2-live' }));
    writeFileSync(path.join(dir, 'next.json'), JSON.stringify({ version: '1.0.1', password: 'hunter2-next' }));
    writeFileSync(path.join(dir, 'hook.mjs'), HOOK);
    const log = path.join(dir, 'hook.log');
    const hook = (kind: string) => `${process.execPath} hook.mjs ${log} ${kind}`;
    const journal = path.join(dir, 'deploy.journal');
    const hooksDir = `${journal}.hooks`;
    // a stale dir in the system's temporary directory, of a process that is gone: removed at the next start too
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const staleTmp = path.join(tmpdir(), `confgate-hook-${dead}-planted`);
    mkdirSync(staleTmp, { recursive: true });

    const first = run(dir, ['--proposed', 'next.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml', '--journal', journal, '--apply', hook('apply'), '--rollback', hook('rollback'), '--concurrency', '1']);
    const end = Date.now() + 120_000;
    while (!existsSync(log) && Date.now() < end) await sleep(20);
    const call = JSON.parse(readFileSync(log, 'utf8').split('\n')[0]!) as { file: string; pid: number };
    pids.push(call.pid);
    const cliPid = Number(/^confgate-hook-(\d+)-/.exec(path.basename(path.dirname(call.file)))?.[1]);
    // the config file is in the journal's .hooks directory (0700), not in /tmp
    expect(path.dirname(path.dirname(call.file))).toBe(hooksDir);
    expect(statSync(hooksDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(call.file, 'utf8')).toContain('hunter2-next');
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith(`confgate-hook-${cliPid}-`))).toEqual([]);
    expect(existsSync(staleTmp)).toBe(false); // the start cleaned the system's temporary directory too

    process.kill(cliPid, 'SIGKILL');
    expect((await first).signal).toBe('SIGKILL');
    process.kill(-call.pid, 'SIGKILL'); // its hook, in a process group of its own
    // SIGKILL left the config behind
    expect(existsSync(call.file)).toBe(true);

    const resumed = await run(dir, ['--resume', '--journal', journal, '--current', 'live.json', '--rollback', hook('rollback')]);
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(resumed.stderr).toMatch(/ROLLED-BACK/);
    // the killed run's dir is gone, the resume's own dirs too: nothing holds a config any more
    expect(existsSync(path.dirname(call.file))).toBe(false);
    expect(readdirSync(hooksDir)).toEqual([]);
    const rollbacks = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; file: string }).filter((c) => c.kind === 'rollback');
    expect(rollbacks.length).toBeGreaterThan(0);
    for (const r of rollbacks) expect(path.dirname(path.dirname(r.file))).toBe(hooksDir);
  }, 300_000);
});
