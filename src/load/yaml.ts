/**
 * The YAML path of the load stage: YAML 1.2 core schema through the `yaml` package, then our own iterative
 * conversion of the syntax tree into plain JSON values.
 *
 * Why our own conversion instead of `doc.toJS()`: it is iterative (no stack overflow), it counts alias
 * resolutions and nodes as they are expanded (billion laughs, merge-key bombs), it reports every duplicate
 * key with the position of the second one while keeping the last value (as `JSON.parse` does), it refuses
 * values JSON cannot hold (`.inf`, `.nan`, custom tags) and it stores `__proto__` keys as own data.
 *
 * Policy on tags: only the core schema tags (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`,
 * `!!seq`) and the non-specific `!` are accepted. Any other tag (`!!js/function`, `!!timestamp`, `!!binary`,
 * `!!set`, `!foo`...) is a `parse.error` at the tag: nothing is ever constructed or executed.
 *
 * Merge keys: a plain (unquoted) `<<` key merges a mapping, or a list of mappings, into its mapping (YAML 1.1
 * merge, as most tools do). Explicit keys win over merged ones, earlier sources over later ones. A quoted
 * `"<<"` key is ordinary data, so JSON text means the same in both paths.
 */
import { isAlias, isMap, isScalar, isSeq, Lexer, parseDocument } from 'yaml';
import type { Alias, Document, Node as YamlNode, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { decodePointer, escapeSegment } from '../pointer.js';
import type { Finding, InputLimits, JsonObject, JsonValue, SourceLocation } from '../types.js';
import { inexactNumber, makeFinding, precisionMessage, where } from './findings.js';
import type { LineIndex } from './text.js';
import { parseYamlEvents } from './yaml-events.js';
import { ALLOWED_TAGS, duplicateKeyFinding, expansionFinding, setOwn, unsupportedTagFinding, type YamlOutcome } from './yaml-shared.js';

export { setOwn, type YamlOutcome };

/** Deepest nesting handed to the `yaml` package at all: its composer is recursive. */
const YAML_PARSER_DEPTH_CAP = 600;


/**
 * Counting block sequence entries (`- ` at the start of a token, outside quotes, flow collections, comments and
 * block scalars) during the depth guard's pass: `over` is set to the offset of the entry that takes the count over
 * `cap`. Each is a `-` token of the `yaml` lexer, so this is a lower bound of the nodes `yamlNodesOver` counts
 * (only a plain scalar continued over more than `cap` lines that each start with `- ` could fool it).
 */
export interface EntryCount {
  cap: number;
  over: number;
}

/** What `yamlDepthGuard` looks for inside double quotes, single quotes, a flow token, a block token and an anchor or tag (line breaks end all). */
const IN_DOUBLE = 0;
const IN_SINGLE = 1;
const IN_FLOW_TOKEN = 2;
const IN_BLOCK_TOKEN = 3;
const IN_PROPERTY = 4;
const SKIP_SETS = ['"\\\r\n', "'\r\n", ' \t,:[]{}\r\n', ' \t:\r\n', ' \t\r\n'];
const SKIP_TABLES = SKIP_SETS.map((s) => {
  const t = new Uint8Array(128);
  for (const ch of s) t[ch.charCodeAt(0)] = 1;
  return t;
});
const SKIP_RES = SKIP_SETS.map((s) => new RegExp('[' + s.replace(/[\\[\]]/g, '\\$&') + ']', 'g'));

/**
 * The offset of the first character at or after `from` in the set `which`, or `end` if there is none before it. A few
 * characters are looked at one by one (most runs are short), then a regular expression jumps over the rest: a 20 MB
 * scalar costs one native scan, not 20 million steps of the guard's loop. Every set holds the line breaks, so the
 * scan never goes past the line.
 */
function skip(text: string, which: number, from: number, end: number): number {
  const table = SKIP_TABLES[which]!;
  const stop = Math.min(end, from + 8);
  let k = from;
  for (; k < stop; k++) {
    const c = text.charCodeAt(k);
    if (c < 128 && table[c] === 1) return k;
  }
  if (k >= end) return end;
  const re = SKIP_RES[which]!;
  re.lastIndex = k;
  return re.test(text) ? Math.min(re.lastIndex - 1, end) : end;
}

/**
 * An upper-bound-ish estimate of the nesting depth of YAML text, computed on the raw text in one linear
 * pass (block indentation levels, compact `- - -` indicators, flow brackets outside quotes and comments).
 * Returns the offset where the estimate first exceeds `maxDepth + 1` (the estimate counts the leaf scalar)
 * if the estimate ever exceeds `hardLimit`; otherwise -1. Used only to refuse pathological input before
 * the recursive parser sees it; the exact depth is checked during conversion.
 */
export function yamlDepthGuard(text: string, maxDepth: number, hardLimit: number, entries?: EntryCount): number {
  const n = text.length;
  let entryCount = 0;
  const entryCap = entries?.cap ?? Infinity;
  const stack: number[] = [];
  let flow = 0;
  let quote = 0; // 0, 34 ("), 39 (')
  let blockScalarParent = -2; // > -2 while inside a block scalar: lines indented more than it are content
  let firstOver = -1;
  let pos = 0;
  // The next `\n` and `\r` at or after `pos` (n when there is none): each found once, whatever the line lengths.
  let nextLf = -1;
  let nextCr = -1;
  const check = (at: number): boolean => {
    const est = stack.length + flow;
    if (est > maxDepth + 1 && firstOver === -1) firstOver = at;
    return est > hardLimit;
  };
  const isBlank = (c: number): boolean => c === 32 || c === 9;
  while (pos < n) {
    if (nextLf < pos) {
      nextLf = text.indexOf('\n', pos);
      if (nextLf === -1) nextLf = n;
    }
    if (nextCr < pos) {
      nextCr = text.indexOf('\r', pos);
      if (nextCr === -1) nextCr = n;
    }
    const lineEnd = nextCr < nextLf ? nextCr : nextLf;
    const next = lineEnd < n && text.charCodeAt(lineEnd) === 13 && text.charCodeAt(lineEnd + 1) === 10 ? lineEnd + 2 : lineEnd + 1;
    let i = pos;
    while (i < lineEnd && text.charCodeAt(i) === 32) i++;
    const indent = i - pos;
    let j = i;
    while (j < lineEnd && isBlank(text.charCodeAt(j))) j++;
    const blank = j >= lineEnd;
    if (blockScalarParent > -2) {
      if (blank || indent > blockScalarParent) {
        pos = next;
        continue;
      }
      blockScalarParent = -2;
    }
    let atToken = true;
    if (quote === 0 && flow === 0) {
      if (blank || text.charCodeAt(j) === 35 /* # */) {
        pos = next;
        continue;
      }
      const c0 = text.charCodeAt(i);
      if (indent === 0 && c0 === 37 /* % */) {
        pos = next;
        continue;
      }
      const marker = indent === 0 && (text.startsWith('---', i) || text.startsWith('...', i)) && (i + 3 >= lineEnd || isBlank(text.charCodeAt(i + 3)));
      if (marker) {
        stack.length = 0;
        i += 3;
        while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
        if (i < lineEnd && text.charCodeAt(i) !== 35) {
          stack.push(i - pos);
          if (check(i)) return firstOver;
        }
      } else {
        while (stack.length > 0 && stack[stack.length - 1]! >= indent) stack.pop();
        stack.push(indent);
        if (check(i)) return firstOver;
      }
    }
    for (let k = i; k < lineEnd; k++) {
      const c = text.charCodeAt(k);
      if (quote !== 0) {
        if (quote === 34 && c === 92) k++;
        else if (c === quote) {
          if (quote === 39 && text.charCodeAt(k + 1) === 39) k++;
          else {
            quote = 0;
            atToken = false;
            continue;
          }
        }
        // Inside quotes only the closing quote (and `\` in double quotes) matters: jump to the next one.
        k = skip(text, quote === 34 ? IN_DOUBLE : IN_SINGLE, k + 1, lineEnd) - 1;
        continue;
      }
      if (isBlank(c)) {
        atToken = true;
        continue;
      }
      if (c === 35 /* # */ && atToken) break;
      if (flow > 0) {
        if (c === 91 || c === 123) {
          flow++;
          atToken = true;
          if (check(k)) return firstOver;
        } else if (c === 93 || c === 125) {
          flow--;
          atToken = false;
        } else if (c === 44 || c === 58) atToken = true;
        else if ((c === 34 || c === 39) && atToken) quote = c;
        else {
          // Inside a token only blanks, brackets, `,` and `:` matter until the next blank.
          atToken = false;
          k = skip(text, IN_FLOW_TOKEN, k + 1, lineEnd) - 1;
        }
        continue;
      }
      const nx = k + 1 < lineEnd ? text.charCodeAt(k + 1) : 32;
      if ((c === 58 /* : */ || (atToken && (c === 45 /* - */ || c === 63) /* ? */)) && isBlank(nx)) {
        if (c === 45 && ++entryCount > entryCap && entries!.over === -1) entries!.over = k;
        let m = k + 1;
        while (m < lineEnd && isBlank(text.charCodeAt(m))) m++;
        if (m < lineEnd && text.charCodeAt(m) !== 35) {
          stack.push(m - pos);
          if (check(m)) return firstOver;
        }
        atToken = true;
        continue;
      }
      if (atToken) {
        if (c === 91 || c === 123) {
          flow = 1;
          if (check(k)) return firstOver;
          continue;
        }
        if (c === 34 || c === 39) {
          quote = c;
          continue;
        }
        if (c === 124 || c === 62) {
          // block scalar: its content lines are indented more than the parent collection
          blockScalarParent = stack.length >= 2 ? stack[stack.length - 2]! : -1;
          break;
        }
        if (c === 38 || c === 33) {
          // anchor or tag: skip the property, the node follows
          k = skip(text, IN_PROPERTY, k + 1, lineEnd) - 1;
          continue;
        }
      }
      // Inside a block token only a blank or a `:` matters until the token ends.
      atToken = false;
      k = skip(text, IN_BLOCK_TOKEN, k + 1, lineEnd) - 1;
    }
    pos = next;
  }
  return -1;
}

/** Most nodes (scalars, keys included, and collections) a YAML text may have before it is parsed at all. */
export const YAML_MAX_SOURCE_NODES = 1_000_000;

/**
 * Count scalars, block sequence entries and flow collections on the lexer's token stream (no tree is built);
 * return the offset of the token that takes the count over `cap`, or -1.
 */
export function yamlNodesOver(text: string, cap: number): number {
  let count = 0;
  let offset = 0;
  for (const tok of new Lexer().lex(text)) {
    if (tok === '\x1f' || tok === '-' || tok === '[' || tok === '{') {
      if (++count > cap) return Math.min(offset, text.length);
    }
    // Control tokens (document, scalar and flow-error markers) are not in the source text.
    if (tok !== '\x02' && tok !== '\x1f' && tok !== '\x18') offset += tok.length;
  }
  return -1;
}

const ALNUM_PAIR = /[A-Za-z0-9]{2}/g;
const ALNUM_REST = /[A-Za-z0-9]*/y;

/**
 * An upper bound of what `yamlNodesOver` counts, read without the lexer: the number of offsets from 0 to the
 * length of the text that are not inside a run of letters and digits (0, the length, and every offset whose
 * character or previous character is not one). Every token it counts starts at its own such offset: `-`, `[` and
 * `{` are themselves not letters or digits; a plain scalar starts after white space, an indicator, a quote or
 * a property (anchors and tags take every letter and digit that follows them), and a block scalar at the start
 * of a line or at the end of the text. Scans runs of two or more with a regular expression (one native scan for
 * a 20 MB scalar) and stops as soon as the bound is at most `cap`, or after `maxRuns` runs (a text of many short
 * words is left to the lexer's count, which stops at `cap` tokens): the result is an upper bound either way.
 */
export function yamlNodesBound(text: string, cap = 0, maxRuns = 100_000): number {
  let bound = text.length + 1;
  let runs = 0;
  ALNUM_PAIR.lastIndex = 0;
  while (bound > cap && runs++ < maxRuns && ALNUM_PAIR.test(text)) {
    const start = ALNUM_PAIR.lastIndex - 2;
    ALNUM_REST.lastIndex = ALNUM_PAIR.lastIndex;
    ALNUM_REST.test(text);
    bound -= ALNUM_REST.lastIndex - start - 1;
    ALNUM_PAIR.lastIndex = ALNUM_REST.lastIndex;
  }
  return bound;
}

/**
 * Run the `yaml` package's parser with two costs of its runtime removed, for the duration of one synchronous call:
 *
 * - Its parser reads `process.env.LOG_TOKENS` once per token (and its composer `LOG_STREAM` once per document).
 *   Node's `process.env` is an exotic object whose every read asks the C++ side for the environment: about 0.4 µs a
 *   read, so a third of a second for 100,000 YAML keys. During the call `process.env` is a plain copy (same
 *   content, so the package behaves the same), and the real object is put back before anything else can run.
 * - Every warning and error it records (one per unknown tag, say) is an `Error`, which captures a stack trace we
 *   never show. With `Error.stackTraceLimit = 0` they cost an allocation instead (163 ms for 20,000 custom tags).
 *
 * Both are restored in `finally`, whatever the parser does.
 */
export function withCheapYamlRuntime<T>(fn: () => T): T {
  const env = process.env;
  const stackLimit = Error.stackTraceLimit;
  let swapped = false;
  try {
    try {
      process.env = { ...env };
      swapped = true;
    } catch {
      // A runtime where process.env cannot be replaced: parse with the real one (slower, same result).
    }
    Error.stackTraceLimit = 0;
    return fn();
  } finally {
    Error.stackTraceLimit = stackLimit;
    if (swapped) process.env = env;
  }
}

/** Internal: stops the conversion at the first limit exceeded. Never escapes this module. */
class Abort {
  constructor(readonly finding: Finding) {}
}

type AnyNode = YamlNode | Pair | null | undefined;

interface SeqFrame {
  seq: true;
  node: YAMLSeq;
  out: JsonValue[];
  i: number;
  depth: number;
  ptr: string;
}
interface MapFrame {
  seq: false;
  node: YAMLMap;
  out: JsonObject;
  i: number;
  depth: number;
  ptr: string;
  keys: Map<string, number>;
  merges: Array<{ value: JsonValue; node: AnyNode }>;
}
type Frame = SeqFrame | MapFrame;

function nodeStart(node: AnyNode): number {
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return r ? r[0] : 0;
}

function isMergeKey(key: AnyNode): boolean {
  return isScalar(key) && key.type === 'PLAIN' && key.value === '<<' && key.tag === undefined;
}

/** Resolve every alias to the node of the latest anchor with that name before it, in document order. */
function resolveAliases(root: AnyNode): Map<Alias, YamlNode | undefined> {
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<Alias, YamlNode | undefined>();
  const stack: AnyNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node) continue;
    if (isAlias(node)) {
      targets.set(node, anchors.get(node.source));
      continue;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node as YamlNode);
    if (isMap(node)) {
      for (let k = node.items.length - 1; k >= 0; k--) {
        const p = node.items[k]!;
        stack.push(p.value as AnyNode, p.key as AnyNode);
      }
    } else if (isSeq(node)) {
      for (let k = node.items.length - 1; k >= 0; k--) stack.push(node.items[k] as AnyNode);
    }
  }
  return targets;
}

