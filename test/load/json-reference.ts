/**
 * Test oracle: the JSON load path as it was before the capped fast path (issue #16), kept verbatim so that
 * property tests can compare the optimised `parseJsonText` with it. Every finding is built here (no cap), then
 * `referenceCapFindings` (the old `capFindings`) keeps the first 1,000 per rule like `parseConfig` did.
 * Not used by the library.
 */
import { escapeSegment, decodePointer } from '../../src/pointer.js';
import { isSecretKey } from '../../src/secrets.js';
import type { Finding, JsonValue, RuleId, Severity, SourceLocation } from '../../src/types.js';
import { makeFinding, MAX_FINDINGS_PER_RULE, where } from '../../src/load/findings.js';
import type { LineIndex } from '../../src/load/text.js';

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

interface StrictResult {
  error?: { offset: number; message: string };
  duplicates: DuplicateKey[];
  inexact: InexactNumber[];
}

interface StrictFrame {
  obj: boolean;
  /** Current key (objects) or index (arrays). */
  seg: string;
  index: number;
  keys?: Map<string, number>;
}

function framesPointer(stack: readonly StrictFrame[], count: number): string {
  let p = '';
  for (let i = 0; i < count; i++) p += '/' + escapeSegment(stack[i]!.seg);
  return p;
}

function describe(text: string, i: number): string {
  if (i >= text.length) return 'unexpected end of input';
  const cp = text.codePointAt(i)!;
  const ch = String.fromCodePoint(cp);
  return cp < 0x20 || cp === 0x7f ? `unexpected control character U+${cp.toString(16).padStart(4, '0').toUpperCase()}` : `unexpected character ${JSON.stringify(ch)}`;
}

/**
 * Strict, iterative JSON tokenizer. Validates the grammar (reports the first error with its offset) and,
 * on request, collects duplicate keys and inexact large integer literals with their JSON Pointers.
 */
