/**
 * Secrets never appear in reports: values at secret paths are replaced by a short fingerprint
 * (`sha256:` + first 8 hex of the SHA-256 of the value), so a rotation is still visible as a change.
 */
import { createHash } from 'node:crypto';
import { compilePattern, decodePointer, encodePointer, type PathPattern } from './pointer.js';
import type { ResolvedPolicy } from './policy/types.js';
import { isStableDoc, knownWithoutSecretKeys } from './load/stable.js';
import type { Change, ConfigDoc, Finding, GateReport, JsonValue, RolloutPlan } from './types.js';
import { ownKeys, sharedValues } from './diff/keys.js';

/**
 * Key names treated as secrets in every config, whatever the policy says. Matched case-insensitively after removing
 * `-`, `_` and `.` (so `secretKey`, `secret_key` and `SECRET-KEY` are one name). A name is a secret when it:
 * - ends in `password`, `passwd`, `passphrase`, `secret`, `token`, `credential`, `privatekey`, `apikey`,
 *   `secretkey`, `accesskey`, `authkey`, `signingkey`, `encryptionkey`, `bearer`, `cookie` or `pem`, each also in
 *   the plural (`secrets`, `tokens`, `api_keys`), or
 * - contains `accesskey`, `privatekey`, `secretkey` or `apikey` (`access_key_id`, `private_key_pem`), or
 * - starts with `secret`, `password` or `passphrase` followed by more (`secret_value`, `password_hash`), but not
 *   `secretary`.
 * The policy can add names and exempt names (`secretKeys: { add, exempt }`).
 */
export const DEFAULT_SECRET_KEY_PATTERN =
  /^(?:.*(?:passw(?:or)?d|passphrase|secret|token|credential|privatekey|apikey|secretkey|accesskey|authkey|signingkey|encryptionkey|bearer|cookie|pem)s?|.*(?:accesskey|privatekey|secretkey|apikey).*|(?:secret(?!ar)|password|passphrase).+)$/;

/** A key name as the patterns see it: lower case, without `-`, `_` and `.`. */
export function normalizeKeyName(key: string): string {
  return key.toLowerCase().replace(/[-_.]/g, '');
}

/** Short stable fingerprint of a secret value. */
export function fingerprint(value: JsonValue | undefined): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return `«secret sha256:${createHash('sha256').update(text).digest('hex').slice(0, 8)}»`;
}

/** True when a key name looks like a secret (the default names only; see {@link DEFAULT_SECRET_KEY_PATTERN}). */
export function isSecretKey(key: string): boolean {
  // One scan of the key, no regex, no cache look-up: most keys (300,000 `k123` of a generated map) contain none of
  // the words the pattern needs and no separator, and are answered here. Without `-`, `_` and `.` the normalised
  // name is the lower-cased key, so a case-insensitive look for the words in the key itself is the same test.
  const scan = scanKey(key);
  if (scan === NO_WORD) return false;
  // A key without separators is answered directly (cheaper than a cache look-up that misses for the 300,000
  // distinct `key123` of a generated map); a key with separators is normalised once and cached.
  if (scan === WORD) return matchesSecretPattern(key.toLowerCase());
  let hit = keyCache.get(key);
  if (hit === undefined) {
    const norm = normalizeKeyName(key);
    hit = hasSecretWord(norm) && matchesSecretPattern(norm);
    if (keyCache.size < 10_000) keyCache.set(key, hit);
  }
  return hit;
}
const keyCache = new Map<string, boolean>();

/** Names {@link DEFAULT_SECRET_KEY_PATTERN} matches at the end, each also with an `s`. */
const SECRET_ENDINGS = ['passwd', 'password', 'passphrase', 'secret', 'token', 'credential', 'privatekey', 'apikey', 'secretkey', 'accesskey', 'authkey', 'signingkey', 'encryptionkey', 'bearer', 'cookie', 'pem'];
/** The last character of each of {@link SECRET_ENDINGS}. */
const SECRET_ENDING_LAST = new Set(SECRET_ENDINGS.map((w) => w.charCodeAt(w.length - 1)));
/** Names {@link DEFAULT_SECRET_KEY_PATTERN} matches anywhere. */
const SECRET_INSIDE = ['accesskey', 'privatekey', 'secretkey', 'apikey'];
/** Line terminators, which the pattern's `.` does not match. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/**
 * `DEFAULT_SECRET_KEY_PATTERN.test(name)` by string tests instead of the backtracking of its `.*` (a name such as
 * `key123`, of a generated map, is tried at every position by each alternative): its three alternatives are "ends
 * with a name, or a name and `s`", "contains one of four names", "starts with `secret` (not `secretar`),
 * `password` or `passphrase`, and has more". `.` stops at line terminators: a name with one is left to the regex.
 */
