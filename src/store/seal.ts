/**
 * Secrets at rest: the documents of a rollout (proposed, LKG, changes) never reach a journal or store in clear.
 *
 * The `rollout.started` record is stored "sealed": `proposed`, `lkg` and `changes` are replaced by their SHA-256
 * (of the canonical JSON text) and, when a key is given (`key` option or `CONFGATE_JOURNAL_KEY`), by their
 * AES-256-GCM ciphertext (key derived with HKDF-SHA256 and a random salt per record). Without a key only the hashes
 * are stored: whoever resumes supplies the documents (`documents` option, `--current`/`--proposed` in the CLI) and
 * they are verified against the hashes before use (a mismatch is ConfgateError `E_JOURNAL_DOCUMENTS`). Reading a
 * sealed record whose LKG cannot be restored gives a record whose `lkg` throws `E_JOURNAL_DOCUMENTS` when used (a
 * finished rollout, status and history need none); a proposed config not supplied reads as `undefined` (rolling back
 * does not need it; going forward must supply it).
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { ConfgateError } from '../errors.js';
import { canonical } from '../json.js';
import type { JsonValue } from '../types.js';

/** Environment variable holding the journal encryption key. */
export const JOURNAL_KEY_ENV = 'CONFGATE_JOURNAL_KEY';

/** Documents supplied on resume when the journal keeps only their hashes. */
export interface SuppliedDocuments {
  /** The proposed config (needed to go forward). */
  proposed?: unknown;
  /** The last known good config (needed to roll back). */
  lkg?: unknown;
}

/** The stored form of a rollout's documents. */
export interface SealedDocuments {
  v: 1;
  /** `sha256:<hex>` of the canonical JSON of each document. */
  proposed: string;
  lkg: string;
  changes: string;
  /** AES-256-GCM of `{"proposed":...,"lkg":...,"changes":...}` (base64), with its salt, iv and tag. */
  enc?: { salt: string; iv: string; tag: string; data: string };
}

/** Hash of a document as stored. */
export function documentHash(value: unknown): string {
  const text = value === undefined ? 'undefined' : canonical(value as JsonValue);
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function deriveKey(key: string, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(key, 'utf8'), salt, 'confgate journal v1', 32));
}

/** The key to use: the option, else the environment variable; empty means none. */
export function resolveKey(key: string | undefined): string | undefined {
  const k = key ?? process.env[JOURNAL_KEY_ENV];
  return k !== undefined && k !== '' ? k : undefined;
}

/** Seal a `rollout.started` record: returns a copy without `proposed`/`lkg`/`changes` and with `sealed`. */
export function sealStarted(record: Record<string, unknown>, key: string | undefined): Record<string, unknown> {
  const { proposed, lkg, changes, ...rest } = record;
  const sealed: SealedDocuments = { v: 1, proposed: documentHash(proposed), lkg: documentHash(lkg), changes: documentHash(changes ?? []) };
  if (key !== undefined) {
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', deriveKey(key, salt), iv);
    const data = Buffer.concat([cipher.update(JSON.stringify({ proposed, lkg, changes: changes ?? [] }), 'utf8'), cipher.final()]);
    sealed.enc = { salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }
  return { ...rest, sealed };
}

function missing(what: string, detail: string, encrypted: boolean): never {
  throw new ConfgateError(
    'E_JOURNAL_DOCUMENTS',
    `the journal keeps ${encrypted ? `the ${what} encrypted` : `only a hash of the ${what}`} (secrets are never stored in clear): ${detail}`,
  );
}

/**
 * Restore a sealed `rollout.started` record (in place): decrypt with the key, or verify the supplied documents against
 * the hashes. Documents that cannot be restored become getters throwing `E_JOURNAL_DOCUMENTS`.
 */
export function unsealStarted(record: Record<string, unknown>, key: string | undefined, docs: SuppliedDocuments | undefined): void {
  const sealed = record['sealed'] as SealedDocuments | undefined;
  if (!sealed || typeof sealed !== 'object') return;
  delete record['sealed'];
  if (sealed.enc && key !== undefined) {
    let plain: { proposed?: unknown; lkg?: unknown; changes?: unknown };
    try {
      const d = createDecipheriv('aes-256-gcm', deriveKey(key, Buffer.from(sealed.enc.salt, 'base64')), Buffer.from(sealed.enc.iv, 'base64'));
      d.setAuthTag(Buffer.from(sealed.enc.tag, 'base64'));
      plain = JSON.parse(Buffer.concat([d.update(Buffer.from(sealed.enc.data, 'base64')), d.final()]).toString('utf8')) as typeof plain;
    } catch (err) {
      throw new ConfgateError('E_JOURNAL_DOCUMENTS', `cannot decrypt the journal's documents with ${JOURNAL_KEY_ENV} (wrong key?)`, { cause: err });
    }
    for (const f of ['proposed', 'lkg', 'changes'] as const) {
      if (documentHash(plain[f] ?? (f === 'changes' ? [] : undefined)) !== sealed[f]) {
        throw new ConfgateError('E_JOURNAL_CORRUPT', `the journal's encrypted ${f} does not match its hash`);
      }
      record[f] = plain[f];
    }
    return;
  }
  const hint = sealed.enc ? `set ${JOURNAL_KEY_ENV} to the key the rollout used, or ` : '';
  for (const f of ['proposed', 'lkg'] as const) {
    const supplied = docs?.[f];
    if (supplied === undefined && f === 'proposed') {
      // rolling back needs only the LKG; going forward must supply the proposed config (checked by whoever goes forward)
      record[f] = undefined;
    } else if (supplied === undefined) {
      defineMissing(record, f, Boolean(sealed.enc), `${hint}supply the ${f === 'lkg' ? 'LKG (`documents.lkg`, --current FILE)' : 'proposed config (`documents.proposed`, --proposed FILE)'} to resume`);
    } else if (documentHash(supplied) !== sealed[f]) {
      const which = f === 'lkg' ? 'LKG' : 'proposed config';
      throw new ConfgateError('E_JOURNAL_DOCUMENTS', `the supplied ${which} is not the one this rollout used (its hash differs from the journal's ${sealed[f].slice(0, 19)}…)`);
    } else {
      record[f] = supplied;
    }
  }
  record['changes'] = [];
}

function defineMissing(record: Record<string, unknown>, f: 'proposed' | 'lkg', encrypted: boolean, detail: string): void {
  Object.defineProperty(record, f, {
    enumerable: false,
    configurable: true,
    get: () => missing(f === 'lkg' ? 'LKG' : 'proposed config', detail, encrypted),
  });
}
