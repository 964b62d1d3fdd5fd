/**
 * The JSON path of the load stage.
 *
 * Fast path: one cheap linear scan of the text (nesting depth, number of keys), then `JSON.parse`, then one
 * iterative walk of the value (number of keys, nodes, large integers). Only when the counts disagree (a
 * duplicate key), a large integer is present, or `JSON.parse` fails, the strict tokenizer runs to find the
 * exact places. Positions are computed lazily, on the first `locate` call, container by container.
 *
 * Everything here is iterative: a 200,000-deep array cannot overflow the stack.
 */
import { escapeSegment, decodePointer } from '../pointer.js';
import { isSecretKey } from '../secrets.js';
import type { Finding, JsonValue, RuleId, SourceLocation } from '../types.js';
import { inexactNumber, makeFinding, MAX_FINDINGS_PER_RULE, type OmittedFindings, precisionMessage, where } from './findings.js';
import type { LineIndex } from './text.js';

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COLON = 58;
const COMMA = 44;
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
  /** False when no key of the value looks like a secret (known only on the JSON path). */
  secretKeys?: boolean;
  locate: (pointer: string) => SourceLocation | undefined;
}

/** Offset just past the string starting at `start` (a `"`), or -1 when it is not terminated. */
function skipString(text: string, start: number): number {
  let j = text.indexOf('"', start + 1);
  while (j !== -1 && text.charCodeAt(j - 1) === BACKSLASH) {
    let k = j - 1;
    let bs = 0;
    while (text.charCodeAt(k) === BACKSLASH) {
      bs++;
      k--;
    }
    if ((bs & 1) === 0) break;
    j = text.indexOf('"', j + 1);
  }
  return j === -1 ? -1 : j + 1;
}

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipWs(text: string, i: number): number {
  const n = text.length;
  while (i < n && isWs(text.charCodeAt(i))) i++;
  return i;
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
  /** Some key looks like a secret (`isSecretKey`); false means the secrets walk of the masker can be skipped. */
  secretKeys: boolean;
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
 */
export function walkCounts(root: unknown, maxDepth: number): WalkCounts {
  const prototypeClean = prototypeIsClean();
  let keys = 0;
  let nodes = 1;
  let depth = 0;
  let bigNumbers = false;
  let secretKeys = false;
  if (typeof root === 'number') bigNumbers = root >= BIG || root <= -BIG;
  if (typeof root !== 'object' || root === null) return { keys, nodes, depth, bigNumbers, secretKeys };
  const vs: object[] = [root];
  const is: number[] = [0];
  const ds: number[] = [1];
  depth = 1;
  if (depth > maxDepth) return { keys, nodes, depth, bigNumbers, secretKeys };
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
        if (typeof x === 'number' && (x >= BIG || x <= -BIG)) bigNumbers = true;
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
    for (const k in o) {
      if (!prototypeClean && !hasOwn.call(o, k)) continue;
      keys++;
      nodes++;
      if (!secretKeys && isSecretKey(k)) secretKeys = true;
      const x = o[k];
      if (typeof x === 'object' && x !== null) {
        if (d + 1 > depth) {
          depth = d + 1;
          if (depth > maxDepth) break outer;
        }
        vs.push(x);
        is.push(0);
        ds.push(d + 1);
      } else if (typeof x === 'number' && (x >= BIG || x <= -BIG)) bigNumbers = true;
    }
  }
  return { keys, nodes, depth, bigNumbers, secretKeys };
}

/** A duplicate key found by the strict scan. */
interface DuplicateKey {
  pointer: string;
  key: string;
  offset: number;
  firstOffset: number;
}

/** An integer literal that does not survive `JSON.parse`. */
interface InexactNumber {
  pointer: string;
  literal: string;
  offset: number;
  value: number;
}

