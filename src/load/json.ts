/**
 * The JSON path of the load stage.
 *
 * Fast path: one cheap linear scan of the text (nesting depth, number of keys), then `JSON.parse`, then one
 * iterative walk of the value (number of keys, nodes, large integers). Only when the counts disagree (a
 * duplicate key), a large integer is present, or `JSON.parse` fails, the strict tokenizer (json-scan.ts) runs to find the
 * exact places. Positions are computed lazily, on the first `locate` call, container by container.
 *
 * Everything here is iterative: a 200,000-deep array cannot overflow the stack.
 */
import { type KeyListing, type KeyListings, SHARED_MIN_KEYS } from '../diff/keys.js';
import { decodePointer } from '../pointer.js';
import { hasUrlPassword, isSecretKey } from '../secrets.js';
import type { Finding, JsonValue, RuleId, SourceLocation } from '../types.js';
import { makeFinding, MAX_FINDINGS_PER_RULE, type OmittedFindings, precisionMessage, where } from './findings.js';
import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  isWs,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  skipString,
  skipWs,
  strictScanJson,
} from './json-scan.js';
import type { LineIndex } from './text.js';

export { strictScanJson };

/** Above this many `{`/`[` characters, the exact depth pre-scan runs before `JSON.parse`. */
const PRESCAN_BRACKETS = 1_000_000;

/** Outcome of the JSON path. */
export interface JsonOutcome {
  value: JsonValue | undefined;
  findings: Finding[];
  /** Findings past the per-rule cap, counted but not built (see `capFindings`). */
  omitted?: ReadonlyMap<RuleId, OmittedFindings> | undefined;
  failed: boolean;
  /** True when `JSON.parse` rejected the text (the caller may try YAML instead). */
  syntaxError: boolean;
  /** False when no key of the value looks like a secret and no string holds a URL password (known only on the JSON path). */
  secretKeys?: boolean;
  /** Keys and values of the value's large objects, from the loader's walk (see `walkCounts`). */
  listings?: KeyListings;
  locate: (pointer: string) => SourceLocation | undefined;
}


/**
 * The cheap pre-scan: counts `:` outside strings (= number of keys in valid JSON) and finds the first
 * bracket nested deeper than `maxDepth`. Never fails: on invalid JSON the numbers are meaningless.
 */
export function prescanJson(text: string, maxDepth: number): { keys: number; tooDeepAt: number } {
  const n = text.length;
  let i = 0;
  let depth = 0;
  let keys = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (end === -1) break;
      i = end;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return { keys, tooDeepAt: i };
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    else if (c === COLON) keys++;
    i++;
  }
  return { keys, tooDeepAt: -1 };
}

/**
 * An upper bound of the number of keys in valid JSON, cheap to compute: every `:` whose previous non-blank
 * character is an unescaped `"` that closes a string preceded by `{` or `,`. Every key colon is counted;
 * a colon inside a string can only be counted in odd texts such as `[",", ":"]` (harmless: the exact scan
 * then runs and finds nothing).
 */
export function countKeyColons(text: string): number {
  let count = 0;
  let i = text.indexOf(':');
  while (i !== -1) {
    let j = i - 1;
    let c = text.charCodeAt(j);
    while (isWs(c)) c = text.charCodeAt(--j);
    if (c === QUOTE && !isEscaped(text, j)) {
      const before = text.charCodeAt(j - 1);
      // A key's closing quote usually follows an ordinary character; only the ambiguous cases (a string
      // that may be a value starting with ':' such as ":8080") need the search for the opening quote.
      if (before !== COLON && before !== COMMA && before !== OPEN_BRACKET && before !== QUOTE && !isWs(before)) {
        count++;
        i = text.indexOf(':', i + 1);
        continue;
      }
      let q = j - 1;
      for (;;) {
        while (q >= 0 && text.charCodeAt(q) !== QUOTE) q--;
        if (q <= 0 || text.charCodeAt(q - 1) !== BACKSLASH || !isEscaped(text, q)) break;
        q--;
      }
      if (q >= 0) {
        let k = q - 1;
        let d = text.charCodeAt(k);
        while (isWs(d)) d = text.charCodeAt(--k);
        if (d === OPEN_BRACE || d === COMMA) count++;
      }
    }
    i = text.indexOf(':', i + 1);
  }
  return count;
}

function isEscaped(text: string, quoteAt: number): boolean {
  let bs = 0;
  let k = quoteAt - 1;
  while (text.charCodeAt(k) === BACKSLASH) {
    bs++;
    k--;
  }
  return (bs & 1) === 1;
}

