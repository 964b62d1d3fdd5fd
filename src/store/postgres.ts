/**
 * The PostgreSQL store: journals, leases and per-target claims in one database, for many pipelines on many machines
 * pushing to one fleet (node-postgres, loaded only when this store is used).
 *
 * - Leases on a scope, judged by the DATABASE clock (no skew between runners): taken when free, released or expired;
 *   every take-over increments the scope's fencing token. There is no "other host" rule here: the database is the
 *   arbiter, so an expired lease is taken over from anywhere.
 * - Every append is one statement that first renews the lease row, matching this holder's token (`UPDATE ...
 *   RETURNING` in a CTE), and inserts the batch only through it: a fenced-out holder's batch inserts nothing and throws
 *   `E_FENCED`. A take-over waits on that row lock, so it can never interleave with an append. Group commit: one
 *   statement (one round trip, one commit) per batch.
 * - Per-target claims: starting a rollout claims its targets for the scope; a target claimed by another scope whose
 *   lease is live refuses the start (`E_ROLLOUT_LOCKED` naming the scope and targets).
 * - Records are stored as JSON text with a CRC-32 (of the fence and text), checked on read: each run of target records
 *   of a batch is ONE row (`type = 'targets'`, JSON lines), every other record a row of its own; documents are sealed
 *   as in the file store (see `seal.ts`).
 */
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { ConfgateError, OptionsError } from '../errors.js';
import type { JournalRecord, OperatorCommand, OperatorCommandRecord } from '../rollout/types.js';
import { checkCommand, isCommand } from './commands.js';
import { leaseTiming, unfinishedTargets } from './file.js';
import { historyFromRecords } from './history.js';
import { auditFromEnv, currentHolder, describeHolder, type AuditInfo, type LockHolder } from './holder.js';
import { migrate } from './migrations.js';
import { corruptError, salvage, lineCrc, recordProblem, RecordChecker, type ReadOutcome } from './records.js';
import { resolveKey, sealStarted, unsealStarted } from './seal.js';
import type { HistoryEntry, LeaseRecord, LeasedJournal, StoreOptions } from './types.js';
import { EventBuffer } from './event-buffer.js';
import { formatDuration, parseDuration } from '../units.js';

/** Options of {@link PostgresJournal}. */
export interface PostgresJournalOptions extends StoreOptions {
  /** The scope (one lease, one journal per scope). @default 'default' */
  scope?: string;
  /** Schema holding confgate's tables (created and migrated on first use). @default the URL's `schema` parameter, else 'confgate' */
  schema?: string;
  /** Most connections this journal opens. @default 3 */
  maxConnections?: number;
  /**
   * Longest wait for the database: to connect, and for each statement (a duration such as `10s`, or milliseconds).
   * A database that stops answering (a network partition that drops packets, a statement stuck behind a lock) then
   * gives `E_JOURNAL` after this long instead of holding the rollout until TCP gives up, minutes later: no hook is
   * called on a lease that cannot be confirmed, so the rollout stops and can be resumed (`--resume`). Statements are
   * cancelled by the server after this long; a connection that does not answer at all is dropped a second later.
   * @default '30s'
   */
  queryTimeout?: number | string;
}

/** {@link PostgresJournalOptions.queryTimeout} by default, in milliseconds. */
const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
/** A statement cancelled by the server (after `statement_timeout`) answers first; only a silent connection waits this much longer. */
const CLIENT_TIMEOUT_GRACE_MS = 1_000;

/**
 * Internal (exported for tests): the node-postgres pool settings of a journal. A database that stops answering gives
 * an error after `waitMs`: connecting, a statement (cancelled by the server: `statement_timeout`), and a connection
 * that does not answer at all (dropped by the client a little later). A session of ours left idle inside a transaction
 * (its process paused by SIGSTOP or a long GC between two statements, which are otherwise milliseconds apart) is ended
 * by the server after half that wait, so that its row locks do not hold up another runner taking over the expired
 * lease, whose statements wait up to the whole of it.
 */