/** Options of {@link strictScanJson}. */
export interface StrictScanOptions {
  /** Collect duplicate keys. */
  duplicates: boolean;
  /** Collect number literals that `JSON.parse` does not read exactly (or reads as Infinity). */
  numbers: boolean;
  /**
   * Keep the details (pointer, key, literal) of at most this many duplicates, inexact and non-finite numbers
   * each; the counts stay exact. Default: all. Bounds the work on hostile input, whose findings are capped anyway.
   */
  keep?: number;
  /**
   * The text is known to be valid JSON (`JSON.parse` accepted it): strings are skipped without checking their
   * escapes and characters. Without it every token is checked and the first error is reported.
   */
  valid?: boolean;
  /** Never switch to counting numbers without structure (see {@link countBigNumbersFrom}); for tests and the fallback. */
  noCountingTail?: boolean;
}

interface StrictResult {
  error?: { offset: number; message: string };
  /** The first `keep` duplicate keys, in document order. */
  duplicates: DuplicateKey[];
  /** The first `keep` inexact numbers and the first `keep` non-finite ones, in document order. */
  inexact: InexactNumber[];
  /** Number of duplicate keys. */
  duplicateCount: number;
  /** Number of finite number literals that are not read exactly. */
  inexactCount: number;
  /** Number of number literals read as Infinity. */
  nonFiniteCount: number;
}

/**
 * One open container of the strict scan. Frames are reused (one per depth) and the current key is kept as offsets:
 * its text and escaped pointer segment are only built for the few findings that are kept.
 */
interface StrictFrame {
  obj: boolean;
  /** Current index (arrays). */
  index: number;
  /** Offsets of the current key's quotes (objects; -1 before the first key). */
  keyStart: number;
  keyEnd: number;
  /** Keys seen so far (objects, when duplicates are collected) -> offset of their first occurrence. */
  keys: Map<string, number> | undefined;
}

/** The key of a string token known to be valid (offsets of its quotes). */
function keyAt(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end - 1);
  return raw.includes('\\') ? (JSON.parse(text.slice(start, end)) as string) : raw;
}

function framesPointer(text: string, stack: readonly StrictFrame[], count: number): string {
  let p = '';
  for (let i = 0; i < count; i++) {
    const f = stack[i]!;
    p += '/' + (f.obj ? (f.keyStart === -1 ? '' : escapeSegment(keyAt(text, f.keyStart, f.keyEnd))) : String(f.index));
  }
  return p;
}

function describe(text: string, i: number): string {
  if (i >= text.length) return 'unexpected end of input';
  const cp = text.codePointAt(i)!;
  const ch = String.fromCodePoint(cp);
  return cp < 0x20 || cp === 0x7f ? `unexpected control character U+${cp.toString(16).padStart(4, '0').toUpperCase()}` : `unexpected character ${JSON.stringify(ch)}`;
}

const HEX4 = /^[0-9a-fA-F]{4}$/;

/** End offset of the string at `i` (`text[i] === '"'`), or its first error. Checks every character and escape. */
function readString(text: string, i: number): number | { offset: number; message: string } {
  const n = text.length;
  let j = i + 1;
  for (;;) {
    if (j >= n) return { offset: i, message: 'unterminated string' };
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) {
      const e = text.charCodeAt(j + 1);
      if (e === 117 /* u */) {
        if (!HEX4.test(text.slice(j + 2, j + 6))) return { offset: j, message: 'invalid \\u escape in string' };
        j += 6;
        continue;
      }
      // " \ / b f n r t
      if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
        j += 2;
        continue;
      }
      return { offset: j, message: 'invalid escape in string' };
    }
    if (c < 0x20) return { offset: j, message: `${describe(text, j)} in string (escape it)` };
    j++;
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Number literals that may not be read exactly: 16 digits or more before any fraction, or an exponent. A literal
 * whose magnitude reaches 2^53 (or Infinity) has one of these forms; the `"` alternative finds strings to skip.
 */
const BIG_LITERAL = /-?[0-9]{16,}(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|-?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]+|"/g;

/**
 * The tail of the strict scan of valid JSON when only numbers are collected and `keep` inexact ones are already
 * kept: counts the inexact and non-finite literals from offset `from` on, with the regular expression engine
 * instead of the tokenizer (300,000 big integers: the tokenizer was most of the load time). Outside strings, digits
 * only occur in number literals, so a match is a literal unless it starts in a fraction (after a `.`). Returns false
 * when a non-finite literal still needs its details (its pointer needs the structure): the caller scans again.
 */
