/** Helpers for tests against the real PostgreSQL on 127.0.0.1:5432 (database `test`): a fresh schema per run. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env['CONFGATE_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A new schema name, unique per call. */
export function freshSchema(prefix = 'confgate_test'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Run one query on a short-lived connection. */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

/** Drop schemas made by a test run. */
export async function dropSchemas(...schemas: string[]): Promise<void> {
  for (const s of schemas) await sql(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(s)} CASCADE`);
}