export function matchesSecretPattern(name: string): boolean {
  if (LINE_TERMINATOR.test(name)) return DEFAULT_SECRET_KEY_PATTERN.test(name);
  const n = name.length;
  const last = n > 0 ? name.charCodeAt(n - 1) : 0;
  const plural = last === 0x73; // s
  // Every ending ends in one of these letters (or is followed by `s`): other names skip the 16 comparisons.
  if (plural || SECRET_ENDING_LAST.has(last)) {
    for (const w of SECRET_ENDINGS) if (name.endsWith(w) || (plural && name.endsWith(w, n - 1))) return true;
  }
  // Each of these names ends in `key` and has at least 6 characters.
  if (n >= 6 && name.includes('key')) for (const w of SECRET_INSIDE) if (name.includes(w)) return true;
  if (name.startsWith('secret')) return n > 6 && !name.startsWith('ar', 6);
  return (name.startsWith('password') && n > 8) || (name.startsWith('passphrase') && n > 10);
}

/**
 * Keys longer than this are scanned with regular expressions: the character loops below win on the short keys of
 * real configs (no regex call per key), irregexp wins by far on long ones (a 20 MB key: about 1.4 s of loops).
 */
const LONG_KEY = 256;
const SEPARATOR_RE = /[-_.]/;
const SECRET_WORD_RE = /pass|secret|token|credential|key|bearer|cookie|pem/i;

let lastLongKey: string | undefined;
let lastLongScan: typeof NO_WORD | typeof WORD | typeof SEPARATED = 0;

/** {@link scanKey}: no separator and none of the words. */
const NO_WORD = 0;
/** {@link scanKey}: no separator, one of the words. */
const WORD = 1;
/** {@link scanKey}: a separator (`-`, `_`, `.`): the words must be looked for in the normalised name. */
const SEPARATED = 2;

/** What {@link isSecretKey} needs to know of a key before any regex: has it a separator, else has it a word. */
function scanKey(key: string): typeof NO_WORD | typeof WORD | typeof SEPARATED {
  // A long key (a 20 MB key is a hostile case) is scanned by the regex engine, many times faster per character.
  // The same long key is asked about by several passes: the last answer is kept.
  if (key.length > LONG_KEY) {
    if (key !== lastLongKey) {
      lastLongScan = SEPARATOR_RE.test(key) ? SEPARATED : hasSecretWord(key) ? WORD : NO_WORD;
      lastLongKey = key;
    }
    return lastLongScan;
  }
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 0x2d || c === 0x5f || c === 0x2e) return SEPARATED;
  }
  return hasSecretWord(key) ? WORD : NO_WORD;
}

/**
 * Exactly `/pass|secret|token|credential|key|bearer|cookie|pem/i.test(s)` (the words one of which every match of
 * {@link DEFAULT_SECRET_KEY_PATTERN} contains: `pass` for password, passwd and passphrase; `key` for every `*key`
 * name), without a regex. Like that regex (no `u` flag), only ASCII letters match case-insensitively: `c | 0x20`
 * is a lower-case ASCII letter only for that letter in either case.
 */
export function hasSecretWord(s: string): boolean {
  const n = s.length;
  if (n > LONG_KEY) return SECRET_WORD_RE.test(s);
  for (let i = 0; i < n; i++) {
    switch (s.charCodeAt(i) | 0x20) {
      case 0x70: // p: pass, pem
        if (restAt(s, i, 'ass') || restAt(s, i, 'em')) return true;
        break;
      case 0x73: // s: secret
        if (restAt(s, i, 'ecret')) return true;
        break;
      case 0x74: // t: token
        if (restAt(s, i, 'oken')) return true;
        break;
      case 0x63: // c: credential, cookie
        if (restAt(s, i, 'redential') || restAt(s, i, 'ookie')) return true;
        break;
      case 0x6b: // k: key
        if (restAt(s, i, 'ey')) return true;
        break;
      case 0x62: // b: bearer
        if (restAt(s, i, 'earer')) return true;
        break;
    }
  }
  return false;
}

/** True when `rest` (lower-case ASCII letters) follows position `i` of `s`, ASCII case ignored. */
function restAt(s: string, i: number, rest: string): boolean {
  if (i + rest.length >= s.length) return false;
  for (let j = 0; j < rest.length; j++) if ((s.charCodeAt(i + 1 + j) | 0x20) !== rest.charCodeAt(j)) return false;
  return true;
}

/** Secret key names a policy adds to the defaults, and names it exempts from them (policy `secretKeys`). */
export interface SecretKeyNames {
  /** More names treated as secrets: compared like the defaults (case, `-`, `_`, `.` ignored); `*` matches any run. @default [] */
  add?: readonly string[];
  /** Names never treated as secrets by name (a `secrets` path pattern still masks them). Same matching. @default [] */
  exempt?: readonly string[];
}

/** A predicate over key names from a list of names with `*` wildcards, compared after {@link normalizeKeyName}. */
function nameMatcher(names: readonly string[]): ((key: string) => boolean) | undefined {
  if (names.length === 0) return undefined;
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const n of names) {
    const norm = normalizeKeyName(n);
    if (!norm.includes('*')) exact.add(norm);
    else globs.push(new RegExp(`^${norm.split('*').map((x) => x.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')).join('.*')}$`));
  }
  return (key) => {
    const k = normalizeKeyName(key);
    return exact.has(k) || globs.some((g) => g.test(k));
  };
}

