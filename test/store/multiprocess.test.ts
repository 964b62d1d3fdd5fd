/**
 * Many deployers, real processes: `confgate rollout` (the built dist/cli/bin.cjs) started in different working
 * directories, as separate runners would be. Hook calls are logged by the hook itself (with the pid of the confgate
 * process that called it): the invariants are checked on that log, not only on the journal.
 *
 * - racing: 3 processes started together on one scope, repeated `ROUNDS` times with random start offsets: hook calls
 *   of two processes never overlap in time; every loser exits 2 saying who holds the lock.
 * - SIGKILL of the holder, then `--resume` from another directory: every applied target is rolled back.
 * - SIGSTOP of the holder past its lease, take-over by a resume, SIGCONT: the stale process starts no hook and writes
 *   nothing more (file store and PostgreSQL store).
 *
 * Every trial is randomized (start offsets, the moment of the kill or stop) from a seed printed with the summary
 * (`CONFGATE_STRESS_SEED` replays one). `CONFGATE_STRESS_RUNS=N` runs each kill and stop trial N times per store and
 * the racing rounds 2N times (default N = 1); `CONFGATE_STRESS_ROUNDS` sets the racing rounds alone. Violations are
 * counted over all runs and printed (`[stress] ...`), then asserted to be none. The README's figures were measured
 * this way (`scripts/stress-stores.sh`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { mulberry32 } from '../helpers/prng.js';
import { dropSchemas, freshSchema, PG_URL, sql } from './pg.js';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.cjs', import.meta.url));
// Without the build these tests would wait for hooks that never run, until vitest's timeout: say so at once.
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('dist/cli/bin.cjs is missing: run `npm run build` first (npm test does)');
});
const RUNS = Math.max(1, Number(process.env['CONFGATE_STRESS_RUNS'] ?? 1));
const ROUNDS = Math.max(1, Number(process.env['CONFGATE_STRESS_ROUNDS'] ?? 2 * RUNS));
const SEED = Number(process.env['CONFGATE_STRESS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const random = mulberry32(SEED);
/** Print one summary line of a randomized trial (vitest shows it; the README's table is made of these). */
function summary(what: string, runs: number, violations: string[], extra = ''): void {
  console.log(`[stress] ${what}: runs=${runs} violations=${violations.length}${extra} seed=${SEED}`);
}
const root = mkdtempSync(path.join(tmpdir(), 'confgate-multi-'));
const lockDir = path.join(root, 'locks');
const children: ChildProcess[] = [];
const schema = freshSchema('confgate_multi');

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
  await dropSchemas(schema);
});

const HOOK = `
import { appendFileSync } from 'node:fs';
const [log, kind, sleepMs] = process.argv.slice(2);
const line = (phase) => appendFileSync(log, JSON.stringify({ kind, phase, id: process.env.CONFGATE_TARGET_ID, pid: process.pid, ppid: process.ppid, fence: process.env.CONFGATE_FENCE, t: Date.now() }) + '\\n');
line('start');
await new Promise((r) => setTimeout(r, Number(sleepMs)));
line('end');
`;

interface Call { kind: string; phase: 'start' | 'end'; id: string; ppid: number; fence?: string; t: number }

const targets = (n: number) => ({ targets: Array.from({ length: n }, (_, i) => ({ id: `t${String(i).padStart(2, '0')}`, labels: { region: `r${i % 2}` } })) });
const POLICY = ['version: 1', 'rollout:', '  stages:', '    - { name: canary, count: 1, bake: 10ms }', '    - { name: all, percent: 100, bake: 10ms }', '  health: { interval: 10ms, timeout: 10s }', ''].join('\n');

