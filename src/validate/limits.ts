/** Size, growth, shrink, cardinality and uniqueness limits. Every walk is iterative and linear in the document size. */
import { isStableDoc } from '../load/stable.js';
import { ownKeys, sharedValues, withKeyCache } from '../diff/keys.js';
import { compilePattern, decodePointer, encodePointer, type PathPattern } from '../pointer.js';
import type { ResolvedPolicy } from '../policy/types.js';
import type { ConfigDoc, Finding, JsonObject, JsonValue, Severity } from '../types.js';
import { cachedScan, entryKey, keyIndex, makeFinding, plural, scanDuplicates, showPath, type DuplicateScan, type KeyIndexCache } from './util.js';

/** Keyed-list patterns, compiled once. */
export interface KeyedLists {
  patterns: Array<{ pattern: PathPattern; field: string }>;
  /** The identity field of the list at these segments, if it is keyed. */
  fieldAt(segments: readonly string[]): string | undefined;
  /** False when no keyed-list pattern can match a pointer of this many segments (cheap pre-check). */
  mayMatchAt(depth: number): boolean;
}

/** Compile the policy's `keys`. */
export function compileKeys(keys: Record<string, string>): KeyedLists {
  const patterns = Object.entries(keys).map(([p, field]) => ({ pattern: compilePattern(p), field }));
  const depths = new Set<number>();
  let deep = false;
  for (const p of Object.keys(keys)) {
    const segs = decodePointer(p);
    if (segs.includes('**')) deep = true;
    depths.add(segs.length);
  }
  return {
    patterns,
    mayMatchAt: (depth) => deep || depths.has(depth),
    fieldAt(segments) {
      for (const { pattern, field } of patterns) if (pattern.matches(segments)) return field;
      return undefined;
    },
  };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Ratio for messages, truncated (never rounded up) to 2 decimals so that a ratio just under a threshold
 * never reads as the threshold itself (1.99 is `1.99x`, not `2.0x`); `2.0x` and `1.5x` keep one decimal.
 */
function ratioText(r: number): string {
  const s = (Math.floor(r * 100 + 1e-9) / 100).toFixed(2);
  return `${s.endsWith('0') ? s.slice(0, -1) : s}x`;
}

function pct(f: number): string {
  return `${Math.round(f * 100)}%`;
}

/** `limit.max-bytes`. */
export function maxBytesFindings(policy: ResolvedPolicy, proposed: ConfigDoc): Finding[] {
  const max = policy.limits.maxBytes;
  if (max === undefined || proposed.bytes <= max) return [];
  return [
    makeFinding(proposed, 'limit.max-bytes', 'block', `the document is ${formatBytes(proposed.bytes)} (${proposed.bytes} bytes), over the limit of ${formatBytes(max)} (${max} bytes)`, '', {
      bytes: proposed.bytes,
      maxBytes: max,
    }),
  ];
}

/** Smallest document (bytes, in the LKG) for which byte growth/shrink is measured. */
export const MIN_DOCUMENT_BYTES = 1024;

const canonicalSizes = new WeakMap<ConfigDoc, number>();

/**
 * The canonical size of a document's value: the UTF-8 length of its compact JSON text (`JSON.stringify` without
 * indentation), computed by an iterative walk (no text is built, deep documents do not overflow the stack).
 * Independent of the source format and its formatting. Cached for documents that cannot change (load/stable.ts).
 */
export function canonicalSize(doc: ConfigDoc): number {
  const cache = isStableDoc(doc) ? canonicalSizes : evaluationSizes;
  const hit = cache?.get(doc);
  if (hit !== undefined) return hit;
  const size = jsonSize(doc.value);
  cache?.set(doc, size);
  return size;
}

const hasOwnKey = Object.prototype.hasOwnProperty;

/** Sizes of the documents of the evaluation under way (see {@link withSizeCache}). */
let evaluationSizes: WeakMap<ConfigDoc, number> | undefined;

/**
 * Run one (synchronous) evaluation with the canonical size of each of its documents computed once: the limits and
 * three score factors all need it, and a walk of a 300,000-key document costs about 0.2 s. The cache lives only for
 * the call, so a caller that changes a document's value between two evaluations is never answered from it.
 */
export function withSizeCache<T>(fn: () => T): T {
  const outer = evaluationSizes;
  evaluationSizes = outer ?? new WeakMap();
  try {
    // The same scope shares the key lists of large objects between the passes (see diff/keys.ts).
    return withKeyCache(fn);
  } finally {
    evaluationSizes = outer;
  }
}

/** A string whose JSON text is itself between quotes (printable ASCII without `"` and `\\`): its size is length + 2. */
const PLAIN_JSON_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** UTF-8 length of the JSON text of a string. */
function stringJsonSize(s: string): number {
  return PLAIN_JSON_STRING.test(s) ? s.length + 2 : Buffer.byteLength(JSON.stringify(s), 'utf8');
}

/** UTF-8 length of `JSON.stringify(value)` for a JSON value (undefined: 0). */
export function jsonSize(value: JsonValue | undefined): number {
  if (value === undefined) return 0;
  let total = 0;
  const stack: JsonValue[] = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === null) total += 4;
    else if (typeof v === 'string') total += stringJsonSize(v);
    else if (typeof v === 'number') total += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean') total += v ? 4 : 5;
    else if (Array.isArray(v)) {
      total += 2 + Math.max(0, v.length - 1);
      for (let i = 0; i < v.length; i++) stack.push(v[i]!);
    } else {
      // The key list of a large map is enumerated once per evaluation (see diff/keys.ts).
      const keys = ownKeys(v);
      const values = sharedValues(v as JsonObject, keys);
      const n = keys.length;
      for (let i = 0; i < n; i++) {
        const k = keys[i]!;
        total += stringJsonSize(k) + 1;
        stack.push(values !== undefined ? values[i]! : (v as JsonObject)[k]!);
      }
      total += 2 + Math.max(0, n - 1);
    }
  }
  return total;
}