function countBigNumbersFrom(text: string, from: number, res: StrictResult, keep: number): boolean {
  const rx = BIG_LITERAL;
  rx.lastIndex = from;
  let lastLiteral = '';
  let lastValue = 0;
  let lastInexact = false;
  for (let m = rx.exec(text); m !== null; m = rx.exec(text)) {
    const literal = m[0];
    const start = m.index;
    if (literal === '"') {
      const end = skipString(text, start);
      if (end === -1) break;
      rx.lastIndex = end;
      continue;
    }
    if (text.charCodeAt(start - 1) === 46 /* . */) continue;
    let value: number;
    let inexact: boolean;
    if (literal === lastLiteral) {
      value = lastValue;
      inexact = lastInexact;
    } else {
      value = Number(literal);
      inexact = !Number.isFinite(value) || inexactNumber(literal, value);
      lastLiteral = literal;
      lastValue = value;
      lastInexact = inexact;
    }
    if (!inexact) continue;
    if (Number.isFinite(value)) res.inexactCount++;
    else if (++res.nonFiniteCount <= keep) return false;
  }
  rx.lastIndex = 0;
  return true;
}

/**
 * {@link strictScanJson} for text that `JSON.parse` accepted: no grammar to check, so one small loop over the
 * characters that matter (quotes, brackets, commas, number literals) finds keys and numbers. Small on purpose: on a
 * cold start (the CLI) the engine optimises it sooner and compiles it faster than the validating tokenizer.
 */
function scanValidJson(text: string, opts: StrictScanOptions): StrictResult {
  const res: StrictResult = { duplicates: [], inexact: [], duplicateCount: 0, inexactCount: 0, nonFiniteCount: 0 };
  const keep = opts.keep ?? Infinity;
  const { duplicates, numbers } = opts;
  const countingTail = numbers && !duplicates && opts.noCountingTail !== true;
  const n = text.length;
  // stack[0..depth) are the open containers; frames past `depth` are kept for reuse.
  const stack: StrictFrame[] = [];
  let depth = 0;
  // The next string is a key (after `{` or after a `,` in an object).
  let expectKey = false;
  // The last literal examined for precision and its verdict: long runs of the same big literal (ids repeated in
  // a list) are answered by comparing characters, without slicing or parsing the literal again.
  let lastLiteral = '';
  let lastValue = 0;
  let lastInexact = false;
  // The next backslash of the text, found once for many keys: a key before it has no escape to decode.
  let nextBackslash = -1;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (end === -1) break; // not valid JSON after all: stop rather than loop
      if (expectKey) {
        expectKey = false;
        const frame = stack[depth - 1]!;
        frame.keyStart = i;
        frame.keyEnd = end;
        if (duplicates) {
          if (nextBackslash < i) {
            nextBackslash = text.indexOf('\\', i);
            if (nextBackslash === -1) nextBackslash = n;
          }
          const key = nextBackslash < end ? (JSON.parse(text.slice(i, end)) as string) : text.slice(i + 1, end - 1);
          const keys = (frame.keys ??= new Map());
          const first = keys.get(key);
          if (first !== undefined) {
            if (++res.duplicateCount <= keep) {
              res.duplicates.push({ pointer: framesPointer(text, stack, depth - 1) + '/' + escapeSegment(key), key, offset: i, firstOffset: first });
            }
          } else keys.set(key, i);
        }
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const obj = c === OPEN_BRACE;
      let frame = stack[depth];
      if (frame === undefined) {
        frame = { obj, index: 0, keyStart: -1, keyEnd: -1, keys: undefined };
        stack.push(frame);
      } else {
        frame.obj = obj;
        frame.index = 0;
        frame.keyStart = -1;
        frame.keyEnd = -1;
        frame.keys?.clear();
      }
      depth++;
      expectKey = obj;
      i++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      expectKey = false;
      i++;
    } else if (c === COMMA) {
      const top = stack[depth - 1]!;
      if (top.obj) expectKey = true;
      else top.index++;
      i++;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      // A number literal: digits, sign, point and exponent (no other character of valid JSON can follow it).
      const start = i;
      let integer = true;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d >= 48 && d <= 57) continue;
        if (d === 46 || d === 101 || d === 69) integer = false;
        else if (d !== 43 && d !== 45) break;
      }
      if (numbers && (!integer || i - start >= 16)) {
        let literal: string;
        let value: number;
        let inexact: boolean;
        if (i - start === lastLiteral.length && text.startsWith(lastLiteral, start)) {
          literal = lastLiteral;
          value = lastValue;
          inexact = lastInexact;
        } else {
          literal = text.slice(start, i);
          value = Number(literal);
          // Non-finite (1e400 reads as Infinity) or inexact beyond 2^53 (integer, decimal or exponent form).
          inexact = !Number.isFinite(value) || inexactNumber(literal, value);
          lastLiteral = literal;
          lastValue = value;
          lastInexact = inexact;
        }
        if (inexact) {
          const count = Number.isFinite(value) ? ++res.inexactCount : ++res.nonFiniteCount;
          if (count <= keep) res.inexact.push({ pointer: framesPointer(text, stack, depth), literal, offset: start, value });
          // Only numbers are collected: once the inexact numbers that get details are all found, the rest only
          // needs counting, which needs no structure (see countBigNumbersFrom).
          if (countingTail && res.inexactCount === keep) {
            if (countBigNumbersFrom(text, i, res, keep)) return res;
            return scanValidJson(text, { ...opts, noCountingTail: true });
          }
        }
      }
    } else i++;
  }
  return res;
}