/** Number of `{` and `[` characters in the text (strings included): an upper bound of the depth. */
function countOpenBrackets(text: string, stopAbove: number): number {
  let n = 0;
  for (let i = text.indexOf('{'); i !== -1 && n <= stopAbove; i = text.indexOf('{', i + 1)) n++;
  for (let i = text.indexOf('['); i !== -1 && n <= stopAbove; i = text.indexOf('[', i + 1)) n++;
  return n;
}

/** Counts over a parsed value, found by one iterative walk. */
interface WalkCounts {
  keys: number;
  nodes: number;
  depth: number;
  /** Some number has a magnitude of at least 2^53 (candidate for precision loss). */
  bigNumbers: boolean;
  /**
   * Some key looks like a secret (`isSecretKey`) or some string holds a URL password (`hasUrlPassword`); false
   * means the secrets walk of the masker can be skipped.
   */
  secretKeys: boolean;
  /**
   * The keys and values of every object of at least {@link SHARED_MIN_KEYS} keys, as the walk enumerated them (the
   * order of `Object.keys`). Incomplete when the walk stopped early (too deep).
   */
  listings: Map<object, KeyListing>;
}

const BIG = 9007199254740992;
const hasOwn = Object.prototype.hasOwnProperty;

function prototypeIsClean(): boolean {
  for (const _ in {}) return false;
  return true;
}

/**
 * One iterative walk: keys, nodes, deepest nesting, large numbers, secret-looking keys. Stops at the first container deeper
 * than `maxDepth`. Arrays are iterated in place (their frame keeps an index) so that the walk allocates
 * almost nothing: allocating here would make the garbage collector move the freshly parsed value.
 *
 * The keys and values of each object are written to two scratch lists as they are enumerated; a large object keeps
 * them (`listings`): enumerating a 300,000-key map costs about 0.1 s, and the gate's passes read this listing
 * instead of enumerating the map again (see diff/keys.ts).
 */
export function walkCounts(root: unknown, maxDepth: number): WalkCounts {
  const prototypeClean = prototypeIsClean();
  let keys = 0;
  let nodes = 1;
  let depth = 0;
  let bigNumbers = false;
  let secretKeys = false;
  const listings = new Map<object, KeyListing>();
  if (typeof root === 'number') bigNumbers = root >= BIG || root <= -BIG;
  if (typeof root !== 'object' || root === null) return { keys, nodes, depth, bigNumbers, secretKeys, listings };
  const vs: object[] = [root];
  const is: number[] = [0];
  const ds: number[] = [1];
  let keyList: string[] = [];
  let valueList: unknown[] = [];
  depth = 1;
  if (depth > maxDepth) return { keys, nodes, depth, bigNumbers, secretKeys, listings };
  outer: while (vs.length > 0) {
    const top = vs.length - 1;
    const v = vs[top]!;
    const d = ds[top]!;
    if (Array.isArray(v)) {
      let i = is[top]!;
      while (i < v.length) {
        const x: unknown = v[i++];
        nodes++;
        if (typeof x === 'object' && x !== null) {
          is[top] = i;
          if (d + 1 > depth) {
            depth = d + 1;
            if (depth > maxDepth) break outer;
          }
          vs.push(x);
          is.push(0);
          ds.push(d + 1);
          continue outer;
        }
        if (typeof x === 'number') {
          if (x >= BIG || x <= -BIG) bigNumbers = true;
        } else if (typeof x === 'string' && !secretKeys && hasUrlPassword(x)) secretKeys = true;
      }
      vs.pop();
      is.pop();
      ds.pop();
      continue;
    }
    vs.pop();
    is.pop();
    ds.pop();
    const o = v as Record<string, unknown>;
    // for-in allocates no key array; when something made Object.prototype enumerable, inherited keys are skipped.
    let n = 0;
    for (const k in o) {
      if (!prototypeClean && !hasOwn.call(o, k)) continue;
      const x = o[k];
      keyList[n] = k;
      valueList[n++] = x;
      if (!secretKeys && isSecretKey(k)) secretKeys = true;
      if (typeof x === 'object' && x !== null) {
        if (d + 1 > depth) {
          depth = d + 1;
          if (depth > maxDepth) break outer;
        }
        vs.push(x);
        is.push(0);
        ds.push(d + 1);
      } else if (typeof x === 'number') {
        if (x >= BIG || x <= -BIG) bigNumbers = true;
      } else if (typeof x === 'string' && !secretKeys && hasUrlPassword(x)) secretKeys = true;
    }
    keys += n;
    nodes += n;
    if (n >= SHARED_MIN_KEYS) {
      // The scratch lists become the listing (no copy); the next object starts new ones.
      keyList.length = n;
      valueList.length = n;
      listings.set(o, { keys: keyList, values: valueList });
      keyList = [];
      valueList = [];
    }
  }
  return { keys, nodes, depth, bigNumbers, secretKeys, listings };
}

