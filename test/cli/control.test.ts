/**
 * Operator control from another "process" (a second `runCli` while the rollout runs): `confgate control` and
 * `confgate status`, plus `--events`, `--promote`, `--verify` and `--resume --forward`, with real hook processes.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.js';
import { FileJournal, planRollout, runRollout } from '../../src/rollout/index.js';
import type { SerializedResult } from '../../src/rollout/index.js';

const NODE = /\s/.test(process.execPath) ? 'node' : process.execPath;
const root = mkdtempSync(path.join(tmpdir(), 'confgate-cli-control-'));
let seq = 0;

const HOOK = `
import { appendFileSync, readFileSync } from 'node:fs';
const [log, kind, ...rest] = process.argv.slice(2);
const id = process.env.CONFGATE_TARGET_ID;
appendFileSync(log, JSON.stringify({ kind, id, generation: process.env.CONFGATE_GENERATION }) + '\\n');
if (rest[0] === '--echo-secret') {
  const cfg = JSON.parse(readFileSync(process.env.CONFGATE_CONFIG_FILE, 'utf8'));
  console.error('cannot push token ' + cfg.apiToken);
  process.exit(1);
}
if (rest[0] === '--fail') process.exit(3);
`;

function workdir(bake = '50ms'): string {
  const dir = path.join(root, `w${seq++}`);
  mkdirSync(dir, { recursive: true });
  const targets = [1, 2, 3, 4].map((i) => ({ id: `pop-${i}`, labels: { region: `r${i % 2}` } }));
  writeFileSync(path.join(dir, 'targets.json'), JSON.stringify({ targets }));
  writeFileSync(
    path.join(dir, 'confgate.yaml'),
    [
      'version: 1',
      'rollout:',
      '  stages:',
      `    - { name: canary, count: 1, bake: ${bake} }`,
      '    - { name: all, percent: 100, bake: 20ms }',
      '  health: { interval: 20ms, timeout: 10s, failureLimit: 0 }',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'live.json'), JSON.stringify({ version: '1.0.0', apiToken: 'tok-live-0000', weight: 1 }));
  writeFileSync(path.join(dir, 'next.json'), JSON.stringify({ version: '1.0.1', apiToken: 'tok-NEW-SECRET-9876', weight: 2 }));
  writeFileSync(path.join(dir, 'hook.mjs'), HOOK);
  chmodSync(path.join(dir, 'hook.mjs'), 0o755);
  return dir;
}

async function cli(dir: string, args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: { CONFGATE_LOCK_DIR: path.join(root, 'locks'), ...env }, // this file's own locks (scope targets:targets)
    isTTY: false,
    isErrTTY: false,
    cwd: dir,
    now: () => new Date(),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const hook = (kind: string, ...rest: string[]) => [NODE, 'hook.mjs', 'calls.log', kind, ...rest].join(' ');
const gateArgs = ['--proposed', 'next.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml'];
function calls(dir: string): Array<{ kind: string; id: string; generation: string }> {
  const file = path.join(dir, 'calls.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; id: string; generation: string });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 60_000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('confgate control / status', () => {
  it('pause holds a running rollout, status shows who asked and why, continue releases it', async () => {
    const dir = workdir('3s');
    const journal = path.join(dir, 'confgate-rollout.journal');
    const run = cli(dir, ['rollout', ...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--format', 'json']);
    await until(() => calls(dir).some((c) => c.kind === 'health'), 'the canary bake');
    const paused = await cli(dir, ['control', 'pause', '--reason', 'checking the dashboards'], { USER: 'alice' });
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/posted pause for rollout/);
    await until(() => readFileSync(journal, 'utf8').includes('"type":"hold"'), 'the hold');
    const status = await cli(dir, ['status', '--format', 'json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ status: 'held', stage: { index: 0, name: 'canary' }, hold: { kind: 'operator' } });
    expect(s.process).toMatch(/^running/);
    expect(s.commands).toEqual([expect.objectContaining({ command: 'pause', user: 'alice', reason: 'checking the dashboards', action: 'applied' })]);
    const text = await cli(dir, ['status']);
    expect(text.stdout).toMatch(/HELD/);
    expect(text.stdout).toMatch(/pause by alice@\S+ \(checking the dashboards\): applied/);
    const cont = await cli(dir, ['control', 'continue', '--journal', 'confgate-rollout.journal', '--reason', 'fine'], { USER: 'bob' });
    expect(cont.code).toBe(0);
    const r = await run;
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as SerializedResult).status).toBe('completed');
    expect(r.stderr).toMatch(/HELD \(operator\)/);
    const after = JSON.parse((await cli(dir, ['status', '--format', 'json'])).stdout);
    expect(after.status).toBe('completed');
    expect(after.commands.map((c: { command: string; user: string }) => `${c.command}:${c.user}`)).toEqual(['pause:alice', 'continue:bob']);
    // a finished rollout cannot be controlled
    const late = await cli(dir, ['control', 'abort']);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/already finished/);
  });

  it('abort from another process rolls back (exit 1); usage errors exit 2', async () => {
    const dir = workdir('1h');
    const run = cli(dir, ['rollout', ...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--format', 'json']);
    await until(() => calls(dir).some((c) => c.kind === 'health'), 'the canary bake');
    expect((await cli(dir, ['control', 'abort', '--reason', 'wrong region'], { USER: 'carol' })).code).toBe(0);
    const r = await run;
    expect(r.code).toBe(1);
    const res = JSON.parse(r.stdout) as SerializedResult;
    expect(res.status).toBe('aborted');
    expect(res.reason).toMatch(/aborted by operator carol@\S+ \(wrong region\)/);
    expect(calls(dir).filter((c) => c.kind === 'rollback').map((c) => c.id)).toEqual(calls(dir).filter((c) => c.kind === 'apply').map((c) => c.id));
    expect((await cli(dir, ['control', 'explode'])).code).toBe(2);
    expect((await cli(dir, ['control'])).code).toBe(2);
    expect((await cli(dir, ['status', '--journal', 'missing.journal'])).code).toBe(2);
  });
});

describe('confgate rollout: --events, --promote, --verify, --approval-timeout', () => {
  it('--events writes one JSON line per event with v, secrets masked; --promote runs once after the last bake', async () => {
    const dir = workdir();
    const r = await cli(dir, ['rollout', ...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--promote', hook('promote'), '--events', 'events.ndjson']);
    expect(r.code).toBe(0);
    const lines = readFileSync(path.join(dir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.every((e) => e.v === 1 && typeof e.type === 'string' && typeof e.ts === 'string')).toBe(true);
    expect(lines[0].type).toBe('rollout.started');
    expect(lines.at(-1)).toMatchObject({ type: 'rollout.finished', status: 'completed' });
    expect(calls(dir).filter((c) => c.kind === 'promote')).toHaveLength(1);
    expect(calls(dir).at(-1)!.kind).toBe('promote');
  });

  it('a secret echoed by a failing hook is masked in the events; --verify runs after each rollback with CONFGATE_GENERATION', async () => {
    const dir = workdir();
    const r = await cli(dir, ['rollout', ...gateArgs, '--apply', hook('apply', '--echo-secret'), '--rollback', hook('rollback'), '--verify', hook('verify'), '--events', '-', '--format', 'json']);
    expect(r.code).toBe(1);
    const eventLines = r.stdout.split('\n').filter((l) => l.startsWith('{"v":1'));
    expect(eventLines.length).toBeGreaterThan(3);
    const all = eventLines.join('\n');
    expect(all).toMatch(/apply-failed/);
    expect(all).not.toContain('tok-NEW-SECRET-9876');
    const c = calls(dir);
    const applied = c.find((x) => x.kind === 'apply')!;
    const rolled = c.find((x) => x.kind === 'rollback' && x.id === applied.id)!;
    const verified = c.find((x) => x.kind === 'verify' && x.id === applied.id)!;
    expect(Number(applied.generation)).toBe(1);
    expect(Number(rolled.generation)).toBe(2);
    expect(verified.generation).toBe(rolled.generation);
  });
});

describe('confgate rollout --resume --forward', () => {
  it('continues a held rollout whose process exited: re-checks health, applies the rest, completes', async () => {
    const dir = workdir();
    const journalPath = path.join(dir, 'confgate-rollout.journal');
    const targets = JSON.parse(readFileSync(path.join(dir, 'targets.json'), 'utf8')).targets;
    const log = path.join(dir, 'calls.log');
    const held = await runRollout({
      plan: planRollout({ targets, stages: [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }] }),
      proposed: JSON.parse(readFileSync(path.join(dir, 'next.json'), 'utf8')),
      lkg: JSON.parse(readFileSync(path.join(dir, 'live.json'), 'utf8')),
      apply: (t) => appendFileSync(log, JSON.stringify({ kind: 'apply', id: t.id, generation: '1' }) + '\n'),
      rollback: () => undefined,
      health: () => ({ healthy: false, inconclusive: true }),
      healthOptions: { interval: 5, timeout: 1000 },
      holdTimeout: 30,
      journal: new FileJournal(journalPath),
    });
    expect(held.status).toBe('held');
    const refused = await cli(dir, ['rollout', ...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--resume --forward/);
    // the journal keeps only hashes of the documents: going forward needs them again (verified)
    const noDocs = await cli(dir, ['rollout', '--resume', '--forward', '--policy', 'confgate.yaml', '--apply', hook('apply'), '--rollback', hook('rollback')]);
    expect(noDocs.code).toBe(2);
    expect(noDocs.stderr).toMatch(/--resume --forward needs --proposed FILE/);
    const r = await cli(dir, ['rollout', '--resume', '--forward', '--proposed', 'next.json', '--current', 'live.json', '--policy', 'confgate.yaml', '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--format', 'json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as SerializedResult;
    expect(res).toMatchObject({ status: 'completed', resumed: true });
    expect(calls(dir).filter((c) => c.kind === 'apply').map((c) => c.id).sort()).toEqual(['pop-1', 'pop-2', 'pop-3', 'pop-4']);
    expect(calls(dir).filter((c) => c.kind === 'rollback')).toEqual([]);
  });

  it('--forward without --resume is a usage error', async () => {
    const dir = workdir();
    const r = await cli(dir, ['rollout', ...gateArgs, '--forward', '--apply', hook('apply'), '--rollback', hook('rollback')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--forward goes with --resume/);
  });
});