/**
 * Count, before anything is expanded, how many nodes and alias resolutions the conversion will make: one walk
 * of the syntax tree in document order, where an alias adds the expanded size of its anchor (recorded once,
 * when the anchor's subtree is left) instead of walking it again. Merge-key values are walked like any value,
 * so `<<: *b` counts the whole of `b`. Cost: one visit per source node, whatever the aliases expand to.
 * Returns the finding for the first alias or node that takes a count over its limit, or undefined.
 * Counts match the conversion's (values, not keys; a key alias is one resolution); an alias to an unknown
 * anchor or to a node that contains it counts as one node and is reported by the conversion.
 */
function expansionOver(root: AnyNode, targets: Map<Alias, YamlNode | undefined>, lines: LineIndex, limits: Required<InputLimits>): Finding | undefined {
  type Item = { node: AnyNode; key: boolean; exit?: undefined } | { node: YamlNode; exit: true; n0: number; a0: number };
  const sizes = new Map<YamlNode, { nodes: number; aliases: number }>();
  let nodes = 0;
  let aliases = 0;
  const over = (at: AnyNode, expanded?: { source: string; nodes: number }): Finding | undefined => {
    if (aliases > limits.maxAliases) return expansionFinding('aliases', limits, lines.locate(nodeStart(at)), expanded);
    if (nodes > limits.maxNodes) return expansionFinding('nodes', limits, lines.locate(nodeStart(at)), expanded);
    return undefined;
  };
  const stack: Item[] = [{ node: root, key: false }];
  while (stack.length > 0) {
    const it = stack.pop()!;
    if (it.exit) {
      sizes.set(it.node, { nodes: nodes - it.n0, aliases: aliases - it.a0 });
      continue;
    }
    const node = it.node;
    if (it.key) {
      // keyString resolves a key alias once and never expands it (a non-scalar key is a parse.error)
      if (isAlias(node)) {
        aliases++;
        const f = over(node);
        if (f) return f;
      }
      continue;
    }
    if (isAlias(node)) {
      const target = targets.get(node);
      const s = target ? sizes.get(target) : undefined;
      aliases += 1 + (s?.aliases ?? 0);
      nodes += s?.nodes ?? 1;
      const f = over(node, s ? { source: node.source, nodes: s.nodes } : undefined);
      if (f) return f;
      continue;
    }
    nodes++;
    const f = over(node);
    if (f) return f;
    const anchored = (node as { anchor?: string } | null | undefined)?.anchor !== undefined;
    if (anchored) stack.push({ node: node as YamlNode, exit: true, n0: nodes - 1, a0: aliases });
    if (isMap(node)) {
      for (let k = node.items.length - 1; k >= 0; k--) {
        const p = node.items[k]!;
        stack.push({ node: p.value as AnyNode, key: false });
        if (!isMergeKey(p.key as AnyNode)) stack.push({ node: p.key as AnyNode, key: true });
      }
    } else if (isSeq(node)) {
      for (let k = node.items.length - 1; k >= 0; k--) stack.push({ node: node.items[k] as AnyNode, key: false });
    }
  }
  return undefined;
}