function thresholdSeverity(value: number, t: { warn?: number; block?: number }): Severity | undefined {
  if (t.block !== undefined && value >= t.block) return 'block';
  if (t.warn !== undefined && value >= t.warn) return 'warn';
  return undefined;
}

/** Growth and shrink of the document (bytes) and of every list present at the same place in both documents. */
export function growthFindings(policy: ResolvedPolicy, keyed: KeyedLists, proposed: ConfigDoc, current: ConfigDoc, keyIndexes?: KeyIndexCache): Finding[] {
  const out: Finding[] = [];
  const { growth, shrink, minListSize } = policy.limits;

  // The document, by its canonical size (compact JSON of the value): formatting (indentation, YAML vs JSON,
  // comments) is not content, so a re-indented or re-encoded config with the same values never reads as growth
  // or shrink.
  const currentSize = current.value === undefined ? 0 : canonicalSize(current);
  if (currentSize >= MIN_DOCUMENT_BYTES && proposed.value !== undefined && current.value !== undefined) {
    const proposedSize = canonicalSize(proposed);
    const ratio = proposedSize / currentSize;
    const sizes = { kind: 'document', measure: 'canonical-json', currentBytes: currentSize, proposedBytes: proposedSize };
    const g = thresholdSeverity(ratio, growth);
    if (g) {
      const limit = g === 'block' ? growth.block : growth.warn;
      out.push(
        makeFinding(
          proposed,
          'limit.growth',
          g,
          `the document grew from ${formatBytes(currentSize)} to ${formatBytes(proposedSize)} as compact JSON (${ratioText(ratio)}, ${g} at ${limit}x) against the LKG`,
          '',
          { ...sizes, ratio: round(ratio), threshold: limit ?? null },
        ),
      );
    }
    const removed = 1 - ratio;
    const s = removed > 0 ? thresholdSeverity(removed, shrink) : undefined;
    if (s) {
      const limit = s === 'block' ? shrink.block : shrink.warn;
      out.push(
        makeFinding(
          proposed,
          'limit.shrink',
          s,
          `the document shrank from ${formatBytes(currentSize)} to ${formatBytes(proposedSize)} as compact JSON (${pct(removed)} smaller, ${s} at ${pct(limit ?? 0)}) against the LKG`,
          '',
          { ...sizes, fraction: round(removed), threshold: limit ?? null },
        ),
      );
    }
  }

  // Every list present in both documents: walk the two documents together.
  const cv = current.value;
  const pv = proposed.value;
  if (cv === undefined || pv === undefined || cv === null || pv === null || typeof cv !== 'object' || typeof pv !== 'object') return out;
  const hasKeys = keyed.patterns.length > 0;
  // In an immutable current document (see load/stable.ts), the entries of a list can be skipped when no list
  // inside them is long enough to give a finding (`listFindings`: a current list of 0 entries never does, one of
  // 1 entry only when `minListSize` is at most 1).
  const stableCurrent = isStableDoc(current);
  const findingLength = minListSize > 1 ? 2 : 1;
  const stack: PairNode[] = [{ c: cv, p: pv, parent: undefined, seg: '', depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { c, p } = node;
    if (Array.isArray(c) && Array.isArray(p)) {
      const field = hasKeys && keyed.mayMatchAt(node.depth) ? keyed.fieldAt(segmentsOf(node)) : undefined;
      if (field !== undefined) {
        // Match entries by key (the proposed list's index is shared with the uniqueness scan); count the
        // current keys the proposal no longer has.
        // Fast path: lists usually keep their order, so the entry at the same position (shifted by the last
        // offset seen) is tried first with a plain string comparison; the index is consulted only on a miss.
        let index: Map<string, number> | undefined;
        const descend = !stableCurrent || longestListInEntries(c) >= findingLength;
        const done = descend ? new Uint8Array(p.length) : undefined;
        let removed = 0;
        let offset = 0;
        for (let j = 0; j < c.length; j++) {
          const ce = c[j]!;
          const k = entryKey(ce, field);
          if (k === undefined) continue;
          let i = j + offset;
          if (i < 0 || i >= p.length || entryKey(p[i], field) !== k) {
            const found = (index ??= keyIndex(p, field, keyIndexes)).get(k);
            if (found === undefined) {
              removed++;
              continue;
            }
            i = found;
            offset = i - j;
          }
          if (done === undefined || done[i] === 1) continue; // an earlier current entry with the same key was matched already
          done[i] = 1;
          const pe = p[i]!;
          if (ce !== null && typeof ce === 'object' && pe !== null && typeof pe === 'object') stack.push({ c: ce, p: pe, parent: node, seg: i, depth: node.depth + 1 });
        }
        listFindings(out, policy, proposed, node, c, p, field, removed, minListSize);
      } else {
        listFindings(out, policy, proposed, node, c, p, undefined, Math.max(0, c.length - p.length), minListSize);
        const n = !stableCurrent || longestListInEntries(c) >= findingLength ? Math.min(c.length, p.length) : 0;
        for (let i = n - 1; i >= 0; i--) {
          const ce = c[i]!;
          const pe = p[i]!;
          if (ce !== null && pe !== null && typeof ce === 'object' && typeof pe === 'object') stack.push({ c: ce, p: pe, parent: node, seg: i, depth: node.depth + 1 });
        }
      }
    } else if (!Array.isArray(c) && !Array.isArray(p) && c !== null && p !== null && typeof c === 'object' && typeof p === 'object') {
      const co = c as JsonObject;
      const po = p as JsonObject;
      const keys = ownKeys(po);
      const values = sharedValues(po, keys);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const pe = values !== undefined ? values[i]! : po[k]!;
        if (pe === null || typeof pe !== 'object') continue;
        const ce = co[k];
        if (ce === undefined || !Object.prototype.hasOwnProperty.call(co, k)) continue;
        if (ce !== null && typeof ce === 'object') stack.push({ c: ce, p: pe, parent: node, seg: k, depth: node.depth + 1 });
      }
    }
  }
  return out;
}