/** Offset just past the JSON value starting at `i` (text known to be valid JSON). */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    const n = text.length;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === QUOTE) {
        i = skipString(text, i);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return n;
  }
  const n = text.length;
  while (i < n) {
    const d = text.charCodeAt(i);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isWs(d)) break;
    i++;
  }
  return i;
}

/**
 * Lazy positions for valid JSON: the children of a container are indexed (key or index -> offset of the
 * value) the first time a pointer goes through it. Later keys win, as with `JSON.parse`.
 */
export class JsonLocator {
  private readonly index = new Map<number, Map<string, number> | number[]>();
  constructor(
    private readonly text: string,
    private readonly lines: LineIndex,
  ) {}

  private children(offset: number): Map<string, number> | number[] {
    const cached = this.index.get(offset);
    if (cached) return cached;
    const text = this.text;
    const obj = text.charCodeAt(offset) === OPEN_BRACE;
    const close = obj ? CLOSE_BRACE : CLOSE_BRACKET;
    const keys = new Map<string, number>();
    const items: number[] = [];
    let i = skipWs(text, offset + 1);
    if (text.charCodeAt(i) !== close) {
      for (;;) {
        if (obj) {
          const end = skipString(text, i);
          const raw = text.slice(i + 1, end - 1);
          const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
          i = skipWs(text, skipWs(text, end) + 1);
          keys.set(key, i);
        } else items.push(i);
        i = skipWs(text, skipValue(text, i));
        if (text.charCodeAt(i) !== COMMA) break;
        i = skipWs(text, i + 1);
      }
    }
    const out = obj ? keys : items;
    this.index.set(offset, out);
    return out;
  }

  /** Location of the value at `pointer`, or of its nearest existing ancestor. */
  locate(pointer: string): SourceLocation | undefined {
    let offset = skipWs(this.text, 0);
    if (offset >= this.text.length) return undefined;
    for (const seg of decodePointer(pointer)) {
      const c = this.text.charCodeAt(offset);
      if (c !== OPEN_BRACE && c !== OPEN_BRACKET) break;
      const kids = this.children(offset);
      let next: number | undefined;
      if (Array.isArray(kids)) next = /^(0|[1-9][0-9]*)$/.test(seg) ? kids[Number(seg)] : undefined;
      else next = kids.get(seg);
      if (next === undefined) break;
      offset = next;
    }
    return this.lines.locate(offset);
  }
}

/**
 * Parse JSON text. `maxDepth`/`maxNodes` are enforced; duplicate keys and inexact integers are reported.
 * When `JSON.parse` rejects the text the outcome has `syntaxError` and one `parse.error` with its position.
 */