/**
 * Which YAML path to take: `auto` (the fast path, or the `yaml` path when it declines); the tests compare `yaml`
 * (the `yaml` package only) with `events` (the fast path only, `DECLINED` when it declines).
 */
export type YamlPaths = 'auto' | 'yaml' | 'events';

/** What `parseYamlText(..., 'events')` returns when the fast path declines the document (tests only). */
export const DECLINED: YamlOutcome = Object.freeze({ value: undefined, findings: [], failed: true, syntaxError: false, locate: () => undefined });

/**
 * Parse YAML text into a plain JSON value with findings. Never throws on bad input.
 */
export function parseYamlText(text: string, lines: LineIndex, limits: Required<InputLimits>, paths: YamlPaths = 'auto'): YamlOutcome {
  const findings: Finding[] = [];
  const none = (): undefined => undefined;
  const failWith = (f: Finding, syntaxError = false): YamlOutcome => ({ value: undefined, findings: [f], failed: true, syntaxError, locate: none });

  const hardLimit = Math.min(Math.max(2 * limits.maxDepth, limits.maxDepth + 16), YAML_PARSER_DEPTH_CAP);
  // The syntax tree of the `yaml` package costs about 1 KB per node while it is built: documents with more nodes
  // than `tokenCap` are refused before parsing. The depth guard's pass counts sequence entries on the way (free);
  // otherwise, for a text long enough to hold that many nodes, a cheap upper bound and, when it does not settle it,
  // the lexer's token stream are counted (exact).
  const tokenCap = limits.maxNodes === Infinity ? Infinity : Math.min(2 * limits.maxNodes + 16, YAML_MAX_SOURCE_NODES);
  const entries: EntryCount = { cap: tokenCap, over: -1 };
  const tooDeepAt = yamlDepthGuard(text, limits.maxDepth, hardLimit, entries);
  if (tooDeepAt !== -1) {
    const loc = lines.locate(tooDeepAt);
    return failWith(
      makeFinding('input.too-deep', 'block', `Nesting deeper than ${limits.maxDepth} levels at ${where(loc)} (limits.maxDepth); the document was not parsed.`, loc, undefined, {
        maxDepth: limits.maxDepth,
      }),
    );
  }

  if (text.length > 2 * tokenCap) {
    // The lexer's count only when the cheap bound does not settle it (a 20 MB scalar is one token).
    const over = entries.over !== -1 ? entries.over : yamlNodesBound(text, tokenCap) <= tokenCap ? -1 : yamlNodesOver(text, tokenCap);
    if (over !== -1) {
      const loc = lines.locate(over);
      return failWith(
        makeFinding(
          'input.too-large',
          'block',
          `More than ${tokenCap} YAML nodes in the text (at ${where(loc)}); YAML this large is refused before parsing (limits.maxNodes, at most ${YAML_MAX_SOURCE_NODES} for YAML). Use JSON for large data.`,
          loc,
          undefined,
          { maxYamlNodes: tokenCap },
        ),
      );
    }
  }

  // Plain documents (nearly every config) take the fast path, which answers only when its answer is this path's.
  if (paths === 'events' || (paths === 'auto' && !fewLongLines(text))) {
    const fast = parseYamlEvents(text, lines, limits, YAML_PARSER_DEPTH_CAP + 16, () => yamlLocator(text, lines));
    if (fast || paths === 'events') return fast ?? DECLINED;
  }

  let doc: Document.Parsed;
  try {
    doc = withCheapYamlRuntime(() => parseDocument(text, YAML_OPTIONS));
  } catch (err) {
    const loc = lines.locate(0);
    if (err instanceof RangeError) {
      return failWith(makeFinding('input.too-deep', 'block', `Nesting too deep for the YAML parser (${err.message}).`, loc));
    }
    return failWith(makeFinding('parse.error', 'block', `The YAML parser failed: ${err instanceof Error ? err.message : String(err)}.`, loc), true);
  }

  if (doc.errors.length > 0) {
    for (const e of doc.errors.slice(0, 20)) {
      const loc = lines.locate(e.pos[0]);
      const msg = e.message.replace(/\s+at line \d+, column \d+:?[\s\S]*$/, '');
      if (/Maximum call stack size exceeded/.test(msg)) {
        findings.push(makeFinding('input.too-deep', 'block', `Nesting too deep for the YAML parser at ${where(loc)}.`, loc, undefined, { maxDepth: limits.maxDepth }));
      } else {
        findings.push(makeFinding('parse.error', 'block', `Invalid YAML at ${where(loc)}: ${msg}`, loc, undefined, { code: e.code }));
      }
    }
    return { value: undefined, findings, failed: true, syntaxError: true, locate: none };
  }

  const root = doc.contents as AnyNode;
  if (
    root === null ||
    root === undefined ||
    (isScalar(root) && root.value === null && root.source === '' && root.tag === undefined && root.anchor === undefined)
  ) {
    return failWith(makeFinding('parse.error', 'block', 'The document is empty.', lines.locate(0)), true);
  }

  const targets = resolveAliases(root);
  // Refuse alias and merge-key bombs at the cost of reading the tree, before a single node is expanded.
  const tooLarge = expansionOver(root, targets, lines, limits);
  if (tooLarge) return failWith(tooLarge);
  const seen = new Set<string>();
  let failed = false;
  const report = (f: Finding, offset: number): void => {
    const id = `${f.rule}@${offset}`;
    if (seen.has(id)) return;
    seen.add(id);
    findings.push(f);
    if (f.severity === 'block' && f.rule !== 'parse.duplicate-key') failed = true;
  };
  let aliases = 0;
  let nodes = 0;
  const active = new Set<YamlNode>();
  const stack: Frame[] = [];

  const deref = (node: AnyNode): AnyNode => {
    if (!isAlias(node)) return node;
    aliases++;
    if (aliases > limits.maxAliases) {
      const loc = lines.locate(nodeStart(node));
      throw new Abort(
        makeFinding(
          'input.too-large',
          'block',
          `More than ${limits.maxAliases} YAML aliases resolved (limits.maxAliases) at ${where(loc)}: alias expansion (e.g. a "billion laughs" document) refused.`,
          loc,
          undefined,
          { maxAliases: limits.maxAliases },
        ),
      );
    }
    const target = targets.get(node);
    if (target === undefined) {
      const loc = lines.locate(nodeStart(node));
      report(makeFinding('parse.error', 'block', `Unknown alias *${node.source} at ${where(loc)}.`, loc), nodeStart(node));
      return null;
    }
    if (active.has(target)) {
      const loc = lines.locate(nodeStart(node));
      report(makeFinding('parse.error', 'block', `Alias *${node.source} at ${where(loc)} refers to a node that contains it (infinite structure).`, loc), nodeStart(node));
      return null;
    }
    return target;
  };

  const checkTag = (node: AnyNode): boolean => {
    const tag = (node as { tag?: string } | null | undefined)?.tag;
    if (tag === undefined || ALLOWED_TAGS.has(tag)) return true;
    report(unsupportedTagFinding(tag, lines.locate(nodeStart(node))), nodeStart(node));
    return false;
  };

  /** Convert one node: primitives are returned, containers are returned empty and a frame is pushed. */
  const open = (raw: AnyNode, depth: number, ptr: string): JsonValue => {
    const node = deref(raw);
    nodes++;
    if (nodes > limits.maxNodes) {
      const loc = lines.locate(nodeStart(raw));
      throw new Abort(
        makeFinding('input.too-large', 'block', `More than ${limits.maxNodes} nodes after alias expansion (limits.maxNodes) at ${where(loc)}.`, loc, undefined, {
          maxNodes: limits.maxNodes,
        }),
      );
    }
    if (node === null || node === undefined) return null;
    if (!checkTag(node)) return null;
    if (isScalar(node)) return scalarValue(node, ptr);
    if (isMap(node) || isSeq(node)) {
      if (depth + 1 > limits.maxDepth) {
        const loc = lines.locate(nodeStart(node));
        throw new Abort(
          makeFinding('input.too-deep', 'block', `Nesting deeper than ${limits.maxDepth} levels at ${where(loc)} (limits.maxDepth).`, loc, undefined, {
            maxDepth: limits.maxDepth,
          }),
        );
      }
      active.add(node);
      if (isSeq(node)) {
        const out: JsonValue[] = [];
        stack.push({ seq: true, node, out, i: 0, depth: depth + 1, ptr });
        return out;
      }
      const out: JsonObject = {};
      stack.push({ seq: false, node, out, i: 0, depth: depth + 1, ptr, keys: new Map(), merges: [] });
      return out;
    }
    const loc = lines.locate(nodeStart(node));
    report(makeFinding('parse.error', 'block', `Unsupported YAML node at ${where(loc)}.`, loc), nodeStart(node));
    return null;
  };

  const scalarValue = (node: Scalar, ptr: string): JsonValue => {
    const v: unknown = node.value;
    if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
    const at = nodeStart(node);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) {
        const loc = lines.locate(at);
        report(
          makeFinding('parse.error', 'block', `The value ${node.source ?? String(v)} at ${where(loc)} (${ptr || '/'}) is not representable in JSON; quote it if it is text.`, loc, ptr),
          at,
        );
        return null;
      }
      if (v >= 9007199254740992 || v <= -9007199254740992) {
        const literal = node.source ?? text.slice(at, node.range?.[1] ?? at);
        if (inexactNumber(literal, v)) {
          const loc = lines.locate(at);
          report(makeFinding('parse.precision-loss', 'warn', precisionMessage(literal, v, loc, ptr), loc, ptr, { literal, parsed: v }), at);
        }
      }
      return v;
    }
    const loc = lines.locate(at);
    report(makeFinding('parse.error', 'block', `The value at ${where(loc)} is not a plain JSON value.`, loc, ptr), at);
    return null;
  };

  /** The string of a mapping key, or undefined (with a finding) when the key is not a scalar. */
  const keyString = (raw: AnyNode): string | undefined => {
    if (raw === null || raw === undefined) return '';
    const node = deref(raw);
    if (node === null || node === undefined) return '';
    if (!checkTag(node)) return undefined;
    if (isScalar(node)) {
      const v: unknown = node.value;
      if (typeof v === 'string') return v;
      if (v === null) return node.source ?? '';
      if (typeof v === 'number' || typeof v === 'boolean') return node.source ?? String(v);
    }
    const loc = lines.locate(nodeStart(raw));
    report(makeFinding('parse.error', 'block', `Mapping key at ${where(loc)} is not a plain scalar; JSON keys must be strings.`, loc), nodeStart(raw));
    return undefined;
  };

  const applyMerges = (f: MapFrame): void => {
    for (const m of f.merges) {
      const sources = Array.isArray(m.value) ? m.value : [m.value];
      for (const src of sources) {
        if (src === null || typeof src !== 'object' || Array.isArray(src)) {
          const loc = lines.locate(nodeStart(m.node));
          report(makeFinding('parse.error', 'block', `The merge key << at ${where(loc)} needs a mapping or a list of mappings.`, loc, f.ptr), nodeStart(m.node));
          continue;
        }
        for (const k of Object.keys(src)) {
          if (!Object.prototype.hasOwnProperty.call(f.out, k)) setOwn(f.out, k, src[k]!);
        }
      }
    }
  };

  let value: JsonValue;
  try {
    value = open(root, 0, '');
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (f.seq) {
        if (f.i >= f.node.items.length) {
          stack.pop();
          active.delete(f.node);
          continue;
        }
        const idx = f.i++;
        f.out.push(open(f.node.items[idx] as AnyNode, f.depth, f.ptr + '/' + idx));
        continue;
      }
      if (f.i >= f.node.items.length) {
        stack.pop();
        active.delete(f.node);
        applyMerges(f);
        continue;
      }
      const pair = f.node.items[f.i++]!;
      const keyNode = pair.key as AnyNode;
      if (isMergeKey(keyNode)) {
        const v = open(pair.value as AnyNode, f.depth, f.ptr + '/<<');
        f.merges.push({ value: v, node: pair.value as AnyNode });
        continue;
      }
      const key = keyString(keyNode);
      if (key === undefined) continue;
      const ptr = f.ptr + '/' + escapeSegment(key);
      const keyAt = nodeStart(keyNode);
      const first = f.keys.get(key);
      if (first !== undefined) report(duplicateKeyFinding(key, lines.locate(keyAt), lines.locate(first), ptr), keyAt);
      else f.keys.set(key, keyAt);
      setOwn(f.out, key, open(pair.value as AnyNode, f.depth, ptr));
    }
  } catch (err) {
    if (err instanceof Abort) return failWith(err.finding);
    throw err;
  }

  if (failed) return { value: undefined, findings, failed: true, syntaxError: false, locate: none };
  return { value, findings, failed: false, syntaxError: false, locate: (p) => locateYaml(root, targets, lines, p) };
}

