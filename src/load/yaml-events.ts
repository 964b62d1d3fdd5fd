/**
 * The fast YAML path of the load stage: `js-yaml`'s event parser (a flat list of events with source offsets, no
 * syntax tree) and our own conversion of those events into plain JSON values, for the plain documents that
 * make up nearly every configuration.
 *
 * Why a second parser: the `yaml` package costs about 10 µs and 1 KB per node (a lexer, a CST, then a document
 * of node objects), so 100,000 keys take over a second before the gate starts. js-yaml's events cost a fifth of
 * that (BENCHMARKS.md, "Hostile inputs").
 *
 * How it stays exact: this path answers only when its answer is the one the `yaml` path (src/load/yaml.ts) gives,
 * value and findings alike, and DECLINES otherwise (returns undefined, and the caller runs the `yaml` path):
 *
 * - plain scalars are typed by the `yaml` package's own core-schema tags (the same regular expressions and
 *   `resolve` functions), so `0o17`, `.5`, `~`, `1e3` mean what they mean on the other path;
 * - keys, quoted and block scalars are strings, as the `yaml` path reads them with `stringKeys`;
 * - duplicate keys, unsupported tags, numbers JSON cannot hold or that lose precision, nesting and node limits
 *   give the same findings with the same messages and positions;
 * - alias and merge-key bombs are refused here, at the cost of js-yaml's events: the expanded size of every anchor
 *   is counted once (as the `yaml` path counts it) before anything is expanded, and the document is refused at the
 *   first alias that takes a count over its limit, once the conversion's checks (without expansion) ran over the
 *   whole document, so that the `yaml` package would have read it without errors too;
 * - anything rarer declines: a syntax error (the `yaml` path words those), directives or several documents, an
 *   alias or anchor within the limits (expanded there) or not plainly written, a tab or a lone `\r`,
 *   a scalar over several lines, a block scalar with an indentation indicator, a plain `<<` key, a core-schema tag
 *   written out (`!!int "1"` changes typing), a tag on a key or on an empty or block scalar, a key that is not a
 *   scalar, an empty document, a position this file cannot derive exactly.
 *
 * `locate(pointer)` is needed only for findings of later stages; it parses the text with the `yaml` package on
 * first use and answers from that tree, so positions are those of the `yaml` path by construction.
 * test/load/yaml-paths.test.ts compares both paths on the YAML test suite, our corpora and generated documents.
 */
import { COLLECTION_STYLE, EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE } from 'js-yaml';
import type { Event as YamlEvent, MappingEvent, ScalarEvent, SequenceEvent } from 'js-yaml';
import { isScalar, Schema } from 'yaml';
import { escapeSegment } from '../pointer.js';
import type { Finding, InputLimits, JsonObject, JsonValue, RuleId, Severity, SourceLocation } from '../types.js';
import { inexactNumber, makeFinding, MAX_FINDINGS_PER_RULE, precisionMessage, where, type OmittedFindings } from './findings.js';
import type { LineIndex } from './text.js';
import { ALLOWED_TAGS, duplicateKeyFinding, expansionFinding, setOwn, unsupportedTagFinding, type YamlOutcome } from './yaml-shared.js';

/** Thrown to give the document to the `yaml` path. Never escapes this module. */
class Decline {}
const DECLINE = new Decline();

/** Thrown to stop at the first limit exceeded, like the `yaml` path's `Abort`. */
class Stop {
  constructor(readonly finding: Finding) {}
}

interface CoreTag {
  default?: boolean | 'key';
  test?: RegExp;
  resolve: (value: string, onError: (msg: string) => void, options: { intAsBigInt: boolean }) => unknown;
}

/**
 * The plain-scalar resolvers of the `yaml` package's core schema, in its order (null, bool, int, float). Built on
 * first use, not when this module loads: the CLI bundle requires `yaml` only when a YAML file is read
 * (scripts/lazy-externals.mjs).
 */
let coreTags: readonly CoreTag[] | undefined;
function coreSchemaTags(): readonly CoreTag[] {
  return (new Schema({ schema: 'core', merge: false, resolveKnownTags: false }).tags as unknown as CoreTag[]).filter(
    (t) => t.default === true && t.test instanceof RegExp,
  );
}
const RESOLVE_OPTIONS = { intAsBigInt: false };
const onResolveError = (): never => {
  throw DECLINE;
};