/** The key-name test of a policy: the defaults, plus its added names, minus its exempt names. */
function keyTest(names: SecretKeyNames | undefined): { isKey: (key: string) => boolean; adds: boolean } {
  const add = nameMatcher(names?.add ?? []);
  const exempt = nameMatcher(names?.exempt ?? []);
  if (!add && !exempt) return { isKey: isSecretKey, adds: false };
  const cache = new Map<string, boolean>();
  return {
    adds: add !== undefined,
    isKey: (key) => {
      let hit = cache.get(key);
      if (hit === undefined) {
        hit = !(exempt?.(key) ?? false) && (isSecretKey(key) || (add?.(key) ?? false));
        if (cache.size < 10_000) cache.set(key, hit);
      }
      return hit;
    },
  };
}

/** A predicate over JSON Pointers: is the value there (or an ancestor) a secret? */
export function secretMatcher(patterns: readonly string[], isKey: (key: string) => boolean = isSecretKey): (pointer: string) => boolean {
  const compiled: PathPattern[] = patterns.map((p) => compilePattern(p));
  return (pointer) => secretDepth(pointerSegments(pointer), compiled, isKey) !== -1;
}

/** Index of the first segment that is a secret (named like one, or matched by a pattern), or -1. */
function secretDepth(segs: readonly string[], patterns: readonly PathPattern[], isKey: (key: string) => boolean): number {
  for (let i = 1; i <= segs.length; i++) {
    if (isKey(segs[i - 1]!)) return i - 1;
    if (patterns.length > 0) {
      const prefix = segs.slice(0, i);
      if (patterns.some((c) => c.matches(prefix))) return i - 1;
    }
  }
  return -1;
}

/** `decodePointer`, without its unescaping work for the usual pointer that has no `~` (nothing to unescape). */
function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer.includes('~')) return decodePointer(pointer);
  return (pointer.charCodeAt(0) === 47 ? pointer.slice(1) : pointer).split('/');
}

/* ------------------------------------------------------------ URL credentials */

/** `scheme://user:password@`: the password (group 2) of a URL's user information. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)([^\s/?#@]+)@/gi;

/** Add the passwords of URLs in a string (`postgres://u:pw@host`) to `found`. */
function addUrlPasswords(found: Set<string>, s: string): void {
  if (!s.includes('://')) return;
  for (const m of s.matchAll(URL_PASSWORD)) if (m[2]!.length >= 4) found.add(m[2]!);
}

/**
 * True when a string holds the password of a URL (`postgres://u:pw@host`, as {@link createMasker} collects them).
 * The loader uses it so that a document with such a string is never taken as free of secrets.
 */
export function hasUrlPassword(s: string): boolean {
  if (!s.includes('://')) return false;
  for (const m of s.matchAll(URL_PASSWORD)) if (m[2]!.length >= 4) return true;
  return false;
}

/** Replace the password of every URL in a string by its fingerprint, whatever the key the string is under. */
function maskUrlPasswords(s: string): string {
  if (!s.includes('://')) return s;
  return s.replace(URL_PASSWORD, (_m, head: string, pw: string) => `${head}${fingerprint(pw)}@`);
}

/**
 * The walk of {@link collectSecrets} when the policy has no `secrets` patterns (only secret-looking key names
 * count): a stack of plain values, no per-node paths, no per-object key arrays (`for...in` with an own-property
 * check visits the same keys as `Object.keys`). Same result as the general walk, at a fraction of its cost.
 */
function collectBySecretKeys(root: JsonValue, isKey: (key: string) => boolean, found: Set<string>): void {
  const stack: JsonValue[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const child = v[i];
        if (child !== null && typeof child === 'object') stack.push(child!);
        else if (typeof child === 'string') addUrlPasswords(found, child);
      }
      continue;
    }
    // The key list of a large map is shared with the other passes of the evaluation (see diff/keys.ts).
    const keys = ownKeys(v);
    const values = sharedValues(v, keys);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const child = values !== undefined ? values[i] : v[key];
      if (isKey(key)) addSecretValues(found, child);
      else if (child !== null && typeof child === 'object') stack.push(child!);
      else if (typeof child === 'string') addUrlPasswords(found, child);
    }
  }
}
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Add every scalar of a secret subtree to `found` (strings of 4+ characters, numbers of 4+ digits), and the keys of
 * its objects (a secret used as a map key under `api_key:`).
 */
function addSecretValues(found: Set<string>, v: JsonValue | undefined): void {
  const stack: Array<JsonValue | undefined> = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x === 'string' && x.length >= 4) found.add(x);
    else if (typeof x === 'number' && String(x).length >= 4) found.add(String(x));
    else if (Array.isArray(x)) stack.push(...x);
    else if (x !== null && typeof x === 'object') {
      for (const k of Object.keys(x)) {
        if (k.length >= 4) found.add(k);
        stack.push(x[k]);
      }
    }
  }
}

