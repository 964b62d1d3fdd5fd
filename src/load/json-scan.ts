/**
 * The strict scan of the JSON path: one tokenizer pass over the text that finds what `JSON.parse` hides or
 * refuses, with its place: duplicate keys (the last value is kept), numbers that lose precision or are not
 * finite, and the first syntax error. Run by `parseJsonText` only when the cheap counts say there is something
 * to find. Findings past the per-rule cap are counted, not detailed. Iterative: no depth can overflow the stack.
 */
import { escapeSegment } from '../pointer.js';
import { inexactNumber, MAX_FINDINGS_PER_RULE } from './findings.js';

export const QUOTE = 34;
export const BACKSLASH = 92;
export const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;
export const OPEN_BRACKET = 91;
export const CLOSE_BRACKET = 93;
export const COLON = 58;
export const COMMA = 44;

/** Offset just past the string starting at `start` (a `"`), or -1 when it is not terminated. */
export function skipString(text: string, start: number): number {
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

export function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

export function skipWs(text: string, i: number): number {
  const n = text.length;
  while (i < n && isWs(text.charCodeAt(i))) i++;
  return i;
}

/** A duplicate key found by the strict scan. */
export interface DuplicateKey {
  pointer: string;
  key: string;
  offset: number;
  firstOffset: number;
}

/** An integer literal that does not survive `JSON.parse`. */
export interface InexactNumber {
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

export interface StrictResult {
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
 * Whether number literals read exactly, remembering the last literal judged: long runs of the same big literal (ids
 * repeated in a list) are answered by comparing characters, without slicing or parsing the literal again.
 */
class LiteralJudge {
  /** The last literal judged. */
  literal = '';
  /** Its value as `Number` reads it. */
  value = 0;
  /** It is non-finite (1e400 reads as Infinity) or inexact beyond 2^53 (integer, decimal or exponent form). */
  inexact = false;

  /** Judge the literal `text[start, end)`: true when it is inexact (then `literal` and `value` are its own). */
  at(text: string, start: number, end: number): boolean {
    if (end - start !== this.literal.length || !text.startsWith(this.literal, start)) this.judge(text.slice(start, end));
    return this.inexact;
  }

  /** Judge `literal`, as {@link at}. */
  of(literal: string): boolean {
    if (literal !== this.literal) this.judge(literal);
    return this.inexact;
  }

  private judge(literal: string): void {
    this.literal = literal;
    this.value = Number(literal);
    this.inexact = !Number.isFinite(this.value) || inexactNumber(literal, this.value);
  }
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
  const judge = new LiteralJudge();
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
    if (!judge.of(literal)) continue;
    if (Number.isFinite(judge.value)) res.inexactCount++;
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
  const judge = new LiteralJudge();
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
      if (numbers && (!integer || i - start >= 16) && judge.at(text, start, i)) {
        const { literal, value } = judge;
        const count = Number.isFinite(value) ? ++res.inexactCount : ++res.nonFiniteCount;
        if (count <= keep) res.inexact.push({ pointer: framesPointer(text, stack, depth), literal, offset: start, value });
        // Only numbers are collected: once the inexact numbers that get details are all found, the rest only
        // needs counting, which needs no structure (see countBigNumbersFrom).
        if (countingTail && res.inexactCount === keep) {
          if (countBigNumbersFrom(text, i, res, keep)) return res;
          return scanValidJson(text, { ...opts, noCountingTail: true });
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
  const judge = new LiteralJudge();
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
        if (opts.numbers && (!integer || i - start >= 16) && judge.at(text, start, i)) {
          const { literal, value } = judge;
          const count = Number.isFinite(value) ? ++res.inexactCount : ++res.nonFiniteCount;
          if (count <= keep) res.inexact.push({ pointer: framesPointer(text, stack, depth), literal, offset: start, value });
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

