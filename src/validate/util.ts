/** Small helpers shared by the validate checks. */
import { canonical } from '../json.js';
import type { ConfigDoc, Finding, JsonValue, RuleId, Severity } from '../types.js';

/** Builds findings for one document, with `location` from `doc.locate(path)`. */
export function makeFinding(
  doc: ConfigDoc,
  rule: RuleId,
  severity: Severity,
  message: string,
  path: string,
  detail?: Record<string, JsonValue>,
  document?: Finding['document'],
): Finding {
  const f: Finding = { rule, severity, message, path };
  if (document && document !== 'proposed') f.document = document;
  const loc = doc.locate(path);
  if (loc) f.location = loc;
  if (detail) f.detail = detail;
  return f;
}

/** `/features` for messages; the root is shown as `/`. */
export function showPath(pointer: string): string {
  return '`' + (pointer === '' ? '/' : pointer) + '`';
}

/** A value for messages: strings raw, others as JSON, shortened. */
export function preview(value: unknown, max = 60): string {
  let s: string;
  if (value === undefined) s = 'undefined';
  else if (typeof value === 'string') s = value;
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = String(value);
    }
  }
  return '`' + (s.length > max ? s.slice(0, max - 3) + '...' : s) + '`';
}


/** Key of a keyed-list entry as a map key (strings as is, other scalars tagged so `1` and `"1"` differ). */
export function entryKey(entry: JsonValue | undefined, field: string): string | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
  if (!Object.prototype.hasOwnProperty.call(entry, field)) return undefined;
  const v = entry[field];
  if (typeof v === 'string') return v;
  if (v === undefined) return undefined;
  return '\u0001' + canonical(v);
}

/** Human form of an entry key produced by {@link entryKey}. */
export function showKey(key: string): string {
  return key.startsWith('\u0001') ? key.slice(1) : key;
}

/** Result of a duplicate scan of a list. */
export interface DuplicateScan {
  /** Number of entries that repeat an earlier entry. */
  count: number;
  /** Index of the first entry that repeats an earlier one. */
  firstIndex: number;
  /** A few repeated keys (human form). */
  examples: string[];
  /** Entries lacking the key field (keyed scans only). */
  missing: number;
}

const TAG_NULL = 0x6b43a9b5;
const TAG_TRUE = 0x1b873593;
const TAG_FALSE = 0x2c1b3c6d;
const TAG_NUMBER = 0x297a2d39;
const TAG_STRING = 0x5bd1e995;
const TAG_ARRAY = 0x68e31da4;
const TAG_OBJECT = 0x3c6ef372;

function hashString(s: string, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A 32-bit structural hash: deep-equal values (whatever their key order) hash equal. */
export function hashValue(v: JsonValue): number {
  if (v === null) return TAG_NULL;
  switch (typeof v) {
    case 'boolean':
      return v ? TAG_TRUE : TAG_FALSE;
    case 'number':
      return mix(hashString(String(v), TAG_NUMBER));
    case 'string':
      return mix(hashString(v, TAG_STRING));
    default:
      break;
  }
  if (Array.isArray(v)) {
    let h = TAG_ARRAY ^ v.length;
    for (let i = 0; i < v.length; i++) h = mix(Math.imul(h, 31) + hashValue(v[i]!));
    return h;
  }
  // Objects: a commutative sum over properties, so key order does not matter.
  let sum = 0;
  let n = 0;
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    sum = (sum + mix(hashString(k, TAG_OBJECT) ^ Math.imul(hashValue(v[k]!), 0x9e3779b1))) | 0;
    n++;
  }
  return mix(sum ^ Math.imul(n, TAG_OBJECT));
}

/**
 * Scan a list for duplicates, by `field` or (when `field` is undefined) by whole-entry deep equality. Linear time:
 * whole entries are bucketed by a structural hash and only hash collisions are compared (by canonical text, each
 * entry serialised at most once).
 */
