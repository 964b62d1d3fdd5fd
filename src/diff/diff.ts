/**
 * The diff stage: compare the live (current, LKG) config with the proposed one and list the changes.
 *
 * How it works, and why it is fast: we walk both trees ourselves, skipping identical subtrees with a
 * cheap deep-equality test. Keyed lists are matched by identity through a `Map` (linear time), and
 * only the differing subtrees are handed to json-diff-ts, which stays the engine for the actual
 * differences (see `adapter.ts`). Large containers and containers with keyed or ordered lists below
 * them are walked here; everything else that differs goes to json-diff-ts whole.
 */
import { OptionsError } from '../errors.js';
import { isStableValue } from '../load/stable.js';
import { compilePattern, decodePointer, type PathPattern } from '../pointer.js';
import type { Change, ChangeSummary, JsonValue } from '../types.js';
import { diffWithEngine } from './adapter.js';
import { Emitter } from './emit.js';
import { ownKeys, sharedValues } from './keys.js';
import { canonical, deepEqual, isObject } from './equal.js';
import { keyedSegment, type KeyValue } from './path.js';

/** Options of `diffConfigs`. */
export interface DiffOptions {
  /**
   * Keyed lists: list pointer pattern -> identity field, e.g. `{ '/features': 'name', '/rules/*\/terms': 'id' }`.
   * Entries of a keyed list are matched by the value of that field (a string, number or boolean), not by
   * index. When two patterns match the same list, the first one (in insertion order) wins. A list with
   * duplicate keys, or with an entry that is not an object or lacks a scalar key, is compared by index
   * instead (so growth through duplicated entries still shows as `added` changes).
   * @default {}
   */
  keys?: Record<string, string> | undefined;
  /**
   * Pointer patterns of lists whose order matters. A reorder is reported as one `reordered` change.
   * @default []
   */
  ordered?: string[] | undefined;
}

interface CompiledPattern {
  pattern: PathPattern;
  /** Number of segments, for patterns without `**`. */
  length: number;
  deep: boolean;
}

interface KeyedPattern extends CompiledPattern {
  field: string;
}

interface Resolved {
  keyed: KeyedPattern[];
  ordered: CompiledPattern[];
  all: CompiledPattern[];
}

/**
 * Differing subtrees with more nodes than this are walked here (skipping identical children) rather
 * than handed whole to json-diff-ts; smaller ones go to json-diff-ts in one call.
 */
const ENGINE_MAX_NODES = 256;

const hasOwn = Object.prototype.hasOwnProperty;

function compile(source: string): CompiledPattern {
  const parts = decodePointer(source);
  return { pattern: compilePattern(source), length: parts.length, deep: parts.includes('**') };
}

function resolveOptions(options: DiffOptions | undefined): Resolved {
  if (options === undefined || options === null) return { keyed: [], ordered: [], all: [] };
  if (typeof options !== 'object') throw new OptionsError(`diff options must be an object, got ${typeof options}`);
  const keyed: KeyedPattern[] = [];
  const ordered: CompiledPattern[] = [];
  const keys: unknown = options.keys ?? {};
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
    throw new OptionsError(`\`keys\` must be an object mapping list pointers to identity fields, got ${describe(keys)}`);
  }
  for (const pointer of Object.keys(keys)) {
    const field: unknown = (keys as Record<string, unknown>)[pointer];
    checkPointer(pointer, 'keys');
    if (typeof field !== 'string' || field === '') {
      throw new OptionsError(`\`keys['${pointer}']\` must be a non-empty field name, got ${describe(field)}`);
    }
    keyed.push({ ...compile(pointer), field });
  }
  const ord: unknown = options.ordered ?? [];
  if (!Array.isArray(ord)) throw new OptionsError(`\`ordered\` must be an array of list pointers, got ${describe(ord)}`);
  for (const [i, pointer] of ord.entries()) {
    if (typeof pointer !== 'string') throw new OptionsError(`\`ordered[${i}]\` must be a pointer string, got ${describe(pointer)}`);
    checkPointer(pointer, `ordered[${i}]`);
    ordered.push(compile(pointer));
  }
  return { keyed, ordered, all: [...keyed, ...ordered] };
}