let seq = 0;
/** A runner's working directory: its own copies of the inputs and the hook. */
function runner(n = 6): string {
  const dir = path.join(root, `runner-${seq++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'targets.json'), JSON.stringify(targets(n)));
  writeFileSync(path.join(dir, 'confgate.yaml'), POLICY);
  writeFileSync(path.join(dir, 'live.json'), JSON.stringify({ version: '1.0.0', value: 1 }));
  writeFileSync(path.join(dir, 'next.json'), JSON.stringify({ version: '1.0.1', value: 2 }));
  writeFileSync(path.join(dir, 'hook.mjs'), HOOK);
  return dir;
}

function start(dir: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, 'rollout', ...args], { cwd: dir, env: { ...process.env, CONFGATE_LOCK_DIR: lockDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((r) =>
    child.on('close', (code, signal) => r({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

const hookSpec = (log: string, kind: string, sleepMs: number) => [process.execPath, 'hook.mjs', log, kind, String(sleepMs)].join(' ');
const rolloutArgs = (log: string, applyMs: number) => [
  '--proposed', 'next.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml',
  '--apply', hookSpec(log, 'apply', applyMs), '--rollback', hookSpec(log, 'rollback', 5), '--health', hookSpec(log, 'health', 1),
  '--concurrency', '1', '--format', 'json',
];
const readCalls = (log: string): Call[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call) : []);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

describe('racing rollouts on one scope (file store, one host)', () => {
  it(`never two holders: ${ROUNDS} rounds of 3 processes started together`, async () => {
    let overlaps = 0;
    let winners = 0;
    let refused = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const log = path.join(root, `race-${round}.log`);
      const runs = [];
      for (let i = 0; i < 3; i++) {
        const dir = runner(4);
        await sleep(Math.floor(random() * 30));
        runs.push(start(dir, [...rolloutArgs(log, 30), '--scope', `race-${round}`]));
      }
      const results = await Promise.all(runs.map((r) => r.done));
      for (const r of results) {
        if (r.code === 0) winners++;
        else {
          expect(r.code, r.stderr).toBe(2);
          expect(r.stderr).toMatch(/scope race-\d+ is locked .* pid \d+ since/);
          refused++;
        }
      }
      // hook calls of different processes never interleave: each process's calls form an interval, disjoint from the others'
      const calls = readCalls(log);
      const spans = new Map<number, [number, number]>();
      for (const c of calls) {
        const s = spans.get(c.ppid);
        spans.set(c.ppid, s ? [Math.min(s[0], c.t), Math.max(s[1], c.t)] : [c.t, c.t]);
      }
      const sorted = [...spans.values()].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) if (sorted[i]![0] <= sorted[i - 1]![1]) overlaps++;
      expect(spans.size).toBe(results.filter((r) => r.code === 0).length);
    }
    summary('race one scope (3 processes per round)', ROUNDS, Array.from({ length: overlaps }, () => 'overlap'), ` winners=${winners} refused=${refused}`);
    expect(overlaps).toBe(0);
    expect(winners).toBeGreaterThanOrEqual(ROUNDS);
    expect(winners + refused).toBe(3 * ROUNDS);
  }, 600_000);
});

describe('racing rollouts on different scopes that share targets (file store, per-target claims)', () => {
  it(`never two at once: ${ROUNDS} rounds of 3 processes, each on its own scope, started together`, async () => {
    let overlaps = 0;
    let winners = 0;
    let refused = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const log = path.join(root, `claims-${round}.log`);
      const runs = [];
      for (let i = 0; i < 3; i++) {
        const dir = runner(4); // the same target ids in every runner
        await sleep(Math.floor(random() * 30));
        runs.push(start(dir, [...rolloutArgs(log, 30), '--scope', `claims-${round}-${i}`]));
      }
      const results = await Promise.all(runs.map((r) => r.done));
      for (const r of results) {
        if (r.code === 0) winners++;
        else {
          expect(r.code, r.stderr).toBe(2);
          expect(r.stderr).toMatch(/targets t00, t01, t02, t03 are claimed by scope claims-\d+-\d .*: two rollouts never change one target at once/);
          refused++;
        }
      }
      const spans = new Map<number, [number, number]>();
      for (const c of readCalls(log)) {
        const s = spans.get(c.ppid);
        spans.set(c.ppid, s ? [Math.min(s[0], c.t), Math.max(s[1], c.t)] : [c.t, c.t]);
      }
      const sorted = [...spans.values()].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) if (sorted[i]![0] <= sorted[i - 1]![1]) overlaps++;
      expect(spans.size).toBe(results.filter((r) => r.code === 0).length);
    }
    summary('race scopes sharing targets (3 processes per round)', ROUNDS, Array.from({ length: overlaps }, () => 'overlap'), ` winners=${winners} refused=${refused}`);
    expect(overlaps).toBe(0);
    expect(winners + refused).toBe(3 * ROUNDS);
    // two that claim at the same instant may both be refused (never both run): most rounds still have a winner
    expect(winners).toBeGreaterThanOrEqual(1);
  }, 600_000);
});

describe('a holder killed mid-rollout is resumed from another working directory', () => {
  for (const store of ['file', 'postgres'] as const) {
    it(`${store} store: SIGKILL at a random moment, then --resume elsewhere rolls back every target an apply started on (${RUNS} run${RUNS > 1 ? 's' : ''})`, async () => {
      const violations: string[] = [];
      for (let run = 0; run < RUNS; run++) {
        const log = path.join(root, `kill-${store}-${run}.log`);
        const where = store === 'file' ? ['--journal', path.join(root, `kill-${run}.journal`)] : ['--journal', `${PG_URL}?schema=${schema}`, '--scope', `pg-kill-${run}`];
        const a = start(runner(8), [...rolloutArgs(log, 60), ...where, '--lease-ttl', '3s']);
        // kill after 1 to 7 applies started, plus 0-60 ms: mid-hook, mid-journal-write, between calls
        const k = 1 + Math.floor(random() * 7);
        await until(() => readCalls(log).filter((c) => c.kind === 'apply' && c.phase === 'start').length >= k);
        await sleep(Math.floor(random() * 60));
        a.child.kill('SIGKILL');
        if ((await a.done).signal !== 'SIGKILL') violations.push(`run ${run}: the holder was not killed (finished first?)`);
        // its hook processes (own process groups) may still run: the resume waits for them (journaled spawns)
        const resumeArgs = ['--resume', ...where, '--current', 'live.json', '--rollback', hookSpec(log, 'rollback', 5), '--format', 'json'];
        let r = await start(runner(8), resumeArgs).done;
        // PostgreSQL cannot know the holder died: its lease (3s) must run out first
        for (let i = 0; i < 120 && r.code === 2 && /is locked/.test(r.stderr); i++) {
          await sleep(500);
          r = await start(runner(8), resumeArgs).done;
        }
        if (r.code !== 1 || (JSON.parse(r.stdout || '{}') as { status?: string }).status !== 'rolled-back') {
          violations.push(`run ${run}: resume exited ${r.code}: ${r.stderr.slice(-300)}`);
          continue;
        }
        const calls = readCalls(log);
        const applied = new Set(calls.filter((c) => c.kind === 'apply').map((c) => c.id));
        const rolledBack = calls.filter((c) => c.kind === 'rollback' && c.phase === 'start').map((c) => c.id);
        // every target an apply started on is rolled back (and those journaled `applying` whose apply may not have run)
        for (const id of applied) if (!rolledBack.includes(id)) violations.push(`run ${run}: ${id} applied, never rolled back`);
        if (new Set(rolledBack).size !== rolledBack.length) violations.push(`run ${run}: a target rolled back twice by one resume`);
        // no apply of the killed holder ended after the resume's first rollback of that target
        for (const id of applied) {
          const lastApply = Math.max(...calls.filter((c) => c.kind === 'apply' && c.id === id).map((c) => c.t));
          const firstRollback = Math.min(...calls.filter((c) => c.kind === 'rollback' && c.id === id).map((c) => c.t));
          if (lastApply > firstRollback) violations.push(`run ${run}: an apply on ${id} ran on after its rollback started`);
        }
      }
      summary(`sigkill+resume ${store}`, RUNS, violations);
      expect(violations).toEqual([]);
    }, 600_000 + RUNS * 120_000);
  }
});

/** Child processes of `pid` that have not exited (zombies excluded), from /proc (Linux). */
function liveChildren(pid: number): number[] {
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${n}/stat`, 'utf8');
    } catch {
      continue;
    }
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[1]) === pid && rest[0] !== 'Z' && rest[0] !== 'X') out.push(Number(n));
  }
  return out;
}