/** The value of a plain scalar as the `yaml` core schema types it (a string when no tag's test matches). */
function plainValue(s: string): unknown {
  for (const tag of (coreTags ??= coreSchemaTags())) {
    if (!tag.test!.test(s)) continue;
    // Some resolvers return the value, others a `Scalar` holding it (null, bool, float): the `yaml` path reads `.value`.
    const v = tag.resolve(s, onResolveError, RESOLVE_OPTIONS);
    return isScalar(v) ? v.value : v;
  }
  return s;
}

/** The full name of a tag as the `yaml` package resolves it with no %TAG directive, or undefined (decline). */
function tagName(source: string): string | undefined {
  if (source === '!') return '!';
  // `!!name` (the core prefix) or a local `!name`, with a plain suffix; anything else (`!!` alone, `%` escapes,
  // verbatim `!<...>`, a named handle `!e!foo` that needs a %TAG directive) is for the `yaml` path.
  const m = /^(!!?)([A-Za-z0-9_./-]+)$/.exec(source);
  if (m === null) return undefined;
  return m[1] === '!!' ? 'tag:yaml.org,2002:' + m[2]! : source;
}

/** Offset the `yaml` package gives as a node's start (`range[0]`), or undefined when it cannot be derived here. */
function nodeStart(e: ScalarEvent | MappingEvent | SequenceEvent): number | undefined {
  if (e.type !== EVENT_ID.SCALAR) return e.start;
  if (e.valueStart < 0) return undefined; // an empty scalar: its position depends on the indicator before it
  if (e.style === SCALAR_STYLE.PLAIN) return e.valueStart;
  if (e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED) return e.valueStart - 1;
  return undefined; // a block scalar starts at its `|` or `>` header
}

interface SeqFrame {
  map: false;
  out: JsonValue[];
  depth: number;
  ptr: string;
  flow: boolean;
}
interface MapFrame {
  map: true;
  out: JsonObject;
  depth: number;
  ptr: string;
  flow: boolean;
  /**
   * Each key's first offset, for duplicate findings, in two arrays until the first duplicate and in `firstAt` from
   * then on. Whether a key was seen is asked of `out` itself: a second table of 100,000 keys cost a third of the
   * conversion (every lookup a cache miss).
   */
  names: string[];
  offsets: number[];
  firstAt: Map<string, number> | undefined;
  /** The key whose value comes next, or undefined when a key comes next. */
  key: string | undefined;
}
type Frame = SeqFrame | MapFrame;

/**
 * Parse YAML text through js-yaml's events. Returns the outcome, identical to what the `yaml` path would give, or
 * undefined when the document must go to the `yaml` path. `locate` is built lazily by `lazyLocate`.
 */
export function parseYamlEvents(
  text: string,
  lines: LineIndex,
  limits: Required<InputLimits>,
  maxParserDepth: number,
  lazyLocate: () => (pointer: string) => SourceLocation | undefined,
): YamlOutcome | undefined {
  // A lone `\r` is a line break for js-yaml, not for the `yaml` package; tabs are where the two disagree most
  // (indentation, separation, plain scalars); configs have neither.
  if (text.includes('\t') || hasLoneCarriageReturn(text) || strayDocumentMarker(text)) return undefined;
  let events: YamlEvent[];
  try {
    events = parseEvents(text, { maxDepth: maxParserDepth });
  } catch {
    return undefined; // syntax errors (and anything else) are reported by the `yaml` path, in its words
  }
  try {
    const head = events[0];
    if (events.length < 3 || head === undefined || head.type !== EVENT_ID.DOCUMENT || head.directives.length > 0) return undefined;
    const seen = { aliases: false };
    const tooMany = expansionOver(events, text, lines, limits, seen);
    if (tooMany) {
      // The `yaml` path refuses a document only when the `yaml` package reads it without errors: the conversion's
      // checks (which decline whatever that package may read otherwise) run over the whole document first.
      convert(events, text, lines, limits, lazyLocate, true);
      return { value: undefined, findings: [tooMany], failed: true, syntaxError: false, locate: () => undefined };
    }
    // Anchors and aliases within the limits: expanded on the `yaml` path.
    if (seen.aliases) return undefined;
    return convert(events, text, lines, limits, lazyLocate, false);
  } catch (err) {
    if (err instanceof Decline) return undefined;
    if (err instanceof Stop) return { value: undefined, findings: [err.finding], failed: true, syntaxError: false, locate: () => undefined };
    throw err;
  }
}