/**
 * True for a text over 1 MiB made of few, very long lines (fewer than one line break per 256 characters): js-yaml
 * reads scalars a character at a time where the `yaml` lexer jumps with `indexOf`, so a 20 MB scalar parses
 * faster on the `yaml` path. Both paths give the same answer; this only picks the cheaper one.
 */
function fewLongLines(text: string): boolean {
  if (text.length < 1 << 20) return false;
  const want = text.length >> 8;
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1 && ++count < want; i = text.indexOf('\n', i + 1));
  return count < want;
}

/** The options of every `parseDocument` call: YAML 1.2 core schema, nothing constructed, keys as strings. */
const YAML_OPTIONS = {
  version: '1.2',
  schema: 'core',
  merge: false,
  uniqueKeys: false,
  resolveKnownTags: false,
  stringKeys: true,
  strict: true,
  prettyErrors: false,
  keepSourceTokens: false,
  intAsBigInt: false,
} as const;

/**
 * `locate` for a document the fast path converted: parse it with the `yaml` package (once, on the first call) and
 * answer from that tree, exactly as this path would have. Falls back to the start of the text if the package
 * disagrees with the fast path about the document (never seen; the paths are compared in the tests).
 */
export function yamlLocator(text: string, lines: LineIndex): (pointer: string) => SourceLocation | undefined {
  let root: AnyNode;
  try {
    root = withCheapYamlRuntime(() => parseDocument(text, YAML_OPTIONS)).contents as AnyNode;
  } catch {
    return () => lines.locate(0);
  }
  const targets = resolveAliases(root);
  return (p) => locateYaml(root, targets, lines, p);
}

