/** Small pure helpers shared by the formatters. Internal: not re-exported from the package entry. */
import type {
  Change,
  ChangeKind,
  ChangeSummary,
  Factor,
  Finding,
  GateReport,
  JsonValue,
  PlanNote,
  PlannedWave,
  RolloutPlan,
  Severity,
  StageSpec,
} from '../types.js';
import { formatDuration, tryParseDuration } from '../units.js';

/* ------------------------------------------------------------- text safety */

// C0 controls except tab and newline, DEL, C1 controls, bidi overrides/isolates (Trojan Source), line/paragraph separators.
const UNSAFE_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_CHARS_NO_NL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const visible = (c: string): string => {
  if (c === '\r') return '\\r';
  if (c === '\n') return '\\n';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
};

/**
 * Make control characters visible (`\u001b`) so that data in a report cannot drive the terminal
 * (ANSI escapes) or hide text (bidi overrides), and neutralise the legacy workflow-command marker `##[` (shown as
 * `##\[`). Tabs and, unless `singleLine`, newlines are kept.
 */
export function safeText(s: string, singleLine = false): string {
  return neutraliseLegacyCommands(s.replace(singleLine ? UNSAFE_CHARS_NO_NL : UNSAFE_CHARS, visible), '##\\[');
}

/* ------------------------------------------------------- CI log injection */

/**
 * GitHub's runner executes a log line as a workflow command when it starts with `::` (after leading spaces) and,
 * in the legacy form, when it contains `##[` anywhere. Every format that can be printed to a CI log keeps data from
 * forming either: data never starts a line of its own (newlines in data are escaped), `##[` in data is written
 * another way, and {@link guardLineStarts} escapes any line that would still start with `::`.
 */
const LEGACY_COMMAND = /##\[/g;

/** Replace every `##[` by `replacement` (a form that reads the same to people or parsers, e.g. `##\u005b` in JSON). */
export function neutraliseLegacyCommands(s: string, replacement: string): string {
  return s.includes('##[') ? s.replace(LEGACY_COMMAND, replacement) : s;
}

/** Escape `::` at the start of any line (after spaces) as `\::`: the output of a format that never starts a line with a command. */
export function guardLineStarts(text: string): string {
  return /^[ \t]*::/m.test(text) ? text.replace(/^([ \t]*)::/gm, '$1\\::') : text;
}

// C0 (except \n and \r, which workflow-command escaping encodes), C1, line/paragraph separators, bidi controls.
const COMMAND_UNSAFE = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Strip C0/C1 controls and bidi overrides/isolates from the text of a workflow command (annotations render raw). */
export function stripCommandControls(s: string): string {
  return s.replace(COMMAND_UNSAFE, '');
}

/* ------------------------------------------------------------------ colour */

