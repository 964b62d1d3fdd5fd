/**
 * How a policy names a file and a place in it.
 *
 * A policy path is either a plain pattern (`/features/*`, `''`), which applies within every document, or
 * `GLOB#POINTER` (`regions/*.yaml#/routes/*`, `edge/base.yaml#`), which applies within the members of a config set
 * whose relative path matches GLOB. A plain pattern always starts with `/` (or is empty), so every policy written for
 * one file keeps its meaning. In a single-file check, a `GLOB#` pattern applies when GLOB matches the file's name as
 * given, or a trailing part of it at a `/` (`config/regions/eu.yaml` matches `regions/*.yaml`).
 *
 * Globs: `*` matches any run of characters within one segment, `?` one character, `**` (a whole segment) any number of
 * segments, zero included; everything else is literal. Matching is case-sensitive, on `/`-separated paths.
 */
import type { ResolvedPolicy } from '../policy/types.js';

/** A policy path split into its glob (absent for a plain pattern) and its pointer pattern. */
export interface FilePattern {
  readonly glob: string | undefined;
  readonly pointer: string;
}

/** Splits `GLOB#POINTER`; a pattern that is empty or starts with `/` is plain (a `#` inside it is literal). */
export function splitFilePattern(pattern: string): FilePattern {
  if (pattern === '' || pattern.startsWith('/')) return { glob: undefined, pointer: pattern };
  const i = pattern.indexOf('#');
  if (i < 0) return { glob: undefined, pointer: pattern };
  return { glob: pattern.slice(0, i), pointer: pattern.slice(i + 1) };
}

/** Why a glob is not valid, or `undefined` when it is. */
export function globProblem(glob: string): string | undefined {
  if (glob === '') return 'the file glob before `#` is empty';
  if (glob.startsWith('/')) return 'a file glob is relative to the set\'s folder and must not start with `/`';
  if (glob.includes('\\')) return 'a file glob uses `/` between folders, not `\\`';
  const segs = glob.split('/');
  if (segs.some((s) => s === '')) return 'a file glob must not have empty segments (`//` or a trailing `/`)';
  if (segs.some((s) => s === '.' || s === '..')) return 'a file glob must not contain `.` or `..` segments';
  if (segs.some((s) => s.includes('**') && s !== '**')) return '`**` must be a whole segment (`a/**/b.yaml`)';
  if (segs.filter((s) => s === '**').length > 8) return 'a file glob may hold at most 8 `**` segments';
  return undefined;
}

/** Why a policy path (plain or `GLOB#POINTER`) is not valid, or `undefined`. The pointer part is checked by the caller. */
export function filePatternProblem(pattern: string): string | undefined {
  const { glob, pointer } = splitFilePattern(pattern);
  if (glob === undefined) return pattern === '' || pattern.startsWith('/') ? undefined : 'must be a JSON Pointer starting with `/` or `GLOB#/pointer`';
  const g = globProblem(glob);
  if (g) return g;
  if (!(pointer === '' || pointer.startsWith('/'))) return 'after `#` comes a JSON Pointer starting with `/` (or nothing, for the whole file)';
  return undefined;
}

/** A compiled glob. */
export interface Glob {
  readonly source: string;
  /** True when the relative path (`edge/base.yaml`) matches. */
  matches(path: string): boolean;
}

const compiledGlobs = new Map<string, Glob>();

/** Compiles a glob (cached). */
export function compileGlob(glob: string): Glob {
  const hit = compiledGlobs.get(glob);
  if (hit) return hit;
  const parts = glob.split('/').map((s) => (s === '**' ? undefined : segmentRegExp(s)));
  const matches = (path: string): boolean => {
    const segs = path.split('/');
    const failed = new Set<number>();
    const from = (pi: number, si: number): boolean => {
      const key = pi * 4096 + si;
      if (failed.has(key)) return false;
      let ok: boolean;
      if (pi === parts.length) ok = si === segs.length;
      else {
        const p = parts[pi];
        if (p === undefined) {
          ok = false;
          for (let k = si; k <= segs.length && !ok; k++) ok = from(pi + 1, k);
        } else ok = si < segs.length && p.test(segs[si]!) && from(pi + 1, si + 1);
      }
      if (!ok) failed.add(key);
      return ok;
    };
    return from(0, 0);
  };
  const out: Glob = { source: glob, matches };
  if (compiledGlobs.size >= 1024) compiledGlobs.clear();
  compiledGlobs.set(glob, out);
  return out;
}

