/**
 * Secrets never appear in reports: values at secret paths are replaced by a short fingerprint
 * (`sha256:` + first 8 hex of the SHA-256 of the value), so a rotation is still visible as a change.
 */
import { createHash } from 'node:crypto';
import { compilePattern, decodePointer, type PathPattern } from './pointer.js';
import type { ResolvedPolicy } from './policy/types.js';
import { isStableDoc, knownWithoutSecretKeys } from './load/stable.js';
import type { Change, ConfigDoc, GateReport, JsonValue } from './types.js';

/**
 * Key names treated as secrets in every config, whatever the policy says. Matched case-insensitively after removing
 * `-` and `_`: names ending in `password`, `passwd`, `secret`, `token`, `private_key`, `api_key`, `credential(s)`, and
 * names containing `access_key`.
 */
export const DEFAULT_SECRET_KEY_PATTERN = /^(?:.*passw(?:or)?d|.*privatekey|.*apikey|.*credentials?|.*accesskey.*|.*secret|.*token)$/;

/** Short stable fingerprint of a secret value. */
export function fingerprint(value: JsonValue | undefined): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return `«secret sha256:${createHash('sha256').update(text).digest('hex').slice(0, 8)}»`;
}

/** True when a key name looks like a secret. */
export function isSecretKey(key: string): boolean {
  let hit = keyCache.get(key);
  if (hit === undefined) {
    hit = DEFAULT_SECRET_KEY_PATTERN.test(key.toLowerCase().replace(/[-_]/g, ''));
    if (keyCache.size < 10_000) keyCache.set(key, hit);
  }
  return hit;
}
const keyCache = new Map<string, boolean>();

/** A predicate over JSON Pointers: is the value there (or an ancestor) a secret? */
export function secretMatcher(patterns: readonly string[]): (pointer: string) => boolean {
  const compiled: PathPattern[] = patterns.map((p) => compilePattern(p));
  return (pointer) => {
    const segs = pointerSegments(pointer);
    for (let i = 1; i <= segs.length; i++) {
      if (isSecretKey(segs[i - 1]!)) return true;
      if (compiled.length > 0) {
        const prefix = segs.slice(0, i);
        if (compiled.some((c) => c.matches(prefix))) return true;
      }
    }
    return false;
  };
}

/** `decodePointer`, without its unescaping work for the usual pointer that has no `~` (nothing to unescape). */
function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer.includes('~')) return decodePointer(pointer);
  return (pointer.charCodeAt(0) === 47 ? pointer.slice(1) : pointer).split('/');
}

/**
 * The walk of {@link collectSecrets} when the policy has no `secrets` patterns (only secret-looking key names
 * count): a stack of plain values, no per-node paths, no per-object key arrays (`for...in` with an own-property
 * check visits the same keys as `Object.keys`). Same result as the general walk, at a fraction of its cost.
 */
function collectBySecretKeys(root: JsonValue, add: (v: JsonValue | undefined) => void): void {
  const stack: JsonValue[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const child = v[i];
        if (child !== null && typeof child === 'object') stack.push(child!);
      }
      continue;
    }
    for (const key in v) {
      if (!hasOwn.call(v, key)) continue;
      const child = v[key];
      if (isSecretKey(key)) add(child);
      else if (child !== null && typeof child === 'object') stack.push(child!);
    }
  }
}
const hasOwn = Object.prototype.hasOwnProperty;

/** Add every scalar of a secret subtree to `found` (strings of 4+ characters, numbers of 4+ digits). */
function addSecretValues(found: Set<string>, v: JsonValue | undefined): void {
  const stack: Array<JsonValue | undefined> = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x === 'string' && x.length >= 4) found.add(x);
    else if (typeof x === 'number' && String(x).length >= 4) found.add(String(x));
    else if (x !== null && typeof x === 'object') stack.push(...(Array.isArray(x) ? x : Object.values(x)));
  }
}

/** The secret values of one document, added to `found`. Iterative walk. */
function collectDocSecrets(value: JsonValue, patterns: readonly PathPattern[], found: Set<string>): void {
  const add = (v: JsonValue | undefined): void => addSecretValues(found, v);
  if (patterns.length === 0) {
    collectBySecretKeys(value, add);
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
      if ((!isArr && isSecretKey(key)) || (childSegs && patterns.some((p) => p.matches(childSegs)))) {
        add(child);
        continue;
      }
      if (child !== null && typeof child === 'object') {
        const keep = childSegs && patterns.some((p) => p.couldMatchBelow(childSegs)) ? childSegs : undefined;
        stack.push({ v: child!, segs: keep });
      }
    }
  }
}

/**
 * Secret values of immutable documents (see `load/stable.ts`: the gate's cached current config), per set of
 * policy patterns: the live config is walked once, not on every evaluation.
 */
const stableDocSecrets = new WeakMap<ConfigDoc, { key: string; found: ReadonlySet<string> }>();

