/**
 * `parseConfig`: text or bytes in, a `ConfigDoc` out. Pure, never throws on bad input: every problem is a
 * finding. Throws only on misuse (invalid options), with `OptionsError`.
 */
import { OptionsError } from '../errors.js';
import type { KeyListings } from '../diff/keys.js';
import type { ConfigDoc, ConfigFormat, Finding, InputLimits, JsonValue, RuleId, SourceLocation } from '../types.js';
import { capFindings, makeFinding, type OmittedFindings, where } from './findings.js';
import { parseJsonText } from './json.js';
import { resolveLimits } from './limits.js';
import { markNoSecretKeys, recordKeyListings } from './stable.js';
import { withSource } from './source.js';
import { decodeInput, LineIndex, utf8Length } from './text.js';
import { parseYamlText } from './yaml.js';

/** Options of `parseConfig` and `loadConfig`. */
export interface ParseOptions {
  /** File name used in locations and messages; its extension selects the format. @default '<input>' */
  file?: string | undefined;
  /**
   * Format of the text. `auto`: by the file extension (`.json`, `.yaml`, `.yml`) when a file name is known,
   * else by content (text starting with `{` or `[` is tried as JSON first, then as YAML). @default 'auto'
   */
  format?: ConfigFormat | 'auto' | undefined;
  /** Input limits; every field has a safe default (see `DEFAULT_INPUT_LIMITS`). */
  limits?: InputLimits | undefined;
}

const DEFAULT_FILE = '<input>';

/** Format implied by a file name's extension, if any. */
export function formatFromFileName(file: string | undefined): ConfigFormat | undefined {
  if (file === undefined) return undefined;
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return undefined;
}

function firstNonWs(text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
  }
  return -1;
}

function looksLikeJson(input: string | Uint8Array): boolean {
  if (typeof input === 'string') {
    const i = firstNonWs(input.charCodeAt(0) === 0xfeff ? input.slice(1, 4096) : input.slice(0, 4096));
    const c = i === -1 ? 0 : input.charCodeAt(input.charCodeAt(0) === 0xfeff ? i + 1 : i);
    return c === 123 || c === 91;
  }
  let i = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  while (i < input.length && (input[i] === 32 || input[i] === 10 || input[i] === 13 || input[i] === 9)) i++;
  return input[i] === 123 || input[i] === 91;
}

const DOC_BRAND = Symbol.for('confgate.ConfigDoc');

function makeDoc(fields: {
  value: JsonValue | undefined;
  format: ConfigFormat;
  bytes: number;
  file: string;
  findings: Finding[];
  /** Findings past the per-rule cap that the loader counted without building them (see `capFindings`). */
  omitted?: ReadonlyMap<RuleId, OmittedFindings> | undefined;
  failed: boolean;
  locate?: (pointer: string) => SourceLocation | undefined;
  /** False when the loader saw every key and none looks like a secret. */
  secretKeys?: boolean;
  /** Keys and values of the value's large objects, as the loader enumerated them. */
  listings?: KeyListings | undefined;
}): ConfigDoc {
  const locate = fields.locate;
  const doc: ConfigDoc = {
    value: fields.value,
    format: fields.format,
    bytes: fields.bytes,
    file: fields.file,
    findings: Object.freeze(capFindings(fields.findings, fields.omitted)),
    failed: fields.failed,
    locate(pointer: string): SourceLocation | undefined {
      if (typeof pointer !== 'string') throw new OptionsError(`locate() needs a JSON Pointer string, got ${typeof pointer}`);
      return locate ? locate(pointer) : undefined;
    },
  };
  Object.defineProperty(doc, DOC_BRAND, { value: true });
  if (fields.secretKeys === false && fields.value !== undefined) markNoSecretKeys(doc);
  if (fields.listings !== undefined && fields.listings.size > 0 && !fields.failed) recordKeyListings(doc, fields.listings);
  return Object.freeze(doc);
}

/** The document for input over `limits.maxBytes`: not parsed at all. */
export function tooLargeDoc(file: string, bytes: number, maxBytes: number, format: ConfigFormat): ConfigDoc {
  return failedDoc(
    file,
    format,
    bytes,
    makeFinding(
      'input.too-large',
      'block',
      `${file} is ${bytes} bytes, over the limit of ${maxBytes} bytes (limits.maxBytes); it was not parsed.`,
      { file, line: 1, column: 1 },
      undefined,
      { bytes, maxBytes },
    ),
  );
}

