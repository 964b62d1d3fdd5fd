/**
 * Notation for entries of keyed lists in `Change.path`.
 *
 * An entry of a keyed list is named by one pointer segment `[field=value]` instead of its index:
 * `/features/[name=bot_score]/type`. Inside the brackets a backslash escapes the next character:
 * `\` `[` `]` `=` are escaped in `field`, `\` and `]` in `value` (the field ends at the first
 * unescaped `=`, the segment at the final `]`). The whole segment is then escaped like any JSON
 * Pointer segment (`~` -> `~0`, `/` -> `~1`), so `{ "name": "a/b]" }` is `/list/[name=a~1b\]]`.
 * String keys are shown as they are; number and boolean keys in their JSON form (`[id=3]`), so a
 * string key `"3"` and a number key `3` look alike in `path`: `pointer` is always exact.
 */

/** A key value that can identify a keyed list entry. */
export type KeyValue = string | number | boolean;

/** The raw (not yet pointer-escaped) path segment naming a keyed list entry. */
export function keyedSegment(field: string, value: KeyValue): string {
  const f = field.replace(/[\\[\]=]/g, (c) => '\\' + c);
  const v = String(value).replace(/[\\\]]/g, (c) => '\\' + c);
  return `[${f}=${v}]`;
}
