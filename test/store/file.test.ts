import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileJournal, planRollout, resumeRollout, runRollout } from '../../src/index.js';
import type { JournalRecord, RunOptions } from '../../src/index.js';
import type { Target } from '../../src/types.js';
import { scopeDir } from '../../src/store/file-lease.js';
import { processStartOf } from '../../src/store/holder.js';
import { encodeLine } from '../../src/store/records.js';

let dir: string;
let lockDir: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confgate-store-file-'));
  lockDir = join(dir, 'locks');
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const targets: Target[] = [
  { id: 'a', labels: {} },
  { id: 'b', labels: {} },
];
const rec = (id: string): JournalRecord => ({ type: 'target', targetId: id, state: { status: 'applying', stage: 0 } });
const started = (id: string): JournalRecord => ({
  type: 'rollout.started',
  v: 1,
  id,
  ts: '2026-01-01T00:00:00Z',
  plan: planRollout({ targets, stages: [{ name: 'all', percent: 100 }] }),
  proposed: { v: 2 },
  lkg: { v: 1 },
  changes: [],
});
const ids = (rs: JournalRecord[]): string[] => rs.filter((r) => r.type === 'target').map((r) => (r as { targetId: string }).targetId);
const journal = (name: string, o: ConstructorParameters<typeof FileJournal>[1] = {}): FileJournal =>
  new FileJournal(join(dir, name), { lockDir, ...o });

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

/** Publish a lease entry by hand (what another process would have left). */
async function plantLease(scope: string, token: number, holder: Record<string, unknown>, expiresInMs: number): Promise<void> {
  const d = scopeDir(lockDir, scope);
  await mkdir(d, { recursive: true });
  const entry = { scope, token, state: 'held', holder: { since: new Date().toISOString(), user: 'someone', ...holder }, expiresAt: new Date(Date.now() + expiresInMs).toISOString() };
  await writeFile(join(d, `${String(token).padStart(12, '0')}.lease`), JSON.stringify(entry));
}