/** The name of an anchor or alias as this path accepts it: plain names only, anything rarer is for the `yaml` path. */
const PLAIN_ANCHOR_NAME = /^[A-Za-z0-9_.-]+$/;

/** The size of an anchored node once it is closed (undefined while it is open, and for a key's anchor). */
interface AnchorSize {
  nodes: number;
  aliases: number;
}

/**
 * Count, on the events and before anything is expanded, the nodes and alias resolutions the `yaml` path counts in
 * its `expansionOver` (src/load/yaml.ts), the same way: value nodes in document order (the root, every collection
 * and scalar that is not a key), an alias adding the size of its anchor's node (recorded when that node closes:
 * an alias to an open node, to a key or to an unknown anchor counts one node), an alias key one resolution, a plain
 * `<<` key nothing (its value counts like any value). Returns the finding at the first alias or node that takes a
 * count over its limit; sets `seen.aliases` when the document has an anchor or an alias. Declines non-scalar keys
 * and a crossing whose position this file cannot derive.
 */
function expansionOver(
  events: YamlEvent[],
  text: string,
  lines: LineIndex,
  limits: Required<InputLimits>,
  seen: { aliases: boolean },
): Finding | undefined {
  // Per open collection: 0 = sequence, 1 = mapping expecting a key, 2 = mapping expecting a value.
  const state: number[] = [];
  // Per open collection: its anchor's size record and the counts when it opened, or undefined.
  const open: Array<{ size: AnchorSize | undefined; name: string; n0: number; a0: number } | undefined> = [];
  const anchors = new Map<string, { size: AnchorSize | undefined }>();
  let nodes = 0;
  let aliases = 0;
  const over = (at: number | undefined, expanded?: { source: string; nodes: number }): Finding | undefined => {
    if (aliases <= limits.maxAliases && nodes <= limits.maxNodes) return undefined;
    if (at === undefined) throw DECLINE;
    return expansionFinding(aliases > limits.maxAliases ? 'aliases' : 'nodes', limits, lines.locate(at), expanded);
  };
  for (let i = 1; i < events.length; i++) {
    const e = events[i]!;
    if (e.type === EVENT_ID.POP) {
      if (state.length === 0) {
        if (i !== events.length - 1) throw DECLINE; // several documents
        break;
      }
      state.pop();
      const rec = open.pop();
      if (rec !== undefined) rec.size = { nodes: nodes - rec.n0, aliases: aliases - rec.a0 };
      continue;
    }
    if (e.type === EVENT_ID.DOCUMENT) throw DECLINE;
    // A tag must be followed by white space (`!foo[` is an error on the `yaml` path).
    if (e.type !== EVENT_ID.ALIAS && e.tagStart >= 0 && !isSpaceOrBreak(text.charCodeAt(e.tagEnd))) throw DECLINE;
    if (e.type === EVENT_ID.ALIAS || e.anchorStart >= 0) seen.aliases = true;
    const top = state.length - 1;
    if (top >= 0 && state[top] === 1) {
      // A key: never expanded (a key alias is one resolution), its anchor known but without a size.
      state[top] = 2;
      if (e.type === EVENT_ID.ALIAS) {
        aliases++;
        const f = over(e.anchorStart - 1);
        if (f) return f;
        continue;
      }
      if (e.type !== EVENT_ID.SCALAR) throw DECLINE;
      if (e.anchorStart >= 0) anchors.set(text.slice(e.anchorStart, e.anchorEnd), { size: undefined });
      continue;
    }
    if (top >= 0 && state[top] === 2) state[top] = 1;
    if (e.type === EVENT_ID.ALIAS) {
      const name = text.slice(e.anchorStart, e.anchorEnd);
      const size = anchors.get(name)?.size;
      aliases += 1 + (size?.aliases ?? 0);
      nodes += size?.nodes ?? 1;
      const f = over(e.anchorStart - 1, size ? { source: name, nodes: size.nodes } : undefined);
      if (f) return f;
      continue;
    }
    // Where the `yaml` package starts an anchored node is not derived here.
    if (++nodes > limits.maxNodes) return over(e.anchorStart >= 0 ? undefined : nodeStart(e));
    if (e.type === EVENT_ID.SCALAR) {
      if (e.anchorStart >= 0) anchors.set(text.slice(e.anchorStart, e.anchorEnd), { size: { nodes: 1, aliases: 0 } });
      continue;
    }
    let rec: { size: AnchorSize | undefined; name: string; n0: number; a0: number } | undefined;
    if (e.anchorStart >= 0) {
      rec = { size: undefined, name: text.slice(e.anchorStart, e.anchorEnd), n0: nodes - 1, a0: aliases };
      anchors.set(rec.name, rec);
    }
    open.push(rec);
    state.push(e.type === EVENT_ID.MAPPING ? 1 : 0);
  }
  return undefined;
}

