/** Import windows from an iCalendar (RFC 5545) file, using ical.js for parsing. */
import ICAL from 'ical.js';
import { ConfgateError } from '../errors.js';
import type { LabelSelector, WindowKind, WindowSpec } from '../types.js';
import { formatDuration } from '../units.js';
import { compileWindow, expandStarts, firstOccurrence } from './recurrence.js';
import { isValidTimeZone, localToInstant, type LocalTime } from './time.js';

/** Options of {@link importICal}. */
export interface ICalImportOptions {
  /** Kind of every imported window. @default 'freeze' */
  kind?: WindowKind;
  /** Selector applied to every imported window. @default undefined (every target) */
  targets?: LabelSelector;
  /** `source` of every imported window. @default 'ical' */
  source?: string;
  /**
   * IANA zone for floating times and all-day (DATE) events, which carry no zone of their own.
   * @default the calendar's `X-WR-TIMEZONE` when it names a known zone, else 'UTC'
   */
  timeZone?: string;
}

const KINDS = new Set<WindowKind>(['maintenance', 'freeze', 'allow']);

/** Common Windows (Outlook/Exchange) zone names -> IANA. */
const WINDOWS_ZONES: Record<string, string> = {
  'UTC': 'UTC',
  'GMT Standard Time': 'Europe/London',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Romance Standard Time': 'Europe/Paris',
  'Central Europe Standard Time': 'Europe/Budapest',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'Eastern Standard Time': 'America/New_York',
  'Central Standard Time': 'America/Chicago',
  'Mountain Standard Time': 'America/Denver',
  'Pacific Standard Time': 'America/Los_Angeles',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'India Standard Time': 'Asia/Kolkata',
  'AUS Eastern Standard Time': 'Australia/Sydney',
};

function fail(message: string, cause?: unknown): never {
  throw new ConfgateError('E_WINDOW_INVALID', message, cause === undefined ? undefined : { cause });
}

/**
 * An IANA zone for a TZID: the TZID itself, its longest `/`-separated suffix that is a zone
 * (`/mozilla.org/20050126_1/America/New_York`), or a common Windows zone name.
 */
export function resolveTzid(tzid: string): string | undefined {
  const id = tzid.trim().replace(/^"|"$/g, '');
  if (isValidTimeZone(id)) return id;
  const parts = id.split('/').filter((p) => p !== '');
  for (let i = 1; i < parts.length; i++) {
    const candidate = parts.slice(i).join('/');
    if (candidate.includes('/') && isValidTimeZone(candidate)) return candidate;
  }
  return WINDOWS_ZONES[id];
}