export function poolConfig(url: string, max: number, waitMs: number): PoolConfig {
  return {
    connectionString: url,
    max,
    allowExitOnIdle: true,
    keepAlive: true,
    connectionTimeoutMillis: waitMs,
    statement_timeout: waitMs,
    query_timeout: waitMs + CLIENT_TIMEOUT_GRACE_MS,
    idle_in_transaction_session_timeout: Math.max(1, Math.floor(waitMs / 2)),
  };
}

/** What node-postgres and PostgreSQL say when a wait ran out: the client's timers, or the server's `statement_timeout`. */
function isTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if ((err as { code?: unknown }).code === '57014') return true; // query_canceled: statement_timeout
  return /Query read timeout|timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(err.message);
}

function dbError(message: string, cause: unknown, timeoutMs: number): ConfgateError {
  if (cause instanceof ConfgateError) return cause;
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  const waited = isTimeout(cause) ? ` (no answer within queryTimeout, ${formatDuration(timeoutMs)})` : '';
  return new ConfgateError('E_JOURNAL', `${message}${detail}${waited}`, { cause });
}

/** Whether a journal location is a PostgreSQL URL. */
export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s);
}

/** The URL without its `schema` parameter, and that parameter. */
function splitUrl(url: string): { url: string; schema?: string } {
  try {
    const u = new URL(url);
    const schema = u.searchParams.get('schema') ?? undefined;
    u.searchParams.delete('schema');
    return schema === undefined ? { url: u.toString() } : { url: u.toString(), schema };
  } catch {
    return { url };
  }
}

/** The URL with any password removed, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

const migrated = new Map<string, Promise<unknown>>();

interface LeaseRow {
  scope: string;
  token: string;
  state: 'held' | 'released';
  holder: LockHolder;
  expires_at: Date;
  released_by: string | null;
  expired: boolean;
}

function leaseOf(r: LeaseRow): LeaseRecord {
  const out: LeaseRecord = { scope: r.scope, token: Number(r.token), state: r.state, holder: r.holder, expiresAt: r.expires_at.toISOString() };
  if (r.released_by) out.releasedBy = r.released_by;
  return out;
}

/** A journal, lease and claims in PostgreSQL. See the module documentation. */
export class PostgresJournal implements LeasedJournal {
  readonly scope: string;
  readonly schema: string;
  onLost: ((err: Error) => void) | undefined;
  readonly writeErrors: Error[] = [];
  readonly #url: string;
  readonly #opts: PostgresJournalOptions;
  readonly #ttlMs: number;
  readonly #heartbeatMs: number;
  readonly #queryTimeoutMs: number;
  #pool: Pool | undefined;
  #ready: Promise<Pool> | undefined;
  #token: number | undefined;
  #holder: LockHolder | undefined;
  #rolloutId = '';
  #lost: Error | undefined;
  #timer: NodeJS.Timeout | undefined;
  #renewing = false;
  #queue: Promise<void> = Promise.resolve();
  #audit: AuditInfo | undefined;
  #validUntil = 0;
  #confirming: Promise<void> | undefined;
  /** The token the targets were last claimed with. */
  #claimedAt: number | undefined;
  /** Targets of the unfinished rollout the last read found (a resume claims them again with its own token). */
  #unfinished: string[] | undefined;
  /** Event lines not written yet: `[rollout id, line]`. */
  #events = new EventBuffer(() => void this.#flushEvents());