/** Longest list inside the entries of a list (an entry that is a list counts), per list of an immutable document. */
const longestNested = new WeakMap<readonly JsonValue[], number>();

/**
 * The length of the longest list anywhere inside the entries of `list` (0 when there is none). Only for lists of
 * immutable documents (the result is cached by the list's identity). Iterative.
 */
function longestListInEntries(list: readonly JsonValue[]): number {
  const hit = longestNested.get(list);
  if (hit !== undefined) return hit;
  let longest = 0;
  const stack: object[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (e !== null && typeof e === 'object') stack.push(e);
  }
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (Array.isArray(v)) {
      if (v.length > longest) longest = v.length;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (x !== null && typeof x === 'object') stack.push(x);
      }
    } else {
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        const x: unknown = (v as Record<string, unknown>)[k];
        if (x !== null && typeof x === 'object') stack.push(x);
      }
    }
  }
  longestNested.set(list, longest);
  return longest;
}

/** A node of an iterative walk; segments are rebuilt from the parent chain only when needed. */
interface WalkNode {
  parent: WalkNode | undefined;
  seg: string | number;
  depth: number;
}
interface PairNode extends WalkNode {
  c: JsonValue;
  p: JsonValue;
}
interface ValueNode extends WalkNode {
  v: JsonValue;
}