describe('FileJournal format', () => {
  it('writes a header line, then one fenced, checksummed line per record; reads them back; the file is 0600', async () => {
    const j = journal('basic.jsonl');
    await j.lock();
    expect(j.fence).toBe(1);
    await j.append([started('r1'), rec('a'), rec('b')]);
    await j.append([rec('c')]);
    const back = await j.read();
    expect(back.map((r) => r.type)).toEqual(['rollout.started', 'audit', 'target', 'target', 'target']);
    expect(ids(back)).toEqual(['a', 'b', 'c']);
    const lines = (await readFile(j.path, 'utf8')).split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ confgate: 'journal', v: 2, scope: `file:${j.path}` });
    expect(lines[3]).toMatch(/^\{"f":1,"c":"[0-9a-f]{8}","r":\{"type":"target","targetId":"a"/);
    expect(lines).toHaveLength(7); // header, 5 records, ''
    expect(statSync(j.path).mode & 0o777).toBe(0o600);
    await j.unlock();
  });

  it('ignores a torn last line and cuts it before the next append', async () => {
    const j = journal('torn.jsonl');
    await j.lock();
    await j.append([started('r1'), rec('a')]);
    await j.unlock();
    await writeFile(j.path, encodeLine(1, JSON.stringify(rec('b'))).slice(0, 30), { flag: 'a' });
    expect(ids(await j.read())).toEqual(['a']);
    await j.lock();
    await j.append([rec('c')]);
    await j.unlock();
    expect(ids(await j.read())).toEqual(['a', 'c']);
  });

  it('a damaged line inside the file is E_JOURNAL_CORRUPT naming the line; readChecked reports it and keeps the rest', async () => {
    const j = journal('corrupt.jsonl');
    await j.lock();
    await j.append([started('r1'), rec('a'), rec('b'), rec('c')]);
    await j.unlock();
    const text = await readFile(j.path, 'utf8');
    await writeFile(j.path, text.replace('"targetId":"b"', '"targetId":"B"')); // same length, checksum no longer matches
    await expect(j.read()).rejects.toMatchObject({ code: 'E_JOURNAL_CORRUPT', message: expect.stringMatching(/at 5: checksum mismatch/) });
    const checked = await j.readChecked();
    expect(ids(checked.records)).toEqual(['a', 'c']);
    expect(checked.problems).toEqual([{ at: 5, message: 'checksum mismatch' }]);
  });

  it('a rollout.finished carrying another rollout id is a problem, not a finish', async () => {
    const j = journal('ids.jsonl');
    await j.lock();
    const other = { type: 'rollout.finished', ts: 'x', result: { id: 'someone-else', status: 'completed', targets: {}, stages: [], errors: [] } } as JournalRecord;
    await j.append([started('r1'), rec('a'), other]);
    await j.unlock();
    const checked = await j.readChecked();
    expect(checked.records.some((r) => r.type === 'rollout.finished')).toBe(false);
    expect(checked.problems[0]!.message).toMatch(/rollout.finished for rollout someone-else inside rollout r1/);
  });

  it('refuses a file without the header (never truncates it) and a symlink (O_NOFOLLOW)', async () => {
    const json = join(dir, 'precious.json');
    await writeFile(json, '{"keep": "me"}');
    const j = new FileJournal(json, { lockDir });
    await j.lock();
    await expect(j.append([started('r1')])).rejects.toMatchObject({ code: 'E_JOURNAL_FORMAT', message: expect.stringMatching(/not a confgate journal/) });
    await expect(j.read()).rejects.toMatchObject({ code: 'E_JOURNAL_FORMAT' });
    await j.unlock();
    expect(readFileSync(json, 'utf8')).toBe('{"keep": "me"}');
    const link = join(dir, 'link.jsonl');
    await symlink(json, link);
    const k = new FileJournal(link, { lockDir });
    await k.lock();
    await expect(k.append([started('r1')])).rejects.toMatchObject({ code: 'E_JOURNAL' });
    await k.unlock();
    expect(readFileSync(json, 'utf8')).toBe('{"keep": "me"}');
  });

  it('a failed write (disk full) is cut back: no torn line stays inside the file, later appends read fine', async () => {
    const j = journal('full.jsonl');
    await j.lock();
    await j.append([started('r1'), rec('a')]);
    const sizeBefore = statSync(j.path).size;
    // fail the next write half-way, as ENOSPC would: part of the batch reaches the file, then the error
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { writeFile: (this: unknown, data: Buffer) => Promise<void> };
    await probe.close();
    const original = proto.writeFile;
    proto.writeFile = async function (this: unknown, data: Buffer) {
      // only the journal's batch with target b fails (other writers in this process, e.g. lease renewals, pass)
      if (!Buffer.isBuffer(data) || !data.includes('"targetId":"b"')) return original.call(this, data);
      proto.writeFile = original;
      await original.call(this, data.subarray(0, Math.floor(data.length / 2)));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    try {
      await expect(j.append([rec('b'), rec('c')])).rejects.toMatchObject({ code: 'E_JOURNAL', message: expect.stringMatching(/ENOSPC/) });
    } finally {
      proto.writeFile = original;
    }
    expect(statSync(j.path).size).toBe(sizeBefore);
    await j.append([rec('d')]);
    await j.unlock();
    const out = await j.readChecked();
    expect(out.problems).toEqual([]);
    expect(ids(out.records)).toEqual(['a', 'd']);
  });

  it('appends are serialised even when called concurrently', async () => {
    const j = journal('concurrent.jsonl');
    await j.lock();
    await j.append([started('r1')]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => j.append([rec(`x${i}`)])));
    await j.unlock();
    expect(ids(await j.read())).toEqual(Array.from({ length: 20 }, (_, i) => `x${i}`));
  });
});