function checkPointer(pointer: string, field: string): void {
  if (pointer !== '' && !pointer.startsWith('/')) {
    throw new OptionsError(`\`${field}\` entries must be JSON Pointers starting with '/', got '${pointer}'`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `'${v}'` : typeof v;
}

/**
 * The changes between the current (live, last known good) config and the proposed one.
 *
 * - `path` names entries of keyed lists by key (`/features/[name=bot_score]/type`, notation in
 *   `path.ts`: `[field=value]`, with `\` escaping `\`, `[`, `]`, `=` in the field and `\`, `]` in the
 *   value, then ordinary JSON Pointer escaping); `pointer` is the plain JSON Pointer into the proposed
 *   document, or into the current one for `removed` changes.
 * - A whole added or removed subtree is one change at its root; a type change (object -> string,
 *   array -> object...) is one `modified` change. Lists that are not keyed are compared by index.
 * - In an `ordered` keyed list, a change in the relative order of the entries present in both versions
 *   is one `reordered` change at the list (`oldValue`/`newValue`: the key sequences), besides any
 *   per-entry changes. In an `ordered` list compared by index, the same entries (deep-equal, as a
 *   multiset) in another order give one `reordered` change and nothing else (`oldValue`: the current
 *   indexes `[0, 1, ...]`, `newValue`: for each proposed position, the current index of its entry).
 *   In lists that are not `ordered`, a keyed reorder is not a change.
 * - First push (`current === undefined`): one `added` change per top-level key of the proposed object
 *   (or one at the root `''` when it is not an object); symmetrically, `proposed === undefined` gives
 *   `removed` changes. Identical documents give `[]`.
 * - Order is deterministic and independent of object key order: object members by key (UTF-16 code
 *   unit order), array entries by index, keyed list entries in proposed order followed by removed
 *   entries in current order; a `reordered` change comes before the changes inside its list.
 * - Values in changes are the input subtrees themselves (not copies).
 *
 * Linear in the size of the inputs. Throws `OptionsError` (code `E_OPTIONS_INVALID`) for invalid options.
 */
export function diffConfigs(current: JsonValue | undefined, proposed: JsonValue | undefined, options?: DiffOptions): Change[] {
  const resolved = resolveOptions(options);
  const out = new Emitter();
  if (current === undefined && proposed === undefined) return out.changes;
  if (current === undefined || proposed === undefined) {
    const value = (current === undefined ? proposed : current)!;
    const kind = current === undefined ? 'added' : 'removed';
    if (isObject(value)) {
      // Its members in key order (UTF-16 code units, as compareKeys), read by position from the value list of a
      // large map (see keys.ts) or looked up.
      const keys = ownKeys(value);
      const values = sharedValues(value, keys);
      const order = keyOrder(keys);
      for (let i = 0; i < order.length; i++) {
        const at = order[i]!;
        const key = keys[at]!;
        const member = values !== undefined ? (values[at] as JsonValue) : value[key]!;
        if (kind === 'added') out.emitTop(kind, key, undefined, member);
        else out.emitTop(kind, key, member, undefined);
      }
    } else if (kind === 'added') {
      out.emit(kind, undefined, value);
    } else {
      out.emit(kind, value, undefined);
    }
    return out.changes;
  }
  new Walker(resolved, out, isStableValue(current)).walk(current, proposed, false);
  return out.changes;
}

/**
 * The positions of `keys` (distinct strings) in UTF-16 code unit order, as `keys.slice().sort()` orders them. Keys
 * usually come in that order already (a generated map): one pass finds it. Otherwise the positions are sorted by
 * their keys, so that the members are then read from the lists by position: sorting the keys themselves and
 * looking each one up again in a 300,000-entry hash table (out of order, a cache miss each) costs about twice as much.
 */
export function keyOrder(keys: readonly string[]): number[] {
  const n = keys.length;
  // A plain array: V8 sorts it with a comparator about twice as fast as a typed array.
  const order = new Array<number>(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (sorted && i > 0 && !(keys[i - 1]! < keys[i]!)) sorted = false;
  }
  if (!sorted) {
    order.sort((a, b) => {
      const x = keys[a]!;
      const y = keys[b]!;
      return x < y ? -1 : x === y ? 0 : 1;
    });
  }
  return order;
}

/** What the walker learnt about a keyed list of an immutable current document (cached by the list's identity). */
interface OldListInfo {
  keys: KeyValue[] | undefined;
  sortedUnique: boolean;
}

const oldLists = new WeakMap<readonly JsonValue[], Map<string, OldListInfo>>();

function oldListInfo(list: readonly JsonValue[], field: string): OldListInfo {
  let byField = oldLists.get(list);
  if (!byField) oldLists.set(list, (byField = new Map()));
  let info = byField.get(field);
  if (!info) {
    const keys = keysOf(list, field);
    info = { keys, sortedUnique: keys !== undefined && sortedUnique(keys) };
    byField.set(field, info);
  }
  return info;
}


class Walker {
  constructor(
    private readonly opts: Resolved,
    private readonly out: Emitter,
    /** The current document is immutable (see load/stable.ts): facts about its lists may be cached. */
    private readonly stableOld = false,
  ) {}

  /** Diff two values at the emitter's current position. `different`: the caller knows they are not deep-equal. */
  walk(o: JsonValue, n: JsonValue, different: boolean): void {
    if (o === n) return;
    if (typeof o !== 'object' || typeof n !== 'object' || o === null || n === null || Array.isArray(o) !== Array.isArray(n)) {
      // Primitives (o !== n means different in JSON) or a change of type: one modified change.
      this.out.emit('modified', o, n);
      return;
    }
    const segs = this.out.newSegs;
    const below = this.patternsBelow(segs);
    if (Array.isArray(o) && Array.isArray(n)) {
      const field = this.keyFieldAt(segs);
      const ordered = this.isOrdered(segs);
      if (field !== undefined && this.walkKeyed(o, n, field, ordered, below)) return;
      if (ordered) {
        if (!different && deepEqual(o, n)) return;
        different = true;
        if (this.reorderedByValue(o, n)) return;
      }
      if (below || !fitsEngine(o) || !fitsEngine(n)) {
        this.walkArray(o, n);
        return;
      }
    } else if (isObject(o) && isObject(n)) {
      if (below || !fitsEngine(o) || !fitsEngine(n)) {
        this.walkObject(o, n);
        return;
      }
    }
    if (!different && deepEqual(o, n)) return;
    if (isObject(o) && isObject(n) && this.flatObjectDiff(o, n)) return;
    diffWithEngine(o, n, this.out);
  }

  /**
   * What json-diff-ts gives (through the adapter) for two objects whose members are all scalars or deep-equal
   * containers, without calling it (the common case of a keyed entry with a changed field): members in key
   * order, `modified` where the scalars differ (`!==`, as json-diff-ts compares them), `added` / `removed` for
   * members on one side only. Returns false, having emitted nothing, for anything else (a container that
   * differs, an `undefined` member, an object that is not plain): the engine then handles the pair.
   */
  private flatObjectDiff(o: Record<string, JsonValue>, n: Record<string, JsonValue>): boolean {
    if (engineKind(o) !== OBJECT || engineKind(n) !== OBJECT) return false;
    const ko = Object.keys(o);
    const kn = Object.keys(n);
    for (let i = 0; i < ko.length; i++) {
      const k = ko[i]!;
      const a = o[k];
      if (a === undefined) return false;
      if (!hasOwn.call(n, k)) {
        if (a !== null && typeof a === 'object' && engineKind(a) === undefined) return false;
        continue;
      }
      const b = n[k];
      if (b === undefined) return false;
      if (a === b) {
        if (a !== null && typeof a === 'object' && !engineEqual(a, a)) return false;
        continue;
      }
      // Differing scalars are one `modified`; containers must be deep-equal (else the engine diffs them).
      if ((a !== null && typeof a === 'object') || (b !== null && typeof b === 'object')) {
        if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || !engineEqual(a, b)) return false;
      }
    }
    for (let i = 0; i < kn.length; i++) {
      const k = kn[i]!;
      if (hasOwn.call(o, k)) continue;
      const b = n[k];
      if (b === undefined || (b !== null && typeof b === 'object' && engineKind(b) === undefined)) return false;
    }
    const all = new Set<string>(ko);
    for (const k of kn) all.add(k);
    const keys = [...all].sort(); // code-unit order, as compareKeys
    const out = this.out;
    for (const k of keys) {
      const inOld = hasOwn.call(o, k);
      const inNew = hasOwn.call(n, k);
      if (inOld && inNew) {
        const a = o[k]!;
        const b = n[k]!;
        if (a === b || (a !== null && typeof a === 'object')) continue; // equal scalars, or deep-equal containers
        out.push(k, k, k);
        out.emit('modified', a, b);
      } else {
        out.push(k, k, k);
        if (inNew) out.emit('added', undefined, n[k]);
        else out.emit('removed', o[k], undefined);
      }
      out.pop();
    }
    return true;
  }

  private walkObject(o: Record<string, JsonValue>, n: Record<string, JsonValue>): void {
    // Only the keys that can give a change are sorted: a key present on both sides with the same scalar (or the same
    // object) gives none, and leaving it out of the sort keeps the emitted order (sorted keys) while a 300,000-key
    // map with a few changes costs one pass instead of an n log n sort of every key.
    // Key lists (and values) of large maps are shared with the other passes of the evaluation (see keys.ts). Two
    // versions of a map usually list their keys in the same order: while they do, the members are compared by
    // position, without looking either key up in a 300,000-entry hash table.
    const keys: string[] = [];
    const ok = ownKeys(o);
    const nk = ownKeys(n);
    const ov = sharedValues(o, ok);
    const nv = sharedValues(n, nk);
    let aligned = 0;
    for (let i = 0; i < ok.length; i++) {
      const k = ok[i]!;
      const a = ov !== undefined ? ov[i] : o[k];
      if (i < nk.length && nk[i] === k) {
        if (aligned === i) aligned++;
        if (a !== (nv !== undefined ? nv[i] : n[k])) keys.push(k);
      } else if (!hasOwn.call(n, k) || a !== n[k]) keys.push(k);
    }
    // Keys of `n` not in `o`: when every key of `o` sat at its place in `n`, only those after them can be.
    for (let i = aligned === ok.length ? ok.length : 0; i < nk.length; i++) {
      const k = nk[i]!;
      if (!hasOwn.call(o, k)) keys.push(k);
    }
    keys.sort(); // code-unit order, as compareKeys (no comparator call per comparison)
    const out = this.out;
    for (const k of keys) {
      const inOld = hasOwn.call(o, k);
      const inNew = hasOwn.call(n, k);
      out.push(k, k, k);
      if (inOld && inNew) this.walk(o[k]!, n[k]!, false);
      else if (inNew) out.emit('added', undefined, n[k]);
      else out.emit('removed', o[k], undefined);
      out.pop();
    }
  }

  private walkArray(o: JsonValue[], n: JsonValue[]): void {
    const out = this.out;
    const common = Math.min(o.length, n.length);
    for (let i = 0; i < common; i++) {
      if (o[i] === n[i]) continue;
      const s = String(i);
      out.push(s, s, s);
      this.walk(o[i]!, n[i]!, false);
      out.pop();
    }
    for (let i = common; i < n.length; i++) {
      const s = String(i);
      out.push(s, s, s);
      out.emit('added', undefined, n[i]);
      out.pop();
    }
    for (let i = common; i < o.length; i++) {
      const s = String(i);
      out.push(s, s, s);
      out.emit('removed', o[i], undefined);
      out.pop();
    }
  }

  /**
   * Keyed comparison. Returns false (and emits nothing) when the list cannot be keyed: an entry is
   * not an object or has no scalar key, or two entries share a key; the caller then compares by index.
   */
  private walkKeyed(o: JsonValue[], n: JsonValue[], field: string, ordered: boolean, below: boolean): boolean {
    const info = this.stableOld ? oldListInfo(o, field) : undefined;
    const oldKeys = info ? info.keys : keysOf(o, field);
    if (oldKeys === undefined) return false;
    const newKeys = keysOf(n, field);
    if (newKeys === undefined) return false;
    const oldSorted = info ? info.sortedUnique : sortedUnique(oldKeys);
    const match = oldSorted && sortedUnique(newKeys) ? mergeMatch(oldKeys, newKeys) : mapMatch(oldKeys, newKeys);
    if (match === undefined) return false;
    const { oldFor, removed } = match;
    const out = this.out;

    if (ordered) {
      // The relative order of the entries present in both versions.
      let last = -1;
      for (let j = 0; j < n.length; j++) {
        const i = oldFor[j]!;
        if (i < 0) continue;
        if (i < last) {
          // A cached key list is never handed out (a report could be changed by its reader).
          out.emit('reordered', info ? oldKeys.slice() : oldKeys, newKeys);
          break;
        }
        last = i;
      }
    }

    for (let j = 0; j < n.length; j++) {
      const entry = n[j]!;
      const i = oldFor[j]!;
      if (i >= 0) {
        const old = o[i]!;
        if (old === entry || (!below && deepEqual(old, entry))) continue;
        out.push(keyedSegment(field, newKeys[j]!), String(i), String(j));
        this.walk(old, entry, !below);
        out.pop();
      } else {
        const s = String(j);
        out.push(keyedSegment(field, newKeys[j]!), s, s);
        out.emit('added', undefined, entry);
        out.pop();
      }
    }
    for (const i of removed) {
      const s = String(i);
      out.push(keyedSegment(field, oldKeys[i]!), s, s);
      out.emit('removed', o[i], undefined);
      out.pop();
    }
    return true;
  }

  /** For an ordered list compared by index: the same entries (as a multiset) in another order -> one `reordered`. */
  private reorderedByValue(o: JsonValue[], n: JsonValue[]): boolean {
    if (o.length !== n.length || o.length < 2) return false;
    const buckets = new Map<string, { indexes: number[]; next: number }>();
    for (let i = 0; i < o.length; i++) {
      const c = canonical(o[i]!);
      const b = buckets.get(c);
      if (b) b.indexes.push(i);
      else buckets.set(c, { indexes: [i], next: 0 });
    }
    const mapping: number[] = [];
    for (let j = 0; j < n.length; j++) {
      const b = buckets.get(canonical(n[j]!));
      if (!b || b.next >= b.indexes.length) return false;
      mapping.push(b.indexes[b.next++]!);
    }
    this.out.emit(
      'reordered',
      o.map((_, i) => i),
      mapping,
    );
    return true;
  }

  private keyFieldAt(segs: readonly string[]): string | undefined {
    for (const k of this.opts.keyed) if (k.pattern.matches(segs)) return k.field;
    return undefined;
  }

  private isOrdered(segs: readonly string[]): boolean {
    for (const p of this.opts.ordered) if (p.pattern.matches(segs)) return true;
    return false;
  }

  /** True when a keyed or ordered pattern could match strictly below `segs`. */
  private patternsBelow(segs: readonly string[]): boolean {
    for (const p of this.opts.all) {
      if (p.deep ? p.pattern.couldMatchBelow(segs) : p.length > segs.length && p.pattern.couldMatchBelow(segs)) return true;
    }
    return false;
  }
}

const OBJECT = 1;
const ARRAY = 2;
const objectToString = Object.prototype.toString;

/** How json-diff-ts classifies a container (by `Object.prototype.toString`): object, array, or something else. */
function engineKind(v: object): typeof OBJECT | typeof ARRAY | undefined {
  const t = objectToString.call(v);
  return t === '[object Object]' ? OBJECT : t === '[object Array]' ? ARRAY : undefined;
}

/**
 * Deep equality, true only when json-diff-ts also finds no change: every container inside is an object or an
 * array by its classification, own enumerable keys alike, scalars `===`, no `undefined` member.
 */
function engineEqual(a: object, b: object): boolean {
  const kind = engineKind(a);
  if (kind === undefined || engineKind(b) !== kind) return false;
  if (kind === ARRAY) {
    const x = a as JsonValue[];
    const y = b as JsonValue[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      const p = x[i];
      const q = y[i];
      if (p === undefined || q === undefined) return false;
      if (p !== null && typeof p === 'object') {
        if (q === null || typeof q !== 'object' || !engineEqual(p, q)) return false;
      } else if (p !== q) return false;
    }
    return true;
  }
  const x = a as Record<string, JsonValue>;
  const y = b as Record<string, JsonValue>;
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  for (let i = 0; i < kx.length; i++) {
    const k = kx[i]!;
    if (!hasOwn.call(y, k)) return false;
    const p = x[k];
    const q = y[k];
    if (p === undefined || q === undefined) return false;
    if (p !== null && typeof p === 'object') {
      if (q === null || typeof q !== 'object' || !engineEqual(p, q)) return false;
    } else if (p !== q) return false;
  }
  return true;
}

/** True when `v` has at most ENGINE_MAX_NODES nodes (counting stops there, so this is O(1) in the size of `v`). */
function fitsEngine(v: JsonValue): boolean {
  return countNodes(v, ENGINE_MAX_NODES + 1) <= ENGINE_MAX_NODES;
}

/** Number of nodes of `v`, stopping once `budget` is reached. */
function countNodes(v: JsonValue, budget: number): number {
  if (v === null || typeof v !== 'object') return 1;
  let count = 1;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && count < budget; i++) count += countNodes(v[i]!, budget - count);
  } else {
    // Not for...in: it enumerates every key of a large map before the first one is read (the budget does not stop
    // that), and the shared key list serves the walk that follows.
    const keys = ownKeys(v);
    for (let i = 0; i < keys.length && count < budget; i++) count += countNodes(v[keys[i]!]!, budget - count);
  }
  return count;
}

