/**
 * Rollout journals: every state transition is written (and flushed) before the effect it describes.
 *
 * - {@link FileJournal}: JSON lines, appended with one `fsync` per batch (group commit), a torn last line is ignored on
 *   read and cut off before the next append. Exclusive lock file `<path>.lock` holding the owner's pid.
 * - {@link MemoryJournal}: for tests and for rollouts that need no crash safety.
 *
 * Both carry the operator-command channel (`postCommand`/`readCommands`, see {@link Journal}). A FileJournal keeps
 * commands in a side file `<path>.commands`: one JSON line per command, appended with `O_APPEND` and `fsync` (one
 * small write, so concurrent posters never interleave), never rewritten; a command's `seq` is its line number.
 */
import { open, readFile, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { ConfgateError, OptionsError } from '../errors.js';
import type { Journal, JournalRecord, OperatorCommand, OperatorCommandRecord } from './types.js';

const COMMANDS = new Set(['pause', 'continue', 'promote', 'abort']);

/** A command as posted, checked (the channel is shared with other processes: never trust its shape). */
function checkCommand(c: OperatorCommand): string {
  if (c === null || typeof c !== 'object' || !COMMANDS.has(c.command)) throw new OptionsError(`unknown operator command ${JSON.stringify(c?.command)}`);
  for (const k of ['id', 'user', 'host', 'ts'] as const) {
    if (typeof c[k] !== 'string') throw new OptionsError(`operator command needs a string \`${k}\``);
  }
  const line = JSON.stringify(c);
  if (line.length > 16_384) throw new OptionsError('operator command is too large (reason over 16 KB?)');
  return line;
}

/** Parse the command channel's lines: a torn or malformed line is skipped (it keeps its seq). */
function parseCommands(text: string, afterSeq: number): OperatorCommandRecord[] {
  const out: OperatorCommandRecord[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines.pop(); // torn last line (a post in progress): not yet a command
  for (let i = afterSeq; i < lines.length; i++) {
    try {
      const c = JSON.parse(lines[i]!) as OperatorCommand;
      if (c && typeof c === 'object' && COMMANDS.has(c.command) && typeof c.user === 'string' && typeof c.host === 'string') out.push({ ...c, seq: i + 1 });
    } catch {
      /* a malformed line is not a command */
    }
  }
  return out;
}

function journalError(message: string, cause: unknown): ConfgateError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new ConfgateError('E_JOURNAL', `${message}${detail}`, { cause });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Internal (not exported from the package): append text that is already JSON lines (each ending in `\n`) to a
 * FileJournal, through the same queue as `append` and with the same single write and `fsync`. The rollout engine
 * uses it to serialise its target records once, straight to text, instead of building record objects to stringify.
 */
export let appendJsonLines: (journal: FileJournal, text: string) => Promise<void>;

/**
 * A journal in a JSON-lines file.
 *
 * Locking: `lock()` creates `<path>.lock` exclusively (`wx`) and writes the pid into it. When the lock file exists and
 * its pid is a live process, `lock()` throws ConfgateError `E_ROLLOUT_LOCKED`; when the pid is dead (or the file holds
 * no pid) the lock is stale and is taken over. Two rollouts in the same process on the same path also conflict.
 * Any other failure to create the lock or to write (read-only directory, disk full) throws ConfgateError `E_JOURNAL`.
 */
export class FileJournal implements Journal {
  readonly path: string;
  readonly lockPath: string;
  /** The operator-command side file. */
  readonly commandsPath: string;
  #handle: FileHandle | undefined;
  #locked = false;
  #queue: Promise<void> = Promise.resolve();

  static {
    appendJsonLines = (journal, text) => journal.#appendText(text);
  }

  /** @param path the journal file; created on the first append. */
  constructor(path: string) {
    this.path = path;
    this.lockPath = `${path}.lock`;
    this.commandsPath = `${path}.commands`;
  }

  /** Append one operator command to `<path>.commands` (one write, then `fsync`). No lock needed. */
  async postCommand(command: OperatorCommand): Promise<void> {
    const line = `${checkCommand(command)}\n`;
    let fh: FileHandle | undefined;
    try {
      fh = await open(this.commandsPath, 'a', 0o600);
      await fh.appendFile(line, 'utf8');
      await fh.sync();
    } catch (err) {
      throw journalError(`cannot write operator command to ${this.commandsPath}`, err);
    } finally {
      await fh?.close().catch(() => undefined);
    }
  }

  /** Commands with `seq > afterSeq`. */
  async readCommands(afterSeq: number): Promise<OperatorCommandRecord[]> {
    let text: string;
    try {
      text = await readFile(this.commandsPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw journalError(`cannot read operator commands ${this.commandsPath}`, err);
    }
    return parseCommands(text, afterSeq);
  }

  /** Take the exclusive lock (see the class documentation). */
  async lock(): Promise<void> {
    if (this.#locked) throw new ConfgateError('E_ROLLOUT_LOCKED', `journal ${this.path} is already locked by this journal object`);
    for (let attempt = 0; attempt < 2; attempt++) {
      let fh: FileHandle;
      try {
        fh = await open(this.lockPath, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw journalError(`cannot create lock file ${this.lockPath}`, err);
        let content = '';
        try {
          content = (await readFile(this.lockPath, 'utf8')).trim();
        } catch {
          /* vanished between open and read: retry */
        }
        const pid = Number(content);
        if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
          throw new ConfgateError('E_ROLLOUT_LOCKED', `journal ${this.path} is locked by process ${pid} (${this.lockPath})`);
        }
        try {
          await unlink(this.lockPath); // stale lock: its owner is dead
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw journalError(`cannot remove stale lock ${this.lockPath}`, e);
        }
        continue;
      }
      try {
        await fh.writeFile(`${process.pid}\n`);
        await fh.sync();
      } catch (err) {
        await fh.close().catch(() => undefined);
        await unlink(this.lockPath).catch(() => undefined);
        this.#locked = false;
        throw journalError(`cannot write lock file ${this.lockPath}`, err);
      }
      await fh.close().catch(() => undefined);
      this.#locked = true;
      return;
    }
    throw new ConfgateError('E_ROLLOUT_LOCKED', `journal ${this.path} is locked (${this.lockPath})`);
  }

  async #openForAppend(): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    // Cut a torn last line (a crash mid-write) so the next record starts on its own line.
    try {
      const st = await stat(this.path);
      if (st.size > 0) {
        const text = await readFile(this.path);
        if (text[text.length - 1] !== 0x0a) {
          const lastNl = text.lastIndexOf(0x0a);
          await truncate(this.path, lastNl + 1);
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.#handle = await open(this.path, 'a');
    return this.#handle;
  }

  /** Append records as JSON lines and `fsync` once for the whole batch. */
  append(records: JournalRecord[]): Promise<void> {
    let text = '';
    try {
      for (const r of records) text += `${JSON.stringify(r)}\n`;
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#appendText(text);
  }

  /** One write and one `fsync` for `text` (whole JSON lines), after every earlier append. */
  #appendText(text: string): Promise<void> {
    const run = async (): Promise<void> => {
      if (text === '') return;
      try {
        const fh = await this.#openForAppend();
        await fh.appendFile(text, 'utf8');
        await fh.sync();
      } catch (err) {
        throw journalError(`cannot write journal ${this.path}`, err);
      }
    };
    const p = this.#queue.then(run);
    this.#queue = p.catch(() => undefined);
    return p;
  }

  /** Read every record; a torn (unparseable, unterminated) last line is ignored. A corrupt line elsewhere throws `E_JOURNAL`. */
  async read(): Promise<JournalRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw journalError(`cannot read journal ${this.path}`, err);
    }
    const lines = text.split('\n');
    const out: JournalRecord[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as JournalRecord);
      } catch (err) {
        const isLast = i === lines.length - 1; // no newline after it: torn by a crash mid-write
        if (isLast) break;
        throw journalError(`journal ${this.path} is corrupt at line ${i + 1}`, err);
      }
    }
    return out;
  }

  /** Close the file and remove the lock file (only when it still holds this process's pid). */
  async unlock(): Promise<void> {
    await this.#queue;
    const fh = this.#handle;
    this.#handle = undefined;
    if (fh) await fh.close().catch(() => undefined);
    if (!this.#locked) return;
    this.#locked = false;
    try {
      const content = (await readFile(this.lockPath, 'utf8')).trim();
      if (content === String(process.pid)) await unlink(this.lockPath);
    } catch {
      /* already gone */
    }
  }
}

/** A journal in memory: records are kept as given. Locking is per instance. */
export class MemoryJournal implements Journal {
  readonly records: JournalRecord[] = [];
  readonly commands: OperatorCommand[] = [];
  #locked = false;

  /** Post an operator command. */
  async postCommand(command: OperatorCommand): Promise<void> {
    checkCommand(command);
    this.commands.push({ ...command });
  }

  /** Commands with `seq > afterSeq`. */
  async readCommands(afterSeq: number): Promise<OperatorCommandRecord[]> {
    return this.commands.slice(Math.max(0, afterSeq)).map((c, i) => ({ ...c, seq: Math.max(0, afterSeq) + i + 1 }));
  }

  /** Take the lock; throws ConfgateError `E_ROLLOUT_LOCKED` when already held. */
  async lock(): Promise<void> {
    if (this.#locked) throw new ConfgateError('E_ROLLOUT_LOCKED', 'memory journal is locked by another rollout');
    this.#locked = true;
  }

  /** Append records. */
  async append(records: JournalRecord[]): Promise<void> {
    for (const r of records) this.records.push(r);
  }

  /** A copy of the records. */
  async read(): Promise<JournalRecord[]> {
    return [...this.records];
  }

  /** Release the lock. */
  async unlock(): Promise<void> {
    this.#locked = false;
  }
}
