/**
 * Source excerpts for the HTML gate report: the lines around each finding's location, with secrets masked BEFORE
 * they leave this module. Three layers, each enough on its own for the common case:
 * 1. by position: every value the masker would replace (secret-named keys, the policy's `secrets` patterns and
 *    `secretKeys`, secrets quoted elsewhere, URL passwords) is located in the source, and its text is replaced from
 *    its first column to the start of the next value after it (multi-line block scalars included);
 * 2. by text: every line is scrubbed of every known secret string (comments that quote a secret, map keys);
 * 3. by name: a `key: value` line whose key looks like a secret keeps only its key (documents that did not parse,
 *    where no value is known).
 * A document whose secret values cannot be located gives no excerpt at all (fail closed).
 */
import { encodePointer } from '../../pointer.js';
import { sourceTextOf } from '../../load/source.js';
import { createMasker, isSecretKey, type SecretPolicy } from '../../secrets.js';
import type { ConfigDoc, GateReport, JsonValue, SourceLocation } from '../../types.js';

/** Lines of one source file for the HTML report, already masked: 1-based line number -> text. */
export interface ReportSource {
  /** The file name, as in finding locations. */
  file: string;
  /** Only the lines the report shows (a few around each located finding). */
  lines: Record<string, string>;
}

/** Options of {@link reportSources}. */
export interface ReportSourcesOptions {
  /** The policy's secret settings (`secrets` patterns, `secretKeys`). @default only secret-looking key names */
  policy?: SecretPolicy | undefined;
  /** Lines shown before and after a finding's line. @default 3 */
  context?: number | undefined;
}

/** Replacement text of a masked value in an excerpt. */
export const REDACTED = '«secret»';
const CONTINUED = '«…»';
/** Most masked values a document may have for its excerpts to be shown (each is placed by position). */
const MAX_SECRET_VALUES = 2000;
/** Longest line kept in an excerpt (code points); longer lines are cut around the finding's column. */
export const MAX_LINE = 400;

/**
 * The masked source lines a gate report's HTML needs: for each document (proposed, current) the lines around each
 * finding located in its file. Pass the result as `sources` to `formatReport(report, 'html', { sources })`.
 * Documents not made by `parseConfig`/`loadConfig` from text (values passed in memory) give nothing.
 */
export function reportSources(report: GateReport, docs: ReadonlyArray<ConfigDoc | undefined>, options: ReportSourcesOptions = {}): ReportSource[] {
  const context = Math.max(0, Math.min(20, Math.floor(options.context ?? 3)));
  const policy: SecretPolicy = options.policy ?? { secrets: [] };
  const present = docs.filter((d): d is ConfigDoc => d !== undefined);
  const masker = createMasker(policy, present);
  const out: ReportSource[] = [];
  const seen = new Set<string>();
  for (const doc of present) {
    if (seen.has(doc.file)) continue;
    seen.add(doc.file);
    const wanted = new Set<number>();
    for (const f of report.findings) {
      if (f.location?.file !== doc.file) continue;
      for (let l = f.location.line - context; l <= f.location.line + context; l++) if (l >= 1) wanted.add(l);
    }
    if (wanted.size === 0) continue;
    const text = sourceTextOf(doc);
    if (text === undefined) continue;
    const lines = maskedLines(doc, text, masker, wanted);
    if (lines) out.push({ file: doc.file, lines });
  }
  return out;
}

/** Split like the loader's line index: `\n`, `\r\n` and a lone `\r` end a line. */
function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

interface Span {
  line: number;
  column: number;
  /** Last line (inclusive) of the value; Infinity: to the end of the file. */
  endLine: number;
}

function maskedLines(doc: ConfigDoc, text: string, masker: ReturnType<typeof createMasker>, wanted: ReadonlySet<number>): Record<string, string> | undefined {
  const all = splitLines(text);
  const spans: Span[] = [];
  if (doc.value !== undefined && !doc.failed) {
    const masked = masker.changes([{ kind: 'added', path: '', pointer: '', newValue: doc.value }])[0]?.newValue;
    const secretPointers: string[][] = [];
    differing(doc.value, masked, [], secretPointers);
    if (secretPointers.length > MAX_SECRET_VALUES) return undefined; // too many to place cheaply: no excerpt
    for (const segs of secretPointers) {
      const span = spanOf(doc, segs, all);
      if (!span) return undefined; // a secret we cannot place: show no line of this file
      spans.push(span);
    }
  }
  const lines: Record<string, string> = {};
  for (const n of [...wanted].sort((a, b) => a - b)) {
    if (n > all.length) continue;
    let line = all[n - 1]!;
    for (const s of spans) {
      if (n < s.line || n > s.endLine) continue;
      if (n === s.line) line = `${line.slice(0, Math.max(0, s.column - 1))}${REDACTED}`;
      else line = `${/^\s*/.exec(line)![0]}${CONTINUED}`;
    }
    line = maskByName(masker.text(line));
    lines[String(n)] = line;
  }
  return lines;
}

