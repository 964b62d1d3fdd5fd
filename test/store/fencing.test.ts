/**
 * Fencing is the engine's, not the CLI's: a library user who passes a FileJournal or a PostgresJournal to
 * `runRollout` gets the guarantee that a holder which lost its lease calls no further hook (apply, health, rollback,
 * verify, promote), and every hook call carries the lease's token as `ctx.fence`.
 *
 * The pause is real: the third apply hook blocks the event loop (spawnSync, as a long GC or SIGSTOP would) while a
 * child process waits for the lease to run out and takes it over with the same store class (from the built package).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileJournal, MemoryJournal, planRollout, PostgresJournal, runRollout } from '../../src/index.js';
import type { HookContext, Journal, Target } from '../../src/index.js';
import { dropSchemas, freshSchema, PG_URL } from './pg.js';

const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'confgate-fencing-'));
const lockDir = path.join(root, 'locks');
const schema = freshSchema('confgate_fencing');
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropSchemas(schema);
});

/** A child process that takes the scope's lease over once it ran out (it retries while the lease is live). */
const TAKEOVER = `
import { FileJournal, PostgresJournal } from ${JSON.stringify(DIST)};
const [kind, where, scope, lockDir] = process.argv.slice(2);
const end = Date.now() + 120000;
for (;;) {
  const j = kind === 'file' ? new FileJournal(where, { scope, lockDir }) : new PostgresJournal(where, { scope });
  try {
    await j.lock({ rolloutId: 'the-taker' });
    console.log(String(j.fence));
    process.exit(0);
  } catch (err) {
    await j.close?.();
    if (err.code !== 'E_ROLLOUT_LOCKED' || Date.now() > end) { console.error(err.message); process.exit(1); }
    await new Promise((r) => setTimeout(r, 100));
  }
}
`;
const takeoverScript = path.join(root, 'takeover.mjs');
writeFileSync(takeoverScript, TAKEOVER);

const targets: Target[] = Array.from({ length: 8 }, (_, i) => ({ id: `n${i}`, labels: {} }));

interface Call {
  kind: string;
  id: string;
  fence: number | undefined;
  after: boolean;
}

async function pausedHolder(kind: 'file' | 'postgres'): Promise<void> {
  const scope = `lib-fence-${kind}`;
  const where = kind === 'file' ? path.join(root, 'lib.journal') : `${PG_URL}?schema=${schema}`;
  // a 2s lease renewed every 500ms: only a pause longer than 2s loses it
  const journal = kind === 'file' ? new FileJournal(where, { scope, lockDir, leaseTtl: '2s', heartbeat: 500 }) : new PostgresJournal(where, { scope, leaseTtl: '2s', heartbeat: 500 });
  const calls: Call[] = [];
  let takenOver = false;
  let takerFence = 0;
  const log = (kind: string) => (t: Target, ctx: HookContext): void => {
    calls.push({ kind, id: t.id, fence: ctx.fence, after: takenOver });
  };
  const res = await runRollout({
    plan: planRollout({ targets, stages: [{ name: 'all', percent: 100 }] }),
    proposed: { v: 2 },
    lkg: { v: 1 },
    concurrency: 1,
    apply: (t, ctx) => {
      log('apply')(t, ctx);
      if (calls.filter((c) => c.kind === 'apply').length === 3) {
        // the pause: this process does nothing (no heartbeat) until another process has taken the lease over
        const r = spawnSync(process.execPath, [takeoverScript, kind, where, scope, lockDir], { encoding: 'utf8', timeout: 150_000 });
        expect(r.status, r.stderr).toBe(0);
        takerFence = Number(r.stdout.trim());
        takenOver = true;
      }
    },
    health: (t, ctx) => {
      log('health')(t, ctx);
      return true;
    },
    rollback: log('rollback'),
    verify: log('verify'),
    promote: () => {
      calls.push({ kind: 'promote', id: '', fence: undefined, after: takenOver });
    },
    healthOptions: { interval: 1 },
    journal,
  });
  expect(takenOver).toBe(true);
  // before the take-over every call carried the holder's token; after it, not one hook was called
  const holderFence = calls[0]!.fence;
  expect(holderFence).toBeGreaterThan(0);
  expect(takerFence).toBeGreaterThan(holderFence!);
  expect(calls.filter((c) => !c.after).every((c) => c.fence === holderFence)).toBe(true);
  expect(calls.filter((c) => c.after)).toEqual([]);
  expect(res.status).toBe('failed');
  expect(journal.lost).toMatchObject({ code: 'E_FENCED' });
  await journal.unlock();
  await (journal as { close?: () => Promise<void> }).close?.();
}

describe('a holder paused past its lease calls no further hook (library, no CLI)', () => {
  it('FileJournal', () => pausedHolder('file'), 300_000);
  it('PostgresJournal', () => pausedHolder('postgres'), 300_000);
});

describe('the engine runs any journal guard before every hook call', () => {
  it('a guard that rejects stops apply, health, rollback and verify before their hooks run; ctx.fence is the token', async () => {
    let lost: Error | undefined;
    const guarded = Object.assign(new MemoryJournal(), {
      fence: 7,
      guard(): Promise<void> | undefined {
        return lost ? Promise.reject(lost) : undefined;
      },
    }) satisfies Journal;
    const calls: string[] = [];
    const fences = new Set<number | undefined>();
    const res = await runRollout({
      plan: planRollout({ targets, stages: [{ name: 'all', percent: 100 }] }),
      proposed: { v: 2 },
      lkg: { v: 1 },
      concurrency: 1,
      apply: (t, ctx) => {
        calls.push(`apply ${t.id}`);
        fences.add(ctx.fence);
        if (calls.length === 2) lost = Object.assign(new Error('lost the lease (test)'), { code: 'E_FENCED' });
      },
      health: () => {
        calls.push('health');
        return true;
      },
      rollback: (t) => {
        calls.push(`rollback ${t.id}`);
      },
      verify: (t) => {
        calls.push(`verify ${t.id}`);
      },
      journal: guarded,
    });
    expect(calls).toEqual(['apply n0', 'apply n1']);
    expect([...fences]).toEqual([7]);
    expect(res.status).not.toBe('completed');
    expect(res.errors.map((e) => (e as Error).message).join('\n')).toMatch(/lost the lease \(test\)/);
  });
});

describe('a resume waits only for hook processes that still run', () => {
  it('a process group whose members are all zombies (a parent that cannot reap them: stopped) has finished', async () => {
    const { groupAlive } = await import('../../src/rollout/engine/hook-runner.js');
    // the parent forks a child that leads its own group and exits at once; the parent never reaps it (as a stopped
    // confgate cannot): kill(-pgid, 0) still succeeds on that zombie
    const parent = spawn('python3', ['-c', 'import os,sys,time\npid=os.fork()\nif pid==0:\n  os.setpgid(0,0)\n  os._exit(0)\nprint(pid,flush=True)\ntime.sleep(120)'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    try {
      const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      for (let i = 0; i < 500 && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 10));
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /);
      expect(() => process.kill(-pid, 0)).not.toThrow(); // what the resume used to rely on
      expect(groupAlive(pid)).toBe(false);
      expect(groupAlive(parent.pid!)).toBe(true); // the parent leads a group of its own, and runs
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