/** The secret values of one document, added to `found`. Iterative walk. */
function collectDocSecrets(value: JsonValue, compiled: CompiledSecrets, found: Set<string>): void {
  const { patterns, isKey } = compiled;
  if (patterns.length === 0) {
    collectBySecretKeys(value, isKey, found);
    return;
  }
  const stack: Array<{ v: JsonValue; segs: string[] | undefined }> = [{ v: value, segs: [] }];
  while (stack.length > 0) {
    const { v, segs } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const isArr = Array.isArray(v);
    const keys = isArr ? undefined : Object.keys(v);
    const n = isArr ? v.length : keys!.length;
    for (let i = 0; i < n; i++) {
      const key = isArr ? String(i) : keys![i]!;
      const child = isArr ? (v as JsonValue[])[i] : (v as Record<string, JsonValue>)[key];
      const childSegs = segs ? [...segs, key] : undefined;
      if ((!isArr && isKey(key)) || (childSegs && patterns.some((p) => p.matches(childSegs)))) {
        addSecretValues(found, child);
        continue;
      }
      if (child !== null && typeof child === 'object') {
        const keep = childSegs && patterns.some((p) => p.couldMatchBelow(childSegs)) ? childSegs : undefined;
        stack.push({ v: child!, segs: keep });
      } else if (typeof child === 'string') addUrlPasswords(found, child);
    }
  }
}

/**
 * Secret values of immutable documents (see `load/stable.ts`: the gate's cached current config), per set of
 * policy patterns: the live config is walked once, not on every evaluation.
 */
const stableDocSecrets = new WeakMap<ConfigDoc, { key: string; found: ReadonlySet<string> }>();

/** Every secret string value found in the documents (for scrubbing free text), longest first. */
function collectSecrets(docs: Array<ConfigDoc | undefined>, compiled: CompiledSecrets, extra: Iterable<string> = []): string[] {
  let found: Set<string> | undefined;
  for (const doc of docs) {
    if (!doc || doc.value === undefined) continue;
    // Without patterns or added names only the default secret-looking keys count, and the loader saw none in this
    // (unchanged) document. (URL passwords in it are still masked wherever a URL is printed.)
    if (compiled.patterns.length === 0 && !compiled.addsNames && knownWithoutSecretKeys(doc)) continue;
    if (isStableDoc(doc)) {
      let hit = stableDocSecrets.get(doc);
      if (hit === undefined || hit.key !== compiled.key) {
        const own = new Set<string>();
        collectDocSecrets(doc.value, compiled, own);
        hit = { key: compiled.key, found: own };
        stableDocSecrets.set(doc, hit);
      }
      if (hit.found.size > 0) {
        found ??= new Set<string>();
        for (const x of hit.found) found.add(x);
      }
      continue;
    }
    found ??= new Set<string>();
    collectDocSecrets(doc.value, compiled, found);
  }
  for (const x of extra) {
    found ??= new Set<string>();
    found.add(x);
  }
  if (found === undefined || found.size === 0) return [];
  return [...found].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

/** The policy's `secrets` patterns and `secretKeys` names, compiled, with the pointer predicate over them. */
interface CompiledSecrets {
  /** Identity of the pattern list and names (their JSON text). */
  key: string;
  patterns: PathPattern[];
  isKey: (key: string) => boolean;
  /** The policy adds names to the defaults (the loader's "no secret keys" mark does not hold for them). */
  addsNames: boolean;
  isSecret: (pointer: string) => boolean;
}

const compiledSecrets = new Map<string, CompiledSecrets>();

/** What {@link createMasker} needs of a policy. */
export interface SecretPolicy {
  secrets: readonly string[];
  secretKeys?: SecretKeyNames | undefined;
}

/** Compile (once per distinct list of patterns and names) the policy's secret settings. */
function compileSecrets(policy: SecretPolicy): CompiledSecrets {
  const names = policy.secretKeys;
  const hasNames = (names?.add?.length ?? 0) + (names?.exempt?.length ?? 0) > 0;
  const key = policy.secrets.length === 0 && !hasNames ? '' : JSON.stringify([policy.secrets, names?.add ?? [], names?.exempt ?? []]);
  let hit = compiledSecrets.get(key);
  if (hit === undefined) {
    const patterns = policy.secrets.map((p) => compilePattern(p));
    const { isKey, adds } = keyTest(names);
    hit = { key, patterns, isKey, addsNames: adds, isSecret: (pointer) => secretDepth(pointerSegments(pointer), patterns, isKey) !== -1 };
    if (compiledSecrets.size >= 64) compiledSecrets.clear();
    compiledSecrets.set(key, hit);
  }
  return hit;
}

/** Shortest secret whose truncated start is looked for (a preview cut it before the scrub saw it whole). */
const PREFIX_SCRUB_MIN = 24;
/** Length of the start of a long secret that counts as the secret. */
const PREFIX_LEN = 16;

/**
 * Replace every secret in a text by its fingerprint: exact occurrences, then the start of a long secret that a
 * preview or a column cut short (`ghp_abcdefghijklmnop...` is masked although the whole secret is not there), then
 * the password of every URL.
 */
function scrubString(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(fingerprint(secret));
  for (const secret of secrets) {
    if (secret.length < PREFIX_SCRUB_MIN) continue;
    const head = secret.slice(0, PREFIX_LEN);
    let from = 0;
    let at: number;
    while ((at = out.indexOf(head, from)) !== -1) {
      let end = at + PREFIX_LEN;
      while (end < out.length && end - at < secret.length && out[end] === secret[end - at]) end++;
      if (out.startsWith('...', end)) end += 3;
      const fp = fingerprint(secret);
      out = out.slice(0, at) + fp + out.slice(end);
      from = at + fp.length;
    }
  }
  return maskUrlPasswords(out);
}

function scrubValue(v: JsonValue | undefined, secrets: readonly string[]): JsonValue | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v === 'string') return scrubString(v, secrets);
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => scrubValue(x, secrets) as JsonValue);
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(v)) {
    Object.defineProperty(out, secrets.length === 0 ? k : scrubString(k, secrets), { value: scrubValue(v[k], secrets), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Replace every secret value in a value by its fingerprint, walking secret keys too. */
function maskTree(v: JsonValue | undefined, pointer: string, compiled: CompiledSecrets): JsonValue | undefined {
  if (v === undefined) return v;
  if (compiled.isSecret(pointer)) return fingerprint(v);
  return maskBelow(v, compiled.patterns.length > 0 ? pointerSegments(pointer) : undefined, compiled);
}

/**
 * {@link maskTree} below a pointer known not to be secret (nor any of its ancestors): a child is secret exactly when
 * its own key looks like a secret or a pattern matches its segments, so its pointer is never decoded again.
 * `segs` is only tracked when there are patterns.
 */
function maskBelow(v: JsonValue, segs: string[] | undefined, compiled: CompiledSecrets): JsonValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x, i) => maskChild(x, String(i), true, segs, compiled) as JsonValue);
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(v)) {
    const masked = maskChild(v[k], k, false, segs, compiled);
    // An own `__proto__` key must stay data: define it (an assignment would set the prototype).
    if (k === '__proto__') Object.defineProperty(out, k, { value: masked, enumerable: true, writable: true, configurable: true });
    else out[k] = masked as JsonValue;
  }
  return out;
}

