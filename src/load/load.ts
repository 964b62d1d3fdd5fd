/**
 * `loadConfig`: the convenience wrapper that may read a file. Unreadable input throws `InputError`;
 * everything about the content is a finding in the returned `ConfigDoc`.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { InputError, OptionsError } from '../errors.js';
import type { ConfigDoc } from '../types.js';
import { resolveLimits } from './limits.js';
import { formatFromFileName, parseConfig, tooLargeDoc, type ParseOptions } from './parse.js';

/**
 * What `loadConfig` accepts:
 * - a string: TEXT when it contains a newline or starts (after whitespace) with `{`, `[` or `---`, else a PATH;
 * - bytes (`Uint8Array`, e.g. a `Buffer`): text;
 * - `{ path }`: always a file to read;
 * - `{ text, file? }`: always text (`file` names it in locations).
 */
export type ConfigSource = string | Uint8Array | { path: string } | { text: string | Uint8Array; file?: string };

/** True when a string given to `loadConfig` is document text rather than a file path. */
export function isInlineText(s: string): boolean {
  if (s.includes('\n') || s.includes('\r')) return true;
  const t = s.trimStart();
  return t.startsWith('{') || t.startsWith('[') || t.startsWith('---');
}

function readConfigFile(path: string, options: ParseOptions): ConfigDoc {
  if (path === '') throw new InputError('Cannot read config: the path is empty.', { location: { file: path } });
  const file = options.file ?? path;
  let size: number;
  let regular: boolean;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new InputError(`Cannot read config ${path}: it is a directory.`, { location: { file: path } });
    size = st.size;
    regular = st.isFile();
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : err instanceof Error ? err.message : String(err);
    throw new InputError(`Cannot read config ${path}: ${why}.`, { cause: err, location: { file: path } });
  }
  const limits = resolveLimits(options.limits);
  if (size > limits.maxBytes) {
    // Do not read a file we will refuse anyway. Same finding as parseConfig would give.
    const fmt = options.format && options.format !== 'auto' ? options.format : (formatFromFileName(file) ?? 'yaml');
    return tooLargeDoc(file, size, limits.maxBytes, fmt);
  }
  let data: Uint8Array;
  try {
    // A pipe, FIFO or device (`<(cmd)`, /dev/stdin, /dev/zero) has no size: read it in chunks, at most maxBytes + 1.
    data = regular ? readFileSync(path) : readBounded(path, limits.maxBytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const why = code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : err instanceof Error ? err.message : String(err);
    throw new InputError(`Cannot read config ${path}: ${why}.`, { cause: err, location: { file: path } });
  }
  if (data.byteLength > limits.maxBytes) {
    const fmt = options.format && options.format !== 'auto' ? options.format : (formatFromFileName(file) ?? 'yaml');
    return tooLargeDoc(file, data.byteLength, limits.maxBytes, fmt);
  }
  return parseConfig(data, { ...options, file });
}

/** Read a file that is not a regular file, stopping after `maxBytes + 1` bytes (so an endless device is bounded). */
function readBounded(path: string, maxBytes: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const cap = Number.isFinite(maxBytes) ? maxBytes + 1 : Infinity;
    while (total < cap) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, cap - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/**
 * Load a configuration document from a file or from text (see `ConfigSource` for how a string is read).
 * Throws `InputError` (code `E_INPUT_UNREADABLE`) when a file is missing, unreadable or a directory;
 * problems in the content are findings of the returned document.
 */
export function loadConfig(source: ConfigSource, options: ParseOptions = {}): ConfigDoc {
  if (typeof source === 'string') {
    if (isInlineText(source)) return parseConfig(source, options);
    return readConfigFile(source, options);
  }
  if (source instanceof Uint8Array) return parseConfig(source, options);
  if (typeof source === 'object' && source !== null) {
    if ('path' in source && typeof source.path === 'string') return readConfigFile(source.path, options);
    if ('text' in source && (typeof source.text === 'string' || source.text instanceof Uint8Array)) {
      const file = source.file ?? options.file;
      return parseConfig(source.text, file === undefined ? options : { ...options, file });
    }
  }
  throw new OptionsError(
    `loadConfig() needs a path or text string, a Uint8Array, { path } or { text, file? }, got ${source === null ? 'null' : typeof source}`,
  );
}