  /** @param url `postgres://user@host:port/db[?schema=name]` */
  constructor(url: string, options: PostgresJournalOptions = {}) {
    const split = splitUrl(url);
    this.#url = split.url;
    this.#opts = options;
    this.scope = options.scope ?? 'default';
    this.schema = options.schema ?? split.schema ?? 'confgate';
    const t = leaseTiming(options);
    this.#ttlMs = t.ttlMs;
    this.#heartbeatMs = t.heartbeatMs;
    this.#queryTimeoutMs = options.queryTimeout === undefined ? DEFAULT_QUERY_TIMEOUT_MS : parseDuration(options.queryTimeout, 'queryTimeout');
    if (!(this.#queryTimeoutMs > 0)) throw new OptionsError(`\`queryTimeout\` must be positive, got ${JSON.stringify(options.queryTimeout)}`);
  }

  /** `E_JOURNAL` for a database error, saying when the wait ran out (`queryTimeout`). */
  #dbError(message: string, cause: unknown): ConfgateError {
    return dbError(message, cause, this.#queryTimeoutMs);
  }

  get fence(): number | undefined {
    return this.#lost ? undefined : this.#token;
  }

  get lost(): Error | undefined {
    return this.#lost;
  }

  #t(name: string): string {
    return `"${this.schema.replaceAll('"', '""')}".${name}`;
  }

  /** Connect and migrate (once per URL and schema in this process). */
  #connect(): Promise<Pool> {
    this.#ready ??= (async () => {
      let pg: typeof import('pg').default;
      try {
        pg = (await import('pg')).default;
      } catch (err) {
        throw this.#dbError('the PostgreSQL store needs the `pg` package', err);
      }
      const pool = new pg.Pool(poolConfig(this.#url, this.#opts.maxConnections ?? 3, this.#queryTimeoutMs));
      pool.on('error', () => undefined); // an idle client's error: the next query reports it
      this.#pool = pool;
      const key = `${this.#url}\u0000${this.schema}`;
      let m = migrated.get(key);
      if (!m) {
        m = this.#with(pool, (c) => migrate(c, this.schema));
        migrated.set(key, m);
        m.catch(() => migrated.delete(key));
      }
      await m;
      return pool;
    })().catch((err: unknown) => {
      this.#ready = undefined;
      throw this.#dbError(`cannot use the PostgreSQL store at ${redactUrl(this.#url)}`, err);
    });
    return this.#ready;
  }

