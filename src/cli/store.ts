/**
 * The CLI side of the stores: where the journal is (`--journal FILE|URL`, `CONFGATE_JOURNAL`), its scope (`--scope`,
 * the policy's `rollout.scope`, else derived from the targets file), and the commands `confgate unlock` and
 * `confgate history`.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { JOURNAL_KEY_ENV, openJournal } from '../store/index.js';
import { LOCK_DIR_ENV } from '../store/file-lease.js';
import { isPostgresUrl, redactUrl } from '../store/postgres.js';
import type { FileJournalOptions } from '../store/file.js';
import type { HistoryEntry, LeaseRecord, LeasedJournal } from '../store/types.js';
import type { PostgresJournalOptions } from '../store/postgres.js';
import type { CliIo } from './main.js';
import { UsageError } from './main.js';

/** Environment variable naming the journal (a file path or a `postgres://` URL) when `--journal` is not given. */
export const JOURNAL_ENV = 'CONFGATE_JOURNAL';

/** Default journal file, in the working directory. */
export const DEFAULT_JOURNAL_FILE = 'confgate-rollout.journal';

/** `--journal`, else `CONFGATE_JOURNAL`, else the default file; a path is resolved against the working directory. */
export function journalLocation(value: string | undefined, io: CliIo): string {
  const raw = value ?? (io.env[JOURNAL_ENV] !== undefined && io.env[JOURNAL_ENV] !== '' ? io.env[JOURNAL_ENV] : undefined) ?? DEFAULT_JOURNAL_FILE;
  return isPostgresUrl(raw) ? raw : path.resolve(io.cwd, raw);
}

/** How a journal location is shown (a URL without its password, a path relative to the working directory). */
export function showLocation(location: string, io: CliIo): string {
  return isPostgresUrl(location) ? redactUrl(location) : path.relative(io.cwd, location) || location;
}

/** The scope: `--scope`, else the policy's `rollout.scope`, else `targets:<name of the targets file>`, else undefined. */
export function scopeOf(explicit: string | undefined, policyScope: string | undefined, targetsFile: string | undefined): string | undefined {
  if (explicit !== undefined) {
    if (explicit.trim() === '' || explicit.length > 200) throw new UsageError('--scope must be a non-empty name of at most 200 characters');
    return explicit;
  }
  if (policyScope !== undefined) return policyScope;
  if (targetsFile !== undefined) return `targets:${path.basename(targetsFile).replace(/\.(ya?ml|json)$/i, '')}`;
  return undefined;
}

/** Store options from the CLI's environment: `CONFGATE_LOCK_DIR`, `CONFGATE_JOURNAL_KEY`. */
export function envStoreOptions(io: CliIo): FileJournalOptions & PostgresJournalOptions {
  const lockDir = io.env[LOCK_DIR_ENV];
  const key = io.env[JOURNAL_KEY_ENV];
  return { ...(lockDir ? { lockDir: path.resolve(io.cwd, lockDir) } : {}), ...(key ? { key } : {}) };
}

/** Open the journal a location names, with the environment's store options. */
export function cliJournal(location: string, io: CliIo, options: FileJournalOptions & PostgresJournalOptions): LeasedJournal {
  return openJournal(location, { ...envStoreOptions(io), ...options });
}

const COMMON = {
  journal: { type: 'string' },
  scope: { type: 'string' },
  format: { type: 'string' },
} as const;

function parse<O extends Record<string, { type: 'string' | 'boolean' }>>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: false, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function formatOf(v: string | boolean | undefined): 'text' | 'json' {
  if (v === undefined) return 'text';
  if (v !== 'text' && v !== 'json') throw new UsageError(`--format must be text or json, got ${JSON.stringify(v)}`);
  return v;
}

function describeLease(l: LeaseRecord): string {
  const h = l.holder;
  const who = `${h.user}@${h.host} pid ${h.pid}`;
  if (l.state === 'released') return `scope ${l.scope}: free (token ${l.token}${l.releasedBy ? `, released by force by ${l.releasedBy}` : ''})`;
  return [
    `scope ${l.scope}: LOCKED (token ${l.token})`,
    `  rollout:  ${h.rolloutId ?? '(not started yet)'}`,
    `  holder:   ${who}`,
    `  since:    ${h.since}`,
    `  lease:    until ${l.expiresAt}`,
    ...(h.ciUrl ? [`  CI run:   ${h.ciUrl}`] : []),
  ].join('\n');
}

