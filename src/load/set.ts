/**
 * Config sets: several documents pushed as one unit, read from a folder (`--proposed DIR`) or given in memory
 * (`{ files: { 'edge/base.yaml': doc, ... } }`).
 *
 * Reading a folder fails closed: every problem is a finding with the member's path and a location, never a crash
 * and never a silent skip. A symlink that leads out of the folder, a symlink loop, a FIFO, socket or device, an
 * unreadable file (`input.unreadable`), a file type the loader does not know (`input.unknown-type`), more files
 * than allowed (`input.too-large`). Each member is loaded on its own with the input limits. Members are in a fixed
 * order (relative paths sorted by code units), so the same folder always gives the same report.
 */
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { InputError, OptionsError } from '../errors.js';
import type { ConfigDoc, ConfigSet, Finding, InputLimits, JsonObject, JsonValue } from '../types.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { compileGlob } from '../set/paths.js';
import { loadConfig, type ConfigSource } from './load.js';
import { formatFromFileName, isConfigDoc } from './parse.js';

/** Options of {@link loadConfigSet}. */
export interface LoadSetOptions {
  /** Input limits, applied to every member on its own (see `DEFAULT_INPUT_LIMITS`). */
  limits?: InputLimits | undefined;
  /** Globs (relative to the folder) of files that are not members of the set. @default [] */
  ignore?: readonly string[] | undefined;
  /** Most files a set may hold; past it, `input.too-large`. @default 10000 */
  maxFiles?: number | undefined;
  /** How the folder is named in locations and reports (members are `<name>/<relative path>`). @default the path given */
  name?: string | undefined;
  /**
   * Take `limits`, `ignore` and `maxFiles` from a resolved policy (its `limits.input` and `files`); explicit options win.
   * @default undefined
   */
  policy?: ResolvedPolicy | undefined;
}

/** A member given in memory: a loaded document, a source for `loadConfig` (path or text), or a parsed value. */
export type SetMemberInput = ConfigDoc | ConfigSource | JsonValue;

/** What {@link loadConfigSet} reads: a folder path, `{ path }` for a folder, or `{ files }` in memory. */
export type ConfigSetSource = string | { path: string } | { files: Readonly<Record<string, SetMemberInput>> };

/** Default of `maxFiles`. */
export const DEFAULT_MAX_FILES = 10_000;

const SET_BRAND = Symbol.for('confgate.ConfigSet');
/** Config file extensions the loader knows. */
const KNOWN = ['.json', '.yaml', '.yml'];

/** True when `x` is a {@link ConfigSet} made by {@link loadConfigSet}. */
export function isConfigSet(x: unknown): x is ConfigSet {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[SET_BRAND] === true;
}

/** True for `{ files: { ... } }` (exactly one key, `files`, holding an object): the in-memory form of a set. */
export function isFilesInput(x: unknown): x is { files: Readonly<Record<string, SetMemberInput>> } {
  if (x === null || typeof x !== 'object' || Array.isArray(x) || isConfigDoc(x) || isConfigSet(x)) return false;
  const keys = Object.keys(x);
  if (keys.length !== 1 || keys[0] !== 'files') return false;
  const files = (x as { files: unknown }).files;
  return files !== null && typeof files === 'object' && !Array.isArray(files);
}

/**
 * Load a config set from a folder (every file below it, recursively, except `ignore`d ones) or from memory
 * (`{ files: { 'edge/base.yaml': text | value | ConfigDoc } }`). Throws `InputError` (`E_INPUT_UNREADABLE`) when the
 * folder itself cannot be read, and `OptionsError` for a member name that is not a relative path; everything about
 * the members is a finding of the set or of the member.
 */
export function loadConfigSet(source: ConfigSetSource, given: LoadSetOptions = {}): ConfigSet {
  const p = given.policy;
  const options: LoadSetOptions = p
    ? { limits: p.limits.input, ignore: p.files?.ignore, maxFiles: p.files?.maxFiles, ...definedOnly(given) }
    : given;
  if (isFilesInput(source)) return fromMemory(source.files, options);
  const dir = typeof source === 'string' ? source : source !== null && typeof source === 'object' && typeof (source as { path?: unknown }).path === 'string' ? (source as { path: string }).path : undefined;
  if (dir === undefined) throw new OptionsError('loadConfigSet() needs a folder path, { path } or { files: { ... } }');
  return fromFolder(dir, options);
}