function segmentsOf(node: WalkNode): string[] {
  const out: string[] = [];
  for (let n: WalkNode | undefined = node; n !== undefined && n.parent !== undefined; n = n.parent) out.push(String(n.seg));
  return out.reverse();
}

function pointerOf(node: WalkNode): string {
  return encodePointer(segmentsOf(node));
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function duplicateHint(list: readonly JsonValue[], field: string | undefined): { text: string; scan?: DuplicateScan } {
  const hasObjects = list.some((e) => e !== null && typeof e === 'object');
  if (field === undefined && !hasObjects) return { text: '' };
  const scan = scanDuplicates(list, field);
  if (scan.count === 0) return { text: '' };
  const what = field !== undefined ? `${plural(scan.count, `duplicate \`${field}\``, `duplicate \`${field}\`s`)}` : plural(scan.count, 'duplicate entry', 'duplicate entries');
  return { text: ` — the generator may be returning duplicate rows (${what})`, scan };
}

function listFindings(
  out: Finding[],
  policy: ResolvedPolicy,
  proposed: ConfigDoc,
  node: WalkNode,
  c: readonly JsonValue[],
  p: readonly JsonValue[],
  field: string | undefined,
  removed: number,
  minListSize: number,
): void {
  const { growth, shrink } = policy.limits;
  const cl = c.length;
  const pl = p.length;
  if (cl >= 2 && pl === 0) {
    const pointer = pointerOf(node);
    out.push(
      makeFinding(proposed, 'limit.shrink', 'block', `${showPath(pointer)} is now empty: the change removes 100% of its ${cl} entries (the LKG has ${cl})`, pointer, {
        kind: 'list',
        currentEntries: cl,
        proposedEntries: 0,
        removed: cl,
        fraction: 1,
      }),
    );
    return;
  }
  if (cl === 0 || cl < minListSize) return;
  const pointer = pointerOf(node);
  const ratio = pl / cl;
  const g = thresholdSeverity(ratio, growth);
  if (g) {
    const limit = g === 'block' ? growth.block : growth.warn;
    const hint = duplicateHint(p, field);
    const detail: Record<string, JsonValue> = { kind: 'list', currentEntries: cl, proposedEntries: pl, ratio: round(ratio), threshold: limit ?? null };
    if (hint.scan) {
      detail.duplicates = hint.scan.count;
      detail.duplicateExamples = hint.scan.examples;
    }
    out.push(
      makeFinding(
        proposed,
        'limit.growth',
        g,
        `${showPath(pointer)} grew from ${cl} to ${pl} entries (${ratioText(ratio)}, ${g} at ${limit}x); the LKG has ${cl}${hint.text}`,
        pointer,
        detail,
      ),
    );
  }
  const fraction = removed / cl;
  const s = removed > 0 ? thresholdSeverity(fraction, shrink) : undefined;
  if (s) {
    const limit = s === 'block' ? shrink.block : shrink.warn;
    out.push(
      makeFinding(
        proposed,
        'limit.shrink',
        s,
        `the change removes ${pct(fraction)} of ${showPath(pointer)} (${removed} of ${cl} entries${field !== undefined ? ` by \`${field}\`` : ''}; ${s} at ${pct(limit ?? 0)}); the proposed list has ${pl}`,
        pointer,
        { kind: 'list', currentEntries: cl, proposedEntries: pl, removed, fraction: round(fraction), threshold: limit ?? null },
      ),
    );
  }
}

/** A list found in the proposed document. */
interface ListAt {
  pointer: string;
  list: readonly JsonValue[];
}

function listsAt(value: JsonValue | undefined, pattern: PathPattern): ListAt[] {
  // findMatches is iterative; only arrays matter here.
  const out: ListAt[] = [];
  if (value === undefined) return out;
  // Without `**` a match has exactly as many segments as the pattern: never descend below that depth
  // (a pattern naming a 100,000-entry list must not visit its entries).
  const parts = pattern.source === '/' ? [] : decodePointer(pattern.source);
  const maxDepth = parts.includes('**') ? Infinity : parts.length;
  const stack: Array<{ v: JsonValue; segs: string[] }> = [{ v: value, segs: [] }];
  while (stack.length > 0) {
    const { v, segs } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v) && pattern.matches(segs)) out.push({ pointer: encodePointer(segs), list: v });
    if (segs.length >= maxDepth || !pattern.couldMatchBelow(segs)) continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const e = v[i]!;
        if (e !== null && typeof e === 'object') stack.push({ v: e, segs: [...segs, String(i)] });
      }
    } else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const e = v[keys[i]!]!;
        if (e !== null && typeof e === 'object') stack.push({ v: e, segs: [...segs, keys[i]!] });
      }
    }
  }
  return out;
}

function uniqueFinding(doc: ConfigDoc, severity: Severity, pointer: string, list: readonly JsonValue[], field: string | undefined, scan: DuplicateScan, why: string): Finding {
  const where = `${pointer}/${scan.firstIndex}`;
  const what =
    field !== undefined
      ? `${plural(list.length, 'entry', 'entries')} with ${plural(scan.count, `duplicate \`${field}\``, `duplicate \`${field}\`s`)}`
      : `${plural(list.length, 'entry', 'entries')} of which ${plural(scan.count, 'is an exact duplicate', 'are exact duplicates')} of earlier entries`;
  const examples = scan.examples.map((e) => '`' + e + '`').join(', ');
  return makeFinding(
    doc,
    'limit.unique',
    severity,
    `${showPath(pointer)} has ${what} (first at index ${scan.firstIndex}${examples && field !== undefined ? `; e.g. ${examples}` : ''})${why}`,
    where,
    {
      list: pointer,
      entries: list.length,
      duplicates: scan.count,
      firstDuplicateIndex: scan.firstIndex,
      ...(field !== undefined ? { key: field } : {}),
      examples: scan.examples,
    },
  );
}

/** Compiled explicit list checks (`maxItems`, `minItems`, `unique`). */
export interface ListCheck {
  pattern: PathPattern;
  source: string;
  maxItems?: number;
  minItems?: number;
  unique?: string | true;
  severity: Severity;
}

/**
 * Implicit uniqueness: every keyed list unique by its key (block), every list of objects free of exact
 * duplicates (warn, returned as `exactDuplicates` so explicit checks can take precedence). Records reported
 * `(pointer, field)` pairs in `reported`.
 */
export function implicitUniqueFindings(
  keyed: KeyedLists,
  proposed: ConfigDoc,
  reported: Set<string>,
  keyIndexes?: KeyIndexCache,
): { findings: Finding[]; exactDuplicates: Array<{ pointer: string; list: readonly JsonValue[]; scan: DuplicateScan }> } {
  const out: Finding[] = [];
  const exactDuplicates: Array<{ pointer: string; list: readonly JsonValue[]; scan: DuplicateScan }> = [];
  const value = proposed.value;
  if (value === undefined || value === null || typeof value !== 'object') return { findings: out, exactDuplicates };
  // One walk over the whole document: keyed lists by key, other lists of objects by deep equality.
  const hasKeys = keyed.patterns.length > 0;
  const stack: ValueNode[] = [{ v: value, parent: undefined, seg: '', depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.v;
    if (Array.isArray(v)) {
      const field = hasKeys && keyed.mayMatchAt(node.depth) ? keyed.fieldAt(segmentsOf(node)) : undefined;
      if (field !== undefined) {
        const scan = scanDuplicates(v, field, keyIndexes);
        if (scan.count > 0) {
          const pointer = pointerOf(node);
          out.push(uniqueFinding(proposed, 'block', pointer, v, field, scan, ' — entries are matched by this key, so every key must be unique'));
          reported.add(pointer + '\u0000' + field);
          reported.add(pointer + '\u0000');
        }
        if (scan.missing > 0) out.push(missingKeyFinding(proposed, pointerOf(node), v, field, scan.missing));
      } else if (v.length >= 2) {
        let objects = 0;
        for (let i = 0; i < v.length && objects < 2; i++) {
          const e = v[i];
          if (e !== null && typeof e === 'object' && !Array.isArray(e)) objects++;
        }
        if (objects >= 2) {
          const scan = scanDuplicates(v, undefined);
          if (scan.count > 0) exactDuplicates.push({ pointer: pointerOf(node), list: v, scan });
        }
      }
      for (let i = v.length - 1; i >= 0; i--) {
        const e = v[i]!;
        if (e !== null && typeof e === 'object' && !inert(e)) stack.push({ v: e, parent: node, seg: i, depth: node.depth + 1 });
      }
    } else if (v !== null && typeof v === 'object') {
      const keys = ownKeys(v);
      const values = sharedValues(v, keys);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const e = values !== undefined ? values[i]! : v[k]!;
        if (e !== null && typeof e === 'object' && !inert(e)) stack.push({ v: e, parent: node, seg: k, depth: node.depth + 1 });
      }
    }
  }
  return { findings: out, exactDuplicates };
}

/**
 * A container the uniqueness walk can find nothing in, so it is not visited: a list of fewer than two entries with
 * no object inside (no duplicates in fewer than two entries, nothing below), or an object whose children are all
 * scalars or such lists. Objects are looked into one level only (a nested object counts as work).
 */
function inert(v: JsonValue): boolean {
  if (!Array.isArray(v)) return !hasWork(v as JsonObject);
  if (v.length === 0) return true;
  if (v.length > 1) return false;
  const e = v[0];
  return e === null || typeof e !== 'object';
}

/** True when an object has a child the uniqueness walk must visit (an object or list that is not inert). */
function hasWork(o: JsonObject): boolean {
  for (const k in o) {
    const e = o[k];
    if (e === null || typeof e !== 'object') continue;
    if (Array.isArray(e) ? !inertList(e) : true) {
      if (Object.prototype.hasOwnProperty.call(o, k)) return true;
    }
  }
  return false;
}

function inertList(v: readonly JsonValue[]): boolean {
  if (v.length === 0) return true;
  if (v.length > 1) return false;
  const e = v[0];
  return e === null || typeof e !== 'object';
}

/** The `limit.unique` warning for a list of objects with exact duplicate entries (unless already reported). */
export function exactDuplicateFinding(proposed: ConfigDoc, pointer: string, list: readonly JsonValue[], scan: DuplicateScan, reported: Set<string>): Finding | undefined {
  if (reported.has(pointer + '\u0000')) return undefined;
  return uniqueFinding(proposed, 'warn', pointer, list, undefined, scan, ' — the generator may be returning duplicate rows');
}

/** Explicit `maxItems` / `minItems` / `unique` of one check. */
export function listCheckFindings(check: ListCheck, proposed: ConfigDoc, reported: Set<string>, keyIndexes?: KeyIndexCache): Finding[] {
  const out: Finding[] = [];
  for (const { pointer, list } of listsAt(proposed.value, check.pattern)) {
    if (check.maxItems !== undefined && list.length > check.maxItems) {
      out.push(
        makeFinding(
          proposed,
          'limit.max-items',
          check.severity,
          `${showPath(pointer)} has ${list.length} entries, more than the allowed ${check.maxItems} (${list.length - check.maxItems} too many)`,
          pointer,
          { entries: list.length, maxItems: check.maxItems, check: check.source },
        ),
      );
    }
    if (check.minItems !== undefined && list.length < check.minItems) {
      out.push(
        makeFinding(
          proposed,
          'limit.min-items',
          check.severity,
          `${showPath(pointer)} has ${list.length} entries, fewer than the required ${check.minItems}`,
          pointer,
          { entries: list.length, minItems: check.minItems, check: check.source },
        ),
      );
    }
    if (check.unique !== undefined) {
      const field = check.unique === true ? undefined : check.unique;
      if (reported.has(pointer + '\u0000' + (field ?? ''))) continue;
      // A keyed list already scanned by its key (implicit uniqueness) is not scanned again.
      const scan = (field !== undefined ? cachedScan(list, field, keyIndexes) : undefined) ?? scanDuplicates(list, field);
      if (scan.count > 0) {
        reported.add(pointer + '\u0000' + (field ?? ''));
        out.push(uniqueFinding(proposed, check.severity, pointer, list, field, scan, ''));
      }
    }
  }
  return out;
}

/**
 * Entries of a keyed list without their key field cannot be matched with the LKG (the diff falls back to positions
 * for that list): a warning at the first such entry.
 */
function missingKeyFinding(doc: ConfigDoc, pointer: string, list: readonly JsonValue[], field: string, missing: number): Finding {
  let first = 0;
  while (first < list.length && entryKey(list[first], field) !== undefined) first++;
  const at = `${pointer}/${first}`;
  return makeFinding(
    doc,
    'limit.unique',
    'warn',
    `${showPath(at)} has no \`${field}\`: entries of ${showPath(pointer)} are matched by \`${field}\`, so ${plural(missing, 'entry', 'entries')} without it cannot be matched with the LKG (the diff compares that list by position)`,
    at,
    { list: pointer, field, missing },
  );
}
