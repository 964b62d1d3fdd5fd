/**
 * `confgate rollout` end to end, in-process (`runCli`), with real hook processes (`node hook.mjs ...`, no shell) and
 * a real HTTP server on 127.0.0.1: completed run and its journal, health failure -> rollback newest first, a blocked
 * gate calls no hook, --resume after a crash, hostile target ids passed verbatim, HTTP hooks (2xx, 500, hang).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.js';
import { FileJournal, planRollout } from '../../src/rollout/index.js';
import type { JournalRecord, SerializedResult } from '../../src/rollout/index.js';

const NODE = /\s/.test(process.execPath) ? 'node' : process.execPath;
const root = mkdtempSync(path.join(tmpdir(), 'confgate-cli-rollout-'));
let seq = 0;

const HOOK = `
import { appendFileSync } from 'node:fs';
const [log, kind, ...rest] = process.argv.slice(2);
const id = process.env.CONFGATE_TARGET_ID;
const labels = JSON.parse(process.env.CONFGATE_TARGET_LABELS);
appendFileSync(log, JSON.stringify({ kind, id, labels, stage: process.env.CONFGATE_STAGE }) + '\\n');
if (rest[0] === '--fail-region' && labels.region === rest[1]) {
  console.error('unhealthy: 5xx rate 40% in ' + labels.region);
  process.exit(1);
}
if (rest[0] === '--fail') process.exit(3);
`;

const features = (n: number, dup = false) => {
  const list = Array.from({ length: n }, (_, i) => ({ name: `f${i}`, weight: i }));
  return { version: '1.0.0', features: dup ? [...list, ...list] : list };
};

function policy(extra = ''): string {
  return [
    'version: 1',
    'keys:',
    '  /features: name',
    'rollout:',
    '  stages:',
    `    - { name: canary, count: 1, bake: 50ms${extra} }`,
    '    - { name: all, percent: 100, bake: 50ms }',
    '  failureDomain: region',
    '  health: { interval: 20ms, timeout: 10s, failureLimit: 0 }',
    '',
  ].join('\n');
}

/** A fresh working directory with policy, targets, configs and the hook script. */
function workdir(targets: Array<{ id: string; labels: Record<string, string> }> | undefined = undefined, policyText = policy()): string {
  const dir = path.join(root, `w${seq++}`);
  mkdirSync(dir, { recursive: true });
  const list = targets ?? [
    { id: 'pop-1', labels: { region: 'r1' } },
    { id: 'pop-2', labels: { region: 'r2' } },
    { id: 'pop-3', labels: { region: 'r1' } },
    { id: 'pop-4', labels: { region: 'r2' } },
  ];
  writeFileSync(path.join(dir, 'targets.json'), JSON.stringify({ targets: list }));
  writeFileSync(path.join(dir, 'confgate.yaml'), policyText);
  writeFileSync(path.join(dir, 'live.json'), JSON.stringify(features(20), null, 2));
  const next = features(20);
  next.features[3]!.weight = 99;
  next.version = '1.0.1';
  writeFileSync(path.join(dir, 'next.json'), JSON.stringify(next, null, 2));
  writeFileSync(path.join(dir, 'doubled.json'), JSON.stringify(features(20, true), null, 2));
  writeFileSync(path.join(dir, 'hook.mjs'), HOOK);
  chmodSync(path.join(dir, 'hook.mjs'), 0o755);
  return dir;
}

