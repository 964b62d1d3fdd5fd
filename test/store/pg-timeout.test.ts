/**
 * A PostgreSQL store whose database stops answering gives E_JOURNAL after `queryTimeout` instead of holding the caller
 * (and a rollout) until TCP gives up: a server that accepts connections and never answers, a statement stuck behind a
 * lock, a session of ours left idle inside a transaction, and a partition in the middle of a rollout (a proxy to the
 * real PostgreSQL that stops passing bytes). Real PostgreSQL on 127.0.0.1:5432, never a mock.
 *
 * Each wait below is bounded by `within()`, at least 10 times what it takes on an idle machine (the partition, whose
 * rollout waits out several timeouts in a row, about 13 s: 150 s): it only turns a hang (the behaviour without the
 * timeouts) into a failure with a message. Statements that must succeed get 2 s each, for a loaded machine.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfgateError, PostgresJournal, planRollout, runRollout } from '../../src/index.js';
import type { JournalRecord, Target } from '../../src/index.js';
import { poolConfig } from '../../src/store/postgres.js';
import { dropSchemas, freshSchema, PG_URL, sql } from './pg.js';

const schema = freshSchema('confgate_timeout');
const open: PostgresJournal[] = [];
const servers: net.Server[] = [];
afterAll(async () => {
  for (const j of open) await j.close();
  for (const s of servers) await new Promise((r) => s.close(r));
  await dropSchemas(schema);
});

const journal = (url: string, o: ConstructorParameters<typeof PostgresJournal>[1] = {}): PostgresJournal => {
  const j = new PostgresJournal(url, { schema, ...o });
  open.push(j);
  return j;
};

/** `p`, or a rejection after `limitMs`: a hang becomes a failure with a message. */
function within<T>(p: Promise<T>, what: string, limitMs = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${limitMs / 1000} s`)), limitMs);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** A TCP proxy to the real PostgreSQL; `freeze()` stops passing bytes both ways and keeps every socket open. */
async function freezableProxy(): Promise<{ url: string; freeze(): void }> {
  const target = new URL(PG_URL);
  let frozen = false;
  const port = await listen(
    net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      const pass = (to: net.Socket) => (chunk: Buffer) => {
        if (!frozen) to.write(chunk);
      };
      client.on('data', pass(upstream));
      upstream.on('data', pass(client));
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    }),
  );
  const url = new URL(PG_URL);
  url.host = `127.0.0.1:${port}`;
  return { url: url.toString(), freeze: () => void (frozen = true) };
}

const rec = (id: string): JournalRecord => ({ type: 'target', targetId: id, state: { status: 'applying', stage: 0 } });

describe('PostgresJournal queryTimeout', () => {
  it('is a positive duration', () => {
    expect(() => new PostgresJournal(PG_URL, { queryTimeout: 0 })).toThrow(/queryTimeout/);
    expect(() => new PostgresJournal(PG_URL, { queryTimeout: 'soon' })).toThrow(/queryTimeout/);
  });

  it('a server that accepts the connection and never answers: E_JOURNAL naming the timeout', async () => {
    const silent: net.Socket[] = [];
    const port = await listen(net.createServer((s) => void silent.push(s)));
    const j = journal(`postgres://postgres@127.0.0.1:${port}/test`, { scope: 'silent', queryTimeout: 300 });
    const err = (await within(j.lock().then(() => undefined, (e: unknown) => e), 'lock')) as ConfgateError;
    expect(err).toBeInstanceOf(ConfgateError);
    expect(err.code).toBe('E_JOURNAL');
    expect(err.message).toMatch(/no answer within queryTimeout, 300ms/);
    expect(silent.length).toBeGreaterThan(0);
    for (const s of silent) s.destroy();
  });

  it('a statement stuck behind a lock is cancelled: E_JOURNAL, and the journal works again once the lock is gone', async () => {
    await new PostgresJournal(PG_URL, { schema, scope: 'stuck' }).close(); // the schema exists: no migration under the short timeout
    const j = journal(PG_URL, { scope: 'stuck', queryTimeout: 2000 });
    await within(j.lock(), 'lock');
    await within(j.append([rec('a')]), 'append');
    const blocker = new pg.Client({ connectionString: PG_URL });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE ${pg.escapeIdentifier(schema)}.leases IN ACCESS EXCLUSIVE MODE`);
      const err = (await within(j.append([rec('b')]).then(() => undefined, (e: unknown) => e), 'append behind a lock')) as ConfgateError;
      expect(err.code).toBe('E_JOURNAL');
      expect(err.message).toMatch(/statement timeout[\s\S]*no answer within queryTimeout, 2s/);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    await within(j.append([rec('c')]), 'append after the lock');
    const rows = await sql<{ record: string }>(`SELECT record FROM ${pg.escapeIdentifier(schema)}.records WHERE scope = 'stuck' ORDER BY seq`);
    expect(rows.map((r) => (JSON.parse(r.record) as { targetId: string }).targetId)).toEqual(['a', 'c']);
  });

  it('a session of ours left idle inside a transaction is ended by the server, so its row locks free another runner', async () => {
    await new PostgresJournal(PG_URL, { schema, scope: 'idle' }).close(); // the schema exists
    const pool = new pg.Pool(poolConfig(PG_URL, 2, 2000));
    pool.on('error', () => undefined);
    const paused = await pool.connect();
    paused.on('error', () => undefined);
    const other = new pg.Client({ connectionString: PG_URL });
    await other.connect();
    try {
      const table = `${pg.escapeIdentifier(schema)}.meta`;
      await paused.query('BEGIN');
      await paused.query(`UPDATE ${table} SET value = value WHERE key = 'schema_version'`);
      // `paused` now holds the row lock and sends nothing more, like a process stopped between two statements
      const r = await within(other.query(`UPDATE ${table} SET value = value WHERE key = 'schema_version'`), 'update behind an idle transaction');
      expect(r.rowCount).toBe(1);
      await expect(paused.query('COMMIT')).rejects.toThrow(/idle-in-transaction|terminat|Connection/i);
    } finally {
      paused.release(true);
      await other.end();
      await pool.end();
    }
  });

  it('a partition in the middle of a rollout: no apply after it, and the rollout ends instead of waiting', async () => {
    const proxy = await freezableProxy();
    const targets: Target[] = ['p1', 'p2', 'p3', 'p4'].map((id) => ({ id, labels: {} }));
    const applied: string[] = [];
    const rolledBack: string[] = [];
    let appliedAfterFreeze = 0;
    let frozen = false;
    const outcome = await within(
      runRollout({
        plan: planRollout({ targets, stages: [{ name: 'one', count: 1 }, { name: 'all', percent: 100 }] }),
        proposed: { v: 2 },
        lkg: { v: 1 },
        apply: (t) => {
          if (frozen) appliedAfterFreeze++;
          applied.push(t.id);
          if (applied.length === 1) {
            // the database goes silent once the first target is changed
            proxy.freeze();
            frozen = true;
          }
        },
        rollback: (t) => void rolledBack.push(t.id),
        health: () => true,
        healthOptions: { interval: 1 },
        journal: journal(proxy.url, { scope: 'partition', queryTimeout: 2000 }),
        id: 'r-partition',
      }).then(
        (r) => ({ status: r.status, reason: r.reason, error: undefined as unknown }),
        (e: unknown) => ({ status: 'threw', reason: undefined, error: e }),
      ),
      'rollout over a partition',
      150_000,
    );
    // nothing new is changed once the journal cannot be written; the one changed target may be rolled back (the
    // lease, renewed less than leaseTtl ago, is still surely held: the engine's "rollback beats journaling")
    expect(applied).toEqual(['p1']);
    expect(appliedAfterFreeze).toBe(0);
    expect(rolledBack.every((id) => id === 'p1')).toBe(true);
    // the engine stops on the journal write that got no answer, and says so (rolled back when it could roll p1 back)
    expect(outcome.error).toBeUndefined();
    expect(['failed', 'rolled-back']).toContain(outcome.status);
    expect(outcome.status === 'rolled-back').toBe(rolledBack.length > 0);
    expect(outcome.reason).toMatch(/journal write failed[\s\S]*no answer within queryTimeout, 2s/);
  }, 200_000);
});