/** Find the value node for `key` in a mapping, following merge keys. */
function mapLookup(map: YAMLMap, key: string, targets: Map<Alias, YamlNode | undefined>): AnyNode | undefined {
  const queue: YAMLMap[] = [map];
  const seen = new Set<YAMLMap>();
  while (queue.length > 0) {
    const m = queue.shift()!;
    if (seen.has(m)) continue;
    seen.add(m);
    let found: AnyNode | undefined;
    let foundPair = false;
    const merges: YAMLMap[] = [];
    for (const p of m.items) {
      const k = p.key as AnyNode;
      if (isMergeKey(k)) {
        const v = isAlias(p.value) ? targets.get(p.value) : (p.value as AnyNode);
        const list = isSeq(v) ? v.items.map((x) => (isAlias(x) ? targets.get(x) : (x as AnyNode))) : [v];
        for (const s of list) if (isMap(s)) merges.push(s);
        continue;
      }
      const kn = isAlias(k) ? targets.get(k) : k;
      if (isScalar(kn)) {
        const v: unknown = kn.value;
        const ks = typeof v === 'string' ? v : (kn.source ?? String(v));
        if (ks === key) {
          found = (p.value as AnyNode) ?? k;
          foundPair = true;
        }
      }
    }
    if (foundPair) return found;
    queue.push(...merges);
  }
  return undefined;
}

function locateYaml(root: AnyNode, targets: Map<Alias, YamlNode | undefined>, lines: LineIndex, pointer: string): SourceLocation | undefined {
  let node: AnyNode = root;
  for (const seg of decodePointer(pointer)) {
    const cur: AnyNode = isAlias(node) ? targets.get(node) : node;
    let next: AnyNode | undefined;
    if (isMap(cur)) next = mapLookup(cur, seg, targets);
    else if (isSeq(cur) && /^(0|[1-9][0-9]*)$/.test(seg)) next = cur.items[Number(seg)] as AnyNode;
    if (next === undefined || next === null) break;
    node = next;
  }
  return lines.locate(nodeStart(node));
}
