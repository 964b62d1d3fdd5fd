/**
 * Escaping for the HTML reports. Everything that comes from a config, a policy, a target list, a journal or an
 * operator goes through {@link esc} (text and attribute values alike): `<script>` and `</svg>` in a value render as
 * text. Control characters and bidi overrides are shown as `\u….` escapes so that data cannot hide or reorder text.
 */

// C0 controls except tab and newline, DEL, C1 controls, line/paragraph separators, bidi overrides and isolates.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const HTML = /[&<>"']/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text safe in HTML element content and in double- or single-quoted attribute values (and in SVG `<text>`). Newlines
 * become `&#10;` and `##[` becomes `##&#91;` (both render the same): a report printed to a CI log (`--format html` on
 * stdout) has no line made by data, so data cannot form a workflow command (`::…` at a line start, `##[` anywhere).
 */
export function esc(value: unknown): string {
  const s = typeof value === 'string' ? value : value === undefined ? '' : String(value);
  return s
    .replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(HTML, (c) => ENTITIES[c]!)
    .replace(/\n/g, '&#10;')
    .replace(/##\[/g, '##&#91;');
}

/** An `href` for a link from data: only `http(s)://` URLs, escaped; anything else gives undefined (shown as text). */
export function safeHref(url: string | undefined): string | undefined {
  if (url === undefined || !/^https?:\/\/[^\s<>"']+$/i.test(url)) return undefined;
  return esc(url);
}

/** A number for SVG geometry: finite, at most 2 decimals (keeps the output small and deterministic). */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** A compact JSON text of a value, at most `max` code points (with `…`). */
export function jsonPreview(value: unknown, max = 240): string {
  if (value === undefined) return '';
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    json = String(value);
  }
  const chars = Array.from(json);
  return chars.length <= max ? json : `${chars.slice(0, max - 1).join('')}…`;
}