function definedOnly(o: LoadSetOptions): LoadSetOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && k !== 'policy') out[k] = v;
  return out as LoadSetOptions;
}

/* ------------------------------------------------------------------ memory */

/** Why a member name is not a relative `/`-separated path inside the set, or `undefined`. */
export function memberNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'must be relative to the set\'s folder';
  if (name.includes('\\')) return 'must use `/` between folders';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  const segs = name.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return 'must not have empty, `.` or `..` segments';
  return undefined;
}

function fromMemory(files: Readonly<Record<string, SetMemberInput>>, options: LoadSetOptions): ConfigSet {
  const names = Object.keys(files).sort(compareNames);
  const max = options.maxFiles ?? DEFAULT_MAX_FILES;
  const findings: Finding[] = [];
  const docs = new Map<string, ConfigDoc>();
  for (const name of names) {
    const why = memberNameProblem(name);
    if (why !== undefined) throw new OptionsError(`config set member ${JSON.stringify(name)} ${why}`);
  }
  if (names.length > max) {
    findings.push(tooMany('<set>', names.length, max));
  }
  for (const name of names.slice(0, max)) {
    const input = files[name];
    docs.set(name, memberDoc(name, input, options.limits));
  }
  return makeSet(options.name ?? '<set>', docs, findings);
}

function memberDoc(name: string, input: SetMemberInput | undefined, limits: InputLimits | undefined): ConfigDoc {
  if (input === undefined) throw new OptionsError(`config set member ${JSON.stringify(name)} has no document`);
  if (isConfigDoc(input)) return input;
  if (typeof input === 'string' || input instanceof Uint8Array) return loadConfig(input, { file: name, limits });
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const keys = Object.keys(input);
    if (keys.length === 1 && keys[0] === 'path' && typeof (input as { path: unknown }).path === 'string') {
      return loadConfig(input as { path: string }, { file: name, limits });
    }
    const t = (input as { text?: unknown }).text;
    if ((keys.length === 1 || (keys.length === 2 && keys.includes('file'))) && keys.includes('text') && (typeof t === 'string' || t instanceof Uint8Array)) {
      return loadConfig({ text: t }, { file: name, limits });
    }
  }
  return memoryDoc(name, input as JsonValue);
}

/** A member given as a parsed value: no source positions. */
function memoryDoc(file: string, value: JsonValue): ConfigDoc {
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  } catch (cause) {
    throw new OptionsError(`config set member ${JSON.stringify(file)} must be a JSON-compatible value`, { cause });
  }
  return Object.freeze({ value, format: 'json' as const, bytes, file, findings: [], failed: false, locate: () => undefined });
}

/* ------------------------------------------------------------------ folder */