/** Every secret string value found in the documents (for scrubbing free text), longest first. */
function collectSecrets(docs: Array<ConfigDoc | undefined>, compiled: CompiledSecrets): string[] {
  let found: Set<string> | undefined;
  for (const doc of docs) {
    if (!doc || doc.value === undefined) continue;
    // Without patterns only secret-looking keys count, and the loader saw none in this (unchanged) document.
    if (compiled.patterns.length === 0 && knownWithoutSecretKeys(doc)) continue;
    if (isStableDoc(doc)) {
      let hit = stableDocSecrets.get(doc);
      if (hit === undefined || hit.key !== compiled.key) {
        const own = new Set<string>();
        collectDocSecrets(doc.value, compiled.patterns, own);
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
    collectDocSecrets(doc.value, compiled.patterns, found);
  }
  if (found === undefined || found.size === 0) return [];
  return [...found].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

/** The policy's `secrets` patterns, compiled, with the pointer predicate over them. */
interface CompiledSecrets {
  /** Identity of the pattern list (its JSON text). */
  key: string;
  patterns: PathPattern[];
  isSecret: (pointer: string) => boolean;
}

const compiledSecrets = new Map<string, CompiledSecrets>();

/** Compile (once per distinct list of patterns) the policy's `secrets` patterns. */
function compileSecrets(patterns: readonly string[]): CompiledSecrets {
  const key = patterns.length === 0 ? '' : JSON.stringify(patterns);
  let hit = compiledSecrets.get(key);
  if (hit === undefined) {
    hit = { key, patterns: patterns.map((p) => compilePattern(p)), isSecret: secretMatcher(patterns) };
    if (compiledSecrets.size >= 64) compiledSecrets.clear();
    compiledSecrets.set(key, hit);
  }
  return hit;
}

function scrubString(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(fingerprint(secret));
  return out;
}

function scrubValue(v: JsonValue | undefined, secrets: readonly string[]): JsonValue | undefined {
  if (secrets.length === 0 || v === undefined || v === null) return v;
  if (typeof v === 'string') return scrubString(v, secrets);
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => scrubValue(x, secrets) as JsonValue);
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(v)) {
    Object.defineProperty(out, k, { value: scrubValue(v[k], secrets), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Replace every secret value in a value by its fingerprint, walking secret keys too. */
function maskTree(v: JsonValue | undefined, pointer: string, compiled: CompiledSecrets): JsonValue | undefined {
  if (v === undefined) return v;
  if (compiled.isSecret(pointer)) return fingerprint(v);
  return maskBelow(v, compiled.patterns.length > 0 ? pointerSegments(pointer) : undefined, compiled.patterns);
}

/**
 * {@link maskTree} below a pointer known not to be secret (nor any of its ancestors): a child is secret exactly when
 * its own key looks like a secret or a pattern matches its segments, so its pointer is never decoded again.
 * `segs` is only tracked when there are patterns.
 */
function maskBelow(v: JsonValue, segs: string[] | undefined, patterns: readonly PathPattern[]): JsonValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x, i) => maskChild(x, String(i), true, segs, patterns) as JsonValue);
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(v)) {
    const masked = maskChild(v[k], k, false, segs, patterns);
    // An own `__proto__` key must stay data: define it (an assignment would set the prototype).
    if (k === '__proto__') Object.defineProperty(out, k, { value: masked, enumerable: true, writable: true, configurable: true });
    else out[k] = masked as JsonValue;
  }
  return out;
}

function maskChild(x: JsonValue | undefined, key: string, index: boolean, segs: string[] | undefined, patterns: readonly PathPattern[]): JsonValue | undefined {
  if (x === undefined) return x;
  const childSegs = segs ? [...segs, key] : undefined;
  // An array index (digits only) never looks like a secret key name.
  if ((!index && isSecretKey(key)) || (childSegs !== undefined && patterns.some((p) => p.matches(childSegs)))) return fingerprint(x);
  return maskBelow(x, childSegs, patterns);
}

/** Masks secrets of one pair of documents in changes, free text and values. */
export interface Masker {
  changes(changes: readonly Change[]): Change[];
  text(s: string): string;
  value<T extends JsonValue | undefined>(v: T): T;
}

/** Build a masker for the secrets (policy `secrets` patterns and secret-looking keys) found in the documents. */
export function createMasker(policy: Pick<ResolvedPolicy, 'secrets'>, docs: Array<ConfigDoc | undefined>): Masker {
  const compiled = compileSecrets(policy.secrets);
  const secrets = collectSecrets(docs, compiled);
  const mask = (v: JsonValue | undefined, pointer: string) => scrubValue(maskTree(v, pointer, compiled), secrets) as JsonValue;
  return {
    changes: (changes) =>
      changes.map((c) => {
        const masked = { ...c };
        if (c.oldValue !== undefined) masked.oldValue = mask(c.oldValue, c.pointer);
        if (c.newValue !== undefined) masked.newValue = mask(c.newValue, c.pointer);
        return masked;
      }),
    text: (s) => scrubString(s, secrets),
    value: <T extends JsonValue | undefined>(v: T) => scrubValue(v, secrets) as T,
  };
}

/** Mask secrets in a gate report: changed values at secret paths and any secret text in messages or details. */
export function maskReport(report: GateReport, policy: ResolvedPolicy, proposed: ConfigDoc, current: ConfigDoc | undefined): GateReport {
  const m = createMasker(policy, [proposed, current]);
  const isSecret = compileSecrets(policy.secrets).isSecret;
  return {
    ...report,
    findings: report.findings.map((f) => {
      // A finding quoting a literal at a secret path (a number that lost precision): the literal and the number it
      // reads as are not in the parsed values the masker knows, so replace them here.
      if (f.path !== undefined && f.detail && typeof f.detail['literal'] === 'string' && isSecret(f.path)) {
        return {
          ...f,
          message: `The secret number at ${f.path} cannot be represented exactly as a number, so a change to it could be invisible. Quote it as a string.`,
          detail: { literal: fingerprint(f.detail['literal']) },
        };
      }
      return { ...f, message: m.text(f.message), ...(f.detail ? { detail: m.value(f.detail) } : {}) };
    }),
    factors: report.factors.map((x) => ({ ...x, detail: m.text(x.detail) })),
    changes: { ...report.changes, changes: m.changes(report.changes.changes) },
  };
}
