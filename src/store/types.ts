/** Types shared by the stores: leases on a scope, fencing, lock records, history entries. */
import type { Journal, OperatorCommand, OperatorCommandRecord } from '../rollout/types.js';
import type { AuditInfo, LockHolder } from './holder.js';
import type { ReadOutcome } from './records.js';
import type { SuppliedDocuments } from './seal.js';

/** The lock record of a scope. */
export interface LeaseRecord {
  scope: string;
  /** Fencing token: increases on every take-over (and on every release). */
  token: number;
  state: 'held' | 'released';
  holder: LockHolder;
  /** When the lease runs out unless renewed (ISO-8601). */
  expiresAt: string;
  /** Who released it by force (`confgate unlock --force`). */
  releasedBy?: string;
}

/** Lease timing. */
export interface LeaseOptions {
  /** How long a lease lasts without renewal (duration or ms). A holder that stops renewing loses it after this. @default '30s' */
  leaseTtl?: number | string;
  /** How often the holder renews its lease. Must be shorter than `leaseTtl`. @default a third of `leaseTtl` */
  heartbeat?: number | string;
}

/** Options every store takes. */
export interface StoreOptions extends LeaseOptions {
  /** The scope the lease is taken on: two rollouts on one scope never run at once. @default per store (see each) */
  scope?: string;
  /** Encryption key for the documents (see `seal.ts`). @default process.env.CONFGATE_JOURNAL_KEY */
  key?: string;
  /** Documents supplied on resume when the journal keeps only their hashes (verified against them). */
  documents?: SuppliedDocuments;
  /** Audit data recorded with every rollout started through this journal. @default from the environment */
  audit?: Partial<AuditInfo>;
  /**
   * Resume mode: a damaged journal is read in doubt (see `salvage` in records.ts: every target of every stage that may
   * have started is reported as `applying`, so a resume rolls them all back) instead of throwing, and a write that
   * fails for another reason than fencing (read-only file, full disk) is collected in `writeErrors` instead of
   * thrown, so the rollback still runs. A lost lease still stops every write (`E_FENCED`).
   * @default false
   */
  salvage?: boolean;
}

/** One past rollout of a scope (`confgate history`). */
export interface HistoryEntry {
  id: string;
  scope: string;
  startedAt: string;
  finishedAt?: string;
  /** The final status, `running` while unfinished (or crashed: see `resumed`). */
  status: string;
  reason?: string;
  targets: number;
  waves: number;
  fence?: number;
  audit?: AuditInfo;
  /** Operator commands and resumes seen in the journal. */
  events: { ts: string; type: string; detail?: string }[];
}

/** A journal with a lease on a scope and fencing (both stores implement it). */
export interface LeasedJournal extends Journal {
  readonly scope: string;
  /** The fencing token of the lease this journal holds, undefined when it holds none. */
  readonly fence: number | undefined;
  /** Set once the lease was lost (taken over or released by force): every later append throws `E_FENCED`. */
  readonly lost: Error | undefined;
  /**
   * Before acting (calling a hook): `undefined` when the lease is surely still held (renewed less than `leaseTtl` ago
   * by this process's monotonic clock), else a promise that renews it now and rejects with `E_FENCED` when it was lost.
   */
  guard(): Promise<void> | undefined;
  /** Called once when the lease is found lost (by the heartbeat or an append). */
  onLost: ((err: Error) => void) | undefined;
  /** Read with integrity problems reported instead of thrown (resume rolls back on doubt). */
  readChecked(): Promise<ReadOutcome>;
  /** The scope's lock record, when there is one. */
  lockInfo(): Promise<LeaseRecord | undefined>;
  /** Release another holder's lease by force (a person's decision): only when `rolloutId` matches the holder's. */
  forceUnlock(rolloutId: string, by?: string): Promise<LeaseRecord>;
  /** Past rollouts of the scope, newest first. */
  history(limit?: number): Promise<HistoryEntry[]>;
  /** Post an operator command (`confgate control`); no lease needed. */
  postCommand(command: OperatorCommand): Promise<void>;
  /** Operator commands with `seq > afterSeq`, in order. */
  readCommands(afterSeq: number): Promise<OperatorCommandRecord[]>;
  /** In `salvage` mode: the writes that failed (and were not thrown). */
  readonly writeErrors: Error[];
  /**
   * Keep one line of the current rollout's event stream (the NDJSON of `confgate rollout --events`; secrets must be
   * masked by the caller): buffered, written with the lease's token (a holder that lost its lease keeps none), at the
   * latest by `unlock()`.
   */
  recordEvent(line: string): void;
  /** The event stream kept for a rollout of this scope, in order (`[]` when none was kept). */
  readEvents(rolloutId: string): Promise<string[]>;
}