function maskChild(x: JsonValue | undefined, key: string, index: boolean, segs: string[] | undefined, compiled: CompiledSecrets): JsonValue | undefined {
  if (x === undefined) return x;
  const childSegs = segs ? [...segs, key] : undefined;
  // An array index (digits only) never looks like a secret key name.
  if ((!index && compiled.isKey(key)) || (childSegs !== undefined && compiled.patterns.some((p) => p.matches(childSegs)))) return fingerprint(x);
  return maskBelow(x, childSegs, compiled);
}

/* ------------------------------------------------------------------ paths */

/** `[field=value]` segment of a keyed list entry in `Change.path` (see diff/path.ts), unescaped. */
const KEYED_SEGMENT = /^\[((?:[^\\=]|\\.)*)=((?:[^\\]|\\.)*)\]$/s;
const unescapeKeyed = (s: string): string => s.replace(/\\(.)/gs, '$1');

/**
 * Mask the segments of a path that are secrets: every segment below a secret-named key or a `secrets` pattern (a
 * secret used as a map key), the value of a keyed-list segment `[token=…]` whose field is secret-named, and any
 * secret text. Works on plain JSON Pointers and on `Change.path` (keyed segments).
 */
function maskPathWith(path: string, compiled: CompiledSecrets, secrets: readonly string[]): string {
  if (path === '') return path;
  const segs = pointerSegments(path);
  // Keyed segments name their field: judge a secret by the field, as the value's own pointer would be.
  const plain = segs.map((seg) => {
    const m = KEYED_SEGMENT.exec(seg);
    return m ? String(0) : seg;
  });
  const depth = secretDepth(plain, compiled.patterns, compiled.isKey);
  let changed = false;
  const out = segs.map((seg, i) => {
    if (depth !== -1 && i > depth) {
      changed = true;
      return fingerprint(seg);
    }
    const m = KEYED_SEGMENT.exec(seg);
    if (m && compiled.isKey(unescapeKeyed(m[1]!))) {
      changed = true;
      return `[${m[1]!}=${fingerprint(unescapeKeyed(m[2]!))}]`;
    }
    const scrubbed = scrubString(seg, secrets);
    if (scrubbed !== seg) changed = true;
    return scrubbed;
  });
  return changed ? encodePointer(out) : path;
}

/* ------------------------------------------------------------------ masker */

/** Masks secrets of one pair of documents in changes, free text, values and paths. */
export interface Masker {
  changes(changes: readonly Change[]): Change[];
  text(s: string): string;
  value<T extends JsonValue | undefined>(v: T): T;
  /** A JSON Pointer or a `Change.path` with its secret segments masked. */
  path(p: string): string;
}

/**
 * Build a masker for the secrets (policy `secrets` patterns, secret-looking keys and the policy's `secretKeys`,
 * passwords in URLs) found in the documents. `extra` adds known secret strings (e.g. secret-named target labels).
 */
