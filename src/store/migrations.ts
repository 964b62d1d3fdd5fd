/**
 * The PostgreSQL store's schema, created and migrated by the library itself: versioned (table `meta`, key
 * `schema_version`), idempotent (a migration runs once; running `migrate` again is a no-op), and safe when several
 * processes start at once (the whole migration runs in one transaction holding an advisory lock on the schema name).
 * `{s}` is replaced by the quoted schema name.
 */
import type { PoolClient } from 'pg';

/** Migrations in order; the schema version is the number applied. Never edit one that shipped: add a new one. */
export const MIGRATIONS: readonly string[] = [
  // 1: leases, records, claims, rollouts
  `CREATE TABLE {s}.leases (
     scope text PRIMARY KEY,
     token bigint NOT NULL,
     state text NOT NULL CHECK (state IN ('held', 'released')),
     holder jsonb NOT NULL,
     expires_at timestamptz NOT NULL,
     released_by text
   );
   CREATE TABLE {s}.records (
     scope text NOT NULL,
     seq bigserial NOT NULL,
     rollout_id text NOT NULL,
     fence bigint NOT NULL,
     type text NOT NULL,
     crc text NOT NULL,
     record text NOT NULL,
     PRIMARY KEY (scope, seq)
   );
   -- journal text is written once and read rarely: store it out of line uncompressed (pglz on megabytes of JSON
   -- lines costs more than the disk it saves)
   ALTER TABLE {s}.records ALTER COLUMN record SET STORAGE EXTERNAL;
   CREATE INDEX records_started ON {s}.records (scope, seq) WHERE type = 'rollout.started';
   CREATE TABLE {s}.claims (
     target_id text PRIMARY KEY,
     scope text NOT NULL,
     token bigint NOT NULL
   );
   CREATE TABLE {s}.rollouts (
     scope text NOT NULL,
     rollout_id text NOT NULL,
     fence bigint NOT NULL,
     started_at timestamptz NOT NULL,
     finished_at timestamptz,
     status text NOT NULL DEFAULT 'unfinished',
     reason text,
     targets integer NOT NULL,
     waves integer NOT NULL,
     audit jsonb,
     PRIMARY KEY (scope, rollout_id)
   );
   CREATE INDEX rollouts_by_time ON {s}.rollouts (scope, started_at DESC);`,
  // 2: operator commands (pause/continue/promote/abort from another process or machine)
  `CREATE TABLE {s}.commands (
     scope text NOT NULL,
     seq bigserial NOT NULL,
     rollout_id text,
     command jsonb NOT NULL,
     ts timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (scope, seq)
   );`,
  // 3: the event stream of each rollout (the NDJSON lines of \`confgate rollout --events\`, secrets masked), one row per batch
  `CREATE TABLE {s}.events (
     scope text NOT NULL,
     seq bigserial NOT NULL,
     rollout_id text NOT NULL,
     fence bigint NOT NULL,
     lines text NOT NULL,
     PRIMARY KEY (scope, seq)
   );
   ALTER TABLE {s}.events ALTER COLUMN lines SET STORAGE EXTERNAL;
   CREATE INDEX events_by_rollout ON {s}.events (scope, rollout_id, seq);`,
];

/** Bring `schema` to the newest version. Returns the version before and after. */
export async function migrate(client: PoolClient, schema: string): Promise<{ from: number; to: number }> {
  const s = client.escapeIdentifier(schema);
  await client.query('BEGIN');
  try {
    // one migrator per schema at a time; the others wait here, then find the work done
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`confgate.migrate.${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL)`);
    const r = await client.query<{ value: string }>(`SELECT value FROM ${s}.meta WHERE key = 'schema_version'`);
    const from = r.rows.length > 0 ? Number(r.rows[0]!.value) : 0;
    if (from > MIGRATIONS.length) {
      throw new Error(`schema ${schema} is at version ${from}, newer than this confgate knows (${MIGRATIONS.length}): upgrade confgate`);
    }
    for (let v = from; v < MIGRATIONS.length; v++) await client.query(MIGRATIONS[v]!.replaceAll('{s}', s));
    await client.query(
      `INSERT INTO ${s}.meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [String(MIGRATIONS.length)],
    );
    await client.query('COMMIT');
    return { from, to: MIGRATIONS.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
