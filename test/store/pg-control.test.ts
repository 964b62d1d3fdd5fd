/**
 * The operator-command channel through the PostgreSQL store, with real processes: a `confgate rollout` (the built
 * CLI) runs against `--journal postgres://…`, and `confgate control` / `confgate status` run as other processes in
 * other working directories (other machines, as far as they can tell: they share only the database URL and scope).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchemas, freshSchema, PG_URL, sql } from './pg.js';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.cjs', import.meta.url));
// Without the build these tests would wait for hooks that never run, until vitest's timeout: say so at once.
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('dist/cli/bin.cjs is missing: run `npm run build` first (npm test does)');
});
const root = mkdtempSync(path.join(tmpdir(), 'confgate-pg-control-'));
const schema = freshSchema('confgate_pgctl');
const URL_ = `${PG_URL}?schema=${schema}`;
const SCOPE = 'edge-pg-control';
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropSchemas(schema);
});

const HOOK = `
import { appendFileSync } from 'node:fs';
const [log, kind] = process.argv.slice(2);
appendFileSync(log, JSON.stringify({ kind, id: process.env.CONFGATE_TARGET_ID }) + '\\n');
`;

let seq = 0;
function machine(): string {
  const dir = path.join(root, `m${seq++}`);
  mkdirSync(dir);
  return dir;
}

function run(dir: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const end = Date.now() + 180_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Status {
  status: string;
  hold?: { kind: string };
  commands: { command: string; user: string; reason?: string; action: string }[];
}

describe('confgate control through the PostgreSQL store, from other processes and directories', () => {
  it('pause holds the running rollout, status (elsewhere) shows it, continue releases it, abort rolls it back', async () => {
    const runner = machine();
    writeFileSync(path.join(runner, 'targets.json'), JSON.stringify({ targets: [1, 2, 3, 4].map((i) => ({ id: `pop-${i}`, labels: { region: `r${i % 2}` } })) }));
    // a canary bake of an hour: the rollout stays in it until an operator acts
    writeFileSync(path.join(runner, 'confgate.yaml'), 'version: 1\nrollout:\n  stages:\n    - { name: canary, count: 1, bake: 1h }\n    - { name: all, percent: 100 }\n  health: { interval: 50ms, timeout: 10s }\n');
    writeFileSync(path.join(runner, 'live.json'), JSON.stringify({ version: '1.0.0', weight: 1 }));
    writeFileSync(path.join(runner, 'next.json'), JSON.stringify({ version: '1.0.1', weight: 2 }));
    writeFileSync(path.join(runner, 'hook.mjs'), HOOK);
    const log = path.join(runner, 'calls.log');
    const hook = (kind: string) => `${process.execPath} hook.mjs ${log} ${kind}`;
    const calls = (): { kind: string; id: string }[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; id: string }) : []);
    const where = ['--journal', URL_, '--scope', SCOPE];

    const rollout = run(runner, ['rollout', '--proposed', 'next.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml', ...where, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--format', 'json']);
    await until(() => (calls().some((c) => c.kind === 'health') ? true : undefined), 'the canary bake');

    const ops = machine(); // the operator's machine: no journal file, only the database URL (CONFGATE_JOURNAL)
    const status = async (): Promise<Status> => {
      const s = await run(machine(), ['status', '--scope', SCOPE, '--format', 'json'], { CONFGATE_JOURNAL: URL_ });
      expect(s.code, s.stderr).toBe(0);
      return JSON.parse(s.stdout) as Status;
    };
    const pause = await run(ops, ['control', 'pause', '--scope', SCOPE, '--reason', 'checking the dashboards'], { CONFGATE_JOURNAL: URL_, USER: 'alice' });
    expect(pause.code, pause.stderr).toBe(0);
    expect(pause.stdout).toMatch(/posted pause for rollout/);
    const held = await until(async () => {
      const s = await status();
      return s.status === 'held' ? s : undefined;
    }, 'the hold');
    expect(held.hold).toMatchObject({ kind: 'operator' });
    expect(held.commands).toEqual([expect.objectContaining({ command: 'pause', user: 'alice', reason: 'checking the dashboards', action: 'applied' })]);

    const cont = await run(ops, ['control', 'continue', ...where, '--reason', 'dashboards fine'], { USER: 'bob' });
    expect(cont.code, cont.stderr).toBe(0);
    await until(async () => {
      const s = await status();
      return s.status !== 'held' && s.commands.some((c) => c.command === 'continue' && c.action === 'applied') ? s : undefined;
    }, 'the release');

    const abort = await run(ops, ['control', 'abort', ...where, '--reason', 'wrong region'], { USER: 'carol' });
    expect(abort.code, abort.stderr).toBe(0);
    const r = await rollout;
    expect(r.code, r.stderr).toBe(1);
    const res = JSON.parse(r.stdout) as { status: string; reason: string };
    expect(res.status).toBe('aborted');
    expect(res.reason).toMatch(/aborted by operator carol@\S+ \(wrong region\)/);
    const applied = calls().filter((c) => c.kind === 'apply').map((c) => c.id);
    expect(applied.length).toBeGreaterThan(0);
    expect(calls().filter((c) => c.kind === 'rollback').map((c) => c.id).sort()).toEqual([...applied].sort());

    // the commands are rows in the database (not files), and the journal records what was done with each
    const rows = await sql<{ cmd: string; usr: string }>(`SELECT command->>'command' AS cmd, command->>'user' AS usr FROM ${pg.escapeIdentifier(schema)}.commands WHERE scope = $1 ORDER BY seq`, [SCOPE]);
    expect(rows.map((x) => `${x.cmd}:${x.usr}`)).toEqual(['pause:alice', 'continue:bob', 'abort:carol']);
    const after = await status();
    expect(after.status).toBe('aborted');
    expect(after.commands.map((c) => `${c.command}:${c.user}:${c.action}`)).toEqual(['pause:alice:applied', 'continue:bob:applied', 'abort:carol:applied']);
    // a finished rollout cannot be controlled
    const late = await run(ops, ['control', 'pause', ...where]);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/already finished/);
  }, 600_000);
});

describe('--resume --forward through the PostgreSQL store, from another machine', () => {
  it('a holder killed mid-rollout is continued elsewhere: every target ends on the proposed config; history says so', async () => {
    const dirs = [machine(), machine()];
    for (const d of dirs) {
      writeFileSync(path.join(d, 'targets.json'), JSON.stringify({ targets: Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, labels: { region: `r${i % 2}` } })) }));
      writeFileSync(path.join(d, 'confgate.yaml'), 'version: 1\nrollout:\n  stages:\n    - { name: canary, count: 1, bake: 10ms }\n    - { name: all, percent: 100, bake: 10ms }\n  health: { interval: 10ms, timeout: 10s }\n');
      writeFileSync(path.join(d, 'live.json'), JSON.stringify({ version: '1.0.0', weight: 1 }));
      writeFileSync(path.join(d, 'next.json'), JSON.stringify({ version: '1.0.1', weight: 2 }));
      writeFileSync(path.join(d, 'hook.mjs'), HOOK.replace("appendFileSync(log", "await new Promise((r) => setTimeout(r, kind === 'apply' ? 60 : 1));\nappendFileSync(log"));
    }
    const log = path.join(root, 'forward.log');
    const hooks = (d: string) => ['--apply', `${process.execPath} ${path.join(d, 'hook.mjs')} ${log} apply`, '--rollback', `${process.execPath} ${path.join(d, 'hook.mjs')} ${log} rollback`, '--health', `${process.execPath} ${path.join(d, 'hook.mjs')} ${log} health`];
    const calls = (): { kind: string; id: string }[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; id: string }) : []);
    const where = ['--journal', URL_, '--scope', 'pg-forward'];
    const gate = ['--proposed', 'next.json', '--current', 'live.json', '--policy', 'confgate.yaml'];
    const child = spawn(process.execPath, [BIN, 'rollout', ...gate, '--targets', 'targets.json', ...where, ...hooks(dirs[0]!), '--concurrency', '1', '--lease-ttl', '3s'], { cwd: dirs[0], stdio: 'ignore' });
    const exited = new Promise((r) => child.on('close', r));
    await until(() => (calls().filter((c) => c.kind === 'apply').length >= 3 ? true : undefined), 'three applies');
    child.kill('SIGKILL');
    await exited;
    const args = ['rollout', '--resume', '--forward', ...gate, ...where, ...hooks(dirs[1]!), '--format', 'json'];
    let r = await run(dirs[1]!, args);
    for (let i = 0; i < 120 && r.code === 2 && /is locked/.test(r.stderr); i++) {
      await sleep(500); // the killed holder's lease (3s) runs out first
      r = await run(dirs[1]!, args);
    }
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', resumed: true });
    // every target's last apply or rollback call is an apply: the whole fleet is on the proposed config
    const last = new Map<string, string>();
    for (const c of calls()) if (c.kind !== 'health') last.set(c.id, c.kind);
    expect([...last.keys()].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `t${i}`));
    expect([...last.values()].every((k) => k === 'apply')).toBe(true);
    const h = await run(machine(), ['history', ...where, '--format', 'json']);
    expect(JSON.parse(h.stdout).rollouts[0]).toMatchObject({ status: 'completed' });
  }, 600_000);
});