/** ANSI styling that is the identity when colour is off. */
export interface Painter {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const ansi = (open: number, close: number) => (s: string): string => `\u001b[${open}m${s}\u001b[${close}m`;
const id = (s: string): string => s;

/** A painter: ANSI colours when `color` is true, plain text otherwise. */
export function painter(color: boolean): Painter {
  if (!color) return { red: id, yellow: id, green: id, cyan: id, dim: id, bold: id };
  return { red: ansi(31, 39), yellow: ansi(33, 39), green: ansi(32, 39), cyan: ansi(36, 39), dim: ansi(2, 22), bold: ansi(1, 22) };
}

/** Colour for a severity: red block, yellow warn, dim info. */
export function paintSeverity(p: Painter, severity: Severity, s: string): string {
  return severity === 'block' ? p.red(s) : severity === 'warn' ? p.yellow(s) : p.dim(s);
}

/* ------------------------------------------------------------------- words */

/** `1 change`, `2 changes`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** `+30` / `-5` / `0`. */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/** `85/100`. */
export function scoreText(score: number): string {
  return `${score}/100`;
}

/** `3 changes: 1 added, 0 removed, 2 modified` (`, 1 reordered` only when non-zero). */
export function changeCountsText(c: ChangeSummary): string {
  const parts = [`${c.added} added`, `${c.removed} removed`, `${c.modified} modified`];
  if (c.reordered > 0) parts.push(`${c.reordered} reordered`);
  return `${plural(c.total, 'change')}: ${parts.join(', ')}`;
}

/** Marker of a change kind: `+`, `-`, `~`, `↕`. */
export function changeMarker(kind: ChangeKind): string {
  switch (kind) {
    case 'added':
      return '+';
    case 'removed':
      return '-';
    case 'modified':
      return '~';
    case 'reordered':
      return '↕';
  }
}

/** A JSON value shown compactly: JSON text, truncated to `max` characters (code points) with `...`. */
export function compactValue(value: JsonValue | undefined, max = 80): string {
  if (value === undefined) return '(none)';
  const json = JSON.stringify(value) ?? String(value);
  const chars = Array.from(json);
  return chars.length <= max ? json : `${chars.slice(0, max - 3).join('')}...`;
}

/** Where a finding is, for people: `file:line:col`, else its path (with the document when not the proposed one), else `-`. */
export function findingWhere(f: Finding): string {
  if (f.location) return `${f.location.file}:${f.location.line}:${f.location.column}`;
  if (f.path !== undefined || f.file !== undefined) {
    // A member of a config set: `regions/us.yaml#/routes/0` (the whole file: `regions/us.yaml`).
    const p = f.file !== undefined ? (f.path === undefined || f.path === '' ? f.file : `${f.file}#${f.path}`) : f.path === '' ? '/' : f.path!;
    return f.document && f.document !== 'proposed' ? `${f.document}:${p}` : p;
  }
  return '-';
}

/** Where a change is, for people: its path, prefixed in a config set by the member (`edge/base.yaml#/pools/0`). */
export function changeWhere(c: Change): string {
  if (c.file === undefined) return c.path;
  return c.path === '' ? c.file : `${c.file}#${c.path}`;
}

/** The file of a member of a config set: the set's folder joined with the member's relative path (alone in memory). */
export function memberFile(root: string | undefined, rel: string): string {
  if (root === undefined || root === '' || root === '.' || (root.startsWith('<') && root.endsWith('>'))) return rel;
  return `${root.replace(/[/\\]+$/, '')}/${rel}`;
}

/** The file a finding's document came from, when the report knows it. */
export function documentFile(f: Finding, files?: GateReport['files']): string | undefined {
  if (!files) return f.file;
  if (f.file !== undefined) return memberFile(f.document === 'current' ? files.current : files.proposed, f.file);
  switch (f.document ?? 'proposed') {
    case 'proposed':
      return files.proposed;
    case 'current':
      return files.current;
    case 'policy':
      return files.policy;
    default:
      return undefined;
  }
}

/** A stage for people: `canary 1% bake 10m`, `eu select region=EU`, `all 100%`. */
export function stageText(s: StageSpec): string {
  const parts = [s.name];
  if (s.percent !== undefined) parts.push(`${s.percent}%`);
  if (s.count !== undefined) parts.push(plural(s.count, 'target'));
  if (s.select) parts.push(`select ${selectorText(s.select)}`);
  if (s.bake !== undefined && s.bake !== 0) {
    const ms = tryParseDuration(s.bake);
    parts.push(`bake ${ms === undefined ? String(s.bake) : formatDuration(ms)}`);
  }
  if (s.approval) parts.push('approval');
  return parts.join(' ');
}

function selectorText(sel: Record<string, string | string[]>): string {
  return Object.keys(sel)
    .sort()
    .map((k) => {
      const v = sel[k]!;
      return `${k}=${Array.isArray(v) ? v.join('|') : v}`;
    })
    .join(',');
}

/** `a, b, c +N more` for a list of ids, showing at most `max`. */
export function compactList(items: readonly string[], max = 10): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} +${items.length - max} more`;
}

/** Distinct values of a label over targets, sorted; targets without the label are counted separately. */
export function domainsOf(targets: PlannedWave['targets'], label: string): { values: string[]; missing: number } {
  const set = new Set<string>();
  let missing = 0;
  for (const t of targets) {
    const v = t.labels[label];
    if (v === undefined) missing++;
    else set.add(v);
  }
  return { values: [...set].sort(), missing };
}

/* ------------------------------------------------------------------- paths */

const DRIVE = /^[A-Za-z]:\//;

function normalizePath(p: string): string {
  const slashed = p.replace(/\\/g, '/');
  const abs = slashed.startsWith('/') ? '/' : DRIVE.test(slashed) ? slashed.slice(0, 3) : '';
  const out: string[] = [];
  for (const seg of slashed.slice(abs.length).split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (seg === '..' && abs !== '') continue; // above the root
    else out.push(seg);
  }
  const body = out.join('/');
  return abs + body || (abs === '' ? '.' : abs);
}

function rootOf(p: string): string {
  return p.startsWith('/') ? '/' : DRIVE.test(p) ? p.slice(0, 3).toUpperCase() : '';
}

/**
 * A file path for SARIF/github output: forward slashes, and relative to `baseDir` when given and computable
 * without the working directory (both absolute on the same root, or both relative). Otherwise the path as given.
 * Pure: never consults `process.cwd()`.
 */
export function displayPath(file: string, baseDir?: string): string {
  const slashed = file.replace(/\\/g, '/');
  if (baseDir === undefined || baseDir === '') return slashed;
  const f = normalizePath(file);
  const b = normalizePath(baseDir);
  const fr = rootOf(f);
  const br = rootOf(b);
  if (fr !== br) return slashed;
  const fs = f.slice(fr.length).split('/').filter((s) => s !== '' && s !== '.');
  const bs = b.slice(br.length).split('/').filter((s) => s !== '' && s !== '.');
  let i = 0;
  while (i < fs.length && i < bs.length && fs[i] === bs[i]) i++;
  const up = bs.slice(i);
  if (up.includes('..')) return slashed; // base climbs above the working directory: unknown names
  const rel = [...up.map(() => '..'), ...fs.slice(i)].join('/');
  return rel === '' ? '.' : rel;
}

/** Where a report names a file: relative to the repository root when inside it, else absolute. */
export type RepoPath = { kind: 'relative'; path: string } | { kind: 'absolute'; path: string };

/** True for names that are not file paths: `<proposed>`, `<stdin>` (documents given in memory). */
export function isPlaceholderName(file: string): boolean {
  return /^<[^<>]*>$/.test(file);
}

/**
 * The path of a report file for CI tools (SARIF, GitHub annotations, JUnit, GitLab): relative to `root` (the
 * repository root) with forward slashes when the file is inside it, otherwise absolute. Relative names are first
 * resolved against `baseDir` (the working directory the names were given in; default `root`). Without `root`, the
 * root is `baseDir`; without either, the name as given. Names that are not paths
 * (`<proposed>`) give undefined. Pure: never consults `process.cwd()`.
 */
export function repoPath(file: string, root: string | undefined, baseDir: string | undefined): RepoPath | undefined {
  if (file === '' || isPlaceholderName(file)) return undefined;
  if (root === undefined || root === '') root = baseDir;
  if (root === undefined || root === '') {
    const shown = normalizePath(file);
    return rootOf(shown) !== '' ? { kind: 'absolute', path: shown } : { kind: 'relative', path: shown };
  }
  const slashed = file.replace(/\\/g, '/');
  const base = baseDir === undefined || baseDir === '' ? root : baseDir;
  const full = rootOf(slashed) !== '' ? normalizePath(slashed) : normalizePath(`${base.replace(/\\/g, '/')}/${slashed}`);
  const rel = displayPath(full, root);
  if (!(rel === '.' || rel === '..' || rel.startsWith('../') || rootOf(rel) !== '')) return { kind: 'relative', path: rel };
  // Outside the root: absolute (a relative root and base cannot place it: the resolved name, best effort).
  return rootOf(full) !== '' ? { kind: 'absolute', path: full } : { kind: 'relative', path: full };
}

/** A path as a SARIF `uri`: relative references percent-encoded per segment, absolute paths as `file:///` URIs. */
export function pathToUri(path: string): string {
  const enc = (seg: string): string => (seg === '.' || seg === '..' ? seg : encodeURIComponent(seg));
  if (path.startsWith('/')) return `file://${path.split('/').map(enc).join('/')}`;
  if (DRIVE.test(path)) return `file:///${path.slice(0, 2)}/${path.slice(3).split('/').map(enc).join('/')}`;
  return path.split('/').map(enc).join('/');
}