/**
 * Strict, iterative JSON tokenizer. Validates the grammar (reports the first error with its offset) and,
 * on request, collects duplicate keys and inexact large integer literals with their JSON Pointers.
 */
export function strictScanJson(text: string, opts: StrictScanOptions): StrictResult {
  if (opts.valid === true) return scanValidJson(text, opts);
  const res: StrictResult = { duplicates: [], inexact: [], duplicateCount: 0, inexactCount: 0, nonFiniteCount: 0 };
  const keep = opts.keep ?? Infinity;
  const n = text.length;
  // stack[0..depth) are the open containers; frames past `depth` are kept for reuse.
  const stack: StrictFrame[] = [];
  let depth = 0;
  // The last literal examined for precision and its verdict: long runs of the same big literal (ids repeated in
  // a list) are answered by comparing characters, without slicing or parsing the literal again.
  let lastLiteral = '';
  let lastValue = 0;
  let lastInexact = false;
  const fail = (offset: number, message: string): StrictResult => {
    res.error = { offset, message };
    return res;
  };

  let i = skipWs(text, 0);
  if (i >= n) return fail(i, 'empty document');
  // state: 0 = expect value, 1 = after value, 2 = expect key
  let state = 0;
  for (;;) {
    if (state === 0) {
      i = skipWs(text, i);
      const c = text.charCodeAt(i);
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        const obj = c === OPEN_BRACE;
        let frame = stack[depth];
        if (frame === undefined) {
          frame = { obj, index: 0, keyStart: -1, keyEnd: -1, keys: undefined };
          stack.push(frame);
        } else {
          frame.obj = obj;
          frame.index = 0;
          frame.keyStart = -1;
          frame.keyEnd = -1;
          frame.keys?.clear();
        }
        depth++;
        i = skipWs(text, i + 1);
        const close = obj ? CLOSE_BRACE : CLOSE_BRACKET;
        if (text.charCodeAt(i) === close) {
          depth--;
          i++;
          state = 1;
        } else state = obj ? 2 : 0;
        continue;
      }
      if (c === QUOTE) {
        const end = readString(text, i);
        if (typeof end !== 'number') return fail(end.offset, end.message);
        i = end;
        state = 1;
        continue;
      }
      if (c === 45 /* - */ || isDigit(c)) {
        const start = i;
        if (c === 45) i++;
        if (text.charCodeAt(i) === 48) i++;
        else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
        else return fail(i, `${describe(text, i)} in number`);
        let integer = true;
        if (text.charCodeAt(i) === 46 /* . */) {
          integer = false;
          i++;
          if (!isDigit(text.charCodeAt(i))) return fail(i, `${describe(text, i)} in number`);
          while (isDigit(text.charCodeAt(i))) i++;
        }
        const e = text.charCodeAt(i);
        if (e === 101 || e === 69) {
          integer = false;
          i++;
          const s = text.charCodeAt(i);
          if (s === 43 || s === 45) i++;
          if (!isDigit(text.charCodeAt(i))) return fail(i, `${describe(text, i)} in number`);
          while (isDigit(text.charCodeAt(i))) i++;
        }
        if (opts.numbers && (!integer || i - start >= 16)) {
          let literal: string;
          let value: number;
          let inexact: boolean;
          if (i - start === lastLiteral.length && text.startsWith(lastLiteral, start)) {
            literal = lastLiteral;
            value = lastValue;
            inexact = lastInexact;
          } else {
            literal = text.slice(start, i);
            value = Number(literal);
            // Non-finite (1e400 reads as Infinity) or inexact beyond 2^53 (integer, decimal or exponent form).
            inexact = !Number.isFinite(value) || inexactNumber(literal, value);
            lastLiteral = literal;
            lastValue = value;
            lastInexact = inexact;
          }
          if (inexact) {
            const count = Number.isFinite(value) ? ++res.inexactCount : ++res.nonFiniteCount;
            if (count <= keep) res.inexact.push({ pointer: framesPointer(text, stack, depth), literal, offset: start, value });
          }
        }
        state = 1;
        continue;
      }
      const word = c === 116 ? 'true' : c === 102 ? 'false' : c === 110 ? 'null' : undefined;
      if (word !== undefined) {
        for (let k = 0; k < word.length; k++) {
          if (text.charCodeAt(i + k) !== word.charCodeAt(k)) return fail(i + k, `${describe(text, i + k)} (expected ${word})`);
        }
        i += word.length;
        state = 1;
        continue;
      }
      return fail(i, `${describe(text, i)} (expected a value)`);
    }
    if (state === 2) {
      i = skipWs(text, i);
      if (text.charCodeAt(i) !== QUOTE) return fail(i, `${describe(text, i)} (expected a string key in double quotes)`);
      const end = readString(text, i);
      if (typeof end !== 'number') return fail(end.offset, end.message);
      const frame = stack[depth - 1]!;
      frame.keyStart = i;
      frame.keyEnd = end;
      if (opts.duplicates) {
        const key = keyAt(text, i, end);
        const keys = (frame.keys ??= new Map());
        const first = keys.get(key);
        if (first !== undefined) {
          if (++res.duplicateCount <= keep) {
            res.duplicates.push({ pointer: framesPointer(text, stack, depth - 1) + '/' + escapeSegment(key), key, offset: i, firstOffset: first });
          }
        } else keys.set(key, i);
      }
      i = skipWs(text, end);
      if (text.charCodeAt(i) !== COLON) return fail(i, `${describe(text, i)} (expected ':' after the key)`);
      i++;
      state = 0;
      continue;
    }
    // state 1: after a value
    i = skipWs(text, i);
    if (depth === 0) {
      if (i < n) return fail(i, `${describe(text, i)} after the end of the document`);
      return res;
    }
    const top = stack[depth - 1]!;
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i++;
      if (top.obj) state = 2;
      else {
        top.index++;
        state = 0;
      }
      continue;
    }
    if (c === (top.obj ? CLOSE_BRACE : CLOSE_BRACKET)) {
      depth--;
      i++;
      continue;
    }
    return fail(i, `${describe(text, i)} (expected ',' or '${top.obj ? '}' : ']'}')`);
  }
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
    omitted,
    locate: (pointer: string) => (locator ??= new JsonLocator(text, lines)).locate(pointer),
  };
}