interface Stamp {
  local: LocalTime;
  isDate: boolean;
  /** IANA zone the local time is in. */
  zone: string;
  /** True when the value was written in UTC (`Z`). */
  utc: boolean;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const isoLocal = (l: LocalTime): string => `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}`;
const isoDate = (l: LocalTime): string => `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)}`;
const icalBasic = (l: LocalTime, isDate: boolean): string =>
  isDate ? `${pad(l.year, 4)}${pad(l.month)}${pad(l.day)}` : `${pad(l.year, 4)}${pad(l.month)}${pad(l.day)}T${pad(l.hour)}${pad(l.minute)}${pad(l.second)}`;

/**
 * iCalendar text -> windows. Each VEVENT becomes a window named by its SUMMARY (else UID):
 * - without RRULE: a one-off window (`start`/`end` in UTC);
 * - with RRULE: an `rrule` window whose `start` is DTSTART in local time, `timeZone` the DTSTART's TZID, and
 *   `duration` DTEND - DTSTART (exact) or DURATION. EXDATEs (and the RECURRENCE-IDs of modified instances) are
 *   carried as `EXDATE:` lines in `rrule`; each modified instance becomes its own one-off window; RDATEs become
 *   one-off windows of the same duration.
 * - all-day events (DATE values) span whole days from local midnight to local midnight in the event's zone:
 *   a TZID on DTSTART if any, else `options.timeZone`, else the calendar's `X-WR-TIMEZONE`, else UTC (floating).
 *   Floating date-times are read in the same zone. An event without DTEND or DURATION lasts one day when all-day.
 * - `STATUS:CANCELLED` events are skipped.
 * TZIDs must be IANA names (or end in one, or be a common Windows zone name): conversion uses the runtime's
 * IANA data, not the VTIMEZONE blocks. Throws `ConfgateError` (`E_WINDOW_INVALID`) for a malformed file, an
 * unknown TZID, or an event that yields an invalid window (the message names the event).
 */
export function importICal(text: string, options: ICalImportOptions = {}): WindowSpec[] {
  const kind = options.kind ?? 'freeze';
  const source = options.source ?? 'ical';
  if (!KINDS.has(kind)) fail(`iCalendar import: \`kind\` must be maintenance, freeze or allow, got ${JSON.stringify(kind)}`);
  if (typeof text !== 'string') fail(`${source}: expected iCalendar text`);
  if (options.timeZone !== undefined && !isValidTimeZone(options.timeZone)) {
    fail(`iCalendar import: \`timeZone\` must be an IANA time zone, got ${JSON.stringify(options.timeZone)}`);
  }

  let root: ICAL.Component;
  try {
    const jcal: unknown = ICAL.parse(withDateValues(text));
    // Several VCALENDARs parse to an array of jCal arrays: use the first.
    const first = Array.isArray(jcal) && Array.isArray(jcal[0]) ? jcal[0] : jcal;
    root = new ICAL.Component(first as unknown[]);
  } catch (err) {
    fail(`${source}: not a valid iCalendar file: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  if (root.name !== 'vcalendar') fail(`${source}: expected a VCALENDAR, found ${root.name.toUpperCase()}`);

  const wr = root.getFirstPropertyValue('x-wr-timezone');
  const calZone = typeof wr === 'string' ? resolveTzid(wr) : undefined;
  const floatingZone = options.timeZone ?? calZone ?? 'UTC';

  const events = root.getAllSubcomponents('vevent');
  const overrides = new Map<string, ICAL.Component[]>();
  for (const ev of events) {
    if (!ev.hasProperty('recurrence-id')) continue;
    const uid = String(ev.getFirstPropertyValue('uid') ?? '');
    overrides.set(uid, [...(overrides.get(uid) ?? []), ev]);
  }

  const windows: WindowSpec[] = [];
  const base = (name: string): WindowSpec => {
    const w: WindowSpec = { name, kind };
    if (options.targets) w.targets = options.targets;
    return w;
  };
  const push = (w: WindowSpec, what: string): void => {
    w.source = source;
    const problems = compileWindow(w).problems;
    if (problems.length > 0) fail(`${source}: ${what} gives an invalid window: ${problems.join('; ')}`);
    windows.push(w);
  };

  const stampOf = (prop: ICAL.Property, value: unknown, what: string): Stamp => {
    if (!(value instanceof ICAL.Time)) fail(`${source}: ${what} must be a date or date-time`);
    const tzid = prop.getParameter('tzid');
    const utc = !value.isDate && value.zone?.tzid === 'UTC';
    let zone = floatingZone;
    if (typeof tzid === 'string' && tzid !== '') {
      const z = resolveTzid(tzid);
      if (!z) fail(`${source}: ${what} has TZID ${JSON.stringify(tzid)}, which is not an IANA time zone such as "Europe/Berlin"`);
      zone = z;
    } else if (utc) {
      zone = 'UTC';
    }
    const local: LocalTime = {
      year: value.year,
      month: value.month,
      day: value.day,
      hour: value.isDate ? 0 : value.hour,
      minute: value.isDate ? 0 : value.minute,
      second: value.isDate ? 0 : value.second,
    };
    return { local, isDate: value.isDate, zone, utc };
  };
  const instantOf = (s: Stamp): number => localToInstant(s.local, s.zone);
  const iso = (ms: number): string => new Date(ms).toISOString();

  events.forEach((ev, index) => {
    try {
      importEvent(ev, index);
    } catch (err) {
      if (err instanceof ConfgateError) throw err;
      fail(`${source}: ${describe(ev, index)} could not be read: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  });

  function importEvent(ev: ICAL.Component, index: number): void {
    if (ev.hasProperty('recurrence-id')) return; // handled with its master (or below when orphaned)
    const what = describe(ev, index);
    if (String(ev.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED') return;
    const name = eventName(ev, index);
    const dtProp = ev.getFirstProperty('dtstart');
    if (!dtProp) fail(`${source}: ${what} has no DTSTART`);
    const start = stampOf(dtProp, dtProp.getFirstValue(), `${what} DTSTART`);

    // Length: calendar days for all-day events, exact milliseconds otherwise.
    let days = 0;
    let ms = 0;
    let nominalDays = 0;
    const endProp = ev.getFirstProperty('dtend');
    const durValue = ev.getFirstPropertyValue('duration');
    if (endProp) {
      const end = stampOf(endProp, endProp.getFirstValue(), `${what} DTEND`);
      if (start.isDate) {
        const a = ICAL.Time.fromData({ year: start.local.year, month: start.local.month, day: start.local.day, isDate: true });
        const b = ICAL.Time.fromData({ year: end.local.year, month: end.local.month, day: end.local.day, isDate: true });
        days = Math.round(b.subtractDate(a).toSeconds() / 86_400);
      } else {
        ms = instantOf(end) - instantOf(start);
      }
    } else if (durValue instanceof ICAL.Duration) {
      if (durValue.isNegative) fail(`${source}: ${what} has a negative DURATION`);
      if (start.isDate) {
        if (durValue.hours || durValue.minutes || durValue.seconds) fail(`${source}: ${what} is all-day but its DURATION is not whole days`);
        days = durValue.weeks * 7 + durValue.days;
      } else {
        ms = durValue.toSeconds() * 1000;
        // RFC 5545: weeks and days are nominal (the same local time N days later, 23 or 25 hours across DST).
        nominalDays = durValue.weeks * 7 + durValue.days;
      }
    } else if (start.isDate) {
      days = 1;
    } else {
      fail(`${source}: ${what} has neither DTEND nor DURATION, so it has no length`);
    }
    if (start.isDate ? days <= 0 : ms <= 0) fail(`${source}: ${what} ends before or when it starts`);
    const durationMs = start.isDate ? days * 86_400_000 : ms;
    const spanOf = (s: Stamp): { start: string; end: string } => {
      const from = instantOf(s);
      if (!s.isDate && nominalDays > 0) {
        const l = s.local;
        const later = new Date(Date.UTC(l.year, l.month - 1, l.day + nominalDays, l.hour, l.minute, l.second));
        const local: LocalTime = { year: later.getUTCFullYear(), month: later.getUTCMonth() + 1, day: later.getUTCDate(), hour: l.hour, minute: l.minute, second: l.second };
        return { start: iso(from), end: iso(localToInstant(local, s.zone) + durationMs - nominalDays * 86_400_000) };
      }
      if (!s.isDate) return { start: iso(from), end: iso(from + durationMs) };
      const e = ICAL.Time.fromData({ year: s.local.year, month: s.local.month, day: s.local.day, isDate: true });
      e.adjust(days, 0, 0, 0);
      return { start: iso(from), end: iso(localToInstant({ year: e.year, month: e.month, day: e.day, hour: 0, minute: 0, second: 0 }, s.zone)) };
    };

    const rrules = ev.getAllProperties('rrule');
    if (rrules.length > 1) fail(`${source}: ${what} has several RRULEs; only one is supported`);
    const recur = rrules[0]?.getFirstValue();

    // Exclusions (EXDATE) as instants and, for dates, local dates: they remove RDATE instances too.
    const exInstants = new Set<number>();
    const exDates = new Set<string>();
    for (const prop of ev.getAllProperties('exdate')) {
      for (const v of prop.getValues()) {
        const x = stampOf(prop, v, `${what} EXDATE`);
        if (x.isDate) exDates.add(isoDate(x.local));
        else exInstants.add(instantOf(x));
      }
    }
    const excluded = (x: Stamp): boolean => exInstants.has(instantOf(x)) || exDates.has(isoDate(x.local));
    const seen = new Set<number>();
    const pushSpan = (span: { start: string; end: string }, label: string): void => {
      const t = Date.parse(span.start);
      if (seen.has(t)) return; // an RDATE repeating DTSTART or another RDATE
      seen.add(t);
      push({ ...base(name), ...span }, label);
    };
    const pushRdates = (): void => {
      for (const prop of ev.getAllProperties('rdate')) {
        for (const v of prop.getValues()) {
          if (v instanceof ICAL.Period) {
            const ps = stampOf(prop, v.start, `${what} RDATE`);
            if (excluded(ps)) continue;
            const from = instantOf(ps);
            let to: number;
            if (v.end) to = instantOf(stampOf(prop, v.end, `${what} RDATE period end`));
            else if (v.duration) to = from + v.duration.toSeconds() * 1000;
            else fail(`${source}: ${what} RDATE period has neither an end nor a duration`);
            if (!(to > from)) fail(`${source}: ${what} RDATE period ends before or when it starts`);
            pushSpan({ start: iso(from), end: iso(to) }, `${what} RDATE`);
          } else {
            const rs = stampOf(prop, v, `${what} RDATE`);
            if (excluded(rs)) continue;
            pushSpan(spanOf(rs), `${what} RDATE`);
          }
        }
      }
    };

    if (!recur) {
      if (!excluded(start)) pushSpan(spanOf(start), what);
      pushRdates();
      return;
    }
    if (!(recur instanceof ICAL.Recur)) fail(`${source}: ${what} has an invalid RRULE`);

    // EXDATEs, plus the RECURRENCE-IDs of modified instances, as values local to the window's zone.
    const exdates: string[] = [];
    const addExdate = (prop: ICAL.Property, value: unknown, label: string): void => {
      const s = stampOf(prop, value, `${what} ${label}`);
      // On an all-day series a date-time (Exchange writes RECURRENCE-ID;TZID=...:20251224T000000) names that day.
      if (s.isDate || start.isDate) exdates.push(icalBasic(s.local, true));
      else if (s.zone === start.zone && !s.utc) exdates.push(icalBasic(s.local, false));
      else exdates.push(`${iso(instantOf(s)).replace(/[-:]/g, '').replace(/\.\d{3}/, '')}`);
    };
    for (const prop of ev.getAllProperties('exdate')) for (const v of prop.getValues()) addExdate(prop, v, 'EXDATE');
    const uid = String(ev.getFirstPropertyValue('uid') ?? '');
    const mods = overrides.get(uid) ?? [];
    overrides.delete(uid);
    const isRange = (mod: ICAL.Component): boolean =>
      String(mod.getFirstProperty('recurrence-id')!.getParameter('range') ?? '').toUpperCase() === 'THISANDFUTURE';
    // RANGE=THISANDFUTURE: the series is cut at the RECURRENCE-ID, and goes on from the override's DTSTART with
    // the override's length (every later instance moved by the same offset). Sorted by RECURRENCE-ID.
    const ranges = mods
      .filter(isRange)
      .map((mod) => {
        const ridProp = mod.getFirstProperty('recurrence-id')!;
        const rid = instantOf(stampOf(ridProp, ridProp.getFirstValue(), `${what} RECURRENCE-ID`));
        return { mod, rid };
      })
      .sort((a, b) => a.rid - b.rid);
    const offsetAt = (rid: number): number => {
      let offset = 0;
      for (const r of ranges) {
        if (r.rid > rid) break;
        const dt = r.mod.getFirstProperty('dtstart');
        if (dt) offset = instantOf(stampOf(dt, dt.getFirstValue(), `${what} override DTSTART`)) - r.rid;
      }
      return offset;
    };
    for (const mod of mods) {
      if (isRange(mod)) continue;
      const rid = mod.getFirstProperty('recurrence-id')!;
      const ridStamp = stampOf(rid, rid.getFirstValue(), `${what} RECURRENCE-ID`);
      const offset = offsetAt(instantOf(ridStamp));
      if (offset === 0 || start.isDate) addExdate(rid, rid.getFirstValue(), 'RECURRENCE-ID');
      else exdates.push(iso(instantOf(ridStamp) + offset).replace(/[-:]/g, '').replace(/\.\d{3}/, ''));
    }

    // DTSTART counts as an occurrence (RFC 5545) even when the rule does not produce it: keep it as a one-off and
    // start the series at the rule's first occurrence, one fewer for COUNT.
    let rule = recur.toString();
    let seriesStart = start;
    const first = firstOccurrence(rule, start.local);
    if (first && isoLocal(first) !== isoLocal(start.local)) {
      if (!excluded(start)) pushSpan(spanOf(start), what);
      const count = /(?:^|;)COUNT=(\d+)/i.exec(rule);
      if (count && Number(count[1]) <= 1) {
        seriesStart = { ...start, local: start.local };
        rule = '';
      } else {
        if (count) rule = rule.replace(/(^|;)COUNT=\d+/i, `$1COUNT=${Number(count[1]) - 1}`);
        seriesStart = { ...start, local: first };
      }
    }
    const stampText = (s: Stamp): string => (s.isDate ? isoDate(s.local) : s.utc ? `${isoLocal(s.local)}Z` : isoLocal(s.local));
    const series: Array<{ start: Stamp; rule: string; duration: string }> = rule === '' ? [] : [{ start: seriesStart, rule, duration: start.isDate ? `${days}d` : nominalDays > 0 ? isoDuration(nominalDays, durationMs) : formatDuration(durationMs) }];
    for (const r of ranges) {
      const tail = series[series.length - 1];
      if (!tail) break;
      const dt = r.mod.getFirstProperty('dtstart');
      if (!dt) fail(`${source}: ${what} has an override without DTSTART`);
      const next = stampOf(dt, dt.getFirstValue(), `${what} override DTSTART`);
      const cutAt = r.rid + offsetAt(r.rid - 1);
      const countMatch = /(?:^|;)COUNT=(\d+)/i.exec(tail.rule);
      let nextRule = tail.rule;
      if (countMatch) {
        const total = Number(countMatch[1]);
        const probe: WindowSpec = { ...base(name), rrule: tail.rule, start: stampText(tail.start), duration: tail.duration, timeZone: tail.start.zone };
        const before = occurrencesBefore(probe, instantOf(tail.start) - 86_400_000, cutAt);
        tail.rule = tail.rule.replace(/(^|;)COUNT=\d+/i, `$1COUNT=${Math.max(before, 1)}`);
        if (before === 0) series.pop();
        nextRule = nextRule.replace(/(^|;)COUNT=\d+/i, `$1COUNT=${Math.max(total - before, 1)}`);
      } else {
        const until = iso(cutAt - 1000).replace(/[-:]/g, '').replace(/\.\d{3}/, '');
        tail.rule = /(?:^|;)UNTIL=/i.test(tail.rule) ? tail.rule.replace(/(^|;)UNTIL=[^;]*/i, `$1UNTIL=${until}`) : `${tail.rule};UNTIL=${until}`;
      }
      const endProp = r.mod.getFirstProperty('dtend');
      const dur = r.mod.getFirstPropertyValue('duration');
      let length = tail.duration;
      if (endProp) {
        const ms = instantOf(stampOf(endProp, endProp.getFirstValue(), `${what} override DTEND`)) - instantOf(next);
        if (!(ms > 0)) fail(`${source}: ${what} has an override that ends before it starts`);
        length = next.isDate ? `${Math.round(ms / 86_400_000)}d` : formatDuration(ms);
      } else if (dur instanceof ICAL.Duration) {
        length = formatDuration(dur.toSeconds() * 1000);
      }
      series.push({ start: next, rule: nextRule.replace(/(^|;)UNTIL=[^;]*/i, (m) => m), duration: length });
    }
    const exLine = exdates.length > 0 ? `\nEXDATE:${exdates.join(',')}` : '';
    series.forEach((sr, i) => {
      const w: WindowSpec = {
        ...base(name),
        rrule: exLine ? `RRULE:${sr.rule}${exLine}` : sr.rule,
        start: stampText(sr.start),
        duration: sr.duration,
        timeZone: sr.start.zone,
      };
      push(w, i === 0 ? what : `${what} (RANGE=THISANDFUTURE override ${i})`);
    });

    // RDATEs: extra occurrences with the same length (or their own, for PERIOD values), unless an EXDATE removes them.
    seen.add(instantOf(start));
    pushRdates();
    // Modified instances: their own one-off windows.
    for (const mod of mods) {
      if (isRange(mod)) continue;
      if (String(mod.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED') continue;
      pushOneOff(mod, events.indexOf(mod));
    }
  }

  // Modified instances whose master is not in the file: plain one-off events.
  for (const mods of overrides.values()) {
    for (const mod of mods) {
      if (String(mod.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED') continue;
      pushOneOff(mod, events.indexOf(mod));
    }
  }
  return windows;

  function pushOneOff(ev: ICAL.Component, index: number): void {
    const what = describe(ev, index);
    const dtProp = ev.getFirstProperty('dtstart');
    if (!dtProp) fail(`${source}: ${what} has no DTSTART`);
    const s = stampOf(dtProp, dtProp.getFirstValue(), `${what} DTSTART`);
    const from = instantOf(s);
    let to: number;
    const endProp = ev.getFirstProperty('dtend');
    const dur = ev.getFirstPropertyValue('duration');
    if (endProp) to = instantOf(stampOf(endProp, endProp.getFirstValue(), `${what} DTEND`));
    else if (dur instanceof ICAL.Duration) to = from + dur.toSeconds() * 1000;
    else if (s.isDate) {
      const e = ICAL.Time.fromData({ year: s.local.year, month: s.local.month, day: s.local.day, isDate: true });
      e.adjust(1, 0, 0, 0);
      to = localToInstant({ year: e.year, month: e.month, day: e.day, hour: 0, minute: 0, second: 0 }, s.zone);
    } else fail(`${source}: ${what} has neither DTEND nor DURATION, so it has no length`);
    push({ ...base(eventName(ev, index)), start: iso(from), end: iso(to) }, what);
  }
}

/**
 * DATE values written without `VALUE=DATE` (`DTSTART:20251224`, as some public holiday calendars do) get it, so
 * that they parse as dates instead of failing as malformed date-times.
 */
function withDateValues(text: string): string {
  const unfolded = text.replace(/\r?\n[ \t]/g, '');
  return unfolded.replace(
    /^(DTSTART|DTEND|EXDATE|RDATE|RECURRENCE-ID)((?:;[^:\r\n]*)?):(\d{8}(?:,\d{8})*)[ \t]*(\r?)$/gim,
    (line, name: string, params: string, value: string, cr: string) =>
      /;VALUE=/i.test(params) ? line : `${name}${params};VALUE=DATE:${value}${cr}`,
  );
}

/** Occurrences of a (valid) window that start before `instant`. */
function occurrencesBefore(w: WindowSpec, from: number, instant: number): number {
  const { compiled } = compileWindow(w);
  return compiled ? expandStarts(compiled, from, instant - 1).length : 0;
}

/** `P2DT1H30M`: nominal days, then the exact rest of `totalMs`. */
function isoDuration(days: number, totalMs: number): string {
  const rest = Math.round((totalMs - days * 86_400_000) / 1000);
  return rest > 0 ? `P${days}DT${rest}S` : `P${days}D`;
}

function eventName(ev: ICAL.Component, index: number): string {
  const summary = ev.getFirstPropertyValue('summary');
  if (typeof summary === 'string' && summary.trim() !== '') return summary.trim();
  const uid = ev.getFirstPropertyValue('uid');
  return typeof uid === 'string' && uid !== '' ? uid : `event ${index + 1}`;
}

function describe(ev: ICAL.Component, index: number): string {
  return `VEVENT ${index + 1} (${JSON.stringify(eventName(ev, index))})`;
}