describe('FileJournal leases', () => {
  it('one scope, one holder: two journals (different files) on one scope exclude each other; the error says who', async () => {
    const a = journal('s1-a.jsonl', { scope: 'edge-prod' });
    const b = journal('s1-b.jsonl', { scope: 'edge-prod' });
    await a.lock({ rolloutId: 'roll-A' });
    const err = await b.lock().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_ROLLOUT_LOCKED' });
    expect((err as Error).message).toMatch(new RegExp(`scope edge-prod is locked rollout roll-A by \\S+@${os.hostname()} pid ${process.pid} since`));
    const info = await b.lockInfo();
    expect(info).toMatchObject({ token: 1, state: 'held', holder: { rolloutId: 'roll-A', pid: process.pid, host: os.hostname() } });
    await a.unlock();
    expect(await b.lockInfo()).toMatchObject({ state: 'released', token: 2 });
    await b.lock();
    expect(b.fence).toBe(3); // tokens only grow
    await b.unlock();
  });

  it('a lease whose holder died on this host is taken over at once, with a higher token', async () => {
    const j = journal('dead.jsonl', { scope: 'dead-holder' });
    await plantLease('dead-holder', 7, { host: os.hostname(), pid: deadPid() }, 60_000);
    await j.lock();
    expect(j.fence).toBe(8);
    await j.unlock();
  });

  it('a reused pid is not the holder: same pid, another process start time → taken over', async () => {
    const j = journal('reused.jsonl', { scope: 'reused-pid' });
    await plantLease('reused-pid', 1, { host: os.hostname(), pid: process.pid, processStart: '1' }, 60_000);
    await j.lock();
    expect(j.fence).toBe(2);
    await j.unlock();
  });

  it('a live holder on this host keeps its lease until it expires; then it is taken over', async () => {
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(sleeper);
    await new Promise((r) => setTimeout(r, 100));
    const holder = { host: os.hostname(), pid: sleeper.pid!, processStart: processStartOf(sleeper.pid!) };
    await plantLease('live-holder', 1, holder, 60_000);
    const j = journal('live.jsonl', { scope: 'live-holder' });
    await expect(j.lock()).rejects.toMatchObject({ code: 'E_ROLLOUT_LOCKED', message: expect.stringMatching(/lease until/) });
    await plantLease('live-holder', 2, holder, -1); // same holder, lease run out (it stopped renewing)
    await j.lock();
    expect(j.fence).toBe(3);
    await j.unlock();
    sleeper.kill('SIGKILL');
  });

  it("another host's lock is never taken over, even expired; unlock --force needs the rollout id", async () => {
    await plantLease('remote', 4, { host: 'runner-17.example', pid: 1, rolloutId: 'roll-remote', ciUrl: 'https://ci.example/run/9' }, -60_000);
    const j = journal('remote.jsonl', { scope: 'remote' });
    const err = await j.lock().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_ROLLOUT_LOCKED' });
    expect((err as Error).message).toMatch(/runner-17\.example pid 1 .*\(https:\/\/ci\.example\/run\/9\).*another host is never taken over automatically.*confgate unlock --force roll-remote/);
    await expect(j.forceUnlock('roll-other', 'alice')).rejects.toMatchObject({ code: 'E_ROLLOUT_LOCKED', message: expect.stringMatching(/nothing released/) });
    expect(await j.forceUnlock('roll-remote', 'alice')).toMatchObject({ state: 'released', token: 5, releasedBy: 'alice' });
    await j.lock();
    expect(j.fence).toBe(6);
    await j.unlock();
  });

  it('fencing: a holder whose lease was taken over writes nothing more (E_FENCED), and is told once', async () => {
    const j = journal('fenced.jsonl', { scope: 'fenced' });
    await j.lock();
    await j.append([started('r1'), rec('a')]);
    let told = 0;
    j.onLost = () => told++;
    // another process takes the scope over (its lease entry has the next token)
    await plantLease('fenced', 2, { host: os.hostname(), pid: process.pid, rolloutId: 'r2' }, 60_000);
    const before = readFileSync(j.path, 'utf8');
    await expect(j.append([rec('b')])).rejects.toMatchObject({ code: 'E_FENCED', message: expect.stringMatching(/lost the lease on scope fenced \(token 1\).*token 2/) });
    await expect(j.append([rec('c')])).rejects.toMatchObject({ code: 'E_FENCED' });
    expect(readFileSync(j.path, 'utf8')).toBe(before);
    expect(told).toBe(1);
    expect(j.lost).toBeInstanceOf(Error);
    await j.unlock(); // does not release the new holder's lease
    expect(await j.lockInfo()).toMatchObject({ token: 2, state: 'held', holder: { rolloutId: 'r2' } });
  });

  it('a take-over of a held lease puts a copy of the journal in place: a paused writer\'s open descriptor can never write into it', async () => {
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(sleeper);
    await new Promise((r) => setTimeout(r, 100));
    const p = join(dir, 'detach.jsonl');
    const a = new FileJournal(p, { lockDir, scope: 'detach' });
    await a.lock();
    await a.append([started('r1'), rec('a')]);
    await a.unlock();
    const before = readFileSync(p, 'utf8');
    const inode = statSync(p).ino;
    // the paused holder: alive, its lease run out, and a descriptor on the journal it opened before its fence check
    const stale = await open(p, 'a');
    const holder = { host: os.hostname(), pid: sleeper.pid!, processStart: processStartOf(sleeper.pid!) };
    await plantLease('detach', 3, holder, -1);
    const b = new FileJournal(p, { lockDir, scope: 'detach' });
    await b.lock();
    expect(b.fence).toBe(4);
    expect(statSync(p).ino).not.toBe(inode);
    expect(readFileSync(p, 'utf8')).toBe(before);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    // the write that passed its fence check before the take-over lands in the old file, not in the journal
    await stale.write(encodeLine(3, JSON.stringify(rec('stale'))));
    await stale.close();
    await b.append([rec('b')]);
    expect(ids(await b.read())).toEqual(['a', 'b']);
    expect(readFileSync(p, 'utf8')).not.toMatch(/stale/);
    await b.unlock();
    sleeper.kill('SIGKILL');
  });

  it('on read, a line written with a lower token after a higher one (a stale writer) is left out and counted', async () => {
    const path = join(dir, 'stale-lines.jsonl');
    const j = new FileJournal(path, { lockDir });
    await j.lock();
    await j.append([started('r1'), rec('a')]);
    await j.unlock();
    await writeFile(path, encodeLine(5, JSON.stringify(rec('new-holder'))) + encodeLine(1, JSON.stringify(rec('stale'))), { flag: 'a' });
    const out = await j.readChecked();
    expect(ids(out.records)).toEqual(['a', 'new-holder']);
    expect(out.fencedOut).toBe(1);
    expect(out.problems).toEqual([]);
  });

  it('the heartbeat renews the lease; a holder that stops is found lost by its heartbeat', async () => {
    const j = journal('hb.jsonl', { scope: 'heartbeat', leaseTtl: 400, heartbeat: 50 });
    await j.lock();
    const first = (await j.lockInfo())!.expiresAt;
    await new Promise((r) => setTimeout(r, 300));
    expect(Date.parse((await j.lockInfo())!.expiresAt)).toBeGreaterThan(Date.parse(first));
    const lost = new Promise<Error>((r) => (j.onLost = r));
    await plantLease('heartbeat', 2, { host: os.hostname(), pid: process.pid }, 60_000);
    expect((await lost).message).toMatch(/lost the lease/);
    await j.unlock();
  });

  it('lease options are checked', () => {
    expect(() => journal('x.jsonl', { leaseTtl: '10s', heartbeat: '20s' })).toThrow(/heartbeat.*shorter than `leaseTtl`/);
  });
});

