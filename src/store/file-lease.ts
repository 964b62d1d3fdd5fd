/**
 * A lease on a scope for processes on ONE host, without flock (Node has none): a directory per scope holding one
 * immutable-by-number entry per fencing token, `000000000007.lease`. The entry with the highest number is the lock
 * record. An entry is written completely to a temporary file, flushed, then published with `link()`, which fails with
 * EEXIST when another process published that number first: of two racers for token N+1 exactly one wins, and nobody
 * ever sees an empty or half-written lock record. Renewal rewrites the holder's own entry with `rename()` (atomic);
 * release publishes a `released` entry N+1 (tokens only grow). Entries below the current one are deleted.
 *
 * Take-over rules: a lease held by another host is never taken over (the error says so; `confgate unlock --force`);
 * on this host it is taken over when it expired, or when its holder is dead (pid gone, a different process start
 * time for that pid, or another boot).
 */
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ConfgateError } from '../errors.js';
import { describeHolder, holderAlive, type LockHolder } from './holder.js';
import type { LeaseRecord } from './types.js';

const ENTRY = /^(\d{12})\.lease$/;
const entryName = (token: number): string => `${String(token).padStart(12, '0')}.lease`;

/** Environment variable naming the directory of file-store locks. */
export const LOCK_DIR_ENV = 'CONFGATE_LOCK_DIR';

/** The default directory of file-store locks: `CONFGATE_LOCK_DIR`, else `<tmpdir>/confgate-locks`. */
export function defaultLockDir(): string {
  const d = process.env[LOCK_DIR_ENV];
  return d !== undefined && d !== '' ? path.resolve(d) : path.join(os.tmpdir(), 'confgate-locks');
}

/** The directory of a scope's lease entries. */
export function scopeDir(lockDir: string, scope: string): string {
  const safe = scope.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-60).replace(/^[._]+/, '');
  return path.join(lockDir, `${safe || 'scope'}-${createHash('sha256').update(scope).digest('hex').slice(0, 16)}`);
}

function lockError(message: string, cause?: unknown): ConfgateError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new ConfgateError('E_JOURNAL', `${message}${detail}`, cause === undefined ? undefined : { cause });
}

/** A lease on one scope held (or wanted) by this process. */
export class FileLease {
  readonly dir: string;
  readonly scope: string;
  readonly ttlMs: number;
  /** The token held, when held. */
  token: number | undefined;
  holder: LockHolder | undefined;
  /** The lock record the last `acquire` replaced when that lease was still `held` (expired, or its holder dead). */
  tookOverFrom: LeaseRecord | undefined;

  constructor(lockDir: string, scope: string, ttlMs: number) {
    this.scope = scope;
    this.dir = scopeDir(lockDir, scope);
    this.ttlMs = ttlMs;
  }

