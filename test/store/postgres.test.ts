/**
 * The PostgreSQL store against the real database on 127.0.0.1:5432 (database `test`, trust auth; scripts/pretest.sh
 * starts it): a fresh schema per run, dropped afterwards. Never a mock.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresJournal, planRollout, resumeRollout, runRollout } from '../../src/index.js';
import type { JournalRecord, Target } from '../../src/index.js';
import { migrate, MIGRATIONS } from '../../src/store/migrations.js';
import { dropSchemas, freshSchema, PG_URL, sql } from './pg.js';

const schema = freshSchema();
const open: PostgresJournal[] = [];
const journal = (scope: string, o: ConstructorParameters<typeof PostgresJournal>[1] = {}): PostgresJournal => {
  const j = new PostgresJournal(PG_URL, { schema, scope, ...o });
  open.push(j);
  return j;
};
const t = (schemaTable: string): string => `${pg.escapeIdentifier(schema)}.${schemaTable}`;

const fleet = (ids: string[]): Target[] => ids.map((id) => ({ id, labels: {} }));
const started = (id: string, targets: Target[]): JournalRecord => ({
  type: 'rollout.started',
  v: 1,
  id,
  ts: new Date().toISOString(),
  plan: planRollout({ targets, stages: [{ name: 'all', percent: 100 }] }),
  proposed: { v: 2 },
  lkg: { v: 1 },
  changes: [],
});
const rec = (id: string, status: 'applying' | 'applied' = 'applying'): JournalRecord => ({ type: 'target', targetId: id, state: { status, stage: 0 } });
const ids = (rs: JournalRecord[]): string[] => rs.filter((r) => r.type === 'target').map((r) => (r as { targetId: string }).targetId);

const migrateSchema = freshSchema('confgate_migrate');
afterAll(async () => {
  for (const j of open) await j.close();
  await dropSchemas(schema, migrateSchema);
});

describe('schema migrations', () => {
  it('run once, idempotently, and safely when several processes start at once (advisory lock)', async () => {
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        return c;
      }),
    );
    try {
      const results = await Promise.all(clients.map((c) => migrate(c as unknown as pg.PoolClient, migrateSchema)));
      // exactly one of them migrated from 0; the others waited and found the work done
      expect(results.filter((r) => r.from === 0)).toHaveLength(1);
      expect(results.every((r) => r.to === MIGRATIONS.length)).toBe(true);
      expect(await migrate(clients[0] as unknown as pg.PoolClient, migrateSchema)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
    } finally {
      for (const c of clients) await c.end();
    }
    const v = await sql<{ value: string }>(`SELECT value FROM ${pg.escapeIdentifier(migrateSchema)}.meta WHERE key = 'schema_version'`);
    expect(v[0]!.value).toBe(String(MIGRATIONS.length));
  });

  it('refuses a schema newer than this confgate knows', async () => {
    await sql(`UPDATE ${pg.escapeIdentifier(migrateSchema)}.meta SET value = '999' WHERE key = 'schema_version'`);
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await expect(migrate(c as unknown as pg.PoolClient, migrateSchema)).rejects.toThrow(/version 999, newer than this confgate knows/);
    } finally {
      await c.end();
    }
  });
});

describe('PostgresJournal leases and fencing', () => {
  it('one holder per scope; the error says who; tokens grow on every take-over and release', async () => {
    const a = journal('edge-prod');
    const b = journal('edge-prod');
    await a.lock({ rolloutId: 'roll-A' });
    expect(a.fence).toBe(1);
    const err = await b.lock().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_ROLLOUT_LOCKED' });
    expect((err as Error).message).toMatch(/scope edge-prod is locked rollout roll-A by \S+@\S+ pid \d+ since .*token 1, lease until/);
    expect(await b.lockInfo()).toMatchObject({ state: 'held', token: 1, holder: { rolloutId: 'roll-A', pid: process.pid } });
    await a.unlock();
    await b.lock();
    expect(b.fence).toBe(3);
    await b.unlock();
  });

  it('an expired lease is taken over; the old holder then writes nothing (E_FENCED) and is told', async () => {
    const a = journal('takeover', { leaseTtl: '30s' });
    await a.lock();
    await a.append([started('r-a', fleet(['x', 'y'])), rec('x')]);
    let told = 0;
    a.onLost = () => told++;
    // a stopped holder: its lease runs out without renewal
    await sql(`UPDATE ${t('leases')} SET expires_at = now() - interval '1 second' WHERE scope = 'takeover'`);
    const b = journal('takeover');
    await b.lock();
    expect(b.fence).toBe(2);
    await expect(a.append([rec('y')])).rejects.toMatchObject({ code: 'E_FENCED' });
    expect(told).toBe(1);
    const rows = await sql<{ n: string }>(`SELECT count(*) AS n FROM ${t('records')} WHERE scope = 'takeover' AND record LIKE '%"targetId":"y"%'`);
    expect(rows[0]!.n).toBe('0');
    await a.unlock(); // leaves b's lease alone
    expect(await b.lockInfo()).toMatchObject({ state: 'held', token: 2 });
    await b.unlock();
  });

  it('the heartbeat renews the lease by the database clock, and finds a lost lease', async () => {
    const a = journal('hb', { leaseTtl: 2000, heartbeat: 100 });
    await a.lock();
    const first = Date.parse((await a.lockInfo())!.expiresAt);
    await new Promise((r) => setTimeout(r, 400));
    expect(Date.parse((await a.lockInfo())!.expiresAt)).toBeGreaterThan(first);
    const lost = new Promise<Error>((r) => (a.onLost = r));
    await sql(`UPDATE ${t('leases')} SET token = token + 1 WHERE scope = 'hb'`);
    expect((await lost).message).toMatch(/lost the lease on scope hb/);
    await a.unlock();
  });

  it('unlock --force needs the holder rollout id', async () => {
    const a = journal('forced');
    await a.lock({ rolloutId: 'roll-F' });
    const other = journal('forced');
    await expect(other.forceUnlock('roll-X', 'bob')).rejects.toMatchObject({ code: 'E_ROLLOUT_LOCKED', message: expect.stringMatching(/nothing released/) });
    expect(await other.forceUnlock('roll-F', 'bob')).toMatchObject({ state: 'released', token: 2, releasedBy: 'bob' });
    await expect(a.append([started('r', fleet(['q']))])).rejects.toMatchObject({ code: 'E_FENCED' });
    await a.unlock();
  });

  it('per-target claims: another scope sharing a target is refused while the first lease lives', async () => {
    const x = journal('scope-x');
    const y = journal('scope-y');
    await x.lock();
    await x.append([started('rx', fleet(['t1', 't2']))]);
    await y.lock();
    const err = await y.append([started('ry', fleet(['t2', 't3']))]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_ROLLOUT_LOCKED' });
    expect((err as Error).message).toMatch(/target t2 is claimed by scope scope-x/);
    expect(await y.read()).toEqual([]); // nothing of the refused start was kept
    await x.unlock();
    await y.append([started('ry', fleet(['t2', 't3']))]);
    await y.unlock();
  });

  it('a resume that takes an unfinished rollout over claims its targets again (and never over a live claim)', async () => {
    const crashed = journal('reclaim');
    await crashed.lock({ rolloutId: 'r-crash' });
    await crashed.append([started('r-crash', fleet(['k1', 'k2'])), rec('k1')]);
    await sql(`UPDATE ${t('leases')} SET expires_at = now() - interval '1 second' WHERE scope = 'reclaim'`);
    // meanwhile another scope claimed k2 (the expired lease claims nothing) and still runs
    const live = journal('reclaim-live');
    await live.lock();
    await live.append([started('r-live', fleet(['k2']))]);
    const refused: unknown[] = [];
    const res = await resumeRollout(journal('reclaim', { documents: { lkg: { v: 1 } } }), {
      rollback: async () => {
        const third = journal('reclaim-third');
        await third.lock();
        refused.push(await third.append([started('r3', fleet(['k1']))]).catch((e: unknown) => e));
        await third.unlock();
      },
    });
    expect(res).toMatchObject({ status: 'rolled-back', resumed: true });
    expect(refused[0]).toMatchObject({ code: 'E_ROLLOUT_LOCKED', message: expect.stringMatching(/k1 is claimed by scope reclaim /) });
    // k2 stayed the live rollout's
    const claims = await sql<{ target_id: string; scope: string }>(`SELECT target_id, scope FROM ${t('claims')} WHERE target_id IN ('k1', 'k2') ORDER BY target_id`);
    expect(claims).toEqual([
      { target_id: 'k1', scope: 'reclaim' },
      { target_id: 'k2', scope: 'reclaim-live' },
    ]);
    await live.unlock();
    await crashed.close();
  });

  it('records are checksummed: a row changed behind its back is E_JOURNAL_CORRUPT', async () => {
    const a = journal('tamper');
    await a.lock();
    await a.append([started('r1', fleet(['a', 'b'])), rec('a'), rec('b')]);
    await a.unlock();
    await sql(`UPDATE ${t('records')} SET record = replace(record, '"b"', '"B"') WHERE scope = 'tamper' AND type = 'targets'`);
    await expect(journal('tamper').read()).rejects.toMatchObject({ code: 'E_JOURNAL_CORRUPT', message: expect.stringMatching(/checksum mismatch/) });
  });

  it('group commit: a batch is one statement; reads return the latest rollout in order', async () => {
    const a = journal('batch');
    await a.lock();
    await a.append([started('r1', fleet(['a']))]);
    await a.append(Array.from({ length: 500 }, (_, i) => rec(`n${i}`)));
    expect(ids(await a.read())).toEqual(Array.from({ length: 500 }, (_, i) => `n${i}`));
    await a.unlock();
  });
});

describe('PostgresJournal rollouts', () => {
  const targets = fleet(['p1', 'p2', 'p3', 'p4']);
  it('runs a rollout, resumes a crashed one from another "machine" (another journal object), lists history', async () => {
    const res = await runRollout({
      plan: planRollout({ targets, stages: [{ name: 'one', count: 1 }, { name: 'all', percent: 100 }] }),
      proposed: { v: 2 },
      lkg: { v: 1 },
      apply: () => undefined,
      rollback: () => undefined,
      health: () => true,
      healthOptions: { interval: 1 },
      journal: journal('fleet', { audit: { actor: 'alice', reason: 'ticket-42', commit: 'abc123' } }),
      id: 'r-ok',
    });
    expect(res.status).toBe('completed');

    // a crashed holder: journaled two applies, then vanished without releasing
    const crashed = journal('fleet');
    await crashed.lock();
    await crashed.append([started('r-crash', targets), { type: 'stage', ts: 'x', stage: 0, status: 'started' }, rec('p1'), rec('p2'), rec('p1', 'applied')]);
    await sql(`UPDATE ${t('leases')} SET expires_at = now() - interval '1 second' WHERE scope = 'fleet'`);

    const rolledBack: string[] = [];
    const resumed = await resumeRollout(journal('fleet', { documents: { lkg: { v: 1 } } }), {
      rollback: (target, ctx) => {
        expect(ctx.config).toEqual({ v: 1 });
        rolledBack.push(target.id);
      },
    });
    expect(resumed).toMatchObject({ status: 'rolled-back', resumed: true, id: 'r-crash' });
    expect(rolledBack.sort()).toEqual(['p1', 'p2']);
    await expect(crashed.append([rec('p3')])).rejects.toMatchObject({ code: 'E_FENCED' });
    await crashed.close();

    const hist = await journal('fleet').history();
    expect(hist.map((h) => [h.id, h.status])).toEqual([
      ['r-crash', 'rolled-back'],
      ['r-ok', 'completed'],
    ]);
    expect(hist[1]!.audit).toMatchObject({ actor: 'alice', reason: 'ticket-42', commit: 'abc123' });
    expect(hist[0]!.events.map((e) => e.type)).toContain('resume.started');
    expect(hist[0]!.fence).toBe(3); // r-ok held 1, its release made 2, the crashed holder took 3
  });
});