describe('FileJournal per-target claims (one host)', () => {
  const startedOn = (id: string, ids: string[]): JournalRecord => ({
    ...(started(id) as Extract<JournalRecord, { type: 'rollout.started' }>),
    plan: planRollout({ targets: ids.map((t) => ({ id: t, labels: {} })), stages: [{ name: 'all', percent: 100 }] }),
  });

  it('another scope sharing a target is refused while the first lease lives; disjoint targets are not; a release frees them', async () => {
    const x = journal('claims-x.jsonl', { scope: 'claims-x' });
    const y = journal('claims-y.jsonl', { scope: 'claims-y' });
    const z = journal('claims-z.jsonl', { scope: 'claims-z' });
    await x.lock({ rolloutId: 'rx' });
    await x.append([startedOn('rx', ['t1', 't2'])]);
    await y.lock();
    const err = await y.append([startedOn('ry', ['t2', 't3'])]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_ROLLOUT_LOCKED' });
    expect((err as Error).message).toMatch(/target t2 is claimed by scope claims-x \(.*pid \d+.*\): two rollouts never change one target at once/);
    expect(await y.read()).toEqual([]); // nothing of the refused start was written
    await z.lock();
    await z.append([startedOn('rz', ['t7', 't8'])]); // no shared target
    await x.unlock();
    await y.append([startedOn('ry', ['t2', 't3'])]);
    expect((await y.read()).map((r) => r.type)).toContain('rollout.started');
    // z still holds t7: y's claim did not touch it, and a fourth scope is refused on it
    const w = journal('claims-w.jsonl', { scope: 'claims-w' });
    await w.lock();
    await expect(w.append([startedOn('rw', ['t7'])])).rejects.toMatchObject({ code: 'E_ROLLOUT_LOCKED', message: expect.stringMatching(/t7 is claimed by scope claims-z/) });
    await Promise.all([y.unlock(), z.unlock(), w.unlock()]);
  });

  it('an expired or dead holder claims nothing; a resume of its rollout claims the targets again', async () => {
    // a crashed rollout: its holder died (lease entry of a dead pid), its journal unfinished
    const a = journal('claims-crash.jsonl', { scope: 'claims-crash' });
    await a.lock({ rolloutId: 'rc' });
    await a.append([startedOn('rc', ['c1', 'c2']), { type: 'target', targetId: 'c1', state: { status: 'applying', stage: 0 } }]);
    await a.unlock();
    await plantLease('claims-crash', 3, { host: os.hostname(), pid: deadPid(), rolloutId: 'rc' }, 60_000);
    const other = journal('claims-other.jsonl', { scope: 'claims-other' });
    await other.lock();
    await other.append([startedOn('ro', ['c2'])]); // the dead holder's claim counts for nothing
    await other.unlock();
    const refused: unknown[] = [];
    const res = await resumeRollout(journal('claims-crash.jsonl', { scope: 'claims-crash', documents: { lkg: { v: 1 } } }), {
      rollback: async () => {
        // while the resume rolls back, c1 and c2 are claimed again by its scope
        const third = journal('claims-third.jsonl', { scope: 'claims-third' });
        await third.lock();
        refused.push(await third.append([startedOn('r3', ['c1'])]).catch((e: unknown) => e));
        await third.unlock();
      },
    });
    expect(res).toMatchObject({ status: 'rolled-back', resumed: true });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ code: 'E_ROLLOUT_LOCKED', message: expect.stringMatching(/c1 is claimed by scope claims-crash/) });
    // the resume finished and released: c1 is free again
    const fourth = journal('claims-fourth.jsonl', { scope: 'claims-fourth' });
    await fourth.lock();
    await fourth.append([startedOn('r4', ['c1'])]);
    await fourth.unlock();
  });
});