/** The key of every entry, or undefined when an entry is not an object or has no scalar key. */
function keysOf(list: readonly JsonValue[], field: string): KeyValue[] | undefined {
  const keys: KeyValue[] = new Array<KeyValue>(list.length);
  for (let i = 0; i < list.length; i++) {
    const entry = list[i]!;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || !hasOwn.call(entry, field)) return undefined;
    const key = entry[field];
    const t = typeof key;
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return undefined;
    keys[i] = key as KeyValue;
  }
  return keys;
}

/** How the entries of two keyed lists correspond. */
interface KeyedMatch {
  /** For each proposed entry, the index of the current entry with its key, or -1 (added). */
  oldFor: Int32Array;
  /** Indexes of current entries whose key is gone, ascending. */
  removed: number[];
}

/** True when all keys are strings (or all numbers) in strictly increasing order: then they are unique. */
function sortedUnique(keys: readonly KeyValue[]): boolean {
  if (keys.length === 0) return true;
  const t = typeof keys[0];
  if (t === 'boolean') return false;
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    if (typeof k !== t || !(keys[i - 1]! < k)) return false;
  }
  return true;
}

/** Merge join of two sorted, unique key lists (no hashing: the common case of generated, sorted files). */
function mergeMatch(oldKeys: readonly KeyValue[], newKeys: readonly KeyValue[]): KeyedMatch {
  const oldFor = new Int32Array(newKeys.length).fill(-1);
  const removed: number[] = [];
  const mixed = oldKeys.length > 0 && newKeys.length > 0 && typeof oldKeys[0] !== typeof newKeys[0];
  let i = 0;
  let j = 0;
  if (!mixed) {
    while (i < oldKeys.length && j < newKeys.length) {
      const a = oldKeys[i]!;
      const b = newKeys[j]!;
      if (a === b) oldFor[j++] = i++;
      else if (a < b) removed.push(i++);
      else j++;
    }
  }
  while (i < oldKeys.length) removed.push(i++);
  return { oldFor, removed };
}