/** A document that could not be loaded at all: no value, one blocking finding. */
function failedDoc(file: string, format: ConfigFormat, bytes: number, finding: Finding): ConfigDoc {
  return makeDoc({ value: undefined, format, bytes, file, failed: true, findings: [finding] });
}

/** True when `x` is a `ConfigDoc` (as returned by `parseConfig` or `loadConfig`, or shaped like one). */
export function isConfigDoc(x: unknown): x is ConfigDoc {
  if (typeof x !== 'object' || x === null) return false;
  const d = x as Record<string | symbol, unknown>;
  if (d[DOC_BRAND] === true) return true;
  return (
    (d.format === 'json' || d.format === 'yaml') &&
    typeof d.bytes === 'number' &&
    typeof d.file === 'string' &&
    Array.isArray(d.findings) &&
    typeof d.failed === 'boolean' &&
    typeof d.locate === 'function' &&
    'value' in d
  );
}

/**
 * Parse YAML or JSON text into a `ConfigDoc`. Pure: never reads files, never throws on bad input
 * (syntax errors, duplicate keys, limits, binary data are findings; `failed` tells whether `value` is usable).
 * Throws `OptionsError` only for invalid options.
 */
export function parseConfig(text: string | Uint8Array, options: ParseOptions = {}): ConfigDoc {
  if (typeof text !== 'string' && !(text instanceof Uint8Array)) {
    throw new OptionsError(`parseConfig() needs a string or a Uint8Array, got ${text === null ? 'null' : typeof text}`);
  }
  const fmtOpt = options.format ?? 'auto';
  if (fmtOpt !== 'auto' && fmtOpt !== 'json' && fmtOpt !== 'yaml') {
    throw new OptionsError(`format must be 'json', 'yaml' or 'auto', got ${JSON.stringify(fmtOpt)}`);
  }
  if (options.file !== undefined && typeof options.file !== 'string') {
    throw new OptionsError(`file must be a string, got ${typeof options.file}`);
  }
  const limits = resolveLimits(options.limits);
  const file = options.file ?? DEFAULT_FILE;
  const declared: ConfigFormat | undefined = fmtOpt !== 'auto' ? fmtOpt : formatFromFileName(options.file);
  const bytes = typeof text === 'string' ? utf8Length(text) : text.byteLength;
  const start: SourceLocation = { file, line: 1, column: 1 };

  if (bytes > limits.maxBytes) return tooLargeDoc(file, bytes, limits.maxBytes, declared ?? (looksLikeJson(text) ? 'json' : 'yaml'));

  const decoded = decodeInput(text);
  if (!decoded.ok) {
    const loc = new LineIndex(decoded.prefix, file).locate(decoded.prefix.length);
    return failedDoc(
      file,
      declared ?? 'yaml',
      bytes,
      makeFinding('parse.error', 'block', `Invalid UTF-8 at byte ${decoded.byteOffset} (${where(loc)}): binary data is not a configuration file.`, loc, undefined, {
        byteOffset: decoded.byteOffset,
      }),
    );
  }
  const src = decoded.text;
  const lines = new LineIndex(src, file);
  const firstChar = firstNonWs(src);
  const sniffedJson = firstChar !== -1 && (src.charCodeAt(firstChar) === 123 || src.charCodeAt(firstChar) === 91);
  const format: ConfigFormat = declared ?? (sniffedJson ? 'json' : 'yaml');

  const nul = src.indexOf('\u0000');
  if (nul !== -1) {
    const loc = lines.locate(nul);
    return withSource(failedDoc(file, format, bytes, makeFinding('parse.error', 'block', `NUL character at ${where(loc)}: binary data is not a configuration file.`, loc)), src);
  }
  if (firstChar === -1) {
    return withSource(failedDoc(file, format, bytes, makeFinding('parse.error', 'block', `${file} is an empty document.`, start)), src);
  }

  if (format === 'json') {
    const j = parseJsonText(src, lines, limits);
    if (j.syntaxError && declared === undefined) {
      // Auto-detected JSON that is not JSON: it may still be YAML (flow style, comments...).
      const y = parseYamlText(src, lines, limits);
      if (!y.syntaxError) return withSource(makeDoc({ ...y, format: 'yaml', bytes, file }), src);
    }
    return withSource(makeDoc({ ...j, format: 'json', bytes, file }), src);
  }
  const y = parseYamlText(src, lines, limits);
  return withSource(makeDoc({ ...y, format: 'yaml', bytes, file }), src);
}