/** `confgate unlock --journal FILE|URL [--scope S] [--force ID] [--format text|json]`. */
export async function unlockCommand(args: readonly string[], io: CliIo): Promise<number> {
  const v = parse(args, { ...COMMON, force: { type: 'string' }, by: { type: 'string' } });
  const format = formatOf(v['format']);
  const location = journalLocation(v['journal'] as string | undefined, io);
  const scope = scopeOf(v['scope'] as string | undefined, undefined, undefined);
  if (isPostgresUrl(location) && scope === undefined) throw new UsageError('--scope is required with a PostgreSQL journal');
  const j = cliJournal(location, io, scope === undefined ? {} : { scope });
  try {
    const force = v['force'] as string | undefined;
    if (force === undefined) {
      const l = await j.lockInfo();
      if (format === 'json') io.stdout(`${JSON.stringify(l ?? null, null, 2)}\n`);
      else io.stdout(`${l ? describeLease(l) : `scope ${j.scope}: never locked`}\n`);
      if (l?.state === 'held') io.stderr(`confgate: to release it (only if that rollout is gone): confgate unlock --journal ${showLocation(location, io)} --force ${l.holder.rolloutId ?? `token:${l.token}`}\n`);
      return 0;
    }
    if (force.trim() === '') throw new UsageError('--force needs the rollout id of the lock (see `confgate unlock` without --force)');
    const released = await j.forceUnlock(force, (v['by'] as string | undefined) ?? io.env['USER']);
    if (format === 'json') io.stdout(`${JSON.stringify(released, null, 2)}\n`);
    else io.stdout(`released the lock of rollout ${force} on scope ${released.scope} (token now ${released.token}): that rollout, if it still runs, can write nothing more\n`);
    return 0;
  } finally {
    await (j as { close?: () => Promise<void> }).close?.();
  }
}

function historyText(entries: HistoryEntry[], scope: string): string {
  if (entries.length === 0) return `scope ${scope}: no rollouts\n`;
  const lines = [`scope ${scope}: ${entries.length} rollout${entries.length === 1 ? '' : 's'}, newest first`];
  for (const e of entries) {
    const a = e.audit;
    const who = a ? ` by ${a.actor}${a.reason ? ` (${a.reason})` : ''}${a.commit ? ` commit ${a.commit.slice(0, 12)}` : ''}${a.verdict ? ` gate ${a.verdict}${a.score !== undefined ? ` ${a.score}` : ''}` : ''}` : '';
    lines.push(`${e.startedAt}  ${e.id}  ${e.status.toUpperCase()}${who}  ${e.targets} targets/${e.waves} waves${e.fence !== undefined ? `  token ${e.fence}` : ''}`);
    if (e.reason) lines.push(`    ${e.reason}`);
    if (a?.ciUrl) lines.push(`    CI run: ${a.ciUrl}`);
    for (const ev of e.events) lines.push(`    ${ev.ts}  ${ev.type}${ev.detail ? `: ${ev.detail}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `confgate history --journal FILE|URL [--scope S] [--limit N] [--rollout ID] [--format text|json|ndjson]`.
 * `--format ndjson` exports one rollout's event stream (`--rollout ID`, default the newest): the lines `confgate
 * rollout --events` wrote, secrets masked, kept in the store.
 */
export async function historyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const v = parse(args, { ...COMMON, limit: { type: 'string' }, rollout: { type: 'string' } });
  const ndjson = v['format'] === 'ndjson';
  const format = ndjson ? 'json' : formatOf(v['format']);
  const rollout = v['rollout'] as string | undefined;
  if (rollout !== undefined && rollout.trim() === '') throw new UsageError('--rollout needs a rollout id (see `confgate history`)');
  const location = journalLocation(v['journal'] as string | undefined, io);
  const scope = scopeOf(v['scope'] as string | undefined, undefined, undefined);
  if (isPostgresUrl(location) && scope === undefined) throw new UsageError('--scope is required with a PostgreSQL journal');
  const limitRaw = v['limit'] as string | undefined;
  const limit = limitRaw === undefined ? 50 : Number(limitRaw);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number >= 1, got ${JSON.stringify(limitRaw)}`);
  const j = cliJournal(location, io, scope === undefined ? {} : { scope });
  try {
    let entries = await j.history(rollout === undefined ? limit : Number.MAX_SAFE_INTEGER);
    if (rollout !== undefined) entries = entries.filter((e) => e.id === rollout);
    if (ndjson) {
      const id = rollout ?? entries[0]?.id;
      if (id === undefined) throw new UsageError(`scope ${j.scope} has no rollout to export`);
      if (rollout !== undefined && entries.length === 0) throw new UsageError(`scope ${j.scope} has no rollout ${rollout} (see \`confgate history\`)`);
      const lines = await j.readEvents(id);
      if (lines.length === 0) throw new UsageError(`no event stream was kept for rollout ${id} (it was started by a confgate without event export, or through the library without recordEvent)`);
      io.stdout(`${lines.join('\n')}\n`);
      return 0;
    }
    if (rollout !== undefined && entries.length === 0) throw new UsageError(`scope ${j.scope} has no rollout ${rollout} (see \`confgate history\`)`);
    io.stdout(format === 'json' ? `${JSON.stringify({ scope: j.scope, rollouts: entries }, null, 2)}\n` : historyText(entries, j.scope));
    return 0;
  } finally {
    await (j as { close?: () => Promise<void> }).close?.();
  }
}