/* ------------------------------------------------------ fixed-order copies */

/** A JSON value with object keys sorted (recursively), for machine-readable details. */
export function sortedJson(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortedJson);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const k of Object.keys(v).sort()) {
      Object.defineProperty(out, k, { value: sortedJson(v[k]!), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v;
}

/** A finding with keys in the fixed order `rule, severity, message, path, document, location, detail`. */
export function orderedFinding(f: Finding): Finding {
  return {
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    path: f.path,
    document: f.document,
    file: f.file,
    location: f.location ? { file: f.location.file, line: f.location.line, column: f.location.column } : undefined,
    detail: f.detail === undefined ? undefined : (sortedJson(f.detail) as Record<string, JsonValue>),
  };
}

/** A factor with keys in the fixed order `id, points, detail`. */
export function orderedFactor(f: Factor): Factor {
  return { id: f.id, points: f.points, detail: f.detail };
}

/** A change with keys in the fixed order `kind, path, pointer, oldValue, newValue` (values as given). */
export function orderedChange(c: Change): Change {
  return { kind: c.kind, path: c.path, pointer: c.pointer, file: c.file, oldValue: c.oldValue, newValue: c.newValue };
}

/**
 * A change summary with keys in the fixed order `added, removed, modified, reordered, total, changes`, for JSON
 * text. A change whose JSON text is already that of {@link orderedChange} (the usual one, as the diff builds it) is
 * not copied: a report of 300,000 changes would otherwise copy 300,000 objects only to serialise them.
 */
export function orderedChanges(c: ChangeSummary): ChangeSummary {
  return {
    added: c.added,
    removed: c.removed,
    modified: c.modified,
    reordered: c.reordered,
    total: c.total,
    changes: c.changes.map((x) => (serialisesInOrder(x) ? x : orderedChange(x))),
  };
}

/** The keys of a change in the order of {@link orderedChange}. */
const CHANGE_KEYS = ['kind', 'path', 'pointer', 'file', 'oldValue', 'newValue'] as const;
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * True when `JSON.stringify(c)` is `JSON.stringify(orderedChange(c))`: every enumerable key of `c` is an own key
 * of {@link CHANGE_KEYS}, in that order, and every key of that list it does not enumerate reads undefined (so
 * neither text has it). One `for...in` over the few keys of the change, no allocation.
 */
function serialisesInOrder(c: Change): boolean {
  let next = 0;
  let seen = 0;
  for (const k in c) {
    let i = next;
    while (i < CHANGE_KEYS.length && CHANGE_KEYS[i] !== k) i++;
    if (i === CHANGE_KEYS.length || !hasOwn.call(c, k)) return false;
    seen |= 1 << i;
    next = i + 1;
  }
  for (let i = 0; i < CHANGE_KEYS.length; i++) {
    if ((seen & (1 << i)) === 0 && c[CHANGE_KEYS[i]!] !== undefined) return false;
  }
  return true;
}

/** A stage with keys in a fixed order. */
export function orderedStage(s: StageSpec): StageSpec {
  return {
    name: s.name,
    count: s.count,
    percent: s.percent,
    select: s.select === undefined ? undefined : (sortedJson(s.select) as Record<string, string | string[]>),
    bake: s.bake,
    approval: s.approval,
  };
}

function orderedNote(n: PlanNote): PlanNote {
  return { targetId: n.targetId, action: n.action, reason: n.reason, wave: n.wave };
}

/** A rollout plan with keys in a fixed order (target labels sorted by name). */
export function orderedPlan(p: RolloutPlan): RolloutPlan {
  return {
    waves: p.waves.map((w) => ({
      index: w.index,
      name: w.name,
      targets: w.targets.map((t) => ({ id: t.id, labels: sortedJson(t.labels) as Record<string, string> })),
      bakeMs: w.bakeMs,
      approval: w.approval,
    })),
    notes: p.notes.map(orderedNote),
    warnings: [...p.warnings],
    at: p.at,
    failureDomain: p.failureDomain,
    totalTargets: p.totalTargets,
  };
}

/**
 * Indentation is for people: JSON text longer than this many characters without it (a report listing some 10,000
 * changes) is written without it. Such a text is read by programs, and indenting it made it 1.7 times as long
 * (38 against 22 MB for a first push of 300,000 keys) and cost a tenth of the run (BENCHMARKS.md, session 21).
 */
export const JSON_INDENT_MAX_CHARS = 1 << 20;

/**
 * JSON text and a trailing newline: indented by 2 spaces, or on one line when it is longer than
 * {@link JSON_INDENT_MAX_CHARS} characters on one line. Either way the same inputs give the same bytes.
 */
export function jsonText(value: unknown): string {
  const flat = JSON.stringify(value) as string | undefined;
  const text = flat === undefined || flat.length <= JSON_INDENT_MAX_CHARS ? JSON.stringify(value, null, 2) : flat;
  // `##[` only occurs inside strings: `\u005b` is the same `[` to a JSON parser, and no command to a CI runner.
  // The newline is added before the search: the search makes the text one flat string, which is then written as it is
  // (added after, it would make a new two-part string that writing flattens again: a copy of a 22 MB report).
  return neutraliseLegacyCommands(text + '\n', '##\\u005b');
}