function fromFolder(dir: string, options: LoadSetOptions): ConfigSet {
  const name = options.name ?? dir;
  let rootReal: string;
  try {
    if (!statSync(dir).isDirectory()) throw new InputError(`Cannot read config set ${name}: it is not a folder.`, { location: { file: name } });
    rootReal = realpathSync(dir);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const why = code === 'ENOENT' ? 'no such folder' : code === 'EACCES' ? 'permission denied' : err instanceof Error ? err.message : String(err);
    throw new InputError(`Cannot read config set ${name}: ${why}.`, { cause: err, location: { file: name } });
  }
  const ignore = (options.ignore ?? []).map((g) => compileGlob(g));
  const max = options.maxFiles ?? DEFAULT_MAX_FILES;
  const display = (rel: string): string => (name === '.' || name === '' ? rel : `${name.replace(/[/\\]+$/, '')}/${rel}`);
  const findings: Finding[] = [];
  const docs = new Map<string, ConfigDoc>();
  const problem = (rule: 'input.unreadable' | 'input.unknown-type', rel: string, message: string, detail: Record<string, JsonValue>): void => {
    findings.push({ rule, severity: 'block', message, file: rel, location: { file: display(rel), line: 1, column: 1 }, detail });
  };
  const visited = new Set<string>([rootReal]);
  let count = 0;
  let over = false;
  // Depth-first, each folder's entries sorted, so member order does not depend on the file system.
  const walk = (absDir: string, relDir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(absDir, { withFileTypes: true });
    } catch (err) {
      const rel = relDir === '' ? '.' : relDir;
      problem('input.unreadable', rel, `the folder ${display(rel)} cannot be read (${errno(err)}): its files are not in the set, so the push cannot be judged`, { reason: 'folder', error: errno(err) });
      return;
    }
    entries.sort((a, b) => compareNames(a.name, b.name));
    for (const e of entries) {
      if (over) return;
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      const abs = path.join(absDir, e.name);
      if (ignore.some((g) => g.matches(rel))) continue;
      let st;
      try {
        st = lstatSync(abs);
      } catch (err) {
        problem('input.unreadable', rel, `${display(rel)} cannot be read (${errno(err)})`, { reason: 'stat', error: errno(err) });
        continue;
      }
      let real = abs;
      if (st.isSymbolicLink()) {
        try {
          real = realpathSync(abs);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const why = code === 'ELOOP' ? 'a symlink loop' : code === 'ENOENT' ? 'a symlink to nothing (dangling)' : `a symlink that cannot be resolved (${errno(err)})`;
          problem('input.unreadable', rel, `${display(rel)} is ${why}`, { reason: 'symlink', error: errno(err) });
          continue;
        }
        if (real !== rootReal && !real.startsWith(rootReal + path.sep)) {
          problem('input.unreadable', rel, `${display(rel)} is a symlink that leads out of the set's folder (to ${real}); a set only reads files inside its folder`, { reason: 'symlink-escape' });
          continue;
        }
        try {
          st = statSync(real);
        } catch (err) {
          problem('input.unreadable', rel, `${display(rel)} cannot be read (${errno(err)})`, { reason: 'stat', error: errno(err) });
          continue;
        }
      }
      if (st.isDirectory()) {
        if (visited.has(real)) {
          problem('input.unreadable', rel, `${display(rel)} leads to a folder that is already part of the set (a symlink cycle)`, { reason: 'symlink-cycle' });
          continue;
        }
        visited.add(real);
        walk(real, rel);
        continue;
      }
      if (!st.isFile()) {
        problem('input.unreadable', rel, `${display(rel)} is not a regular file (a FIFO, socket or device); a set holds only files`, { reason: 'not-a-file' });
        continue;
      }
      if (++count > max) {
        over = true;
        findings.push(tooMany(name, count, max));
        return;
      }
      if (formatFromFileName(e.name) === undefined || !KNOWN.some((x) => e.name.toLowerCase().endsWith(x))) {
        problem(
          'input.unknown-type',
          rel,
          `${display(rel)} is not a config file confgate can read (.json, .yaml, .yml); if it is not part of the config, add it to \`files.ignore\` in the policy`,
          { extension: path.extname(e.name) },
        );
        continue;
      }
      try {
        docs.set(rel, loadConfig({ path: real }, { file: display(rel), limits: options.limits }));
      } catch (err) {
        problem('input.unreadable', rel, `${display(rel)} cannot be read (${errno(err)})`, { reason: 'read', error: errno(err) });
      }
    }
  };
  walk(rootReal, '');
  return makeSet(name, docs, findings);
}

function tooMany(name: string, count: number, max: number): Finding {
  return {
    rule: 'input.too-large',
    severity: 'block',
    message: `the config set ${name} holds more than ${max} files (files.maxFiles); it was not read further`,
    detail: { files: count, maxFiles: max },
  };
}

function errno(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (err instanceof InputError) return err.message.replace(/^Cannot read config [^:]*: /, '').replace(/\.$/, '');
  return code ?? (err instanceof Error ? err.message : String(err));
}

/** Orders member names by UTF-16 code units (never by locale). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function makeSet(root: string, docs: Map<string, ConfigDoc>, findings: Finding[]): ConfigSet {
  const sorted = new Map([...docs.entries()].sort((a, b) => compareNames(a[0], b[0])));
  const value: JsonObject = {};
  for (const [rel, doc] of sorted) {
    if (doc.failed || doc.value === undefined) continue;
    Object.defineProperty(value, rel, { value: doc.value, enumerable: true, writable: true, configurable: true });
  }
  const set = { root, files: sorted, findings: Object.freeze(findings.slice()), value };
  Object.defineProperty(set, SET_BRAND, { value: true });
  return Object.freeze(set) as ConfigSet;
}
