/**
 * The file store: a journal in one file plus a lease on a scope (see `file-lease.ts`), for rollouts run on ONE host.
 *
 * File format (version 2): a header line `{"confgate":"journal","v":2,...}`, then one line per record
 * `{"f":<fencing token>,"c":"<crc32>","r":<record>}`. The file is opened with `O_NOFOLLOW` and created `0600`; a
 * non-empty file without the header is refused and never written to. Appends are serialised, one write and one
 * `fsync` per batch (group commit); every append first checks that this journal's lease is still the current one
 * (`E_FENCED` otherwise); a failed write or flush is cut off again (`ftruncate` back to the last whole batch), so a
 * full disk never leaves a torn line inside the file. On read, a line from a fenced-out writer (lower token after a
 * higher one) is left out, and every line's checksum and record schema are checked.
 */
import { constants as FS } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ConfgateError } from '../errors.js';
import type { JournalRecord, OperatorCommand, OperatorCommandRecord } from '../rollout/types.js';
import { checkCommand, parseCommands } from './commands.js';
import { parseDuration } from '../units.js';
import { auditFromEnv, currentHolder, type AuditInfo, type LockHolder } from './holder.js';
import { defaultLockDir, FileLease } from './file-lease.js';
import { FileClaims } from './file-claims.js';
import { corruptError, salvage, decodeLine, encodeLine, headerLine, parseHeader, RecordChecker, type ReadOutcome } from './records.js';
import { resolveKey, sealStarted, unsealStarted } from './seal.js';
import type { HistoryEntry, LeaseRecord, LeasedJournal, StoreOptions } from './types.js';
import { historyFromRecords } from './history.js';
import { EventBuffer } from './event-buffer.js';

/** Options of {@link FileJournal}. */
export interface FileJournalOptions extends StoreOptions {
  /**
   * Directory of the lease entries (shared by every rollout on this host that should exclude each other).
   * @default process.env.CONFGATE_LOCK_DIR, else `<os.tmpdir()>/confgate-locks`
   */
  lockDir?: string;
}

function journalError(message: string, cause: unknown): ConfgateError {
  if (cause instanceof ConfgateError && cause.code !== 'E_JOURNAL') return cause;
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new ConfgateError('E_JOURNAL', `${message}${detail}`, { cause });
}

/** The targets of the last rollout in `records` when it has not finished (a resume takes it over), else undefined. */
export function unfinishedTargets(records: readonly JournalRecord[]): string[] | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.type === 'rollout.finished') return undefined;
    if (r.type === 'rollout.started') return r.plan.waves.flatMap((w) => w.targets.map((t) => t.id));
  }
  return undefined;
}

/** Resolve lease timing: ttl and heartbeat in ms. */
export function leaseTiming(o: StoreOptions): { ttlMs: number; heartbeatMs: number } {
  const ttlMs = o.leaseTtl === undefined ? 30_000 : parseDuration(o.leaseTtl, 'leaseTtl');
  const heartbeatMs = o.heartbeat === undefined ? Math.max(1, Math.floor(ttlMs / 3)) : parseDuration(o.heartbeat, 'heartbeat');
  if (!(ttlMs > 0) || !(heartbeatMs > 0) || heartbeatMs >= ttlMs) {
    throw new ConfgateError('E_OPTIONS_INVALID', `\`heartbeat\` (${heartbeatMs}ms) must be positive and shorter than \`leaseTtl\` (${ttlMs}ms)`);
  }
  return { ttlMs, heartbeatMs };
}

/**
 * Internal (not exported from the package): append text that is already JSON lines (each ending in `\n`) to a
 * FileJournal, through the same queue, fence check, write and `fsync` as `append`. The rollout engine uses it to
 * serialise its target records once, straight to text.
 */
export let appendJsonLines: (journal: FileJournal, text: string) => Promise<void>;

/**
 * The text of a file opened without following a link (`O_NOFOLLOW`), `undefined` when it does not exist; any other
 * failure is `E_JOURNAL` with `what` as its message.
 */
