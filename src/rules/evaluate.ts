/**
 * Evaluating compiled CEL rules on a push: once per value matching the rule's path (or once on the document), with
 * `self`, `root`, `oldSelf`, `oldRoot`, `targets` and `at` bound. A `false` is a finding `rule.<id>` located at the
 * matched value; an evaluation error or a result that is not a bool is a finding of the rule's severity saying why
 * (fail closed, never skipped). Documents are converted for CEL once per evaluation, and only when a rule reads them.
 */
import { CelEvalError, prepareCelValue, type PreparedCelValue } from '../cel/index.js';
import { findMatches, getAtPointer } from '../pointer.js';
import type { ConfigDoc, Finding, JsonValue, RuleId, Target } from '../types.js';
import type { KeyedLists } from '../validate/limits.js';
import { entryKey } from '../validate/util.js';
import type { CompiledRule, TemplatePart } from './compile.js';

/** Inputs of {@link ruleFindings}. */
export interface RuleRunInput {
  rules: readonly CompiledRule[];
  proposed: ConfigDoc;
  /** The current (LKG) document, when loadable. */
  current?: ConfigDoc | undefined;
  targets?: readonly Target[] | undefined;
  at: Date;
  /** The policy's keyed lists: `oldSelf` of a keyed-list entry is the LKG entry with the same key. */
  keyed: KeyedLists;
  /**
   * `files` and `oldFiles`: every document of the push by name (a config set's members by relative path; a single
   * file under its name), converted once per push and only when a rule reads them.
   */
  files?: FilesBinding | undefined;
}

/** Lazily converted `files` / `oldFiles` bindings, shared by every file of a set. */
export interface FilesBinding {
  files(): PreparedCelValue;
  oldFiles(): PreparedCelValue;
}

/** Findings of every rule on one push. */
export function ruleFindings(input: RuleRunInput): Finding[] {
  const { rules, proposed } = input;
  if (rules.length === 0 || proposed.value === undefined) return [];
  const anyUses = (v: string) => rules.some((r) => r.uses.has(v));
  const root = anyUses('root') ? prepareCelValue(proposed.value) : undefined;
  const oldValue = input.current?.value;
  const oldRoot = anyUses('oldRoot') ? prepareCelValue(oldValue ?? null) : undefined;
  const targets = anyUses('targets') ? prepareCelValue((input.targets ?? []).map((t) => ({ id: t.id, labels: { ...t.labels } }))) : undefined;
  const old = new OldValues(proposed.value, oldValue, input.keyed);
  const binding = input.files ?? singleFileBinding(proposed, input.current);
  const files = () => binding.files();
  const oldFiles = () => binding.oldFiles();
  const out: Finding[] = [];
  for (const r of rules) {
    const matches = r.pattern ? findMatches(proposed.value, r.pattern) : [{ pointer: '', segments: [] as string[], value: proposed.value }];
    for (const m of matches) {
      const bindings: Record<string, unknown> = { at: input.at };
      if (r.uses.has('root')) bindings['root'] = root;
      if (r.uses.has('self')) bindings['self'] = root?.at(m.segments) ?? prepareCelValue(m.value);
      if (r.uses.has('oldRoot')) bindings['oldRoot'] = oldRoot;
      if (r.uses.has('oldSelf')) {
        const segs = old.segmentsFor(m.segments);
        // From the converted LKG when a rule reads oldRoot anyway, else only the one value is converted.
        bindings['oldSelf'] = segs === undefined ? prepareCelValue(null) : (oldRoot?.at(segs) ?? prepareCelValue(getAtPointer(oldValue, segs) ?? null));
      }
      if (r.uses.has('targets')) bindings['targets'] = targets;
      if (r.uses.has('files')) bindings['files'] = files();
      if (r.uses.has('oldFiles')) bindings['oldFiles'] = oldFiles();
      const f = evaluateOne(r, bindings, m.pointer, input.proposed);
      if (f) out.push(f);
    }
  }
  return out;
}

/** `files` / `oldFiles` of a single-file push: the document under its file name (the LKG under the same name). */
function singleFileBinding(proposed: ConfigDoc, current: ConfigDoc | undefined): FilesBinding {
  let f: PreparedCelValue | undefined;
  let o: PreparedCelValue | undefined;
  const one = (v: JsonValue | undefined): Record<string, JsonValue> => {
    const m: Record<string, JsonValue> = {};
    if (v !== undefined) Object.defineProperty(m, proposed.file, { value: v, enumerable: true, writable: true, configurable: true });
    return m;
  };
  return {
    files: () => (f ??= prepareCelValue(one(proposed.value))),
    oldFiles: () => (o ??= prepareCelValue(one(current?.value))),
  };
}