async function cli(dir: string, args: string[], opts: { env?: Record<string, string>; tty?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    // a lock directory of this test file: runs elsewhere on the machine with a targets.json (same default scope,
    // `targets:targets`) must not exclude these
    env: { CONFGATE_LOCK_DIR: path.join(root, 'locks'), ...opts.env },
    isTTY: false,
    isErrTTY: opts.tty ?? false,
    cwd: dir,
    now: () => new Date('2025-11-18T11:20:00Z'),
  };
  const code = await runCli(['rollout', ...args], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const hook = (kind: string, ...rest: string[]) => [NODE, 'hook.mjs', 'calls.log', kind, ...rest].join(' ');
const gateArgs = ['--proposed', 'next.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml'];

function calls(dir: string): Array<{ kind: string; id: string; labels: Record<string, string>; stage: string }> {
  const file = path.join(dir, 'calls.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; id: string; labels: Record<string, string>; stage: string });
}
const idsOf = (dir: string, kind: string) => calls(dir).filter((c) => c.kind === kind).map((c) => c.id);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('confgate rollout with command hooks', () => {
  it('completes: every target applied once, exit 0, the journal records the run, plain progress lines in CI', async () => {
    const dir = workdir();
    const r = await cli(dir, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health')]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Rollout \S+: COMPLETED/);
    expect(r.stdout).toMatch(/stage 0 canary: passed \(1\/1 applied/);
    expect(idsOf(dir, 'apply').sort()).toEqual(['pop-1', 'pop-2', 'pop-3', 'pop-4']);
    expect(idsOf(dir, 'rollback')).toEqual([]);
    expect(idsOf(dir, 'health').length).toBeGreaterThanOrEqual(5); // the canary, then all four
    // the canary is alone in its stage; stage names reach the hook
    const applies = calls(dir).filter((c) => c.kind === 'apply');
    expect(applies.filter((c) => c.stage === 'canary')).toHaveLength(1);
    // journal in the cwd by default
    const journalFile = path.join(dir, 'confgate-rollout.journal');
    expect(existsSync(journalFile)).toBe(true);
    const records = await new FileJournal(journalFile).read();
    // the documents are kept as hashes only (secrets at rest): the started record carries no config
    expect(records[0]).toMatchObject({ type: 'rollout.started' });
    expect(readFileSync(journalFile, 'utf8')).not.toMatch(/1\.0\.1/);
    expect(records[1]).toMatchObject({ type: 'audit', id: records[0]!.type === 'rollout.started' ? records[0]!.id : '' });
    expect(records.at(-1)).toMatchObject({ type: 'rollout.finished', result: { status: 'completed' } });
    // CI progress: one plain line per event, no carriage returns
    expect(r.stderr).toMatch(/^confgate: \[canary\] started: 1 target$/m);
    expect(r.stderr).toMatch(/^confgate: \[all\] passed$/m);
    expect(r.stderr).not.toMatch(/\r/);
    expect(r.stderr).toMatch(/journal at confgate-rollout\.journal/);
  });

  it('a TTY gets a live status line per stage, rewritten in place, then a final line', async () => {
    const dir = workdir();
    const r = await cli(dir, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health')], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('\r[canary] 0/1 applied, 0 failed');
    expect(r.stderr).toMatch(/\r\[canary\] 1\/1 applied, 0 failed[^\n]*: passed\x1b\[K\n/);
    expect(r.stderr).toMatch(/\r\[all\] 3\/3 applied, 0 failed[^\n]*: passed\x1b\[K\n/);
    expect(r.stderr).not.toMatch(/confgate: \[canary\] started/);
  });

  it('a health failure in one region rolls back every applied target, newest first, exit 1', async () => {
    const dir = workdir();
    const r = await cli(dir, [
      ...gateArgs,
      '--apply', hook('apply'),
      '--rollback', hook('rollback'),
      '--health', hook('health', '--fail-region', 'r2'),
      '--concurrency', '1',
      '--format', 'json',
    ]);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as SerializedResult;
    expect(result.status).toBe('rolled-back');
    expect(result.reason).toMatch(/failed health checks exceed the limit of 0 (while stage "all" was applying )?\(first: pop-\d: command .* exited with code 1: unhealthy: 5xx rate 40% in r2\)/);
    const applied = idsOf(dir, 'apply');
    expect(applied.length).toBeGreaterThan(0);
    expect(idsOf(dir, 'rollback')).toEqual([...applied].reverse());
    for (const id of applied) expect(result.targets[id]!.status).toBe('rolled-back');
    expect(Array.isArray(result.errors)).toBe(true);
    expect(r.stderr).toMatch(/UNHEALTHY pop-\d/);
    expect(r.stderr).toMatch(/rolling back \d targets/);
  });

  it('an apply hook that fails shows in the errors, serialised with phase and target', async () => {
    const dir = workdir([{ id: 'pop-1', labels: { region: 'r1' } }], policy());
    const r = await cli(dir, [...gateArgs, '--apply', hook('apply', '--fail'), '--rollback', hook('rollback'), '--format', 'json']);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as SerializedResult;
    expect(result.errors).toEqual([{ phase: 'apply', targetId: 'pop-1', message: expect.stringMatching(/apply on pop-1 failed: command .* exited with code 3/) }]);
    expect(idsOf(dir, 'rollback')).toEqual(['pop-1']); // a failed apply may have half-happened
  });

  it('the gate blocking (doubled list) exits 1 and never calls a hook or opens a journal', async () => {
    const dir = workdir();
    const args = gateArgs.map((a) => (a === 'next.json' ? 'doubled.json' : a));
    const r = await cli(dir, [...args, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'blocked', verdict: 'block' });
    expect(r.stderr).toMatch(/BLOCK/);
    expect(r.stderr).toMatch(/no hook was called/);
    expect(calls(dir)).toEqual([]);
    expect(existsSync(path.join(dir, 'calls.log'))).toBe(false);
    expect(existsSync(path.join(dir, 'confgate-rollout.journal'))).toBe(false);
  });

  it('an approval hook that fails denies the stage: held by default (--hold-timeout: exit 1, nothing rolled back); with onApprovalDenied: rollback the canary is rolled back', async () => {
    const approvalPolicy = policy().replace('{ name: all, percent: 100, bake: 50ms }', '{ name: all, percent: 100, bake: 50ms, approval: true }');
    const held = workdir(undefined, approvalPolicy);
    const h = await cli(held, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--approval', hook('approve', '--fail'), '--hold-timeout', '200ms']);
    expect(h.code).toBe(1);
    expect(h.stdout).toMatch(/HELD: held \(approval\) for 200ms with no operator decision: approval denied for stage "all" \(command .* exited with code 3\)/);
    expect(h.stderr).toMatch(/HELD \(approval\)/);
    expect(idsOf(held, 'rollback')).toEqual([]);
    expect(calls(held).filter((c) => c.kind === 'health').length).toBeGreaterThan(1); // the canary is watched while held
    // the policy key (and --on-approval-denied, which overrides it) choose the old behaviour
    const dir = workdir(undefined, approvalPolicy.replace('  failureDomain: region', '  onApprovalDenied: rollback\n  failureDomain: region'));
    const r = await cli(dir, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health'), '--approval', hook('approve', '--fail')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ROLLED-BACK: approval denied for stage "all" \(command .* exited with code 3\)/);
    expect(calls(dir).find((c) => c.kind === 'approve')).toMatchObject({ id: 'stage:all', stage: 'all' });
    expect(idsOf(dir, 'apply')).toHaveLength(1);
    expect(idsOf(dir, 'rollback')).toEqual(idsOf(dir, 'apply'));
    const flag = workdir(undefined, approvalPolicy);
    const f = await cli(flag, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--approval', hook('approve', '--fail'), '--on-approval-denied', 'rollback']);
    expect(f.stdout).toMatch(/ROLLED-BACK: approval denied/);
    expect((await cli(flag, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--on-approval-denied', 'later'])).code).toBe(2);
    const ok = workdir(undefined, policy().replace('{ name: all, percent: 100, bake: 50ms }', '{ name: all, percent: 100, bake: 50ms, approval: true }'));
    expect((await cli(ok, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--approval', hook('approve')])).code).toBe(0);
  });

  it('--resume after a crash rolls back the changed targets newest first; a new run first refuses', async () => {
    const dir = workdir();
    const journalFile = path.join(dir, 'confgate-rollout.journal');
    const targets = JSON.parse(readFileSync(path.join(dir, 'targets.json'), 'utf8')).targets;
    const plan = planRollout({ targets, stages: [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }], failureDomain: 'region' });
    const t = (targetId: string, state: Extract<JournalRecord, { type: 'target' }>['state']): JournalRecord => ({ type: 'target', targetId, state });
    const [c0] = plan.waves[0]!.targets.map((x) => x.id);
    const [w1, w2] = plan.waves[1]!.targets.map((x) => x.id);
    // what a process killed in the middle of the second wave leaves behind
    const writer = new FileJournal(journalFile);
    await writer.lock();
    await writer.append([
      { type: 'rollout.started', v: 1, id: 'r-crashed', ts: '2025-11-18T11:20:00Z', plan, proposed: { version: '1.0.1' }, lkg: { version: '1.0.0' }, changes: [] },
      { type: 'stage', ts: '2025-11-18T11:20:00Z', stage: 0, status: 'started' },
      t(c0!, { status: 'applying', stage: 0 }),
      t(c0!, { status: 'applied', stage: 0 }),
      t(c0!, { status: 'healthy', stage: 0 }),
      { type: 'stage', ts: '2025-11-18T11:20:01Z', stage: 0, status: 'passed' },
      { type: 'stage', ts: '2025-11-18T11:20:01Z', stage: 1, status: 'started' },
      t(w1!, { status: 'applying', stage: 1 }),
      t(w2!, { status: 'applying', stage: 1 }),
      t(w1!, { status: 'applied', stage: 1 }),
    ]);
    await writer.unlock(); // closes the file (a killed holder's lease is taken over: test/store/)

    const refused = await cli(dir, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds an unfinished rollout.*confgate rollout --resume/);
    expect(calls(dir)).toEqual([]);

    // the journal keeps only the hash of the LKG: resuming without it is refused before any hook runs
    const noLkg = await cli(dir, ['--resume', '--rollback', hook('rollback')]);
    expect(noLkg.code).toBe(2);
    expect(noLkg.stderr).toMatch(/hash of the LKG.*--current/);
    expect(calls(dir)).toEqual([]);
    writeFileSync(path.join(dir, 'lkg-1.0.0.json'), JSON.stringify({ version: '1.0.0' }));
    const r = await cli(dir, ['--resume', '--current', 'lkg-1.0.0.json', '--rollback', hook('rollback'), '--concurrency', '1', '--format', 'json']);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as SerializedResult;
    expect(result).toMatchObject({ status: 'rolled-back', resumed: true, id: 'r-crashed' });
    // w2's apply may or may not have run: it is rolled back too (rollback is idempotent)
    expect(idsOf(dir, 'rollback')).toEqual([w2, w1, c0]);
    expect(idsOf(dir, 'apply')).toEqual([]);
    const rest = Object.entries(result.targets).filter(([id]) => ![c0, w1, w2].includes(id));
    expect(rest.map(([, s]) => s.status)).toEqual(['skipped']);

    // resuming again is a no-op returning the stored result; a new rollout may start
    const again = await cli(dir, ['--resume', '--rollback', hook('rollback', '--fail')]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/ROLLED-BACK \(resumed\)/);
    expect(idsOf(dir, 'rollback')).toHaveLength(3);
    const next = await cli(dir, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback')]);
    expect(next.code).toBe(0);
  });

  it('target ids like `a;rm -rf /` and `$(id)` reach the hook verbatim via CONFGATE_TARGET_ID, never interpreted', async () => {
    const hostile = [
      { id: 'a;rm -rf /', labels: { region: 'r1' } },
      { id: '$(id)', labels: { region: 'r1' } },
      { id: 'b;touch pwned-1', labels: { region: 'r1' } },
      { id: '$(touch pwned-2)', labels: { region: 'r1' } },
      { id: '`touch pwned-3` && echo', labels: { region: '$(touch pwned-4)' } },
    ];
    const dir = workdir(hostile, policy().replace(/stages:[\s\S]*failureDomain: region\n/, 'stages:\n    - { name: all, percent: 100 }\n'));
    const r = await cli(dir, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--health', hook('health')]);
    expect(r.code).toBe(0);
    expect(idsOf(dir, 'apply').sort()).toEqual(hostile.map((t) => t.id).sort());
    expect(calls(dir).find((c) => c.id.startsWith('`'))!.labels).toEqual({ region: '$(touch pwned-4)' });
    expect(readdirSync(dir).filter((f) => f.startsWith('pwned'))).toEqual([]);
    expect(readdirSync(root).filter((f) => f.startsWith('pwned'))).toEqual([]);
  });

  it('usage errors exit 2 with one line', async () => {
    const dir = workdir();
    const missing = await cli(dir, [...gateArgs, '--apply', hook('apply')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--rollback is required/);
    const badTimeout = await cli(dir, [...gateArgs, '--apply', hook('apply'), '--rollback', hook('rollback'), '--hook-timeout', '5 minutes']);
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toMatch(/--hook-timeout must be a duration/);
    const noJournal = await cli(dir, ['--resume', '--rollback', hook('rollback')]);
    expect(noJournal.code).toBe(2);
    expect(noJournal.stderr).toMatch(/no rollout to resume/);
    expect(calls(dir)).toEqual([]);
  });
});

describe('confgate rollout with HTTP hooks', () => {
  const TOKEN = 'Bearer s3cr3t-t0ken-value';
  let server: Server;
  let base: string;
  const requests: Array<{ url: string; headers: IncomingHttpHeaders; body: { target: { id: string }; stage: { name: string } } }> = [];
  const hanging: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(data || 'null');
        requests.push({ url: req.url ?? '', headers: req.headers, body });
        const id: string = body?.target?.id ?? '';
        const [, route, mode] = (req.url ?? '').split('/');
        if (mode === 'hang' && id === 'pop-3') {
          hanging.push(res); // never answers
          return;
        }
        if (mode === 'fail' && id === 'pop-3') {
          // a hostile or chatty endpoint: echoes the request (and its token) in a 500 body
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error processing ${data} auth=${req.headers.authorization}`);
          return;
        }
        res.writeHead(route === 'health' ? 200 : 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const env = { CONFGATE_HOOK_AUTHORIZATION: TOKEN };
  const routes = (dir: string, run: string, applyMode = 'ok') => [
    ...gateArgs,
    '--apply', `${base}/apply/${applyMode}/${run}`,
    '--rollback', `${base}/rollback/ok/${run}`,
    '--health', `${base}/health/ok/${run}`,
    '--journal', path.join(dir, 'j.journal'),
  ];
  const of = (run: string, route: string) => requests.filter((q) => q.url.endsWith(`/${run}`) && q.url.startsWith(`/${route}/`));

  it('2xx answers advance: every target applied through the endpoint, with the Authorization header', async () => {
    const dir = workdir();
    const r = await cli(dir, routes(dir, 'happy'), { env });
    expect(r.code).toBe(0);
    expect(of('happy', 'apply').map((q) => q.body.target.id).sort()).toEqual(['pop-1', 'pop-2', 'pop-3', 'pop-4']);
    expect(of('happy', 'apply').every((q) => q.headers.authorization === TOKEN)).toBe(true);
    expect(of('happy', 'health').length).toBeGreaterThanOrEqual(5);
    expect(of('happy', 'rollback')).toEqual([]);
    expect(existsSync(path.join(dir, 'j.journal'))).toBe(true);
  });

  it('a 500 fails the apply and triggers rollback; no body or token in any output', async () => {
    const dir = workdir();
    const r = await cli(dir, [...routes(dir, 'fail500', 'fail'), '--format', 'json'], { env });
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as SerializedResult;
    expect(result.status).toBe('rolled-back');
    expect(result.targets['pop-3']).toMatchObject({ status: 'rolled-back', error: expect.stringMatching(/answered 500/) });
    const applied = of('fail500', 'apply').map((q) => q.body.target.id);
    expect(of('fail500', 'rollback').map((q) => q.body.target.id).sort()).toEqual([...applied].sort());
    const all = r.stdout + r.stderr;
    expect(all).toMatch(/HTTP hook http:\/\/127\.0\.0\.1:\d+\/apply\/fail\/fail500 for pop-3 answered 500/);
    expect(all).not.toContain('s3cr3t');
    expect(all).not.toContain('rolloutId');
    expect(all).not.toContain('internal error processing');
  });

  it('a hanging endpoint times out (--hook-timeout) and fails; the rollout is rolled back', async () => {
    const dir = workdir();
    const r = await cli(dir, [...routes(dir, 'hang', 'hang'), '--hook-timeout', '300ms'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ROLLED-BACK/);
    expect(r.stdout + r.stderr).toMatch(/pop-3.*(timed out|was aborted)/);
    expect(r.stdout + r.stderr).not.toContain('s3cr3t');
    expect(of('hang', 'rollback').map((q) => q.body.target.id)).toContain('pop-3');
  });
});