// The resume once waited `settleTimeout` (5 minutes) here: the stopped holder's last hook had exited, but as a zombie
// (its parent, stopped, could not reap it) its process group still answered kill(-pgid, 0). Zombies no longer count.
describe('a holder stopped past its lease (SIGSTOP), taken over, then continued (SIGCONT)', () => {
  for (const store of ['file', 'postgres'] as const) {
    it(`${store} store: the stale process starts no hook, writes nothing more and exits non-zero (${RUNS} run${RUNS > 1 ? 's' : ''})`, async () => {
      const violations: string[] = [];
      for (let run = 0; run < RUNS; run++) {
        const log = path.join(root, `stop-${store}-${run}.log`);
        const journal = store === 'file' ? path.join(root, `stop-${run}.journal`) : `${PG_URL}?schema=${schema}`;
        const scope = `stop-${store}-${run}`;
        const where = ['--journal', journal, '--scope', scope];
        // a 3s lease (heartbeat 1s): long enough not to be lost by a merely loaded machine
        const a = start(runner(12), [...rolloutArgs(log, 80), ...where, '--lease-ttl', '3s']);
        const pid = a.child.pid!;
        // stop after 1 to 10 applies started, plus 0-100 ms: in a hook, between calls, in a journal write or a spawn
        const k = 1 + Math.floor(random() * 10);
        await until(() => readCalls(log).filter((c) => c.kind === 'apply' && c.phase === 'start').length >= k);
        await sleep(Math.floor(random() * 100));
        a.child.kill('SIGSTOP');
        // what the holder started before it stopped may still run: wait until every hook process it spawned has exited
        await until(() => liveChildren(pid).length === 0);
        const before = readCalls(log).filter((c) => c.ppid === pid && c.phase === 'start').length;
        // another runner takes the rollout over once the lease ran out, and rolls it back
        const resumeArgs = ['--resume', ...where, '--current', 'live.json', '--rollback', hookSpec(log, 'rollback', 5), '--format', 'json'];
        let r = await start(runner(12), resumeArgs).done;
        for (let i = 0; i < 120 && r.code === 2 && /is locked/.test(r.stderr); i++) {
          await sleep(500);
          r = await start(runner(12), resumeArgs).done;
        }
        if (r.code !== 1 || (JSON.parse(r.stdout || '{}') as { status?: string }).status !== 'rolled-back') violations.push(`run ${run}: resume exited ${r.code}: ${r.stderr.slice(-300)}`);
        if (/killed hook process group/.test(r.stderr)) violations.push(`run ${run}: the resume waited for (and killed) a finished hook`);
        const snapshot = async (): Promise<string> => {
          if (store === 'file') return readFileSync(journal, 'utf8');
          const rows = await sql<{ n: string; last: string }>(`SELECT count(*) AS n, max(seq) AS last FROM ${pg.escapeIdentifier(schema)}.records WHERE scope = $1`, [scope]);
          return JSON.stringify(rows[0]);
        };
        const journalAfterTakeover = await snapshot();
        const logAfterTakeover = readCalls(log).length;
        a.child.kill('SIGCONT');
        const res = await a.done;
        if (res.code !== 1) violations.push(`run ${run}: the stale process exited ${res.code}, not 1`);
        if (!new RegExp(`this process lost its lease on scope ${scope} .*it called no further hook and wrote nothing more`).test(res.stderr)) {
          violations.push(`run ${run}: the stale process did not say it lost its lease: ${res.stderr.slice(-300)}`);
        }
        // the hook log: not one hook started by the stale process after it was stopped
        const after = readCalls(log);
        if (after.filter((c) => c.ppid === pid && c.phase === 'start').length !== before) violations.push(`run ${run}: the stale process started a hook after SIGCONT`);
        if (after.length !== logAfterTakeover) violations.push(`run ${run}: hook calls after the take-over: ${JSON.stringify(after.slice(logAfterTakeover))}`);
        // the journal: not one more write from the stale process
        if ((await snapshot()) !== journalAfterTakeover) violations.push(`run ${run}: the journal changed after the take-over`);
      }
      summary(`sigstop+takeover+sigcont ${store}`, RUNS, violations);
      expect(violations).toEqual([]);
    }, 600_000 + RUNS * 120_000);
  }
});
