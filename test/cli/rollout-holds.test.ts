/**
 * The built CLI (`dist/cli/bin.cjs`, real processes, real hook processes): a denied approval holds and an operator
 * decides, a pause posted while a stage applies stops new applies at once, a canary stage under maintenance holds
 * instead of letting the wider stage go first, and `confgate control` with no live process says so; the resume then
 * honours the pending command. What the hooks did is read from the hooks' own log, never from the journal.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../dist/cli/bin.cjs');
const root = mkdtempSync(path.join(tmpdir(), 'confgate-cli-holds-'));
const ENV = { ...process.env, CONFGATE_LOCK_DIR: path.join(root, 'locks'), USER: 'alice', NO_COLOR: '1' };
let seq = 0;

// apply: blocks while `gate` is missing when asked to (--block FILE); approve: denies while `deny` exists.
const HOOK = `
import { appendFileSync, existsSync } from 'node:fs';
const [log, kind, ...rest] = process.argv.slice(2);
const id = process.env.CONFGATE_TARGET_ID;
appendFileSync(log, JSON.stringify({ kind, id, stage: process.env.CONFGATE_STAGE, at: Date.now() }) + '\\n');
if (rest[0] === '--block' && process.env.CONFGATE_STAGE !== 'canary') {
  while (!existsSync(rest[1])) await new Promise((r) => setTimeout(r, 20));
  appendFileSync(log, JSON.stringify({ kind: kind + '-done', id }) + '\\n');
}
if (rest[0] === '--deny-while' && existsSync(rest[1])) { console.error('change board: not approved'); process.exit(3); }
`;

function workdir(extraPolicy: string[] = [], stages = ['    - { name: canary, count: 1, bake: 50ms }', '    - { name: all, percent: 100, bake: 20ms }']): string {
  const dir = path.join(root, `w${seq++}`);
  mkdirSync(dir, { recursive: true });
  const targets = Array.from({ length: 6 }, (_, i) => ({ id: `pop-${i + 1}`, labels: { region: `r${i % 3}` } }));
  writeFileSync(path.join(dir, 'targets.json'), JSON.stringify({ targets }));
  writeFileSync(
    path.join(dir, 'confgate.yaml'),
    ['version: 1', ...extraPolicy, 'rollout:', '  stages:', ...stages, '  health: { interval: 20ms, timeout: 10s, failureLimit: 0 }', ''].join('\n'),
  );
  writeFileSync(path.join(dir, 'live.json'), JSON.stringify({ version: '1.0.0', weight: 1 }));
  writeFileSync(path.join(dir, 'next.json'), JSON.stringify({ version: '1.0.1', weight: 2 }));
  writeFileSync(path.join(dir, 'hook.mjs'), HOOK);
  return dir;
}

const hook = (kind: string, ...rest: string[]) => JSON.stringify([process.execPath, 'hook.mjs', 'calls.log', kind, ...rest]);
const gateArgs = ['--proposed', 'next.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml'];

function calls(dir: string): Array<{ kind: string; id: string; stage?: string }> {
  const file = path.join(dir, 'calls.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; id: string; stage?: string });
}
const ids = (dir: string, kind: string) => calls(dir).filter((c) => c.kind === kind).map((c) => c.id);

/** Run the built CLI to the end. */
function run(dir: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env: ENV, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Start the built CLI in the background. */
function start(dir: string, args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: ENV });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { done, err: () => stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 90_000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
const status = (dir: string) => JSON.parse(run(dir, ['status', '--format', 'json']).stdout) as { status: string; hold?: { kind: string; reason: string }; process: string; commands: Array<{ command: string; action: string; note?: string }> };

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('built CLI: holds and operator decisions', () => {
  it('a denied approval holds (nothing rolled back); control continue asks again and the rollout completes', async () => {
    const dir = workdir([], ['    - { name: canary, count: 1, bake: 20ms }', '    - { name: all, percent: 100, bake: 20ms, approval: true }']);
    writeFileSync(path.join(dir, 'deny'), '');
    const p = start(dir, ['rollout', ...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--approval', hook('approve', '--deny-while', 'deny'), '--format', 'json']);
    await until(() => /HELD \(approval\)/.test(p.err()), 'the approval hold');
    const s = status(dir);
    expect(s).toMatchObject({ status: 'held', stage: { index: 1, name: 'all' }, hold: { kind: 'approval' } });
    expect(s.hold!.reason).toMatch(/approval denied for stage "all" \(command .* exited with code 3: change board: not approved\); nothing was rolled back/);
    expect(s.process).toMatch(/^running/);
    rmSync(path.join(dir, 'deny'));
    const c = run(dir, ['control', 'continue', '--reason', 'CAB-1234 approved']);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/^posted continue for rollout \S+\n$/); // a live process: not pending
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('completed');
    expect(ids(dir, 'approve')).toEqual(['stage:all', 'stage:all']); // asked again
    expect(ids(dir, 'rollback')).toEqual([]);
    expect(ids(dir, 'apply').sort()).toEqual(['pop-1', 'pop-2', 'pop-3', 'pop-4', 'pop-5', 'pop-6']);
  });

  it('pause while a stage applies: no new apply starts, the in-flight ones settle, held; continue applies the rest', async () => {
    const dir = workdir();
    const gate = path.join(dir, 'gate');
    const p = start(dir, ['rollout', ...gateArgs, '--apply', hook('apply', '--block', gate), '--rollback', hook('rollback'), '--health', hook('health'), '--concurrency', '2', '--format', 'json']);
    await until(() => calls(dir).filter((c) => c.kind === 'apply' && c.stage === 'all').length === 2, 'two applies of stage "all" in flight');
    expect(run(dir, ['control', 'pause', '--reason', 'error budget alert']).code).toBe(0);
    await until(() => status(dir).commands.some((c) => c.command === 'pause' && c.action === 'applied'), 'the engine to read the pause');
    writeFileSync(gate, ''); // the applies in flight finish
    await until(() => status(dir).status === 'held', 'the hold');
    await sleep(300);
    const inStage = calls(dir).filter((c) => c.kind === 'apply' && c.stage === 'all');
    expect(inStage).toHaveLength(2); // nothing started after the pause was read
    expect(ids(dir, 'apply-done')).toHaveLength(2);
    expect(status(dir).hold).toMatchObject({ kind: 'operator', reason: expect.stringMatching(/paused by operator alice@\S+ \(error budget alert\)/) });
    const healthy = calls(dir).filter((c) => c.kind === 'health' && inStage.some((a) => a.id === c.id)).length;
    await until(() => calls(dir).filter((c) => c.kind === 'health' && inStage.some((a) => a.id === c.id)).length > healthy, 'health checks of the held targets');
    expect(run(dir, ['control', 'continue']).code).toBe(0);
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('completed');
    expect(ids(dir, 'apply').sort()).toEqual(['pop-1', 'pop-2', 'pop-3', 'pop-4', 'pop-5', 'pop-6']); // each once
  });

  it('a canary under maintenance holds (the wider stage waits); continue pushes the canary first', async () => {
    const now = Date.now();
    const win = (ms: number) => new Date(now + ms).toISOString();
    // the canary (the first target of the plan) is in region r0; r0 is under maintenance for the next hour
    const dir = workdir(['windows:', `  - { name: r0 maintenance, kind: maintenance, targets: { region: r0 }, start: "${win(-3_600_000)}", end: "${win(3_600_000)}" }`]);
    const p = start(dir, ['rollout', ...gateArgs, '--at', win(-7_200_000), '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--events', 'events.ndjson', '--format', 'json']);
    await until(() => /HELD \(maintenance\)/.test(p.err()), 'the maintenance hold');
    expect(ids(dir, 'apply')).toEqual([]);
    const s = status(dir);
    expect(s.hold!.reason).toMatch(/stage "canary" cannot start: every one of its 1 target\(s\) is under maintenance \("r0 maintenance" until \S+Z\); a wider stage never starts before this one was applied and baked/);
    expect(run(dir, ['control', 'continue', '--reason', 'maintenance done early']).code).toBe(0);
    const r = await p.done;
    expect(JSON.parse(r.stdout).status).toBe('incomplete'); // region r0 targets of the last stage stay on the LKG
    const applied = calls(dir).filter((c) => c.kind === 'apply');
    expect(applied[0]).toMatchObject({ stage: 'canary' });
    const events = readFileSync(path.join(dir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.some((e) => e.type === 'rollout.held' && e.kind === 'maintenance')).toBe(true);
    expect(events.some((e) => e.type === 'rollout.released' && e.by === 'operator')).toBe(true);
  });
});

describe('built CLI: commands posted while no process runs the rollout', () => {
  const approvalStages = ['    - { name: canary, count: 1, bake: 20ms }', '    - { name: all, percent: 100, bake: 20ms, approval: true }'];
  /** A rollout held on a denied approval whose process exited (--hold-timeout). */
  function heldAndExited(): string {
    const dir = workdir([], approvalStages);
    writeFileSync(path.join(dir, 'deny'), '');
    const r = run(dir, ['rollout', ...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--approval', hook('approve', '--deny-while', 'deny'), '--hold-timeout', '300ms']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/HELD/);
    expect(r.stderr).toMatch(/no operator decided within --hold-timeout; nothing was rolled back/);
    return dir;
  }

  it('control says no live process holds the rollout and what to run; --resume honours a pending abort (status aborted)', () => {
    const dir = heldAndExited();
    const c = run(dir, ['control', 'abort', '--reason', 'not this week']);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/posted abort for rollout \S+: pending \(no live process holds this rollout\)/);
    expect(c.stderr).toMatch(/no live process holds rollout \S+ \(not running\); it is held \(approval: approval denied/);
    expect(c.stderr).toMatch(/your abort is pending: .* run `confgate rollout --resume --journal "[^"]+" --current FILE --rollback HOOK`/);
    const st = run(dir, ['status']);
    expect(st.stdout).toMatch(/abort by alice@\S+ \(not this week\): pending/);
    expect(st.stdout).toMatch(/pending commands are acted on by the next `confgate rollout --resume`/);
    const r = run(dir, ['rollout', '--resume', '--current', 'live.json', '--rollback', hook('rollback'), '--format', 'json']);
    expect(r.code).toBe(1);
    const res = JSON.parse(r.stdout);
    expect(res.status).toBe('aborted');
    expect(res.reason).toMatch(/aborted by operator alice@\S+ \(not this week\) while no process ran the rollout/);
    expect(ids(dir, 'rollback')).toEqual(ids(dir, 'apply'));
    expect(status(dir).commands).toEqual([expect.objectContaining({ command: 'abort', action: 'applied' })]);
  });

  it('a pending continue: a plain --resume refuses (exit 2, nothing done); --resume --forward asks the approval again and completes', () => {
    const dir = heldAndExited();
    rmSync(path.join(dir, 'deny'));
    const c = run(dir, ['control', 'continue', '--reason', 'CAB-1234 approved']);
    expect(c.code).toBe(0);
    expect(c.stderr).toMatch(/your continue is pending: .* run `confgate rollout --resume --forward/);
    const refused = run(dir, ['rollout', '--resume', '--current', 'live.json', '--rollback', hook('rollback')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pending `continue` posted by alice@\S+ \(CAB-1234 approved\).* --resume --forward/);
    expect(ids(dir, 'rollback')).toEqual([]);
    const r = run(dir, ['rollout', '--resume', '--forward', '--proposed', 'next.json', '--current', 'live.json', '--policy', 'confgate.yaml', '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--approval', hook('approve', '--deny-while', 'deny'), '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', resumed: true });
    expect(ids(dir, 'approve')).toEqual(['stage:all', 'stage:all']);
    expect(ids(dir, 'rollback')).toEqual([]);
    expect(status(dir).commands).toEqual([expect.objectContaining({ command: 'continue', action: 'applied', note: expect.stringMatching(/resume continues it/) })]);
  });
});

describe('npm start (examples/main.mjs, on the built package)', () => {
  it('shows holds followed by an operator decision: inconclusive health, then a denied approval asked again', () => {
    const r = spawnSync(process.execPath, [path.resolve(__dirname, '../../examples/main.mjs')], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(0);
    const out = r.stdout;
    const order = [
      /rollout\.held stage=\d+ kind=inconclusive/,
      /\(operator\) confgate control continue/,
      /rollout\.held stage=1 kind=approval reason=approval denied/,
      /command command=continue user=oncall .*action=applied reason=CAB-1234 approved/,
      /approval stage=1 name=\S+ approved=true/,
      /the approval hook was asked 2 times; nothing was rolled back/,
    ].map((re) => out.search(re));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});