  async #ensureDir(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const st = await lstat(this.dir);
      if (!st.isDirectory()) throw new Error('not a directory');
    } catch (err) {
      throw lockError(`cannot use lock directory ${this.dir}`, err);
    }
  }

  /** The highest token present (0 when none). */
  async #highest(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw lockError(`cannot read lock directory ${this.dir}`, err);
    }
    let max = 0;
    for (const n of names) {
      const m = ENTRY.exec(n);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max;
  }

  async #readEntry(token: number): Promise<LeaseRecord | undefined> {
    let text: string;
    try {
      text = await readFile(path.join(this.dir, entryName(token)), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw lockError(`cannot read lock ${path.join(this.dir, entryName(token))}`, err);
    }
    try {
      return JSON.parse(text) as LeaseRecord;
    } catch (err) {
      // entries are published whole (link of a flushed file): only damage to the disk gets here
      throw lockError(`lock ${path.join(this.dir, entryName(token))} is unreadable; remove it by hand after checking no rollout runs`, err);
    }
  }

  /** The current lock record (the highest entry), if any. */
  async current(): Promise<LeaseRecord | undefined> {
    for (let i = 0; i < 5; i++) {
      const n = await this.#highest();
      if (n === 0) return undefined;
      const rec = await this.#readEntry(n);
      if (rec) return rec;
      // deleted meanwhile: a newer entry exists now
    }
    throw lockError(`lock directory ${this.dir} keeps changing`);
  }

  /** Write a temporary file holding `rec` (flushed) and return its path. */
  async #tmp(rec: LeaseRecord): Promise<string> {
    const tmp = path.join(this.dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(`${JSON.stringify(rec)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  }

  /** Publish `rec` as entry `rec.token`; false when that token was taken first. */
  async #publish(rec: LeaseRecord): Promise<boolean> {
    let tmp: string;
    try {
      tmp = await this.#tmp(rec);
    } catch (err) {
      throw lockError(`cannot write lock in ${this.dir}`, err);
    }
    try {
      await link(tmp, path.join(this.dir, entryName(rec.token)));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw lockError(`cannot publish lock in ${this.dir}`, err);
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async #prune(below: number): Promise<void> {
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      const m = ENTRY.exec(n);
      if (m && Number(m[1]) < below) await unlink(path.join(this.dir, n)).catch(() => undefined);
    }
  }

  /** Take the lease, or throw `E_ROLLOUT_LOCKED` saying who holds it. */
  async acquire(holder: LockHolder): Promise<LeaseRecord> {
    await this.#ensureDir();
    for (let attempt = 0; attempt < 50; attempt++) {
      const n = await this.#highest();
      const cur = n === 0 ? undefined : await this.#readEntry(n);
      if (n !== 0 && !cur) continue; // pruned meanwhile
      if (cur && cur.state === 'held') {
        const expired = Date.parse(cur.expiresAt) <= Date.now();
        if (cur.holder.host !== holder.host) {
          throw new ConfgateError(
            'E_ROLLOUT_LOCKED',
            `scope ${this.scope} is locked ${describeHolder(cur.holder)}, lease ${expired ? 'expired' : 'until'} ${cur.expiresAt}: a lock from another host is never taken over automatically; if that rollout is gone, run \`confgate unlock --force ${cur.holder.rolloutId ?? `token:${cur.token}`}\``,
          );
        }
        if (!expired && holderAlive(cur.holder)) {
          throw new ConfgateError('E_ROLLOUT_LOCKED', `scope ${this.scope} is locked ${describeHolder(cur.holder)}, lease until ${cur.expiresAt}`);
        }
      }
      const rec: LeaseRecord = {
        scope: this.scope,
        token: n + 1,
        state: 'held',
        holder,
        expiresAt: new Date(Date.now() + this.ttlMs).toISOString(),
      };
      if (await this.#publish(rec)) {
        this.token = rec.token;
        this.holder = holder;
        this.tookOverFrom = cur?.state === 'held' ? cur : undefined;
        await this.#prune(rec.token);
        return rec;
      }
    }
    throw new ConfgateError('E_ROLLOUT_LOCKED', `scope ${this.scope}: too many processes competing for the lock`);
  }

  #fenced(now: number | LeaseRecord | undefined): ConfgateError {
    const by = typeof now === 'object' ? ` (now ${now.state === 'released' ? `released${now.releasedBy ? ` by ${now.releasedBy}` : ''}` : `held ${describeHolder(now.holder)}`}, token ${now.token})` : '';
    return new ConfgateError('E_FENCED', `lost the lease on scope ${this.scope} (token ${this.token ?? '-'})${by}: this process writes nothing more`);
  }

  /** Throw `E_FENCED` unless this lease is still the current one. */
  async check(): Promise<void> {
    if (this.token === undefined) throw this.#fenced(undefined);
    const n = await this.#highest();
    if (n !== this.token) throw this.#fenced(n > this.token ? await this.current().catch(() => undefined) : undefined);
  }

  /** Extend the lease (and update the holder, e.g. with the rollout id). Throws `E_FENCED` when it was lost. */
  async renew(holder?: LockHolder): Promise<void> {
    await this.check();
    if (holder) this.holder = holder;
    const rec: LeaseRecord = {
      scope: this.scope,
      token: this.token!,
      state: 'held',
      holder: this.holder!,
      expiresAt: new Date(Date.now() + this.ttlMs).toISOString(),
    };
    let tmp: string;
    try {
      tmp = await this.#tmp(rec);
    } catch (err) {
      throw lockError(`cannot renew lock in ${this.dir}`, err);
    }
    try {
      await rename(tmp, path.join(this.dir, entryName(rec.token)));
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw lockError(`cannot renew lock in ${this.dir}`, err);
    }
    await this.check();
  }

  /** Give the lease up (only when still held by this lease): publishes a `released` entry. */
  async release(): Promise<void> {
    const token = this.token;
    this.token = undefined;
    if (token === undefined) return;
    if ((await this.#highest()) !== token) return;
    const rec: LeaseRecord = { scope: this.scope, token: token + 1, state: 'released', holder: this.holder!, expiresAt: new Date().toISOString() };
    if (await this.#publish(rec)) await this.#prune(rec.token);
  }

  /** Release a lease held by someone else (a person's decision), when its rollout id (or `token:N`) matches. */
  async forceRelease(rolloutId: string, by: string): Promise<LeaseRecord> {
    const cur = await this.current();
    if (!cur || cur.state !== 'held') throw new ConfgateError('E_ROLLOUT_LOCKED', `scope ${this.scope} is not locked`);
    if (cur.holder.rolloutId !== rolloutId && `token:${cur.token}` !== rolloutId) {
      throw new ConfgateError('E_ROLLOUT_LOCKED', `scope ${this.scope} is locked ${describeHolder(cur.holder)} (token ${cur.token}), not by ${rolloutId}: nothing released`);
    }
    const rec: LeaseRecord = { scope: this.scope, token: cur.token + 1, state: 'released', holder: cur.holder, expiresAt: new Date().toISOString(), releasedBy: by };
    if (!(await this.#publish(rec))) throw new ConfgateError('E_ROLLOUT_LOCKED', `scope ${this.scope} changed hands while unlocking: run unlock again after checking`);
    await this.#prune(rec.token);
    return rec;
  }
}