  async #with<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await pool.connect();
    try {
      const out = await fn(c);
      c.release();
      return out;
    } catch (err) {
      // After an error the connection is dropped, not reused: one whose statement timed out on the client side may
      // still be waiting for its answer (as `pool.query` does).
      c.release(true);
      throw err;
    }
  }

  async #tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const pool = await this.#connect();
    return this.#with(pool, async (c) => {
      await c.query('BEGIN');
      try {
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Take the lease on the scope, or throw `E_ROLLOUT_LOCKED` saying who holds it. */
  async lock(request: { rolloutId?: string } = {}): Promise<void> {
    if (this.#token !== undefined) throw new ConfgateError('E_ROLLOUT_LOCKED', `scope ${this.scope} is already locked by this journal object`);
    const holder = currentHolder(this.#opts.audit?.ciUrl);
    if (request.rolloutId) holder.rolloutId = request.rolloutId;
    const ttl = this.#ttlMs / 1000;
    const t0 = performance.now();
    const token = await this.#tx(async (c) => {
      await c.query(
        `INSERT INTO ${this.#t('leases')} (scope, token, state, holder, expires_at) VALUES ($1, 0, 'released', '{}', now()) ON CONFLICT (scope) DO NOTHING`,
        [this.scope],
      );
      const r = await c.query<LeaseRow>(`SELECT *, expires_at <= now() AS expired FROM ${this.#t('leases')} WHERE scope = $1 FOR UPDATE`, [this.scope]);
      const cur = r.rows[0]!;
      if (cur.state === 'held' && !cur.expired) {
        throw new ConfgateError('E_ROLLOUT_LOCKED', `scope ${this.scope} is locked ${describeHolder(cur.holder)}, token ${cur.token}, lease until ${cur.expires_at.toISOString()}`);
      }
      const u = await c.query<{ token: string }>(
        `UPDATE ${this.#t('leases')} SET token = token + 1, state = 'held', holder = $2, expires_at = now() + make_interval(secs => $3), released_by = NULL
         WHERE scope = $1 RETURNING token`,
        [this.scope, holder, ttl],
      );
      return Number(u.rows[0]!.token);
    }).catch((err: unknown) => {
      throw this.#dbError(`cannot take the lease on scope ${this.scope}`, err);
    });
    this.#token = token;
    this.#holder = holder;
    this.#lost = undefined;
    this.#validUntil = t0 + this.#ttlMs;
    this.#timer = setInterval(() => void this.#heartbeat(), this.#heartbeatMs);
    this.#timer.unref();
  }

  #fencedError(): ConfgateError {
    return new ConfgateError('E_FENCED', `lost the lease on scope ${this.scope} (token ${this.#token ?? '-'}): another holder took it over or it was released by force; this process writes nothing more`);
  }

  #markLost(err: Error): Error {
    if (!this.#lost) {
      this.#lost = err;
      if (this.#timer) clearInterval(this.#timer);
      this.#timer = undefined;
      try {
        this.onLost?.(err);
      } catch {
        /* ignore */
      }
    }
    return this.#lost;
  }

  /** Renew now: true when still held, false when lost (then marked lost). Throws when the database cannot be reached. */
  async #renew(): Promise<boolean> {
    const t0 = performance.now();
    const pool = await this.#connect();
    const r = await pool.query(
      `UPDATE ${this.#t('leases')} SET expires_at = now() + make_interval(secs => $3), holder = $4 WHERE scope = $1 AND token = $2 AND state = 'held'`,
      [this.scope, this.#token, this.#ttlMs / 1000, this.#holder],
    );
    if (r.rowCount === 0) {
      this.#markLost(this.#fencedError());
      return false;
    }
    this.#validUntil = t0 + this.#ttlMs;
    return true;
  }

  /**
   * Before acting (calling a hook): `undefined` when the lease is surely still held (renewed less than `leaseTtl` ago,
   * by this process's monotonic clock), else a promise that renews it now and rejects with `E_FENCED` when it was lost
   * (or with `E_JOURNAL` when the database cannot be reached: no hook runs on a lease that cannot be confirmed).
   */
  guard(): Promise<void> | undefined {
    if (this.#lost) return Promise.reject(this.#lost);
    if (this.#token === undefined) return undefined;
    if (performance.now() < this.#validUntil) return undefined;
    this.#confirming ??= (async () => {
      try {
        if (!(await this.#renew())) throw this.#lost!;
      } catch (err) {
        throw this.#dbError(`cannot confirm the lease on scope ${this.scope}`, err);
      } finally {
        this.#confirming = undefined;
      }
    })();
    return this.#confirming;
  }

  async #heartbeat(): Promise<void> {
    if (this.#renewing || this.#lost || this.#token === undefined) return;
    this.#renewing = true;
    try {
      await this.#renew();
    } catch {
      // the database is unreachable: appends will fail too; the next heartbeat tries again
    } finally {
      this.#renewing = false;
    }
  }

  #auditInfo(): AuditInfo {
    this.#audit ??= auditFromEnv(this.#opts.audit ?? {});
    return this.#audit;
  }

  /** Append records in one statement (one commit), checked against the fence in the same statement. */
  append(records: JournalRecord[]): Promise<void> {
    const run = async (): Promise<void> => {
      if (records.length === 0) return;
      if (this.#lost) throw this.#lost;
      if (this.#token === undefined) throw new ConfgateError('E_JOURNAL', `scope ${this.scope}: append needs the lease (call lock() first)`);
      const key = resolveKey(this.#opts.key);
      const types: string[] = [];
      const crcs: string[] = [];
      const texts: string[] = [];
      const ids: string[] = [];
      let started: Extract<JournalRecord, { type: 'rollout.started' }> | undefined;
      let finished: Extract<JournalRecord, { type: 'rollout.finished' }> | undefined;
      const push = (type: string, text: string, id: string): void => {
        types.push(type);
        crcs.push(lineCrc(this.#token!, text));
        texts.push(text);
        ids.push(id);
      };
      // Target records (the bulk: one per target per transition) travel as one row per run of them, JSON lines in
      // one text with one CRC; every other record is a row of its own (history reads those by type).
      let run = '';
      const flushRun = (): void => {
        if (run !== '') push('targets', run, this.#rolloutId);
        run = '';
      };
      for (const r of records) {
        if (r.type === 'target') {
          run += run === '' ? JSON.stringify(r) : `\n${JSON.stringify(r)}`;
          continue;
        }
        flushRun();
        if (r.type === 'rollout.started') {
          started = r;
          this.#rolloutId = r.id;
          push(r.type, JSON.stringify(sealStarted(r as unknown as Record<string, unknown>, key)), r.id);
          const h = this.#holder!;
          push('audit', JSON.stringify({ type: 'audit', ts: r.ts, id: r.id, ...this.#auditInfo(), host: h.host, pid: h.pid, user: h.user }), r.id);
        } else {
          if (r.type === 'rollout.finished') finished = r;
          push(r.type, JSON.stringify(r), this.#rolloutId);
        }
      }
      flushRun();
      const insert = `WITH f AS (
          UPDATE ${this.#t('leases')} SET expires_at = now() + make_interval(secs => $3)
          WHERE scope = $1 AND token = $2 AND state = 'held' RETURNING token)
        INSERT INTO ${this.#t('records')} (scope, rollout_id, fence, type, crc, record)
        SELECT $1, t.id, f.token, t.type, t.crc, t.rec
        FROM f, unnest($4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS t(id, type, crc, rec, n)
        ORDER BY t.n`;
      const params = [this.scope, this.#token, this.#ttlMs / 1000, ids, types, crcs, texts];
      const token = this.#token;
      const reclaim = !started && this.#unfinished !== undefined && this.#claimedAt !== token ? this.#unfinished : undefined;
      try {
        let inserted: number;
        if (!started && !finished && !reclaim) {
          const pool = await this.#connect();
          inserted = (await pool.query(insert, params)).rowCount ?? 0;
        } else {
          inserted = await this.#tx(async (c) => {
            const n = (await c.query(insert, params)).rowCount ?? 0;
            if (n === 0) return 0;
            if (started) await this.#claim(c, started);
            // a resume that took an unfinished rollout over claims its targets again, with its own token
            else if (reclaim) await this.#claimTargets(c, reclaim, false);
            if (finished) {
              await c.query(
                `UPDATE ${this.#t('rollouts')} SET status = $3, reason = $4, finished_at = now() WHERE scope = $1 AND rollout_id = $2`,
                [this.scope, finished.result.id, finished.result.status, finished.result.reason ?? null],
              );
            }
            return n;
          });
        }
        if (inserted === 0) throw this.#markLost(this.#fencedError());
      } catch (err) {
        throw this.#dbError(`cannot write the journal of scope ${this.scope} (${redactUrl(this.#url)})`, err);
      }
      if (started && this.#holder) this.#holder = { ...this.#holder, rolloutId: started.id };
      if (started || reclaim) {
        this.#claimedAt = token;
        this.#unfinished = undefined;
      }
    };
    const p = this.#queue.then(run).catch((err: unknown) => {
      if (!this.#opts.salvage || (err instanceof ConfgateError && err.code === 'E_FENCED')) throw err;
      this.writeErrors.push(err instanceof Error ? err : new Error(String(err)));
    });
    this.#queue = p.catch(() => undefined);
    return p;
  }

  /** Claim the rollout's targets for this scope (refused when another scope's live lease claims one). */
  async #claim(c: PoolClient, started: Extract<JournalRecord, { type: 'rollout.started' }>): Promise<void> {
    const targetIds = started.plan.waves.flatMap((w) => w.targets.map((t) => t.id));
    await this.#claimTargets(c, targetIds, true);
    await c.query(
      `INSERT INTO ${this.#t('rollouts')} (scope, rollout_id, fence, started_at, targets, waves, audit) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (scope, rollout_id) DO NOTHING`,
      [this.scope, started.id, this.#token, started.ts, targetIds.length, started.plan.waves.length, this.#auditInfo()],
    );
  }

  /** Claim `targetIds` for this scope and token; with `refuse`, first refuse when another scope's live lease has one. */
  async #claimTargets(c: PoolClient, targetIds: string[], refuse: boolean): Promise<void> {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`confgate.claims.${this.schema}`]);
    if (refuse) await this.#refuseClaimed(c, targetIds);
    // never over another scope's live claim (a resume re-claiming does not check first)
    await c.query(
      `INSERT INTO ${this.#t('claims')} AS c (target_id, scope, token) SELECT t, $2, $3 FROM unnest($1::text[]) AS t
       ON CONFLICT (target_id) DO UPDATE SET scope = EXCLUDED.scope, token = EXCLUDED.token
       WHERE c.scope = EXCLUDED.scope OR NOT EXISTS (
         SELECT 1 FROM ${this.#t('leases')} l WHERE l.scope = c.scope AND l.token = c.token AND l.state = 'held' AND l.expires_at > now())`,
      [targetIds, this.scope, this.#token],
    );
  }

  async #refuseClaimed(c: PoolClient, targetIds: string[]): Promise<void> {
    const clash = await c.query<{ target_id: string; scope: string; holder: LockHolder }>(
      `SELECT c.target_id, c.scope, l.holder FROM ${this.#t('claims')} c JOIN ${this.#t('leases')} l ON l.scope = c.scope AND l.token = c.token
       WHERE c.target_id = ANY($1::text[]) AND c.scope <> $2 AND l.state = 'held' AND l.expires_at > now() LIMIT 5`,
      [targetIds, this.scope],
    );
    if (clash.rows.length > 0) {
      const first = clash.rows[0]!;
      throw new ConfgateError(
        'E_ROLLOUT_LOCKED',
        `target${clash.rows.length > 1 ? 's' : ''} ${clash.rows.map((r) => r.target_id).join(', ')} ${clash.rows.length > 1 ? 'are' : 'is'} claimed by scope ${first.scope} (${describeHolder(first.holder)}): two rollouts never change one target at once`,
      );
    }
  }

  /** Records of the scope's latest rollout, checked (checksums, schema, ids). */
  async readChecked(): Promise<ReadOutcome> {
    let rows: { seq: string; fence: string; type: string; crc: string; record: string }[];
    try {
      const pool = await this.#connect();
      rows = (
        await pool.query<{ seq: string; fence: string; type: string; crc: string; record: string }>(
          `SELECT seq, fence, type, crc, record FROM ${this.#t('records')} WHERE scope = $1
           AND seq >= COALESCE((SELECT max(seq) FROM ${this.#t('records')} WHERE scope = $1 AND type = 'rollout.started'), 0) ORDER BY seq`,
          [this.scope],
        )
      ).rows;
    } catch (err) {
      throw this.#dbError(`cannot read the journal of scope ${this.scope} (${redactUrl(this.#url)})`, err);
    }
    const checker = new RecordChecker();
    const key = resolveKey(this.#opts.key);
    for (const row of rows) {
      const at = Number(row.seq);
      const fence = Number(row.fence);
      if (lineCrc(fence, row.record) !== row.crc) {
        checker.problem(at, 'checksum mismatch');
        continue;
      }
      if (row.type === 'targets') {
        for (const line of row.record.split('\n')) {
          let t: JournalRecord;
          try {
            t = JSON.parse(line) as JournalRecord;
          } catch {
            checker.problem(at, 'not JSON');
            continue;
          }
          const p = recordProblem(t);
          if (p || t.type !== 'target') checker.problem(at, p ?? 'not a target record');
          else checker.add(at, fence, t);
        }
        continue;
      }
      let r: JournalRecord;
      try {
        r = JSON.parse(row.record) as JournalRecord;
      } catch {
        checker.problem(at, 'not JSON');
        continue;
      }
      const p = recordProblem(r);
      if (p) {
        checker.problem(at, p);
        continue;
      }
      if (r.type === 'rollout.started') {
        try {
          unsealStarted(r as unknown as Record<string, unknown>, key, this.#opts.documents);
        } catch (err) {
          if (err instanceof ConfgateError && err.code === 'E_JOURNAL_CORRUPT') {
            checker.problem(at, err.message);
            continue;
          }
          throw err;
        }
        this.#rolloutId = r.id;
      }
      checker.add(at, fence, r);
    }
    this.#unfinished = unfinishedTargets(checker.out.records);
    return checker.out;
  }

  async read(): Promise<JournalRecord[]> {
    const out = await this.readChecked();
    if (this.#opts.salvage) return salvage(out, `of scope ${this.scope}`);
    if (out.problems.length > 0) throw corruptError(`of scope ${this.scope}`, out.problems);
    return out.records;
  }

  /**
   * Keep one line of the rollout's event stream (what `confgate rollout --events` writes: NDJSON, secrets already
   * masked by the caller) under the current rollout's id, for `confgate history --format ndjson`. Buffered: inserted
   * in one statement per batch, checked against this lease's token in that statement, within 200 ms or by
   * `unlock()`. A holder that lost its lease keeps none; a failure to keep events is ignored (the journal is the
   * rollout's truth).
   */
  recordEvent(line: string): void {
    if (this.#lost || this.#token === undefined) return;
    this.#events.add(this.#rolloutId, line);
  }

  #flushEvents(): Promise<void> {
    const batch = this.#events.take();
    if (batch.length === 0) return this.#queue;
    const run = async (): Promise<void> => {
      if (this.#lost || this.#token === undefined) return;
      const ids: string[] = [];
      const texts: string[] = [];
      for (const [id, line] of batch) {
        if (ids[ids.length - 1] === id) texts[texts.length - 1] += `\n${line}`;
        else {
          ids.push(id);
          texts.push(line);
        }
      }
      const pool = await this.#connect();
      await pool.query(
        `INSERT INTO ${this.#t('events')} (scope, rollout_id, fence, lines)
         SELECT $1, t.id, l.token, t.lines FROM ${this.#t('leases')} l,
           unnest($3::text[], $4::text[]) WITH ORDINALITY AS t(id, lines, n)
         WHERE l.scope = $1 AND l.token = $2 AND l.state = 'held' ORDER BY t.n`,
        [this.scope, this.#token, ids, texts],
      );
    };
    this.#queue = this.#queue.then(run).catch(() => undefined);
    return this.#queue;
  }

  /** The event stream kept for rollout `rolloutId` of this scope (its NDJSON lines, in order; `[]` when none was kept). */
  async readEvents(rolloutId: string): Promise<string[]> {
    try {
      const pool = await this.#connect();
      const r = await pool.query<{ lines: string }>(`SELECT lines FROM ${this.#t('events')} WHERE scope = $1 AND rollout_id = $2 ORDER BY seq`, [this.scope, rolloutId]);
      return r.rows.flatMap((x) => x.lines.split('\n'));
    } catch (err) {
      throw this.#dbError(`cannot read the event stream of rollout ${rolloutId} on scope ${this.scope} (${redactUrl(this.#url)})`, err);
    }
  }

  /** Give the lease up (only when still this journal's) and close the connections. */
  async unlock(): Promise<void> {
    await this.#flushEvents();
    await this.#queue;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const token = this.#token;
    this.#token = undefined;
    try {
      if (token !== undefined && !this.#lost) {
        const pool = await this.#connect();
        await pool.query(
          `UPDATE ${this.#t('leases')} SET state = 'released', token = token + 1, expires_at = now() WHERE scope = $1 AND token = $2 AND state = 'held'`,
          [this.scope, token],
        );
      }
    } finally {
      await this.close();
    }
  }

  /** Close the connections (the journal reconnects when used again). */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    this.#ready = undefined;
    if (pool) await pool.end().catch(() => undefined);
  }

  /** Post an operator command for the scope (no lease needed); it is durable when this resolves. */
  async postCommand(command: OperatorCommand): Promise<void> {
    checkCommand(command);
    try {
      const pool = await this.#connect();
      await pool.query(`INSERT INTO ${this.#t('commands')} (scope, rollout_id, command) VALUES ($1, $2, $3)`, [this.scope, command.rolloutId ?? null, command]);
    } catch (err) {
      throw this.#dbError(`cannot post an operator command on scope ${this.scope} (${redactUrl(this.#url)})`, err);
    }
  }

  /** Commands of the scope with `seq > afterSeq`, in order (seq: the table's sequence, increasing). */
  async readCommands(afterSeq: number): Promise<OperatorCommandRecord[]> {
    try {
      const pool = await this.#connect();
      const r = await pool.query<{ seq: string; command: unknown }>(
        `SELECT seq, command FROM ${this.#t('commands')} WHERE scope = $1 AND seq > $2 ORDER BY seq`,
        [this.scope, afterSeq],
      );
      const out: OperatorCommandRecord[] = [];
      for (const row of r.rows) if (isCommand(row.command)) out.push({ ...row.command, seq: Number(row.seq) });
      return out;
    } catch (err) {
      throw this.#dbError(`cannot read operator commands of scope ${this.scope} (${redactUrl(this.#url)})`, err);
    }
  }

  /** The scope's lock record. */
  async lockInfo(): Promise<LeaseRecord | undefined> {
    const pool = await this.#connect();
    const r = await pool.query<LeaseRow>(`SELECT *, expires_at <= now() AS expired FROM ${this.#t('leases')} WHERE scope = $1`, [this.scope]);
    const row = r.rows[0];
    return row && Number(row.token) > 0 ? leaseOf(row) : undefined;
  }

  /** Release the scope's lease by force when its rollout id (or `token:N`) matches. */
  async forceUnlock(rolloutId: string, by?: string): Promise<LeaseRecord> {
    const who = by ?? auditFromEnv().actor;
    const pool = await this.#connect();
    const r = await pool.query<LeaseRow>(
      `UPDATE ${this.#t('leases')} SET state = 'released', token = token + 1, expires_at = now(), released_by = $3
       WHERE scope = $1 AND state = 'held' AND (holder->>'rolloutId' = $2 OR 'token:' || token = $2)
       RETURNING *, false AS expired`,
      [this.scope, rolloutId, who],
    );
    if (r.rows.length === 0) {
      const cur = await this.lockInfo();
      if (!cur || cur.state !== 'held') throw new ConfgateError('E_ROLLOUT_LOCKED', `scope ${this.scope} is not locked`);
      throw new ConfgateError('E_ROLLOUT_LOCKED', `scope ${this.scope} is locked ${describeHolder(cur.holder)} (token ${cur.token}), not by ${rolloutId}: nothing released`);
    }
    return leaseOf(r.rows[0]!);
  }

  /** Past rollouts of the scope, newest first. */
  async history(limit = 50): Promise<HistoryEntry[]> {
    const pool = await this.#connect();
    const r = await pool.query<{
      rollout_id: string;
      fence: string;
      started_at: Date;
      finished_at: Date | null;
      status: string;
      reason: string | null;
      targets: number;
      waves: number;
      audit: AuditInfo | null;
    }>(`SELECT * FROM ${this.#t('rollouts')} WHERE scope = $1 ORDER BY started_at DESC, rollout_id LIMIT $2`, [this.scope, limit]);
    const ids = r.rows.map((x) => x.rollout_id);
    const ev = await pool.query<{ record: string }>(
      `SELECT record FROM ${this.#t('records')} WHERE scope = $1 AND rollout_id = ANY($2::text[]) AND type NOT IN ('targets', 'stage', 'audit') ORDER BY seq`,
      [this.scope, ids],
    );
    const events = new Map<string, HistoryEntry['events']>();
    for (const h of historyFromRecords(ev.rows.map((x) => JSON.parse(x.record) as JournalRecord), this.scope)) events.set(h.id, h.events);
    return r.rows.map((x) => {
      const e: HistoryEntry = {
        id: x.rollout_id,
        scope: this.scope,
        startedAt: x.started_at.toISOString(),
        status: x.status,
        targets: x.targets,
        waves: x.waves,
        fence: Number(x.fence),
        events: events.get(x.rollout_id) ?? [],
      };
      if (x.finished_at) e.finishedAt = x.finished_at.toISOString();
      if (x.reason) e.reason = x.reason;
      if (x.audit) e.audit = x.audit;
      return e;
    });
  }
}