export function parseJsonText(text: string, lines: LineIndex, limits: { maxDepth: number; maxNodes: number }): JsonOutcome {
  const findings: Finding[] = [];
  const none = (): undefined => undefined;
  const tooDeep = (offset: number): JsonOutcome => {
    const loc = lines.locate(offset);
    findings.push(
      makeFinding(
        'input.too-deep',
        'block',
        `Nesting deeper than ${limits.maxDepth} levels at ${where(loc)} (limits.maxDepth); the document was not parsed.`,
        loc,
        undefined,
        { maxDepth: limits.maxDepth },
      ),
    );
    return { value: undefined, findings, failed: true, syntaxError: false, locate: none };
  };
  // JSON.parse is iterative in V8 but slows down badly past a million levels: with that many brackets,
  // check the depth on the text first. Otherwise the walk after parsing measures it.
  let keyBound: number;
  // A text of at most PRESCAN_BRACKETS characters cannot hold more brackets than that: no count needed.
  if (text.length > PRESCAN_BRACKETS && countOpenBrackets(text, PRESCAN_BRACKETS) > PRESCAN_BRACKETS) {
    const pre = prescanJson(text, limits.maxDepth);
    if (pre.tooDeepAt !== -1) return tooDeep(pre.tooDeepAt);
    keyBound = pre.keys;
  } else keyBound = countKeyColons(text);
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (err) {
    if (err instanceof RangeError) {
      // Only reachable when the caller raised maxDepth beyond what the engine supports.
      const loc = lines.locate(0);
      findings.push(makeFinding('input.too-deep', 'block', `Nesting too deep for the JSON parser (${err.message}).`, loc));
      return { value: undefined, findings, failed: true, syntaxError: false, locate: none };
    }
    const strict = strictScanJson(text, { duplicates: false, numbers: false });
    const e = strict.error ?? { offset: 0, message: err instanceof Error ? err.message : String(err) };
    const loc = lines.locate(e.offset);
    findings.push(makeFinding('parse.error', 'block', `Invalid JSON at ${where(loc)}: ${e.message}.`, loc));
    return { value: undefined, findings, failed: true, syntaxError: true, locate: none };
  }
  const counts = walkCounts(value, limits.maxDepth);
  if (counts.depth > limits.maxDepth) return tooDeep(prescanJson(text, limits.maxDepth).tooDeepAt);
  if (counts.nodes > limits.maxNodes) {
    const loc = lines.locate(0);
    findings.push(
      makeFinding('input.too-large', 'block', `The document has ${counts.nodes} nodes, over the limit of ${limits.maxNodes} (limits.maxNodes).`, loc, undefined, {
        nodes: counts.nodes,
        maxNodes: limits.maxNodes,
      }),
    );
    return { value: undefined, findings, failed: true, syntaxError: false, locate: none };
  }
  const hasDuplicates = counts.keys < keyBound;
  let omitted: Map<RuleId, OmittedFindings> | undefined;
  if (hasDuplicates || counts.bigNumbers) {
    // Findings past the per-rule cap are only counted (capFindings summarises them): on hostile input (300,000
    // duplicate keys or big integers) building their messages, locations and pointers was most of the cost.
    const keep = MAX_FINDINGS_PER_RULE;
    const strict = strictScanJson(text, { duplicates: hasDuplicates, numbers: counts.bigNumbers, keep, valid: true });
    omitted = new Map();
    if (strict.duplicateCount > keep) omitted.set('parse.duplicate-key', { count: strict.duplicateCount - keep, severity: 'block' });
    if (strict.nonFiniteCount > keep) omitted.set('parse.error', { count: strict.nonFiniteCount - keep, severity: 'block' });
    if (strict.inexactCount > keep) omitted.set('parse.precision-loss', { count: strict.inexactCount - keep, severity: 'warn' });
    // Findings in document order.
    const events: Array<{ offset: number; f: Finding }> = [];
    for (const d of strict.duplicates) {
      const loc = lines.locate(d.offset);
      const first = lines.locate(d.firstOffset);
      events.push({
        offset: d.offset,
        f: makeFinding(
          'parse.duplicate-key',
          'block',
          `Duplicate key ${JSON.stringify(d.key)} at ${where(loc)} (first at line ${first.line}); JSON.parse would silently keep the last one.`,
          loc,
          d.pointer,
          { key: d.key, firstLine: first.line, firstColumn: first.column },
        ),
      });
    }
    const nonFinite = strict.nonFiniteCount > 0;
    for (const x of strict.inexact) {
      const loc = lines.locate(x.offset);
      if (!Number.isFinite(x.value)) {
        // JSON.parse reads 1e400 as Infinity, which JSON cannot hold (JSON.stringify writes null): refuse it.
        events.push({
          offset: x.offset,
          f: makeFinding('parse.error', 'block', `The number ${x.literal.length > 40 ? x.literal.slice(0, 40) + '…' : x.literal} at ${where(loc)} (${x.pointer || '/'}) is out of range for a JSON number (it would read as ${x.value}); quote it if it is text.`, loc, x.pointer),
        });
        continue;
      }
      events.push({
        offset: x.offset,
        f: makeFinding('parse.precision-loss', 'warn', precisionMessage(x.literal, x.value, loc, x.pointer), loc, x.pointer, {
          literal: x.literal,
          parsed: x.value,
        }),
      });
    }
    events.sort((a, b) => a.offset - b.offset);
    for (const e of events) findings.push(e.f);
    if (nonFinite) return { value: undefined, findings, omitted, failed: true, syntaxError: false, locate: none };
  }
  let locator: JsonLocator | undefined;
  return {
    value,
    findings,
    failed: false,
    syntaxError: false,
    secretKeys: counts.secretKeys,
    listings: counts.listings,
    omitted,
    locate: (pointer: string) => (locator ??= new JsonLocator(text, lines)).locate(pointer),
  };
}