describe('file rollouts end to end', () => {
  it('a journal that cannot be written stops the rollout with E_JOURNAL before any apply', async () => {
    const ro = join(dir, 'readonly');
    let path: string;
    if (process.getuid?.() === 0) {
      await writeFile(ro, 'not a directory');
      path = join(ro, 'journal.jsonl');
    } else {
      await mkdir(ro);
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
      journal: new FileJournal(path, { lockDir }),
    };
    await expect(runRollout(options)).rejects.toMatchObject({ code: 'E_JOURNAL' });
    expect(applied).toEqual([]);
  });

  it('journals a file rollout end to end; resume returns the finished result; the journal is reused', async () => {
    const path = join(dir, 'e2e.jsonl');
    const res = await runRollout({
      plan: planRollout({ targets, stages: [{ name: 'one', count: 1 }, { name: 'all', percent: 100 }] }),
      proposed: { v: 2 },
      lkg: { v: 1 },
      apply: () => undefined,
      rollback: () => undefined,
      health: () => true,
      journal: new FileJournal(path, { lockDir }),
      id: 'r-1',
    });
    expect(res.status).toBe('completed');
    const records = await new FileJournal(path, { lockDir, documents: { proposed: { v: 2 }, lkg: { v: 1 } } }).read();
    expect(records[0]).toMatchObject({ type: 'rollout.started', id: 'r-1', proposed: { v: 2 }, lkg: { v: 1 } });
    expect(records.at(-1)).toMatchObject({ type: 'rollout.finished', result: { status: 'completed', id: 'r-1' } });
    const again = await resumeRollout(new FileJournal(path, { lockDir }), { rollback: () => { throw new Error('must not run'); } });
    expect(again).toMatchObject({ status: 'completed', id: 'r-1' });
    const second = await runRollout({
      plan: planRollout({ targets, stages: [{ name: 'all', percent: 100 }] }),
      proposed: {},
      lkg: {},
      apply: () => undefined,
      rollback: () => undefined,
      journal: new FileJournal(path, { lockDir }),
      id: 'r-2',
    });
    expect(second.status).toBe('completed');
    const hist = await new FileJournal(path, { lockDir }).history();
    expect(hist.map((h) => [h.id, h.status])).toEqual([['r-2', 'completed'], ['r-1', 'completed']]);
    expect(hist[0]!.audit?.actor).toBeTruthy();
  });
});