export function createMasker(policy: SecretPolicy, docs: Array<ConfigDoc | undefined>, extra: Iterable<string> = [], sides: MaskSides = {}): Masker {
  const compiled = compileSecrets(policy);
  const secrets = collectSecrets(docs, compiled, extra);
  // Keys judged by name only (no patterns, no added names): a side whose keys the loader saw none secret of needs no
  // judging, its values no walk for secret keys.
  const byNameOnly = compiled.patterns.length === 0 && !compiled.addsNames;
  const plainNew = byNameOnly && sides.plainNewKeys === true;
  const plainOld = byNameOnly && sides.plainOldKeys === true;
  const shareNew = compiled.patterns.length === 0 && sides.shareNew === true;
  const mask = (v: JsonValue | undefined, pointer: string) => scrubValue(maskTree(v, pointer, compiled), secrets) as JsonValue;
  const path = (p: string): string => maskPathWith(p, compiled, secrets);
  // What a path must not contain for its segments to be free of secret text: each secret, or the start of a long
  // one (see scrubString).
  const probes = secrets.map((x) => (x.length >= PREFIX_SCRUB_MIN ? x.slice(0, PREFIX_LEN) : x));
  return {
    changes: (changes) =>
      changes.map((c) => {
        const p = c.pointer;
        // Fast path (the usual change): a pointer whose segments are not secret by name or pattern, and hold no
        // secret text, is its own masked path; its values are masked below it without judging the pointer again.
        const segs = clearSegments(p, probes, compiled, c.kind === 'removed' ? plainOld : plainNew);
        const clear = segs !== undefined;
        if (clear) {
          const cPath = c.path === p ? p : path(c.path);
          const oldValue = c.oldValue === undefined ? undefined : maskClear(c.oldValue, segs, compiled, secrets);
          const newValue =
            c.newValue === undefined ? undefined : shareNew && unmaskedBelow(c.newValue, plainNew, compiled, secrets) ? c.newValue : maskClear(c.newValue, segs, compiled, secrets);
          // Nothing to mask (scalars without secret text): the change itself, not a copy of it.
          if (cPath === c.path && oldValue === c.oldValue && newValue === c.newValue) return c;
          const masked = { ...c, path: cPath, pointer: p };
          if (oldValue !== undefined) masked.oldValue = oldValue;
          if (newValue !== undefined) masked.newValue = newValue;
          return masked;
        }
        const pointer = path(p);
        const masked = { ...c, path: c.path === p ? pointer : path(c.path), pointer };
        if (c.oldValue !== undefined) masked.oldValue = mask(c.oldValue, p);
        if (c.newValue !== undefined) masked.newValue = mask(c.newValue, p);
        return masked;
      }),
    text: (s) => scrubString(s, secrets),
    value: <T extends JsonValue | undefined>(v: T) => scrubValue(v, secrets) as T,
    path,
  };
}

/**
 * The segments of a pointer that is not secret and that {@link maskPathWith} keeps as it is, else undefined. That is
 * a `/`-rooted pointer without `~` (its segments are its own substrings, none containing `/`, so none holds a URL),
 * without a segment that looks keyed (`[field=value]`, which always follows a `/`), without any secret text (a
 * segment, a substring of the pointer, cannot hold what the pointer does not), and none of whose segments is secret
 * by name or pattern. Without patterns the segments are judged one by one without a list, and
 * {@link NO_SEGMENTS} is returned (the list is only needed to match patterns below the pointer).
 */
function clearSegments(pointer: string, probes: readonly string[], compiled: CompiledSecrets, plainKeys = false): string[] | undefined {
  // The root (a first push of a list or a scalar): no segment to be secret, unless a pattern could name the root.
  if (pointer.length === 0) return compiled.patterns.length === 0 ? NO_SEGMENTS : undefined;
  if (pointer.charCodeAt(0) !== 47 || pointer.indexOf('~') !== -1 || pointer.indexOf('/[') !== -1) return undefined;
  for (let i = 0; i < probes.length; i++) if (pointer.includes(probes[i]!)) return undefined;
  // Its segments are keys of a document in which the loader found no secret-looking key (or list indexes).
  if (plainKeys) return NO_SEGMENTS;
  if (compiled.patterns.length > 0) {
    const segs = pointer.slice(1).split('/');
    return secretDepth(segs, compiled.patterns, compiled.isKey) === -1 ? segs : undefined;
  }
  const isKey = compiled.isKey;
  for (let from = 1; ; ) {
    const end = pointer.indexOf('/', from);
    if (isKey(end === -1 ? pointer.slice(from) : pointer.slice(from, end))) return undefined;
    if (end === -1) return NO_SEGMENTS;
    from = end + 1;
  }
}
/** {@link clearSegments} of a clear pointer when there are no patterns to match. */
const NO_SEGMENTS: string[] = [];

/** What {@link createMasker} may assume of the changes it masks (see {@link maskReport}). */
export interface MaskSides {
  /**
   * A `newValue` in which nothing is masked may be handed out as it is rather than copied (its document is not one
   * the gate keeps for later evaluations).
   * @default false
   */
  shareNew?: boolean | undefined;
  /** The pointers of changes other than `removed`, and the keys in their values, are keys of a document in which the loader found no secret-looking key. @default false */
  plainNewKeys?: boolean | undefined;
  /** The same for `removed` changes (pointers into the current document). @default false */
  plainOldKeys?: boolean | undefined;
}

