/**
 * Secrets at rest: a planted secret's raw value must not be found in any journal format or in any table of the
 * PostgreSQL store, whether the documents are kept as hashes (default) or encrypted (CONFGATE_JOURNAL_KEY).
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffConfigs, FileJournal, PostgresJournal, planRollout, runRollout } from '../../src/index.js';
import type { Journal, Target } from '../../src/index.js';
import { dropSchemas, freshSchema, PG_URL, sql } from './pg.js';

const SECRET = 'hunter2-Zq8vX3-db-password';
const OLD_SECRET = 'old-secret-4Kp9-should-not-leak';
const lkg = { version: '1.0.0', db: { password: OLD_SECRET }, features: [{ name: 'a' }] };
const proposed = { version: '1.0.1', db: { password: SECRET }, features: [{ name: 'a' }, { name: 'b' }] };
const changes = diffConfigs(lkg, proposed);
const targets: Target[] = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, labels: {} }));
const KEY = 'correct horse battery staple';

let dir: string;
const schema = freshSchema('confgate_secret');
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confgate-secrets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await dropSchemas(schema);
});

async function rollout(journal: Journal, failing = false): Promise<void> {
  const res = await runRollout({
    plan: planRollout({ targets, stages: [{ name: 'one', count: 1 }, { name: 'all', percent: 100 }] }),
    proposed,
    lkg,
    changes,
    apply: (t) => {
      if (failing && t.id === 's3') throw new Error('apply failed');
    },
    rollback: () => undefined,
    health: () => true,
    healthOptions: { interval: 1 },
    journal,
  });
  expect(res.status).toBe(failing ? 'rolled-back' : 'completed');
}

/** Every byte the store keeps, as text: all files under dir, or every row of every table of the schema. */
async function everythingStored(kind: 'file' | 'pg'): Promise<string> {
  if (kind === 'file') {
    let out = '';
    for (const f of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (f.isFile()) out += await readFile(join(f.parentPath, f.name), 'utf8');
    }
    return out;
  }
  const tables = await sql<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [schema]);
  expect(tables.map((x) => x.table_name).sort()).toEqual(['claims', 'commands', 'events', 'leases', 'meta', 'records', 'rollouts']);
  let out = '';
  for (const { table_name } of tables) {
    const rows = await sql<{ row: string }>(`SELECT t::text AS row FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table_name)} t`);
    out += rows.map((r) => r.row).join('\n');
  }
  return out;
}

describe.each([
  ['file', 'hashes'],
  ['file', 'key'],
  ['pg', 'hashes'],
  ['pg', 'key'],
] as const)('%s store, documents kept as %s', (kind, mode) => {
  const key = mode === 'key' ? KEY : undefined;
  const make = (o: { key?: string; documents?: { lkg?: unknown; proposed?: unknown } } = {}): FileJournal | PostgresJournal =>
    kind === 'file'
      ? new FileJournal(join(dir, `${mode}.journal`), { lockDir: join(dir, 'locks'), scope: `secrets-${mode}`, ...o })
      : new PostgresJournal(PG_URL, { schema, scope: `secrets-${mode}`, ...o });

  it('no raw secret value anywhere in the store after a completed and a rolled-back rollout', async () => {
    await rollout(make(key ? { key } : {}));
    await rollout(make(key ? { key } : {}), true);
    const stored = await everythingStored(kind);
    expect(stored.length).toBeGreaterThan(500);
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toContain(OLD_SECRET);
    expect(stored).not.toContain('hunter2'); // not even a prefix
    expect(stored).toMatch(/sha256:[0-9a-f]{64}/);
    if (mode === 'key') expect(stored).toMatch(/enc\W{1,6}salt/);
    else expect(stored).not.toMatch(/enc\W{1,6}salt/);
  });

  it('the documents come back only with the key or verified against their hashes', async () => {
    if (mode === 'key') {
      const withKey = await make({ key: KEY }).read();
      expect(withKey[0]).toMatchObject({ type: 'rollout.started', proposed, lkg });
      const wrong = make({ key: 'wrong key' });
      await expect(wrong.read()).rejects.toMatchObject({ code: 'E_JOURNAL_DOCUMENTS', message: expect.stringMatching(/wrong key/) });
    }
    const supplied = await make({ documents: { lkg, proposed } }).read();
    expect(supplied[0]).toMatchObject({ type: 'rollout.started', proposed, lkg });
    const without = (await make().read())[0] as { lkg?: unknown; proposed?: unknown };
    expect(() => without.lkg).toThrow(mode === 'key' ? /keeps the LKG encrypted.*set CONFGATE_JOURNAL_KEY/ : /keeps only a hash of the LKG/);
    expect(without.proposed).toBeUndefined();
    await expect(make({ documents: { lkg: { ...lkg, db: { password: 'guess' } } } }).read()).rejects.toMatchObject({
      code: 'E_JOURNAL_DOCUMENTS',
      message: expect.stringMatching(/supplied LKG is not the one this rollout used/),
    });
    if (kind === 'pg') await (make() as PostgresJournal).close();
  });
});