describe('resume in doubt (salvage)', () => {
  const fleet3: Target[] = [{ id: 'a', labels: {} }, { id: 'b', labels: {} }, { id: 'c', labels: {} }];
  const plan = planRollout({ targets: fleet3, stages: [{ name: 'one', count: 1 }, { name: 'all', percent: 100 }] });
  async function crashed(name: string): Promise<string> {
    const path = join(dir, name);
    const j = new FileJournal(path, { lockDir });
    await j.lock();
    await j.append([{ type: 'rollout.started', v: 1, id: 'r-doubt', ts: '2026-01-01T00:00:00Z', plan, proposed: { v: 2 }, lkg: { v: 1 }, changes: [] }]);
    await j.append([{ type: 'stage', ts: 'x', stage: 0, status: 'started' }, rec('a'), { type: 'target', targetId: 'a', state: { status: 'applied', stage: 0 } }]);
    await j.append([{ type: 'stage', ts: 'x', stage: 0, status: 'passed' }, { type: 'stage', ts: 'x', stage: 1, status: 'started' }]);
    await j.append([{ type: 'target', targetId: 'b', state: { status: 'applying', stage: 1 } }]);
    await j.unlock();
    return path;
  }

  it('a damaged journal: resume rolls back every target of every started stage and says so', async () => {
    const path = await crashed('doubt.jsonl');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"targetId":"b"', '"targetId":"x"'));
    await expect(resumeRollout(new FileJournal(path, { lockDir, documents: { lkg: { v: 1 } } }), { rollback: () => undefined })).rejects.toMatchObject({ code: 'E_JOURNAL_CORRUPT' });
    const rolled: string[] = [];
    const j = new FileJournal(path, { lockDir, documents: { lkg: { v: 1 } }, salvage: true });
    expect((await j.readChecked()).problems).toHaveLength(1);
    const res = await resumeRollout(j, { rollback: (t) => void rolled.push(t.id) });
    expect(res.status).toBe('rolled-back');
    expect(rolled.sort()).toEqual(['a', 'b', 'c']); // c's stage had started: in doubt, it is rolled back too
  });

  it('a journal that cannot be written (read-only, full): the resume still rolls back and reports the journal error', async () => {
    const path = await crashed('readonly.jsonl');
    const probe = await open(join(dir, 'probe2'), 'w');
    const proto = Object.getPrototypeOf(probe) as { writeFile: (this: unknown, data: unknown) => Promise<void> };
    await probe.close();
    const original = proto.writeFile;
    proto.writeFile = async function (this: unknown, data: unknown) {
      if (Buffer.isBuffer(data) && data.includes('"r":{"type"')) throw Object.assign(new Error('EROFS: read-only file system, write'), { code: 'EROFS' });
      return original.call(this, data);
    };
    const rolled: string[] = [];
    const j = new FileJournal(path, { lockDir, documents: { lkg: { v: 1 } }, salvage: true });
    try {
      const res = await resumeRollout(j, { rollback: (t) => void rolled.push(t.id) });
      expect(res.status).toBe('rolled-back');
    } finally {
      proto.writeFile = original;
    }
    expect(rolled.sort()).toEqual(['a', 'b']);
    expect(j.writeErrors[0]!.message).toMatch(/EROFS/);
  });
});

