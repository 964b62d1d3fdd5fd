/**
 * Rollout journals: every state transition is written (and flushed) before the effect it describes.
 *
 * - {@link FileJournal}: the file store (src/store/file.ts): a versioned, checksummed JSON-lines file with a lease on
 *   a scope and fencing; group commit (one `fsync` per batch).
 * - {@link MemoryJournal}: for tests and for rollouts that need no crash safety.
 * - `PostgresJournal` (src/store/postgres.ts): many deployers, one fleet.
 *
 * All carry the operator-command channel (`postCommand`/`readCommands`, see {@link Journal}).
 */
import { ConfgateError } from '../errors.js';
import { checkCommand } from '../store/commands.js';
import type { Journal, JournalRecord, OperatorCommand, OperatorCommandRecord } from './types.js';

export { appendJsonLines, FileJournal } from '../store/file.js';
export type { FileJournalOptions } from '../store/file.js';

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