export function strictScanJson(text: string, opts: { duplicates: boolean; numbers: boolean }): StrictResult {
  const res: StrictResult = { duplicates: [], inexact: [] };
  const n = text.length;
  const stack: StrictFrame[] = [];
  const fail = (offset: number, message: string): StrictResult => {
    res.error = { offset, message };
    return res;
  };
  // Parse one string at i (text[i] === '"'); returns end offset or a negative error code via fail.
  const readString = (i: number): number | { offset: number; message: string } => {
    let j = i + 1;
    for (;;) {
      if (j >= n) return { offset: i, message: 'unterminated string' };
      const c = text.charCodeAt(j);
      if (c === QUOTE) return j + 1;
      if (c === BACKSLASH) {
        const e = text.charCodeAt(j + 1);
        if (e === 117 /* u */) {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) return { offset: j, message: 'invalid \\u escape in string' };
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
  };
  const isDigit = (c: number): boolean => c >= 48 && c <= 57;

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
        stack.push({ obj, seg: obj ? '' : '0', index: 0 });
        i = skipWs(text, i + 1);
        const close = obj ? CLOSE_BRACE : CLOSE_BRACKET;
        if (text.charCodeAt(i) === close) {
          stack.pop();
          i++;
          state = 1;
        } else state = obj ? 2 : 0;
        continue;
      }
      if (c === QUOTE) {
        const end = readString(i);
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
          const literal = text.slice(start, i);
          const value = Number(literal);
          // Non-finite (1e400 reads as Infinity) or inexact beyond 2^53 (integer, decimal or exponent form).
          if (!Number.isFinite(value) || inexactNumber(literal, value)) {
            res.inexact.push({ pointer: framesPointer(stack, stack.length), literal, offset: start, value });
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
      const end = readString(i);
      if (typeof end !== 'number') return fail(end.offset, end.message);
      const frame = stack[stack.length - 1]!;
      const raw = text.slice(i + 1, end - 1);
      const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
      frame.seg = key;
      if (opts.duplicates) {
        const keys = (frame.keys ??= new Map());
        const first = keys.get(key);
        if (first !== undefined) {
          res.duplicates.push({ pointer: framesPointer(stack, stack.length - 1) + '/' + escapeSegment(key), key, offset: i, firstOffset: first });
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
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (i < n) return fail(i, `${describe(text, i)} after the end of the document`);
      return res;
    }
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i++;
      if (top.obj) state = 2;
      else {
        top.index++;
        top.seg = String(top.index);
        state = 0;
      }
      continue;
    }
    if (c === (top.obj ? CLOSE_BRACE : CLOSE_BRACKET)) {
      stack.pop();
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
  if (hasDuplicates || counts.bigNumbers) {
    const strict = strictScanJson(text, { duplicates: hasDuplicates, numbers: counts.bigNumbers });
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
    let nonFinite = false;
    for (const x of strict.inexact) {
      const loc = lines.locate(x.offset);
      if (!Number.isFinite(x.value)) {
        // JSON.parse reads 1e400 as Infinity, which JSON cannot hold (JSON.stringify writes null): refuse it.
        nonFinite = true;
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
    if (nonFinite) return { value: undefined, findings, failed: true, syntaxError: false, locate: none };
  }
  let locator: JsonLocator | undefined;
  return {
    value,
    findings,
    failed: false,
    syntaxError: false,
    secretKeys: counts.secretKeys,
    locate: (pointer: string) => (locator ??= new JsonLocator(text, lines)).locate(pointer),
  };
}


/** 2^53 as a bigint: integer literals above it may not survive parsing as a JavaScript number. */
const TWO_53 = 9007199254740992n;

/**
 * For an integer literal (decimal, or YAML `0x`/`0o`), the exact value when its magnitude exceeds 2^53 and
 * the parsed number differs from it; `undefined` when the number is exact (or the literal is not an integer).
 */
function inexactInteger(literal: string, parsed: number): bigint | undefined {
  if (!/^[-+]?(?:[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$/.test(literal)) return undefined;
  if (!Number.isFinite(parsed) || !Number.isInteger(parsed)) return undefined;
  let exact: bigint;
  try {
    const neg = literal.startsWith('-');
    const body = literal.replace(/^[-+]/, '');
    exact = BigInt(body);
    if (neg) exact = -exact;
  } catch {
    return undefined;
  }
  const mag = exact < 0n ? -exact : exact;
  if (mag <= TWO_53) return undefined;
  return exact === BigInt(parsed) ? undefined : exact;
}

/**
 * True when a number literal (integer, decimal or exponent form, e.g. `9007199254740993`, `9007199254740993.0`,
 * `9.007199254740993e15`) has a magnitude of at least 2^53 and its parsed double differs from the exact value.
 * A decimal or exponent form counts when it is not the shortest form of the number it reads as (so `1e300` and
 * `1.7976931348623157e308`, as written by JSON.stringify, do not). Literals over 1000 characters are not examined.
 */
function inexactNumber(literal: string, parsed: number): boolean {
  if (!Number.isFinite(parsed) || Math.abs(parsed) < 9007199254740992) return false;
  if (inexactInteger(literal, parsed) !== undefined) return true;
  if (literal.length > 1000) return false;
  const lit = decimalParts(literal);
  const shortest = decimalParts(String(Math.abs(parsed)));
  // The literal reads as a number whose shortest form is different: another literal means the same number.
  return lit !== undefined && shortest !== undefined && (lit.digits !== shortest.digits || lit.exp !== shortest.exp);
}

/** Significant digits and power of ten of a decimal literal (`12.50e3` -> { digits: '125', exp: 2 }). */
function decimalParts(literal: string): { digits: string; exp: number } | undefined {
  const m = /^[-+]?([0-9]+)(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?$/.exec(literal);
  if (m === null) return undefined;
  const frac = m[2] ?? '';
  let exp = Number(m[3] ?? '0') - frac.length;
  let digits = (m[1]! + frac).replace(/^0+(?=.)/, '');
  while (digits.length > 1 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp++;
  }
  return { digits, exp };
}

/** The message of a `parse.precision-loss` finding. */
function precisionMessage(literal: string, parsed: number, loc: SourceLocation, pointer: string): string {
  return (
    `${/^[-+]?(?:[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$/.test(literal) ? 'Integer' : 'Number'} ${literal} at ${pointer || '/'} (${where(loc)}) cannot be represented exactly as a number: it is read as ` +
    `${BigInt(parsed).toString()}, so a change to it could be invisible. Quote it as a string if it is an id.`
  );
}

/** The old `capFindings`, verbatim. */
export function referenceCapFindings(findings: readonly Finding[]): Finding[] {
  if (findings.length <= MAX_FINDINGS_PER_RULE) return findings.slice();
  const kept: Finding[] = [];
  const counts = new Map<RuleId, { n: number; severity: Severity }>();
  const rank: Record<Severity, number> = { block: 0, warn: 1, info: 2 };
  for (const f of findings) {
    const c = counts.get(f.rule) ?? { n: 0, severity: f.severity };
    c.n++;
    if (c.n <= MAX_FINDINGS_PER_RULE) kept.push(f);
    else if (rank[f.severity] < rank[c.severity] || c.n === MAX_FINDINGS_PER_RULE + 1) c.severity = f.severity;
    counts.set(f.rule, c);
  }
  for (const [rule, c] of counts) {
    if (c.n <= MAX_FINDINGS_PER_RULE) continue;
    const omitted = c.n - MAX_FINDINGS_PER_RULE;
    kept.push(
      makeFinding(rule, c.severity, `${omitted} more ${rule} findings in this document are not listed (at most ${MAX_FINDINGS_PER_RULE} per rule).`, undefined, undefined, {
        omitted,
        total: c.n,
      }),
    );
  }
  return kept;
}
