import { spawn, spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'tsup';
import { FileJournal, planRollout, resumeRollout, runRollout } from '../../src/rollout/index.js';
import type { JournalRecord, RunOptions } from '../../src/rollout/index.js';
import type { Target } from '../../src/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confgate-journal-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const targets: Target[] = [
  { id: 'a', labels: {} },
  { id: 'b', labels: {} },
];
const rec = (id: string): JournalRecord => ({ type: 'target', targetId: id, state: { status: 'applying', stage: 0 } });

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

describe('FileJournal', () => {
  it('appends JSON lines and reads them back', async () => {
    const path = join(dir, 'basic.jsonl');
    const j = new FileJournal(path);
    await j.lock();
    await j.append([rec('a'), rec('b')]);
    await j.append([rec('c')]);
    expect((await j.read()).map((r) => (r as { targetId: string }).targetId)).toEqual(['a', 'b', 'c']);
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(4);
    await j.unlock();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('ignores a torn last line and cuts it before the next append', async () => {
    const path = join(dir, 'torn.jsonl');
    await writeFile(path, `${JSON.stringify(rec('a'))}\n${JSON.stringify(rec('b')).slice(0, 17)}`);
    const j = new FileJournal(path);
    expect((await j.read()).map((r) => (r as { targetId: string }).targetId)).toEqual(['a']);
    await j.lock();
    await j.append([rec('c')]);
    await j.unlock();
    expect((await j.read()).map((r) => (r as { targetId: string }).targetId)).toEqual(['a', 'c']);
  });

  it('a corrupt line in the middle is an E_JOURNAL error, not silently skipped', async () => {
    const path = join(dir, 'corrupt.jsonl');
    await writeFile(path, `${JSON.stringify(rec('a'))}\n{oops\n${JSON.stringify(rec('b'))}\n`);
    await expect(new FileJournal(path).read()).rejects.toMatchObject({ code: 'E_JOURNAL' });
  });

  it('a second lock on the same journal throws E_ROLLOUT_LOCKED; a stale lock of a dead pid is taken over', async () => {
    const path = join(dir, 'locked.jsonl');
    const a = new FileJournal(path);
    const b = new FileJournal(path);
    await a.lock();
    await expect(b.lock()).rejects.toMatchObject({ code: 'E_ROLLOUT_LOCKED' });
    expect(readFileSync(`${path}.lock`, 'utf8').trim()).toBe(String(process.pid));
    await a.unlock();
    await b.lock(); // free now
    await b.unlock();
    await writeFile(`${path}.lock`, `${deadPid()}\n`);
    await a.lock(); // stale: taken over
    expect(readFileSync(`${path}.lock`, 'utf8').trim()).toBe(String(process.pid));
    await a.unlock();
  });

  it('a journal that cannot be written stops the rollout with E_JOURNAL before any apply', async () => {
    // A read-only directory (as non-root) or, for root, a "directory" that is a regular file: both cannot be written.
    const ro = join(dir, 'readonly');
    let path: string;
    if (process.getuid?.() === 0) {
      await writeFile(ro, 'not a directory');
      path = join(ro, 'journal.jsonl');
    } else {
      await (await import('node:fs/promises')).mkdir(ro);
      await chmod(ro, 0o555);
      path = join(ro, 'journal.jsonl');
    }
    const applied: string[] = [];
    const options: RunOptions = {
      plan: planRollout({ targets, stages: [{ name: 'all', percent: 100 }] }),
      proposed: {},
      lkg: {},
      apply: (t) => void applied.push(t.id),
      rollback: () => undefined,
      journal: path,
    };
    await expect(runRollout(options)).rejects.toMatchObject({ code: 'E_JOURNAL' });
    expect(applied).toEqual([]);
  });

  it('journals a file rollout end to end and resume returns the finished result', async () => {
    const path = join(dir, 'e2e.jsonl');
    const res = await runRollout({
      plan: planRollout({ targets, stages: [{ name: 'one', count: 1 }, { name: 'all', percent: 100 }] }),
      proposed: { v: 2 },
      lkg: { v: 1 },
      apply: () => undefined,
      rollback: () => undefined,
      health: () => true,
      journal: path,
      id: 'r-1',
    });
    expect(res.status).toBe('completed');
    const records = await new FileJournal(path).read();
    expect(records[0]).toMatchObject({ type: 'rollout.started', id: 'r-1', proposed: { v: 2 }, lkg: { v: 1 } });
    expect(records.at(-1)).toMatchObject({ type: 'rollout.finished', result: { status: 'completed', id: 'r-1' } });
    const again = await resumeRollout(path, { rollback: () => { throw new Error('must not run'); } });
    expect(again).toMatchObject({ status: 'completed', id: 'r-1' });
    // the next rollout can reuse the journal
    const second = await runRollout({
      plan: planRollout({ targets, stages: [{ name: 'all', percent: 100 }] }),
      proposed: {},
      lkg: {},
      apply: () => undefined,
      rollback: () => undefined,
      journal: path,
      id: 'r-2',
    });
    expect(second.status).toBe('completed');
  });
});

describe('resume after SIGKILL', () => {
  let bundle: string;
  beforeAll(async () => {
    const out = join(dir, 'bundle');
    await build({
      config: false,
      entry: { rollout: fileURLToPath(new URL('../../src/rollout/index.ts', import.meta.url)) },
      outDir: out,
      format: ['esm'],
      dts: false,
      silent: true,
      sourcemap: false,
      clean: false,
      target: 'node20',
      noExternal: [/.*/],
      platform: 'node',
      // CommonJS builds first (as Node resolves them): `rrule` (src/windows) has no default export in its ESM build
      esbuildOptions(o) {
        o.mainFields = ['main', 'module'];
      },
    });
    bundle = join(out, 'rollout.js');
  }, 60_000);

  it('rolls back every changed target; no target is left unknown; the journal is consistent', async () => {
    const journalPath = join(dir, 'crash.jsonl');
    const logPath = join(dir, 'crash.log');
    await writeFile(logPath, '');
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/crash-child.mjs', import.meta.url)), bundle, journalPath, logPath], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    // wait until the second stage is under way (the canary has 4 targets)
    for (let i = 0; i < 400; i++) {
      const applies = (await readFile(logPath, 'utf8')).split('\n').filter((l) => l.startsWith('apply')).length;
      if (applies >= 8) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const log = (await readFile(logPath, 'utf8')).split('\n').filter(Boolean);
    expect(log.some((l) => !l.startsWith('apply'))).toBe(false); // it really was killed mid-rollout
    const applied = log.map((l) => l.slice('apply '.length));
    expect(applied.length).toBeGreaterThanOrEqual(8);
    expect(applied.length).toBeLessThan(24);

    const before = await new FileJournal(journalPath).read();
    expect(before.some((r) => r.type === 'rollout.finished')).toBe(false);
    expect(existsSync(`${journalPath}.lock`)).toBe(true); // stale lock of the dead child

    const rolledBack: string[] = [];
    const res = await resumeRollout(journalPath, {
      rollback: (t, ctx) => {
        expect(ctx.config).toEqual({ version: 1 }); // the LKG from the journal
        rolledBack.push(t.id);
      },
    });
    expect(res.resumed).toBe(true);
    expect(res.status).toBe('rolled-back');
    // every target whose apply ran is rolled back, newest first for the ones whose order is known
    for (const id of applied) expect(rolledBack).toContain(id);
    expect(new Set(rolledBack).size).toBe(rolledBack.length);
    // every target is in a known final state
    expect(Object.keys(res.targets)).toHaveLength(24);
    for (const [id, s] of Object.entries(res.targets)) {
      expect(['rolled-back', 'skipped'], id).toContain(s.status);
      if (s.status === 'skipped') expect(applied).not.toContain(id);
    }
    expect(Object.values(res.targets).filter((s) => s.status === 'rolled-back')).toHaveLength(rolledBack.length);
    expect(res.stages[0]!.status).toBe('passed');
    expect(res.stages[0]!.reason).toBeUndefined(); // a stage that passed is never called "interrupted"
    expect(res.stages[1]!.status).toBe('interrupted');

    const after = await new FileJournal(journalPath).read();
    expect(after.filter((r) => r.type === 'resume.started')).toHaveLength(1);
    expect(after.at(-1)).toMatchObject({ type: 'rollout.finished', result: { status: 'rolled-back', resumed: true } });
    // replaying the journal gives the same final states
    const replay = new Map<string, string>();
    for (const r of after) if (r.type === 'target') replay.set(r.targetId, r.state.status);
    for (const id of rolledBack) expect(replay.get(id)).toBe('rolled-back');
    expect(existsSync(`${journalPath}.lock`)).toBe(false);

    // resuming again returns the finished result and calls nothing
    const again = await resumeRollout(journalPath, { rollback: () => { throw new Error('must not run'); } });
    expect(again.status).toBe('rolled-back');
  }, 30_000);
});

describe('FileJournal durability ordering', () => {
  it('appends are serialised even when called concurrently', async () => {
    const path = join(dir, 'concurrent.jsonl');
    const j = new FileJournal(path);
    await j.lock();
    await Promise.all(Array.from({ length: 20 }, (_, i) => j.append([rec(`x${i}`)])));
    await j.unlock();
    const ids = (await j.read()).map((r) => (r as { targetId: string }).targetId);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `x${i}`));
    await appendFile(path, '');
  });
});