describe('resume after SIGKILL', () => {
  // the child runs the built package (npm test and land.sh build it first)
  const bundle = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

  it('rolls back every changed target; no target is left unknown; the journal is consistent', async () => {
    const journalPath = join(dir, 'crash.jsonl');
    const logPath = join(dir, 'crash.log');
    await writeFile(logPath, '');
    const child = spawn(process.execPath, [fileURLToPath(new URL('../rollout/fixtures/crash-child.mjs', import.meta.url)), bundle, journalPath, logPath], {
      stdio: 'ignore',
      env: { ...process.env, CONFGATE_LOCK_DIR: lockDir },
    });
    children.push(child);
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    for (let i = 0; i < 400; i++) {
      const applies = (await readFile(logPath, 'utf8')).split('\n').filter((l) => l.startsWith('apply')).length;
      if (applies >= 8) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const log = (await readFile(logPath, 'utf8')).split('\n').filter(Boolean);
    expect(log.some((l) => !l.startsWith('apply'))).toBe(false);
    const applied = log.map((l) => l.slice('apply '.length));
    expect(applied.length).toBeGreaterThanOrEqual(8);
    expect(applied.length).toBeLessThan(24);

    const j = new FileJournal(journalPath, { lockDir, documents: { lkg: { version: 1 } } });
    const before = await j.read();
    expect(before.some((r) => r.type === 'rollout.finished')).toBe(false);
    expect(await j.lockInfo()).toMatchObject({ state: 'held', holder: { pid: child.pid } }); // the dead child's lease

    // the journal keeps only the LKG's hash: without the document, resume refuses before any hook
    await expect(resumeRollout(new FileJournal(journalPath, { lockDir }), { rollback: () => { throw new Error('must not run'); } })).rejects.toMatchObject({
      code: 'E_JOURNAL_DOCUMENTS',
    });
    await expect(
      resumeRollout(new FileJournal(journalPath, { lockDir, documents: { lkg: { version: 0 } } }), { rollback: () => { throw new Error('must not run'); } }),
    ).rejects.toMatchObject({ code: 'E_JOURNAL_DOCUMENTS', message: expect.stringMatching(/not the one this rollout used/) });

    const rolledBack: string[] = [];
    const res = await resumeRollout(j, {
      rollback: (t, ctx) => {
        expect(ctx.config).toEqual({ version: 1 });
        rolledBack.push(t.id);
      },
    });
    expect(res.resumed).toBe(true);
    expect(res.status).toBe('rolled-back');
    for (const id of applied) expect(rolledBack).toContain(id);
    expect(new Set(rolledBack).size).toBe(rolledBack.length);
    expect(Object.keys(res.targets)).toHaveLength(24);
    for (const [id, s] of Object.entries(res.targets)) {
      expect(['rolled-back', 'skipped'], id).toContain(s.status);
      if (s.status === 'skipped') expect(applied).not.toContain(id);
    }
    const after = await new FileJournal(journalPath, { lockDir }).read();
    expect(after.filter((r) => r.type === 'resume.started')).toHaveLength(1);
    expect(after.at(-1)).toMatchObject({ type: 'rollout.finished', result: { status: 'rolled-back', resumed: true } });
    expect(await j.lockInfo()).toMatchObject({ state: 'released' });
    expect(existsSync(journalPath)).toBe(true);
  }, 60_000);
});