function evaluateOne(r: CompiledRule, bindings: Record<string, unknown>, pointer: string, doc: ConfigDoc): Finding | undefined {
  const { rule } = r;
  const where = pointer === '' ? 'the document' : `\`${pointer}\``;
  let result: unknown;
  let message: string;
  const detail: Record<string, JsonValue> = { expr: rule.expr };
  try {
    result = r.program.evaluate(bindings);
    if (result === true) return undefined;
    if (result === false) {
      message = r.message ? render(r.message, bindings) : `rule \`${rule.id}\` failed at ${where}: \`${rule.expr}\` is false`;
    } else {
      message = `rule \`${rule.id}\` returned ${shown(result)} at ${where}, not a bool; a rule passes only when it is true`;
      detail['result'] = shown(result);
    }
  } catch (err) {
    const reason = err instanceof CelEvalError ? err.reason : err instanceof Error ? err.message : String(err);
    message = `rule \`${rule.id}\` could not be evaluated at ${where}: ${reason}; the rule fails closed`;
    detail['error'] = reason;
  }
  const f: Finding = { rule: `rule.${rule.id}` as RuleId, severity: rule.severity, message, path: pointer, detail };
  const loc = doc.locate(pointer);
  if (loc) f.location = loc;
  return f;
}

function render(parts: readonly TemplatePart[], bindings: Record<string, unknown>): string {
  let s = '';
  for (const p of parts) {
    if ('text' in p) s += p.text;
    else {
      try {
        s += text(p.program.evaluate(bindings));
      } catch (err) {
        s += `<${err instanceof CelEvalError ? err.reason : 'error'}>`;
      }
    }
  }
  return s;
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
    return s.length > 200 ? `${s.slice(0, 197)}...` : s;
  } catch {
    return String(v);
  }
}

function shown(v: unknown): string {
  return '`' + text(v) + '`';
}

/**
 * Where a proposed value sits in the LKG: the same object keys and list indexes, except in keyed lists, where the
 * entry with the same key is used (wherever it moved). Key indexes are built once per list.
 */
class OldValues {
  private readonly indexes = new Map<readonly JsonValue[], Map<string, number>>();
  constructor(
    private readonly proposed: JsonValue,
    private readonly current: JsonValue | undefined,
    private readonly keyed: KeyedLists,
  ) {}

  /** Segments into the current document, or `undefined` when the value is new. */
  segmentsFor(segments: readonly string[]): string[] | undefined {
    if (this.current === undefined) return undefined;
    let p: JsonValue | undefined = this.proposed;
    let c: JsonValue | undefined = this.current;
    const out: string[] = [];
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      if (c === null || c === undefined || typeof c !== 'object') return undefined;
      const field: string | undefined = Array.isArray(p) && Array.isArray(c) && this.keyed.mayMatchAt(i) ? this.keyed.fieldAt(segments.slice(0, i)) : undefined;
      if (field !== undefined && Array.isArray(p) && Array.isArray(c)) {
        const entry: JsonValue | undefined = p[Number(seg)];
        const key = entryKey(entry, field);
        if (key === undefined) return undefined;
        const idx: number | undefined = this.indexFor(c, field).get(key);
        if (idx === undefined) return undefined;
        out.push(String(idx));
        p = entry;
        c = c[idx];
        continue;
      }
      if (Array.isArray(c)) {
        if (!/^(0|[1-9]\d*)$/.test(seg) || Number(seg) >= c.length) return undefined;
        c = c[Number(seg)];
      } else {
        if (!Object.prototype.hasOwnProperty.call(c, seg)) return undefined;
        c = (c as Record<string, JsonValue>)[seg];
      }
      p = p !== null && typeof p === 'object' ? (Array.isArray(p) ? p[Number(seg)] : (p as Record<string, JsonValue>)[seg]) : undefined;
      out.push(seg);
    }
    return out;
  }

  private indexFor(list: readonly JsonValue[], field: string): Map<string, number> {
    let idx = this.indexes.get(list);
    if (!idx) {
      idx = new Map();
      for (let i = 0; i < list.length; i++) {
        const k = entryKey(list[i], field);
        if (k !== undefined && !idx.has(k)) idx.set(k, i);
      }
      this.indexes.set(list, idx);
    }
    return idx;
  }
}

