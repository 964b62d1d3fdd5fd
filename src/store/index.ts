/** Stores: the file store (one host) and the PostgreSQL store (many deployers), with leases, fencing and audit. */
import { FileJournal, type FileJournalOptions } from './file.js';
import { isPostgresUrl, PostgresJournal, type PostgresJournalOptions } from './postgres.js';
import type { LeasedJournal } from './types.js';

export { FileJournal } from './file.js';
export type { FileJournalOptions } from './file.js';
export { PostgresJournal, isPostgresUrl } from './postgres.js';
export type { PostgresJournalOptions } from './postgres.js';
export { auditFromEnv, ciFromEnv } from './holder.js';
export type { AuditInfo, LockHolder } from './holder.js';
export { documentHash, JOURNAL_KEY_ENV } from './seal.js';
export type { SuppliedDocuments } from './seal.js';
export type { ReadOutcome, JournalProblem } from './records.js';
export type { HistoryEntry, LeaseOptions, LeaseRecord, LeasedJournal, StoreOptions } from './types.js';

/** Open the store a location names: a `postgres://` / `postgresql://` URL, else a journal file path. */
export function openJournal(location: string, options: FileJournalOptions & PostgresJournalOptions = {}): LeasedJournal {
  return isPostgresUrl(location) ? new PostgresJournal(location, options) : new FileJournal(location, options);
}