/** True when the text has a `\r` that is not the first half of a `\r\n`. */
function hasLoneCarriageReturn(text: string): boolean {
  for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) if (text.charCodeAt(i + 1) !== 10) return true;
  return false;
}

/**
 * True when the key that starts at `keyStart` and whose text ends at `keyEnd` is followed, on the same line, by
 * nothing but spaces (after its closing quote) and then its `:`, at most 1024 characters after the key's start.
 * The `yaml` package refuses a longer implicit key (the YAML spec's limit) and an implicit key whose `:` is on
 * another line (or after a comment); js-yaml accepts both. Explicit `? key` entries, rare in configs, fail this
 * check too and go to the `yaml` path. The scan is bounded: a key costs at most 1 KB of looking.
 */
function colonFollows(text: string, keyStart: number, keyEnd: number, quoted: boolean): boolean {
  const stop = Math.min(text.length, keyStart + 1024);
  let k = keyEnd;
  if (quoted) k++; // the closing quote
  for (; k <= stop; k++) {
    const c = text.charCodeAt(k);
    if (c === 58 /* : */) return true;
    if (c !== 32) return false;
  }
  return false;
}

/**
 * True when a document marker (`---` or `...` as the first token of a line) appears anywhere but as the first
 * content line (`---` at column 0, after comments and blank lines only). js-yaml takes an indented marker for
 * one and a leading `...` for nothing; the `yaml` package does not, so these documents go to it.
 */