function segmentRegExp(seg: string): RegExp {
  let re = '^';
  for (const ch of seg) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  // `*` runs are collapsed: `a**b` is rejected by globProblem, `a*` stays linear.
  return new RegExp(re.replace(/(\[\^\/\]\*)+/g, '[^/]*') + '$', 'u');
}

/**
 * True when a glob matches the name of a single-file check: the name as given (separators normalised, a leading
 * `./` dropped) or any trailing part of it after a `/`.
 */
export function globMatchesFileName(glob: Glob, name: string): boolean {
  let n = name.replace(/\\/g, '/');
  while (n.startsWith('./')) n = n.slice(2);
  if (glob.matches(n)) return true;
  for (let i = n.indexOf('/'); i >= 0; i = n.indexOf('/', i + 1)) if (glob.matches(n.slice(i + 1))) return true;
  return false;
}

/* --------------------------------------------------------------- policy views */

/** Every distinct glob the policy uses (patterns and `files.schemas`), in first-use order. */
export function policyGlobs(policy: ResolvedPolicy): string[] {
  const out = new Set<string>();
  const see = (p: string | undefined): void => {
    if (p === undefined) return;
    const g = splitFilePattern(p).glob;
    if (g !== undefined) out.add(g);
  };
  for (const k of Object.keys(policy.keys)) see(k);
  for (const p of policy.ordered) see(p);
  for (const c of policy.checks) see(c.path);
  for (const r of policy.rules ?? []) see(r.path);
  for (const s of policy.sensitive) see(s.path);
  for (const p of policy.secrets) see(p);
  for (const p of policy.planes.control) see(p);
  for (const p of policy.planes.data) see(p);
  for (const s of policy.files?.schemas ?? []) out.add(s.match);
  return [...out];
}

/**
 * The policy as it applies to one file: plain patterns as they are, `GLOB#POINTER` patterns whose glob applies
 * reduced to their pointer, the others left out; the schema of the first `files.schemas` entry that applies, else the
 * policy's `schema`. A file-specific key (`regions/*.yaml#/routes: id`) wins over a plain one for the same list.
 */
export function policyView(policy: ResolvedPolicy, applies: (glob: string) => boolean): ResolvedPolicy {
  const keep = (p: string): string | undefined => {
    const { glob, pointer } = splitFilePattern(p);
    if (glob === undefined) return p;
    return applies(glob) ? pointer : undefined;
  };
  const list = (ps: readonly string[]): string[] => ps.flatMap((p) => {
    const k = keep(p);
    return k === undefined ? [] : [k];
  });
  const keys: Record<string, string> = {};
  for (const pass of [false, true]) {
    for (const [k, field] of Object.entries(policy.keys)) {
      if ((splitFilePattern(k).glob !== undefined) !== pass) continue;
      const kk = keep(k);
      if (kk !== undefined) keys[kk] = field;
    }
  }
  const view: ResolvedPolicy = {
    ...policy,
    keys,
    ordered: list(policy.ordered),
    checks: policy.checks.flatMap((c) => {
      const p = keep(c.path);
      return p === undefined ? [] : [p === c.path ? c : { ...c, path: p }];
    }),
    sensitive: policy.sensitive.flatMap((s) => {
      const p = keep(s.path);
      return p === undefined ? [] : [p === s.path ? s : { ...s, path: p }];
    }),
    secrets: list(policy.secrets),
    planes: { control: list(policy.planes.control), data: list(policy.planes.data) },
  };
  if (policy.rules) {
    view.rules = policy.rules.flatMap((r) => {
      const p = keep(r.path);
      return p === undefined ? [] : [p === r.path ? r : { ...r, path: p === '/' ? '' : p }];
    });
  }
  const schema = policy.files?.schemas.find((s) => applies(s.match));
  if (schema) {
    view.schema = schema.schema;
    if (schema.schemaFile !== undefined) view.schemaFile = schema.schemaFile;
    else delete view.schemaFile;
  }
  return view;
}

/** True when the policy uses no `GLOB#` pattern and no `files.schemas`: every file sees the policy itself. */
export function isFileIndependent(policy: ResolvedPolicy): boolean {
  return policyGlobs(policy).length === 0;
}