/** Hash join; undefined when either list has a duplicate key. */
function mapMatch(oldKeys: readonly KeyValue[], newKeys: readonly KeyValue[]): KeyedMatch | undefined {
  const index = new Map<KeyValue, number>();
  for (let i = 0; i < oldKeys.length; i++) {
    index.set(oldKeys[i]!, i);
    if (index.size !== i + 1) return undefined;
  }
  const seen = new Uint8Array(oldKeys.length);
  const oldFor = new Int32Array(newKeys.length);
  let added: Set<KeyValue> | undefined;
  for (let j = 0; j < newKeys.length; j++) {
    const key = newKeys[j]!;
    const i = index.get(key);
    if (i === undefined) {
      added ??= new Set();
      if (added.has(key)) return undefined;
      added.add(key);
      oldFor[j] = -1;
    } else {
      if (seen[i] === 1) return undefined;
      seen[i] = 1;
      oldFor[j] = i;
    }
  }
  const removed: number[] = [];
  for (let i = 0; i < oldKeys.length; i++) if (seen[i] === 0) removed.push(i);
  return { oldFor, removed };
}

/** Counts of added, removed, modified and reordered changes, with the list itself. */
export function summarizeChanges(changes: Change[]): ChangeSummary {
  const summary: ChangeSummary = { added: 0, removed: 0, modified: 0, reordered: 0, total: changes.length, changes: [...changes] };
  for (const c of changes) summary[c.kind]++;
  return summary;
}
