/**
 * Turning input bytes into text (UTF-8, BOM, binary detection) and offsets into line/column positions.
 */
import type { SourceLocation } from '../types.js';

/** Result of decoding the input: the text, or the byte offset of the first invalid UTF-8 sequence. */
export type DecodeResult = { ok: true; text: string } | { ok: false; byteOffset: number; prefix: string };

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });
const lenientDecoder = new TextDecoder('utf-8');

/** Decode UTF-8 bytes (strict) or take a string as it is; a leading BOM is removed either way. */
export function decodeInput(input: string | Uint8Array): DecodeResult {
  if (typeof input === 'string') {
    return { ok: true, text: input.charCodeAt(0) === 0xfeff ? input.slice(1) : input };
  }
  try {
    // TextDecoder removes a leading BOM by default.
    return { ok: true, text: fatalDecoder.decode(input) };
  } catch {
    const at = firstInvalidUtf8(input);
    let prefix = lenientDecoder.decode(input.subarray(0, at));
    if (prefix.charCodeAt(0) === 0xfeff) prefix = prefix.slice(1);
    return { ok: false, byteOffset: at, prefix };
  }
}

/** Byte offset of the first invalid UTF-8 sequence (the length when there is none). */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return n;
}

/** Size of a string in UTF-8 bytes. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Maps UTF-16 offsets of a text to 1-based line and column. Line breaks: `\n`, `\r\n` and a lone `\r`. */
export class LineIndex {
  private starts: number[] | undefined;
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  private build(): number[] {
    const t = this.text;
    const starts = [0];
    let i = 0;
    let nl = t.indexOf('\n');
    let cr = t.indexOf('\r');
    for (;;) {
      if (nl !== -1 && nl < i) nl = t.indexOf('\n', i);
      if (cr !== -1 && cr < i) cr = t.indexOf('\r', i);
      if (nl === -1 && cr === -1) break;
      if (cr !== -1 && (nl === -1 || cr < nl)) {
        i = t.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
      } else {
        i = nl + 1;
      }
      starts.push(i);
    }
    return starts;
  }

  /** Location of a UTF-16 offset (clamped to the text). Columns count UTF-16 code units, 1-based. */
  locate(offset: number): SourceLocation {
    const starts = (this.starts ??= this.build());
    const off = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= off) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: off - starts[lo]! + 1 };
  }
}