/**
 * True when `maskScrubBelow(v, undefined, compiled, secrets)` (no patterns) would give a value equal to `v`: no key
 * below is secret (not judged when `plainKeys`) or holds secret text, no string holds secret text or a URL password.
 * A walk that allocates nothing, instead of a copy of a subtree that is usually left as it is.
 */
function unmaskedBelow(v: JsonValue, plainKeys: boolean, compiled: CompiledSecrets, secrets: readonly string[]): boolean {
  if (v === null || typeof v !== 'object') return typeof v !== 'string' || scrubString(v, secrets) === v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== undefined && !unmaskedBelow(x, plainKeys, compiled, secrets)) return false;
    }
    return true;
  }
  const keys = ownKeys(v);
  const values = sharedValues(v, keys);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!plainKeys && compiled.isKey(k)) return false;
    if (secrets.length > 0 && scrubString(k, secrets) !== k) return false;
    const x = values !== undefined ? values[i] : v[k];
    if (x !== undefined && !unmaskedBelow(x, plainKeys, compiled, secrets)) return false;
  }
  return true;
}

/** `mask(v, pointer)` of {@link createMasker} for a pointer known not to be secret, with its segments `segs`. */
function maskClear(v: JsonValue, segs: string[], compiled: CompiledSecrets, secrets: readonly string[]): JsonValue {
  return maskScrubBelow(v, compiled.patterns.length > 0 ? segs : undefined, compiled, secrets);
}

/**
 * `scrubValue(maskBelow(v, segs, compiled), secrets)` in one walk and one copy: each secret child becomes its
 * fingerprint (then scrubbed, as scrubValue scrubs every string), each other string is scrubbed, each key is
 * scrubbed when there are secrets. Objects are built in the same key order with the same scrubbed keys, so a key
 * that two keys scrub to holds the later value at the first one's place, as with the two walks.
 */
function maskScrubBelow(v: JsonValue, segs: string[] | undefined, compiled: CompiledSecrets, secrets: readonly string[]): JsonValue {
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? scrubString(v, secrets) : v;
  if (Array.isArray(v)) return v.map((x, i) => maskScrubChild(x, String(i), true, segs, compiled, secrets) as JsonValue);
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(v)) {
    const masked = maskScrubChild(v[k], k, false, segs, compiled, secrets) as JsonValue;
    const key = secrets.length === 0 ? k : scrubString(k, secrets);
    // An own `__proto__` key must stay data: define it (an assignment would set the prototype).
    if (key === '__proto__') Object.defineProperty(out, key, { value: masked, enumerable: true, writable: true, configurable: true });
    else out[key] = masked;
  }
  return out;
}

function maskScrubChild(x: JsonValue | undefined, key: string, index: boolean, segs: string[] | undefined, compiled: CompiledSecrets, secrets: readonly string[]): JsonValue | undefined {
  if (x === undefined) return x;
  const childSegs = segs ? [...segs, key] : undefined;
  // An array index (digits only) never looks like a secret key name.
  if ((!index && compiled.isKey(key)) || (childSegs !== undefined && compiled.patterns.some((p) => p.matches(childSegs)))) return scrubString(fingerprint(x), secrets);
  return maskScrubBelow(x, childSegs, compiled, secrets);
}

/**
 * The straightforward masking of changes (every path and pointer decoded and judged, every value masked from its
 * pointer): what {@link Masker.changes} gives, without its fast path. For tests.
 */
export function maskChangesSimple(policy: SecretPolicy, docs: Array<ConfigDoc | undefined>, changes: readonly Change[], extra: Iterable<string> = []): Change[] {
  const compiled = compileSecrets(policy);
  const secrets = collectSecrets(docs, compiled, extra);
  const mask = (v: JsonValue | undefined, pointer: string) => scrubValue(maskTree(v, pointer, compiled), secrets) as JsonValue;
  const path = (p: string): string => maskPathWith(p, compiled, secrets);
  return changes.map((c) => {
    const masked = { ...c, path: path(c.path), pointer: path(c.pointer) };
    if (c.oldValue !== undefined) masked.oldValue = mask(c.oldValue, c.pointer);
    if (c.newValue !== undefined) masked.newValue = mask(c.newValue, c.pointer);
    return masked;
  });
}

/** The values of secret-named labels of the plan's targets (so that messages quoting them are scrubbed too). */
function labelSecrets(plan: RolloutPlan | undefined, isKey: (key: string) => boolean): string[] {
  const out: string[] = [];
  for (const w of plan?.waves ?? []) {
    for (const t of w.targets) for (const [k, v] of Object.entries(t.labels)) if (isKey(k) && v.length >= 4) out.push(v);
  }
  return out;
}

