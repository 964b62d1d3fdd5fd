/**
 * Time-zone helpers for windows. No calendar arithmetic is done by hand: conversions between a wall-clock
 * time in an IANA zone and an instant go through croner's `CronDate` (which uses `Intl`), and date
 * arithmetic on local dates goes through ical.js `Time`.
 *
 * Local times that do not exist (spring-forward gap) or exist twice (fall-back fold) are resolved like
 * RFC 5545 and Temporal's `disambiguation: 'compatible'`: a time in a gap is read with the offset before the
 * gap (02:30 Europe/Berlin on the last Sunday of March becomes 03:30 CEST = 01:30Z), a repeated time is the
 * first (daylight-time) occurrence.
 */
import { CronDate } from 'croner';
import ICAL from 'ical.js';

/** Wall-clock fields of a local time (month 1-12). */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** A date/time value as written in a window: an instant (had an offset), a local time, or a local date. */
export type ParsedTime =
  | { kind: 'instant'; ms: number }
  | { kind: 'local'; local: LocalTime }
  | { kind: 'date'; local: LocalTime };

const zoneCache = new Map<string, boolean>();

/** True when `zone` is an IANA time zone known to this runtime's `Intl` (or `UTC`). */
export function isValidTimeZone(zone: string): boolean {
  const cached = zoneCache.get(zone);
  if (cached !== undefined) return cached;
  let ok: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    ok = zone.trim() !== '';
  } catch {
    ok = false;
  }
  if (zoneCache.size > 1000) zoneCache.clear();
  zoneCache.set(zone, ok);
  return ok;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parse an ISO-8601 date or date-time. With `Z` or an offset it is an instant; without, a local time (or
 * a local date when there is no time part). Returns `undefined` for anything else (including impossible
 * dates such as `2025-02-30`). A `Date` object is accepted as an instant (YAML loaders may produce them).
 */
export function parseTimeInput(input: unknown): ParsedTime | undefined {
  if (input instanceof Date) return Number.isNaN(input.getTime()) ? undefined : { kind: 'instant', ms: input.getTime() };
  if (typeof input !== 'string') return undefined;
  const m = ISO_RE.exec(input.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, off] = m;
  const local: LocalTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: h === undefined ? 0 : Number(h),
    minute: mi === undefined ? 0 : Number(mi),
    second: s === undefined ? 0 : Number(s),
  };
  if (local.month < 1 || local.month > 12 || local.day < 1 || local.day > ICAL.Time.daysInMonth(local.month, local.year)) {
    return undefined;
  }
  if (local.hour > 23 || local.minute > 59 || local.second > 59) return undefined;
  if (h === undefined) return off === undefined ? { kind: 'date', local } : undefined;
  if (off === undefined) return { kind: 'local', local };
  const ms = Date.parse(
    `${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${frac ? `.${frac.slice(0, 3).padEnd(3, '0')}` : ''}${normalizeOffset(off)}`,
  );
  return Number.isNaN(ms) ? undefined : { kind: 'instant', ms };
}

function normalizeOffset(off: string): string {
  if (off === 'Z' || off === 'z') return 'Z';
  const digits = off.slice(1).replace(':', '').padEnd(4, '0');
  return `${off[0]}${digits.slice(0, 2)}:${digits.slice(2, 4)}`;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

const formatters = new Map<string, Intl.DateTimeFormat>();

/** UTC offset of `zone` at instant `ms`, in ms (whole seconds). Throws on an unknown zone. */
function offsetAt(ms: number, zone: string): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size > 1000) formatters.clear();
    formatters.set(zone, f);
  }
  const whole = Math.floor(ms / 1000) * 1000;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const p of f.formatToParts(new Date(whole))) {
    if (p.type === 'year') year = Number(p.value);
    else if (p.type === 'month') month = Number(p.value);
    else if (p.type === 'day') day = Number(p.value);
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
    else if (p.type === 'second') second = Number(p.value);
    else if (p.type === 'era') bc = p.value.startsWith('B');
  }
  const d = new Date(0);
  d.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime() - whole;
}

/**
 * The instant of a wall-clock time in `zone` (see the module doc for gaps and folds). Throws on an unknown zone.
 * Offsets come from `Intl` (a formatter per zone, a few calls per conversion).
 */
export function localToInstant(local: LocalTime, zone: string): number {
  const d = new Date(0);
  d.setUTCFullYear(local.year, local.month - 1, local.day);
  d.setUTCHours(local.hour, local.minute, local.second, 0);
  const wall = d.getTime();
  const before = offsetAt(wall - DAY, zone);
  const after = offsetAt(wall + DAY, zone);
  const early = wall - before;
  const late = wall - after;
  const earlyOk = offsetAt(early, zone) === before;
  const lateOk = offsetAt(late, zone) === after;
  // A repeated time is its first occurrence; a time in a gap is read with the offset before the gap.
  if (earlyOk && lateOk) return Math.min(early, late);
  if (earlyOk) return early;
  if (lateOk) return late;
  if (before !== after) return early;
  // Two transitions within two days: let croner work it out.
  const text = `${pad(local.year, 4)}-${pad(local.month)}-${pad(local.day)}T${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}`;
  return new CronDate(text, zone).getTime();
}

const DAY = 86_400_000;

/** The wall-clock time of an instant in `zone`. Throws on an unknown zone. */
export function instantToLocal(ms: number, zone: string): LocalTime {
  const d = new CronDate(new Date(ms), zone);
  return { year: d.year, month: d.month + 1, day: d.day, hour: d.hour, minute: d.minute, second: d.second };
}

/** Resolve a parsed time to an instant, reading local times in `zone`. */
export function toInstant(t: ParsedTime, zone: string): number {
  return t.kind === 'instant' ? t.ms : localToInstant(t.local, zone);
}

/** `2025-11-18T15:00:00Z` (milliseconds only when not zero). */
export function formatInstant(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** `2025-11-17 08:00 America/Los_Angeles`, or `undefined` for UTC. Deterministic (no locale formatting). */
export function formatLocal(ms: number, zone: string | undefined): string | undefined {
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC' || !isValidTimeZone(zone)) return undefined;
  const l = instantToLocal(ms, zone);
  return `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)} ${pad(l.hour)}:${pad(l.minute)} ${zone}`;
}

/** `YYYYMMDD` of a local time, used to compare dates. */
export function dateKey(l: { year: number; month: number; day: number }): string {
  return `${pad(l.year, 4)}${pad(l.month)}${pad(l.day)}`;
}