export function scanDuplicates(list: readonly JsonValue[], field: string | undefined, keyIndexes?: KeyIndexCache, maxExamples = 5): DuplicateScan {
  const out: DuplicateScan = { count: 0, firstIndex: -1, examples: [], missing: 0 };
  const exampleSet = new Set<string>();
  const note = (i: number, k: string) => {
    out.count++;
    if (out.firstIndex < 0) out.firstIndex = i;
    if (exampleSet.size < maxExamples && !exampleSet.has(k)) {
      exampleSet.add(k);
      out.examples.push(k.length > 80 ? k.slice(0, 77) + '...' : k);
    }
  };
  if (field !== undefined) {
    // Keys in strictly increasing order (generated, sorted files) are unique: no hashing. The key index is then
    // built only if something asks for it (see keyIndex).
    const keys = new Array<string | undefined>(list.length);
    let prev: string | undefined;
    let sorted = true;
    for (let i = 0; i < list.length; i++) {
      const k = entryKey(list[i], field);
      keys[i] = k;
      if (k === undefined) {
        out.missing++;
        continue;
      }
      if (sorted && prev !== undefined && !(prev < k)) sorted = false;
      prev = k;
    }
    if (sorted) {
      if (keyIndexes) keyedInfo(keyIndexes, list, field).scan = { scan: out, maxExamples };
      return out;
    }
    const seen = new Map<string, number>();
    for (let i = 0; i < list.length; i++) {
      const k = keys[i];
      if (k === undefined) continue;
      // One hash operation per entry: a key seen before leaves the size unchanged (the index then points at
      // the latest entry with the key, which is as good a counterpart as any for matching).
      const size = seen.size;
      seen.set(k, i);
      if (seen.size === size) note(i, showKey(k));
    }
    if (keyIndexes) {
      const info = keyedInfo(keyIndexes, list, field);
      info.index = seen;
      info.scan = { scan: out, maxExamples };
    }
    return out;
  }
  // Buckets: hash -> first index, or the set of canonical texts once the hash collides.
  const buckets = new Map<number, number | Set<string>>();
  for (let i = 0; i < list.length; i++) {
    const entry = list[i]!;
    const h = hashValue(entry);
    const b = buckets.get(h);
    if (b === undefined) {
      buckets.set(h, i);
      continue;
    }
    let texts: Set<string>;
    if (typeof b === 'number') {
      texts = new Set([canonical(list[b]!)]);
      buckets.set(h, texts);
    } else texts = b;
    const text = canonical(entry);
    if (texts.has(text)) note(i, text);
    else texts.add(text);
  }
  return out;
}

/**
 * The result of an earlier keyed {@link scanDuplicates} of `list` by `field` in this evaluation (recorded in
 * `keyIndexes`), as a copy; `undefined` when there was none.
 */
export function cachedScan(list: readonly JsonValue[], field: string, keyIndexes: KeyIndexCache | undefined, maxExamples = 5): DuplicateScan | undefined {
  const hit = keyIndexes?.get(list)?.get(field)?.scan;
  if (!hit || hit.maxExamples !== maxExamples) return undefined;
  return { ...hit.scan, examples: hit.scan.examples.slice() };
}

/** What one evaluation learnt about a keyed list: its key index (key -> entry index) and its duplicate scan. */
export interface KeyedListInfo {
  index?: Map<string, number>;
  scan?: { scan: DuplicateScan; maxExamples: number };
}

/** Per-evaluation cache of keyed lists (list -> field -> index and scan), so each list is hashed at most once. */
export type KeyIndexCache = WeakMap<readonly JsonValue[], Map<string, KeyedListInfo>>;

function keyedInfo(cache: KeyIndexCache, list: readonly JsonValue[], field: string): KeyedListInfo {
  let byField = cache.get(list);
  if (!byField) cache.set(list, (byField = new Map()));
  let info = byField.get(field);
  if (!info) byField.set(field, (info = {}));
  return info;
}

/** Key -> index of the first entry with that key, from the cache or built now. */
export function keyIndex(list: readonly JsonValue[], field: string, cache: KeyIndexCache | undefined): Map<string, number> {
  const hit = cache?.get(list)?.get(field)?.index;
  if (hit) return hit;
  const index = new Map<string, number>();
  for (let j = list.length - 1; j >= 0; j--) {
    const k = entryKey(list[j], field);
    if (k !== undefined) index.set(k, j);
  }
  if (cache) keyedInfo(cache, list, field).index = index;
  return index;
}

/** Compare two JSON Pointers segment by segment, numeric segments numerically (deterministic finding order). */
export function comparePointers(a: string, b: string): number {
  if (a === b) return 0;
  const as = a.split('/');
  const bs = b.split('/');
  const n = Math.min(as.length, bs.length);
  for (let i = 0; i < n; i++) {
    const x = as[i]!;
    const y = bs[i]!;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return Number(x) - Number(y) || (x < y ? -1 : 1);
    return x < y ? -1 : 1;
  }
  return as.length - bs.length;
}

/** Plural helper: `1 entry`, `2 entries`. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