/** A plan with the values of secret-named target labels (`api_token: …`) replaced by their fingerprint. */
export function maskPlan(plan: RolloutPlan, policy: SecretPolicy): RolloutPlan {
  const { isKey } = compileSecrets(policy);
  const secrets = [...new Set(labelSecrets(plan, isKey))].sort((a, b) => b.length - a.length);
  const text = (s: string): string => scrubString(s, secrets);
  return {
    ...plan,
    waves: plan.waves.map((w) => ({
      ...w,
      targets: w.targets.map((t) => {
        let labels = t.labels;
        for (const k of Object.keys(t.labels)) {
          if (isKey(k)) {
            if (labels === t.labels) labels = { ...t.labels };
            labels[k] = fingerprint(t.labels[k]!);
          }
        }
        return labels === t.labels && text(t.id) === t.id ? t : { ...t, id: text(t.id), labels };
      }),
    })),
    notes: plan.notes.map((n) => ({ ...n, targetId: text(n.targetId), reason: text(n.reason) })),
    warnings: plan.warnings.map(text),
  };
}

/** One finding with its path, message and detail masked. */
function maskFinding(f: Finding, m: Masker, isSecret: (pointer: string) => boolean): Finding {
  const path = f.path === undefined ? {} : { path: m.path(f.path) };
  // A finding quoting a literal at a secret path (a number that lost precision): the literal and the number it
  // reads as are not in the parsed values the masker knows, so replace them here.
  if (f.path !== undefined && f.detail && typeof f.detail['literal'] === 'string' && isSecret(f.path)) {
    return {
      ...f,
      ...path,
      message: `The secret number at ${m.path(f.path)} cannot be represented exactly as a number, so a change to it could be invisible. Quote it as a string.`,
      detail: { literal: fingerprint(f.detail['literal']) },
    };
  }
  return { ...f, ...path, message: m.text(f.message), ...(f.detail ? { detail: m.value(f.detail) } : {}) };
}

/** Mask secrets in a gate report: values and path segments at secret paths, secret-named target labels, and any secret text in messages or details. */
export function maskReport(report: GateReport, policy: ResolvedPolicy, proposed: ConfigDoc, current: ConfigDoc | undefined): GateReport {
  const compiled = compileSecrets(policy);
  // The report's changes are the diff of these two documents: their pointers and values are theirs. A current document
  // may be one the gate keeps for the next evaluations (its values are always copied); the proposed one never is.
  const m = createMasker(policy, [proposed, current], labelSecrets(report.plan, compiled.isKey), {
    shareNew: true,
    plainNewKeys: knownWithoutSecretKeys(proposed),
    plainOldKeys: current !== undefined && knownWithoutSecretKeys(current),
  });
  const isSecret = compiled.isSecret;
  return {
    ...report,
    findings: report.findings.map((f) => maskFinding(f, m, isSecret)),
    factors: report.factors.map((x) => ({ ...x, detail: m.text(x.detail) })),
    changes: { ...report.changes, changes: m.changes(report.changes.changes) },
    ...(report.plan ? { plan: maskPlan(report.plan, policy) } : {}),
  };
}

/** One member of a config set, for {@link maskSetReport}: its documents and the policy as it applies to it. */
export interface SetMemberSecrets {
  file: string;
  policy: SecretPolicy;
  proposed?: ConfigDoc | undefined;
  current?: ConfigDoc | undefined;
}

/**
 * {@link maskReport} for a config set: paths and values of each member are masked with the `secrets` patterns that
 * apply to that member (`GLOB#` patterns), and free text anywhere is scrubbed of the secrets of every member (a rule
 * on one file can quote another file's value).
 */
export function maskSetReport(report: GateReport, policy: ResolvedPolicy, members: readonly SetMemberSecrets[]): GateReport {
  const top = compileSecrets(policy);
  const extra = setSecretStrings(members, labelSecrets(report.plan, top.isKey));
  const byFile = new Map(members.map((m) => [m.file, m]));
  const cache = new Map<string, { m: Masker; isSecret: (pointer: string) => boolean }>();
  const forFile = (file: string | undefined): { m: Masker; isSecret: (pointer: string) => boolean } => {
    const key = file !== undefined && byFile.has(file) ? file : '';
    let hit = cache.get(key);
    if (!hit) {
      const p = key === '' ? policy : byFile.get(key)!.policy;
      hit = { m: createMasker(p, [], extra), isSecret: compileSecrets(p).isSecret };
      cache.set(key, hit);
    }
    return hit;
  };
  const text = forFile(undefined).m;
  return {
    ...report,
    findings: report.findings.map((f) => {
      const { m, isSecret } = forFile(f.file);
      return maskFinding(f, m, isSecret);
    }),
    factors: report.factors.map((x) => ({ ...x, detail: text.text(x.detail) })),
    changes: { ...report.changes, changes: report.changes.changes.map((c) => forFile(c.file).m.changes([c])[0]!) },
    ...(report.plan ? { plan: maskPlan(report.plan, policy) } : {}),
  };
}

/** Every secret string of the members of a set, each found with the patterns that apply to it, plus `extra`. */
export function setSecretStrings(members: readonly SetMemberSecrets[], extra: Iterable<string> = []): string[] {
  const found = new Set<string>(extra);
  for (const m of members) for (const s of collectSecrets([m.proposed, m.current], compileSecrets(m.policy))) found.add(s);
  return [...found];
}