function strayDocumentMarker(text: string): boolean {
  for (const marker of ['---', '...']) {
    for (let p = text.indexOf(marker); p !== -1; p = text.indexOf(marker, p + 1)) {
      const after = text.charCodeAt(p + 3);
      if (!(Number.isNaN(after) || isSpaceOrBreak(after))) continue;
      let b = p - 1;
      while (b >= 0 && text.charCodeAt(b) === 32) b--;
      if (b >= 0 && text.charCodeAt(b) !== 10 && text.charCodeAt(b) !== 13) continue; // not the line's first token
      if (marker === '...' || b !== p - 1) return true;
      // `---` at column 0: fine only as the first content line.
      if (!/^(?:[ ]*(?:#[^\n]*)?\r?\n)*$/.test(text.slice(0, p))) return true;
    }
  }
  return false;
}

/**
 * True when the header of the block scalar whose content starts at `valueStart` (the line after the header) has
 * an indentation indicator (`|2`, `>1-`) or keeps trailing lines (`|+`), or cannot be read. The two parsers read
 * an indicator differently at the top level (the spec's n = -1) and trailing white space at the end of the text
 * differently, so these scalars, rare in configs, go to the `yaml` path.
 */
function explicitIndentation(text: string, valueStart: number): boolean {
  let h = valueStart - 1;
  if (text.charCodeAt(h) === 10) h--;
  if (text.charCodeAt(h) === 13) h--;
  const header = text.slice(text.lastIndexOf('\n', h) + 1, h + 1);
  const m = /[|>]([0-9+-]*)[ \t]*(?:#.*)?$/.exec(header);
  return m === null || /[0-9+]/.test(m[1]!);
}

/**
 * True when the alias of `e` is one both parsers read alike: a plain name, then white space, the end of the text or
 * (in a flow collection) `,`, `]` or `}`; and no properties before it (`!t *a`, `&a *b` are errors on the `yaml`
 * path): on its line it follows `[`, `{` or `,`, or `:` or `-` then a space.
 */
function aliasAgrees(text: string, e: { anchorStart: number; anchorEnd: number }, inFlow: boolean): boolean {
  if (text.charCodeAt(e.anchorStart - 1) !== 42 /* * */ || !PLAIN_ANCHOR_NAME.test(text.slice(e.anchorStart, e.anchorEnd))) return false;
  const after = text.charCodeAt(e.anchorEnd);
  if (!(Number.isNaN(after) || isSpaceOrBreak(after) || (inFlow && (after === 44 || after === 93 || after === 125)))) return false;
  let b = e.anchorStart - 2;
  while (b >= 0 && text.charCodeAt(b) === 32) b--;
  if (b < 0) return false;
  const c = text.charCodeAt(b);
  if (c === 91 || c === 123 || c === 44) return true;
  return (c === 58 || c === 45) && b < e.anchorStart - 2;
}

/** True when the anchor of `e` is one both parsers read alike: `&`, a plain name, then a space or a line break. */
function anchorAgrees(text: string, e: { anchorStart: number; anchorEnd: number }): boolean {
  return text.charCodeAt(e.anchorStart - 1) === 38 /* & */ && PLAIN_ANCHOR_NAME.test(text.slice(e.anchorStart, e.anchorEnd)) && isSpaceOrBreak(text.charCodeAt(e.anchorEnd));
}

function isSpaceOrBreak(c: number): boolean {
  return c === 32 || c === 10 || c === 13;
}

/** True when `text[from, to)` holds a line break (a loop, not `indexOf`: a long line of short scalars stays linear). */
function spansLines(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === 10 || c === 13) return true;
  }
  return false;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** The offset of the first occurrence of `key` (a key already in `f.out`) in the mapping of `f`. */
function firstOffset(f: MapFrame, key: string): number {
  if (f.firstAt === undefined) {
    f.firstAt = new Map();
    for (let i = 0; i < f.names.length; i++) f.firstAt.set(f.names[i]!, f.offsets[i]!);
    f.names = [];
    f.offsets = [];
  }
  return f.firstAt.get(key)!;
}

function convert(
  events: YamlEvent[],
  text: string,
  lines: LineIndex,
  limits: Required<InputLimits>,
  lazyLocate: () => (pointer: string) => SourceLocation | undefined,
  checkOnly: boolean,
): YamlOutcome {
  const findings: Finding[] = [];
  let failed = false;
  // No alias is expanded here, so every node is visited once and no finding can repeat (the `yaml` path dedupes).
  // Past the per-rule cap a finding is only counted (100,000 duplicate keys build 1,000 messages, not 100,000).
  const perRule = new Map<RuleId, number>();
  const omitted = new Map<RuleId, OmittedFindings>();
  const kept = (rule: RuleId, severity: Severity): boolean => {
    if (severity === 'block' && rule !== 'parse.duplicate-key') failed = true;
    const n = (perRule.get(rule) ?? 0) + 1;
    perRule.set(rule, n);
    if (n <= MAX_FINDINGS_PER_RULE) return true;
    const o = omitted.get(rule);
    if (o === undefined) omitted.set(rule, { count: 1, severity });
    else {
      o.count++;
      if (severity === 'block') o.severity = 'block';
    }
    return false;
  };
  const report = (f: Finding): void => {
    findings.push(f);
  };

  const stack: Frame[] = [];
  let root: JsonValue | undefined;
  let done = false;

  const childPtr = (f: Frame | undefined): string => {
    if (f === undefined) return '';
    return f.map ? f.ptr + '/' + escapeSegment(f.key!) : f.ptr + '/' + f.out.length;
  };
  // Checking only, no value is kept (and no duplicate key looked for): collections stay empty.
  const place = (f: Frame | undefined, v: JsonValue): void => {
    if (f === undefined) root = v;
    else if (f.map) {
      if (!checkOnly) setOwn(f.out, f.key!, v);
      f.key = undefined;
    } else if (!checkOnly) f.out.push(v);
  };

  const scalarValue = (e: ScalarEvent, f: Frame | undefined): JsonValue => {
    if (e.style === SCALAR_STYLE.LITERAL_BLOCK || e.style === SCALAR_STYLE.FOLDED_BLOCK) {
      if (f === undefined || explicitIndentation(text, e.valueStart)) throw DECLINE;
      return getScalarValue(text, e);
    }
    if (e.valueStart >= 0 && spansLines(text, e.valueStart, e.valueEnd)) throw DECLINE; // folding: the parsers differ
    if (e.style !== SCALAR_STYLE.PLAIN) return getScalarValue(text, e);
    const s = e.valueStart < 0 ? '' : getScalarValue(text, e);
    const v = plainValue(s);
    if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
    if (typeof v !== 'number') throw DECLINE;
    const at = e.valueStart;
    if (!Number.isFinite(v)) {
      if (!kept('parse.error', 'block')) return null;
      const loc = lines.locate(at);
      const ptr = childPtr(f);
      report(makeFinding('parse.error', 'block', `The value ${s} at ${where(loc)} (${ptr || '/'}) is not representable in JSON; quote it if it is text.`, loc, ptr));
      return null;
    }
    if ((v >= 9007199254740992 || v <= -9007199254740992) && inexactNumber(s, v) && kept('parse.precision-loss', 'warn')) {
      const loc = lines.locate(at);
      const ptr = childPtr(f);
      report(makeFinding('parse.precision-loss', 'warn', precisionMessage(s, v, loc, ptr), loc, ptr, { literal: s, parsed: v }));
    }
    return v;
  };

  // Inside flow collections the parsers disagree on comments and on what may touch a closing bracket: the text
  // between consecutive nodes (from `lastEnd`) must hold no `#`, and a closing bracket must be followed by a
  // separator. Linear: every character inside a flow collection is looked at once or twice.
  let flowDepth = 0;
  let lastEnd = 0;
  const gapHasComment = (to: number): boolean => {
    for (let k = lastEnd; k < to; k++) if (text.charCodeAt(k) === 35 /* # */) return true;
    return false;
  };
  const closeFlow = (): void => {
    let k = lastEnd;
    for (; k < text.length; k++) {
      const c = text.charCodeAt(k);
      if (c === 35 /* # */) throw DECLINE;
      if (c === 93 /* ] */ || c === 125 /* } */) break;
    }
    if (k >= text.length) throw DECLINE;
    const next = text.charCodeAt(k + 1);
    if (!(Number.isNaN(next) || isSpaceOrBreak(next) || next === 44 || next === 93 || next === 125)) throw DECLINE;
    lastEnd = k + 1;
  };

  const n = events.length;
  for (let i = 1; i < n && !done; i++) {
    const e = events[i]!;
    if (e.type === EVENT_ID.POP) {
      if (stack.length === 0) done = true;
      else if (stack.pop()!.flow) {
        closeFlow();
        flowDepth--;
      }
      continue;
    }
    const f = stack.length > 0 ? stack[stack.length - 1] : undefined;
    if (e.type === EVENT_ID.DOCUMENT) throw DECLINE;
    const isKey = f !== undefined && f.map && f.key === undefined;
    if (e.type === EVENT_ID.ALIAS) {
      // Only checked (a value that is never expanded), and only a plain one the two parsers read alike.
      if (!checkOnly || isKey || !aliasAgrees(text, e, flowDepth > 0)) throw DECLINE;
      if (flowDepth > 0) {
        if (gapHasComment(e.anchorStart - 1)) throw DECLINE;
        lastEnd = e.anchorEnd;
      }
      place(f, null);
      continue;
    }
    if (e.anchorStart >= 0 && (!checkOnly || isKey || !anchorAgrees(text, e))) throw DECLINE;
    if (flowDepth > 0) {
      const start = e.type === EVENT_ID.SCALAR ? nodeStart(e) : e.start;
      if (start !== undefined) {
        if (gapHasComment(start)) throw DECLINE;
        lastEnd = e.type === EVENT_ID.SCALAR ? (e.style === SCALAR_STYLE.PLAIN ? e.valueEnd : e.valueEnd + 1) : start;
      }
    }

    if (isKey) {
      // A key: a scalar without a tag (expansionOver already declined other keys).
      if (e.type !== EVENT_ID.SCALAR || e.tagStart >= 0) throw DECLINE;
      const at = nodeStart(e);
      if (at === undefined) throw DECLINE;
      if (!colonFollows(text, at, e.valueEnd, e.style !== SCALAR_STYLE.PLAIN) || spansLines(text, at, e.valueEnd)) throw DECLINE;
      const key = getScalarValue(text, e);
      if (!checkOnly && e.style === SCALAR_STYLE.PLAIN && key === '<<') throw DECLINE;
      if (checkOnly) {
        // nothing to record
      } else if (hasOwn.call(f.out, key)) {
        if (kept('parse.duplicate-key', 'block')) report(duplicateKeyFinding(key, lines.locate(at), lines.locate(firstOffset(f, key)), f.ptr + '/' + escapeSegment(key)));
      } else if (f.firstAt !== undefined) f.firstAt.set(key, at);
      else {
        f.names.push(key);
        f.offsets.push(at);
      }
      f.key = key;
      continue;
    }

    // A value (or the root).
    if (e.tagStart >= 0) {
      const name = tagName(text.slice(e.tagStart, e.tagEnd));
      // Tags on collections (`!!set`, `!!omap`) change how the `yaml` package reads their keys: declined.
      if (name === undefined || ALLOWED_TAGS.has(name) || e.type !== EVENT_ID.SCALAR) throw DECLINE;
      const at = nodeStart(e);
      if (at === undefined) throw DECLINE;
      place(f, null);
      if (!kept('parse.error', 'block')) continue;
      report(unsupportedTagFinding(name, lines.locate(at)));
      continue;
    }
    if (e.type === EVENT_ID.SCALAR) {
      if (f === undefined && e.valueStart < 0 && e.anchorStart < 0) throw DECLINE; // an empty document
      place(f, scalarValue(e, f));
      continue;
    }
    const depth = f === undefined ? 0 : f.depth;
    // Checking only: the `yaml` path refuses an alias bomb before its conversion looks at depths.
    if (!checkOnly && depth + 1 > limits.maxDepth) {
      const loc = lines.locate(e.start);
      throw new Stop(
        makeFinding('input.too-deep', 'block', `Nesting deeper than ${limits.maxDepth} levels at ${where(loc)} (limits.maxDepth).`, loc, undefined, {
          maxDepth: limits.maxDepth,
        }),
      );
    }
    const ptr = childPtr(f);
    const flow = e.style === COLLECTION_STYLE.FLOW;
    if (flow) {
      flowDepth++;
      lastEnd = e.start + 1;
    } else if (flowDepth > 0) throw DECLINE; // a block collection inside a flow one: invalid YAML
    if (e.type === EVENT_ID.MAPPING) {
      const out: JsonObject = {};
      place(f, out);
      stack.push({ map: true, out, depth: depth + 1, ptr, flow, names: [], offsets: [], firstAt: undefined, key: undefined });
    } else {
      const out: JsonValue[] = [];
      place(f, out);
      stack.push({ map: false, out, depth: depth + 1, ptr, flow });
    }
  }
  if (!done || root === undefined) throw DECLINE;
  const more = omitted.size > 0 ? omitted : undefined;
  if (failed) return { value: undefined, findings, omitted: more, failed: true, syntaxError: false, locate: () => undefined };
  let locate: ((pointer: string) => SourceLocation | undefined) | undefined;
  return {
    value: root,
    findings,
    omitted: more,
    failed: false,
    syntaxError: false,
    locate: (p) => {
      locate ??= lazyLocate();
      return locate(p);
    },
  };
}