/** Pointers (as segments) where the masked value differs from the original: the values the masker replaces. */
function differing(a: JsonValue | undefined, b: JsonValue | undefined, segs: string[], out: string[][]): void {
  if (a === b) return;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a)) {
      const bb = b as JsonValue[];
      for (let i = 0; i < a.length; i++) differing(a[i], bb[i], [...segs, String(i)], out);
      return;
    }
    const ao = a as Record<string, JsonValue>;
    const bo = b as Record<string, JsonValue>;
    for (const k of Object.keys(ao)) {
      if (!Object.prototype.hasOwnProperty.call(bo, k)) out.push([...segs, k]); // the key itself was a secret
      else differing(ao[k], bo[k], [...segs, k], out);
    }
    return;
  }
  out.push(segs);
}

const before = (x: SourceLocation, y: SourceLocation): boolean => x.line < y.line || (x.line === y.line && x.column < y.column);

/** Where a value starts and the line before the next value after it (a sibling, or a sibling of an ancestor). */
function spanOf(doc: ConfigDoc, segs: readonly string[], lines: readonly string[]): Span | undefined {
  const start = doc.locate(encodePointer(segs));
  if (!start) return undefined;
  for (let depth = segs.length; depth >= 1; depth--) {
    const parentSegs = segs.slice(0, depth - 1);
    const parent = valueAt(doc.value, parentSegs);
    if (parent === null || typeof parent !== 'object') continue;
    let next: SourceLocation | undefined;
    let nextKey: string | undefined;
    const keys = Array.isArray(parent) ? parent.map((_, i) => String(i)) : Object.keys(parent);
    for (const k of keys) {
      if (k === segs[depth - 1]) continue;
      const loc = doc.locate(encodePointer([...parentSegs, k]));
      if (loc && before(start, loc) && (next === undefined || before(loc, next))) {
        next = loc;
        nextKey = Array.isArray(parent) ? undefined : k;
      }
    }
    if (next) {
      // A YAML value of a block collection is located at its first entry, a line below its key: end before the key.
      let end = next.line - 1;
      if (nextKey !== undefined) {
        // Sibling keys are indented like the secret's key; lines of a block scalar are indented more.
        const keyIndent = /^\s*(?:-\s+)*/.exec(lines[start.line - 1] ?? '')![0].length;
        for (let l = start.line + 1; l <= next.line && l <= lines.length; l++) {
          const raw = lines[l - 1]!;
          const t = raw.trimStart();
          if (raw.length - t.length > keyIndent) continue;
          if (t.startsWith(`${nextKey}:`) || t.startsWith(`"${nextKey}"`) || t.startsWith(`'${nextKey}'`)) {
            end = l - 1;
            break;
          }
        }
      }
      return { line: start.line, column: start.column, endLine: Math.max(start.line, end) };
    }
  }
  return { line: start.line, column: start.column, endLine: Infinity };
}

function valueAt(v: JsonValue | undefined, segs: readonly string[]): JsonValue | undefined {
  let cur = v;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(s)] : Object.prototype.hasOwnProperty.call(cur, s) ? (cur as Record<string, JsonValue>)[s] : undefined;
  }
  return cur;
}

// `key: value`, `"key": value`, `- key: value`, `key = value`
const KEY_LINE = /^(\s*(?:-\s+)?)(["']?)([^"'\s:=#][^"':=#]*?)\2(\s*[:=]\s*)(\S.*)$/;

/** A line naming a secret-looking key keeps the key only (for documents whose values are unknown). */
function maskByName(line: string): string {
  const m = KEY_LINE.exec(line);
  if (!m || !isSecretKey(m[3]!.trim()) || m[5]!.startsWith('«')) return line;
  return `${m[1]}${m[2]}${m[3]}${m[2]}${m[4]}${REDACTED}`;
}