async function readNoFollow(file: string, what: string): Promise<string | undefined> {
  try {
    const fh = await open(file, FS.O_RDONLY | FS.O_NOFOLLOW);
    try {
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw journalError(what, err);
  }
}

/**
 * A journal in a file, with a lease on a scope.
 *
 * `lock()` takes the lease on {@link FileJournal.scope} (default: the journal's absolute path, so one journal file is
 * one scope; give `scope` to make rollouts with different journals exclude each other) and renews it every
 * `heartbeat`. It throws ConfgateError `E_ROLLOUT_LOCKED` saying who holds it. Appends need the lease.
 */
export class FileJournal implements LeasedJournal {
  readonly path: string;
  readonly lockDir: string;
  onLost: ((err: Error) => void) | undefined;
  readonly writeErrors: Error[] = [];
  readonly #opts: FileJournalOptions;
  readonly #ttlMs: number;
  readonly #heartbeatMs: number;
  #lease: FileLease;
  #scope: string;
  readonly #explicitScope: boolean;
  #validUntil = 0;
  #confirming: Promise<void> | undefined;
  #handle: FileHandle | undefined;
  #size = 0;
  #queue: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #renewing = false;
  #lost: Error | undefined;
  #audit: AuditInfo | undefined;
  readonly #claims: FileClaims;
  /** The token the targets were last claimed with. */
  #claimedAt: number | undefined;
  /** Targets of the unfinished rollout the last read found (a resume claims them again with its own token). */
  #unfinished: string[] | undefined;
  /** The rollout this journal writes (the last started or read): event lines are kept under its id. */
  #rolloutId = '';
  /** Event lines not written yet: `[rollout id, line]`. */
  #events = new EventBuffer(() => void this.#flushEvents());
  #eventsHandle: FileHandle | undefined;

  static {
    appendJsonLines = (journal, text) => journal.#appendText(text, true);
  }

  /** @param file the journal file; created (0600) on the first append. */
  constructor(file: string, options: FileJournalOptions = {}) {
    this.path = path.resolve(file);
    this.#opts = options;
    this.#explicitScope = options.scope !== undefined;
    this.#scope = options.scope ?? `file:${this.path}`;
    this.lockDir = options.lockDir ?? defaultLockDir();
    const t = leaseTiming(options);
    this.#ttlMs = t.ttlMs;
    this.#heartbeatMs = t.heartbeatMs;
    this.#lease = new FileLease(this.lockDir, this.#scope, this.#ttlMs);
    this.#claims = new FileClaims(this.lockDir);
  }

  /**
   * The scope the lease is taken on: the `scope` option; without it, the scope written in the journal's header (so a
   * resume takes the lease the crashed rollout held), else `file:<absolute path>`.
   */
  get scope(): string {
    return this.#scope;
  }

  /** Without an explicit scope, adopt the one in the journal's header (before the lease is taken). */
  async #adoptScope(): Promise<void> {
    if (this.#explicitScope || this.#lease.token !== undefined) return;
    let first = '';
    try {
      const fh = await open(this.path, FS.O_RDONLY | FS.O_NOFOLLOW);
      try {
        const buf = Buffer.alloc(4096);
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        first = buf.subarray(0, bytesRead).toString('utf8').split('\n')[0]!;
      } finally {
        await fh.close();
      }
    } catch {
      return; // no journal yet (or unreadable: reported when it is used)
    }
    const h = parseHeader(first);
    if (!('problem' in h) && typeof h.scope === 'string' && h.scope !== this.#scope) {
      this.#scope = h.scope;
      this.#lease = new FileLease(this.lockDir, this.#scope, this.#ttlMs);
    }
  }

  /**
   * Before acting (calling a hook): `undefined` when the lease is surely still held (renewed less than `leaseTtl` ago,
   * by this process's monotonic clock), else a promise that renews it now and rejects with `E_FENCED` when it was lost.
   * A holder that was paused past its lease (SIGSTOP, a long GC) finds out here before it acts.
   */
  guard(): Promise<void> | undefined {
    if (this.#lost) return Promise.reject(this.#lost);
    if (this.#lease.token === undefined) return undefined;
    if (performance.now() < this.#validUntil) return undefined;
    this.#confirming ??= (async () => {
      try {
        const t0 = performance.now();
        await this.#lease.renew();
        this.#validUntil = t0 + this.#ttlMs;
      } catch (err) {
        if (err instanceof ConfgateError && err.code === 'E_FENCED') throw this.#markLost(err);
        throw err;
      } finally {
        this.#confirming = undefined;
      }
    })();
    return this.#confirming;
  }

  /** The fencing token held, undefined when not locked. */
  get fence(): number | undefined {
    return this.#lost ? undefined : this.#lease.token;
  }

  /** Why the lease was lost, once it was. */
  get lost(): Error | undefined {
    return this.#lost;
  }

  /** Take the lease (see the class documentation). */
  async lock(request: { rolloutId?: string } = {}): Promise<void> {
    if (this.#lease.token !== undefined) throw new ConfgateError('E_ROLLOUT_LOCKED', `scope ${this.scope} is already locked by this journal object`);
    await this.#adoptScope();
    const holder = currentHolder(this.#opts.audit?.ciUrl);
    if (request.rolloutId) holder.rolloutId = request.rolloutId;
    const t0 = performance.now();
    await this.#lease.acquire(holder);
    this.#validUntil = t0 + this.#ttlMs;
    this.#lost = undefined;
    if (this.#lease.tookOverFrom) await this.#detachStaleWriter();
    this.#timer = setInterval(() => void this.#heartbeat(), this.#heartbeatMs);
    this.#timer.unref();
  }

  /**
   * After taking over a lease that was still held (expired, or its holder died): put a copy of the journal in its place
   * (same path, new inode, `rename`), so that a former holder that was only paused, and whose open descriptor still
   * names the old inode, can never write into the journal again, even in the instant between its fence check and its
   * write (appends open the file BEFORE checking the fence). Best effort: when the copy cannot be made (a read-only
   * directory), readers still leave out lines of a fenced-out writer.
   */
  async #detachStaleWriter(): Promise<void> {
    let src: FileHandle;
    try {
      src = await open(this.path, FS.O_RDONLY | FS.O_NOFOLLOW);
    } catch {
      return; // no journal yet
    }
    const tmp = `${this.path}.takeover-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      if (!(await src.stat()).isFile()) return;
      const data = await src.readFile();
      const out = await open(tmp, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600);
      try {
        await out.writeFile(data);
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(tmp, this.path);
    } catch {
      await unlink(tmp).catch(() => undefined);
    } finally {
      await src.close().catch(() => undefined);
    }
  }

  #markLost(err: unknown): Error {
    if (!this.#lost) {
      this.#lost = err instanceof Error ? err : new Error(String(err));
      if (this.#timer) clearInterval(this.#timer);
      this.#timer = undefined;
      try {
        this.onLost?.(this.#lost);
      } catch {
        /* a listener's failure changes nothing */
      }
    }
    return this.#lost;
  }

  async #heartbeat(holder?: LockHolder): Promise<void> {
    if (this.#renewing || this.#lost || this.#lease.token === undefined) return;
    this.#renewing = true;
    try {
      const t0 = performance.now();
      await this.#lease.renew(holder);
      this.#validUntil = t0 + this.#ttlMs;
    } catch (err) {
      if (err instanceof ConfgateError && err.code === 'E_FENCED') this.#markLost(err);
      // other failures (a full disk): the next heartbeat tries again; appends check the fence themselves
    } finally {
      this.#renewing = false;
    }
  }

  async #openForAppend(): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    const fh = await open(this.path, FS.O_RDWR | FS.O_APPEND | FS.O_CREAT | FS.O_NOFOLLOW, 0o600);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new ConfgateError('E_JOURNAL_FORMAT', `journal ${this.path} is not a regular file`);
      if ((st.mode & 0o077) !== 0) await fh.chmod(0o600).catch(() => undefined);
      let size = st.size;
      if (size > 0) {
        const buf = Buffer.alloc(size);
        await fh.read(buf, 0, size, 0);
        const nl = buf.indexOf(0x0a);
        const header = parseHeader(buf.subarray(0, nl < 0 ? size : nl).toString('utf8'));
        if ('problem' in header) throw new ConfgateError('E_JOURNAL_FORMAT', `refusing to use ${this.path} as a journal: ${header.problem}`);
        if (buf[size - 1] !== 0x0a) {
          // a torn last line (a crash mid-write): cut it so the next record starts on its own line
          size = buf.lastIndexOf(0x0a) + 1;
          await fh.truncate(size);
        }
      }
      this.#size = size;
      this.#handle = fh;
      return fh;
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  #auditRecord(started: Extract<JournalRecord, { type: 'rollout.started' }>): Record<string, unknown> {
    this.#audit ??= auditFromEnv(this.#opts.audit ?? {});
    const h = currentHolder(this.#audit.ciUrl);
    return { type: 'audit', ts: started.ts, id: started.id, ...this.#audit, host: h.host, pid: h.pid, user: h.user };
  }

  /** Append records (one write, one `fsync`). Documents of `rollout.started` are sealed (see `seal.ts`). */
  append(records: JournalRecord[]): Promise<void> {
    let text = '';
    let startedId: string | undefined;
    let claim: string[] | undefined;
    try {
      const key = resolveKey(this.#opts.key);
      for (const r of records) {
        if (r.type === 'rollout.started') {
          startedId = r.id;
          this.#rolloutId = r.id;
          claim = r.plan.waves.flatMap((w) => w.targets.map((t) => t.id));
          text += `${JSON.stringify(sealStarted(r as unknown as Record<string, unknown>, key))}\n`;
          text += `${JSON.stringify(this.#auditRecord(r))}\n`;
        } else {
          text += `${JSON.stringify(r)}\n`;
        }
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const p = this.#appendText(text, true, claim);
    if (startedId !== undefined && this.#lease.holder) {
      const holder = { ...this.#lease.holder, rolloutId: startedId };
      void p.then(() => this.#heartbeat(holder), () => undefined);
    }
    return p;
  }

  /**
   * One write and one `fsync` for `text` (whole JSON lines, each wrapped with fence and checksum here). `claim`: the
   * targets of a rollout this batch starts, claimed first (refused when another scope's rollout holds one of them).
   * The first write after a take-over of an unfinished rollout claims that rollout's targets again with this token.
   */
  #appendText(text: string, wrap: boolean, claim?: string[]): Promise<void> {
    const run = async (): Promise<void> => {
      if (text === '') return;
      if (this.#lost) throw this.#lost;
      const token = this.#lease.token;
      if (token === undefined) throw new ConfgateError('E_JOURNAL', `journal ${this.path}: append needs the lease (call lock() first)`);
      // open BEFORE the fence check: a take-over publishes its token, then replaces the file (#detachStaleWriter), so
      // a handle opened before a passed check always names the file the taker copies: a write after the take-over
      // lands in the old file (left out), never in the journal the taker writes
      let fh: FileHandle;
      try {
        fh = await this.#openForAppend();
      } catch (err) {
        throw journalError(`cannot open journal ${this.path}`, err);
      }
      try {
        await this.#lease.check();
      } catch (err) {
        if (err instanceof ConfgateError && err.code === 'E_FENCED') throw this.#markLost(err);
        throw journalError(`cannot check the lease of ${this.path}`, err);
      }
      if (claim !== undefined) {
        await this.#claims.claim(this.scope, token, claim, true);
        this.#claimedAt = token;
        this.#unfinished = undefined;
      } else if (this.#unfinished !== undefined && this.#claimedAt !== token) {
        await this.#claims.claim(this.scope, token, this.#unfinished, false);
        this.#claimedAt = token;
      }
      let out = this.#size === 0 ? headerLine(this.scope) : '';
      if (wrap) {
        let from = 0;
        while (from < text.length) {
          const nl = text.indexOf('\n', from);
          const end = nl < 0 ? text.length : nl;
          if (end > from) out += encodeLine(token, text.slice(from, end));
          from = end + 1;
        }
      } else {
        out += text;
      }
      const buf = Buffer.from(out, 'utf8');
      try {
        await fh.writeFile(buf);
        await fh.sync();
        this.#size += buf.length;
      } catch (err) {
        // cut what was written of this batch: a torn line must never stay inside the file
        await fh.truncate(this.#size).catch(() => undefined);
        throw journalError(`cannot write journal ${this.path}`, err);
      }
    };
    const p = this.#queue.then(run).catch((err: unknown) => {
      if (!this.#opts.salvage || (err instanceof ConfgateError && err.code === 'E_FENCED')) throw err;
      this.writeErrors.push(err instanceof Error ? err : new Error(String(err)));
    });
    this.#queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Read every record, checked: header, checksums, record schema, fencing order, rollout ids. Problems are returned,
   * not thrown (a torn last line is not a problem: it is what a crash mid-write leaves). Throws `E_JOURNAL` when the
   * file cannot be read and `E_JOURNAL_FORMAT` when it is not a journal.
   */
  async readChecked(): Promise<ReadOutcome> {
    const text = await readNoFollow(this.path, `cannot read journal ${this.path}`);
    if (text === undefined) return { records: [], problems: [], fencedOut: 0 };
    const checker = new RecordChecker();
    if (text === '') return checker.out;
    const lines = text.split('\n');
    const header = parseHeader(lines[0]!);
    if ('problem' in header) throw new ConfgateError('E_JOURNAL_FORMAT', `${this.path} is not a usable journal: ${header.problem}`);
    const key = resolveKey(this.#opts.key);
    const last = lines.length - 1; // text ends with '\n' when whole: the last element is ''
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      const d = decodeLine(line);
      if ('problem' in d) {
        if (i === last) break; // torn by a crash mid-write
        checker.problem(i + 1, d.problem);
        continue;
      }
      const r = d.record as JournalRecord;
      if (r.type === 'rollout.started') {
        try {
          unsealStarted(r as unknown as Record<string, unknown>, key, this.#opts.documents);
        } catch (err) {
          if (err instanceof ConfgateError && err.code === 'E_JOURNAL_CORRUPT') {
            checker.problem(i + 1, err.message);
            continue;
          }
          throw err;
        }
      }
      checker.add(i + 1, d.fence, r);
    }
    this.#unfinished = unfinishedTargets(checker.out.records);
    const lastStarted = checker.out.records.findLast((r) => r.type === 'rollout.started');
    if (lastStarted?.type === 'rollout.started') this.#rolloutId = lastStarted.id;
    return checker.out;
  }

  /** Every record, in order; throws `E_JOURNAL_CORRUPT` when any line is damaged (see {@link readChecked}). */
  async read(): Promise<JournalRecord[]> {
    const out = await this.readChecked();
    if (this.#opts.salvage) return salvage(out, this.path);
    if (out.problems.length > 0) throw corruptError(this.path, out.problems);
    return out.records;
  }

  /** The event-stream side file: `<path>.events`, one JSON line `{ r: rollout id, f: token, e: event line }` each. */
  get eventsPath(): string {
    return `${this.path}.events`;
  }

  /**
   * Keep one line of the rollout's event stream (what `confgate rollout --events` writes: NDJSON, secrets already
   * masked by the caller) under the current rollout's id, for `confgate history --format ndjson`. Buffered: written
   * (with this lease's token, after the same fence check as journal records) within 200 ms, or by `unlock()`. A
   * holder that lost its lease keeps none. The journal is the rollout's truth; a failure to keep events is ignored.
   */
  recordEvent(line: string): void {
    if (this.#lost || this.#lease.token === undefined) return;
    this.#events.add(this.#rolloutId, line);
  }

  #flushEvents(): Promise<void> {
    const batch = this.#events.take();
    if (batch.length === 0) return this.#queue;
    const run = async (): Promise<void> => {
      const token = this.#lease.token;
      if (this.#lost || token === undefined) return;
      this.#eventsHandle ??= await open(this.eventsPath, FS.O_WRONLY | FS.O_APPEND | FS.O_CREAT | FS.O_NOFOLLOW, 0o600);
      await this.#lease.check();
      let out = '';
      for (const [r, e] of batch) out += `${JSON.stringify({ r, f: token, e })}\n`;
      await this.#eventsHandle.writeFile(out, 'utf8');
    };
    this.#queue = this.#queue.then(run).catch(() => undefined);
    return this.#queue;
  }

  /**
   * The event stream kept for rollout `rolloutId` (its NDJSON lines, in order; `[]` when none was kept). Lines of a
   * holder that had lost its lease (a lower token after a higher one) are left out.
   */
  async readEvents(rolloutId: string): Promise<string[]> {
    const text = await readNoFollow(this.eventsPath, `cannot read the event stream ${this.eventsPath}`);
    if (text === undefined) return [];
    const out: string[] = [];
    let highest = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let x: { r?: unknown; f?: unknown; e?: unknown };
      try {
        x = JSON.parse(line) as typeof x;
      } catch {
        continue; // torn by a crash mid-write
      }
      if (typeof x.f !== 'number' || typeof x.e !== 'string') continue;
      if (x.f < highest) continue;
      highest = x.f;
      if (x.r === rolloutId) out.push(x.e);
    }
    return out;
  }

  /** Close the file and give the lease up (only when still this journal's). */
  async unlock(): Promise<void> {
    await this.#flushEvents();
    const eh = this.#eventsHandle;
    this.#eventsHandle = undefined;
    if (eh) await eh.sync().catch(() => undefined).then(() => eh.close().catch(() => undefined));
    await this.#queue;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const fh = this.#handle;
    this.#handle = undefined;
    if (fh) await fh.close().catch(() => undefined);
    if (this.#lost) {
      this.#lease.token = undefined;
      return;
    }
    const token = this.#lease.token;
    await this.#lease.release();
    if (token !== undefined && this.#claimedAt === token) await this.#claims.release(this.scope, token);
    this.#claimedAt = undefined;
  }

  /** The operator-command side file: `<path>.commands`, one JSON line per command, appended, never rewritten. */
  get commandsPath(): string {
    return `${this.path}.commands`;
  }

  /** Append one operator command to the side file (one write, then `fsync`). No lease needed. */
  async postCommand(command: OperatorCommand): Promise<void> {
    const line = `${checkCommand(command)}\n`;
    let fh: FileHandle | undefined;
    try {
      fh = await open(this.commandsPath, FS.O_WRONLY | FS.O_APPEND | FS.O_CREAT | FS.O_NOFOLLOW, 0o600);
      await fh.writeFile(line, 'utf8');
      await fh.sync();
    } catch (err) {
      throw journalError(`cannot write operator command to ${this.commandsPath}`, err);
    } finally {
      await fh?.close().catch(() => undefined);
    }
  }

  /** Commands with `seq > afterSeq` (seq = line number in the side file). */
  async readCommands(afterSeq: number): Promise<OperatorCommandRecord[]> {
    const text = await readNoFollow(this.commandsPath, `cannot read operator commands ${this.commandsPath}`);
    if (text === undefined) return [];
    return parseCommands(text, afterSeq);
  }

  /** The scope's lock record. */
  async lockInfo(): Promise<LeaseRecord | undefined> {
    await this.#adoptScope();
    return this.#lease.current();
  }

  /** Release the scope's lease by force (`confgate unlock --force ID`). */
  async forceUnlock(rolloutId: string, by?: string): Promise<LeaseRecord> {
    await this.#adoptScope();
    return this.#lease.forceRelease(rolloutId, by ?? auditFromEnv().actor);
  }

  /** Past rollouts in this journal, newest first. */
  async history(limit = 50): Promise<HistoryEntry[]> {
    await this.#adoptScope();
    const out = await this.readChecked();
    return historyFromRecords(out.records, this.scope).slice(0, limit);
  }
}
