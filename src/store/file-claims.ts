/**
 * Per-target claims of the file store (ONE host): two rollouts on different scopes that share a target never run at
 * once, as with the PostgreSQL store.
 *
 * A claim is one file per lease holder in `<lockDir>/claims/`, named after the scope's lock directory and the holder's
 * fencing token (`<scope dir>-000000000007.claim`), holding `{ scope, token, targets }`; it is published whole
 * (temporary file, `fsync`, `rename`). To start a rollout a holder first publishes its claim, THEN reads every other
 * claim: of two holders that start at the same moment at least the later reader sees the other's claim (both may see
 * each other, and then both are refused: never both run). A claim counts while its scope's lease is still held with
 * that token and is not open to take-over (not expired; on this host, its holder alive). A claim whose lease moved on
 * (released, taken over) is deleted when seen: its token is in its name, so a newer claim of that scope is never
 * deleted by mistake.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfgateError } from '../errors.js';
import { FileLease, scopeDir } from './file-lease.js';
import { currentHolder, describeHolder, holderAlive, type LockHolder } from './holder.js';

interface ClaimFile {
  scope: string;
  token: number;
  targets: string[];
}

/** What a claim's lease says about it. */
type Liveness = { live: true; holder: LockHolder } | { live: false; gone: boolean };

/** Claims of the rollouts on one host (see the module documentation). */
export class FileClaims {
  readonly dir: string;

  constructor(readonly lockDir: string) {
    this.dir = path.join(lockDir, 'claims');
  }

  #name(scope: string, token: number): string {
    return `${path.basename(scopeDir(this.lockDir, scope))}-${String(token).padStart(12, '0')}.claim`;
  }

  async #liveness(c: ClaimFile): Promise<Liveness> {
    const rec = await new FileLease(this.lockDir, c.scope, 1).current();
    if (!rec || rec.token !== c.token) return { live: false, gone: rec === undefined || rec.token > c.token };
    if (rec.state !== 'held') return { live: false, gone: true };
    if (rec.holder.host !== currentHolder().host) return { live: true, holder: rec.holder }; // never judged from here
    if (Date.parse(rec.expiresAt) <= Date.now() || !holderAlive(rec.holder)) return { live: false, gone: false };
    return { live: true, holder: rec.holder };
  }

  /**
   * Claim `targets` for the holder of `scope` with `token`. With `refuse`, throw `E_ROLLOUT_LOCKED` (and withdraw the
   * claim) when another scope's live claim shares a target; without it (a resume re-claiming the targets of the
   * rollout it took over), only publish.
   */
  async claim(scope: string, token: number, targets: readonly string[], refuse: boolean): Promise<void> {
    const own = this.#name(scope, token);
    const file = path.join(this.dir, own);
    const tmp = path.join(this.dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify({ scope, token, targets: [...targets] } satisfies ClaimFile));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new ConfgateError('E_JOURNAL', `cannot write the target claims in ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
    if (!refuse) return;
    const mine = new Set(targets);
    const clashes: { scope: string; holder: LockHolder; ids: string[] }[] = [];
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      await unlink(file).catch(() => undefined);
      throw new ConfgateError('E_JOURNAL', `cannot read the target claims in ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
    for (const n of names) {
      if (!n.endsWith('.claim') || n === own) continue;
      let c: ClaimFile;
      try {
        c = JSON.parse(await readFile(path.join(this.dir, n), 'utf8')) as ClaimFile;
      } catch {
        continue; // deleted meanwhile (claims are published whole)
      }
      if (typeof c.scope !== 'string' || !Number.isSafeInteger(c.token) || !Array.isArray(c.targets)) continue;
      if (c.scope === scope) {
        if (c.token < token) await unlink(path.join(this.dir, n)).catch(() => undefined); // our scope's older claim
        continue;
      }
      const l = await this.#liveness(c);
      if (!l.live) {
        if (l.gone) await unlink(path.join(this.dir, n)).catch(() => undefined);
        continue;
      }
      const ids = c.targets.filter((id) => mine.has(id));
      if (ids.length > 0) clashes.push({ scope: c.scope, holder: l.holder, ids });
    }
    if (clashes.length === 0) return;
    await unlink(file).catch(() => undefined);
    const first = clashes[0]!;
    const ids = first.ids.slice(0, 5);
    const more = first.ids.length > ids.length ? ` and ${first.ids.length - ids.length} more` : '';
    throw new ConfgateError(
      'E_ROLLOUT_LOCKED',
      `target${first.ids.length > 1 ? 's' : ''} ${ids.join(', ')}${more} ${first.ids.length > 1 ? 'are' : 'is'} claimed by scope ${first.scope} (${describeHolder(first.holder)})${clashes.length > 1 ? ` (and targets by ${clashes.length - 1} other scope${clashes.length > 2 ? 's' : ''})` : ''}: two rollouts never change one target at once`,
    );
  }

  /** Withdraw the claim of `scope` at `token` (best effort: a claim whose lease moved on counts for nothing anyway). */
  async release(scope: string, token: number): Promise<void> {
    await unlink(path.join(this.dir, this.#name(scope, token))).catch(() => undefined);
  }
}
